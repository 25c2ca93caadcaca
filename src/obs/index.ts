export { createLogger } from './logger.js';
export type { Logger } from './logger.js';
export { Metrics } from './metrics.js';
export { createAuditLog } from './audit.js';
export type { AuditEvent, AuditLog } from './audit.js';
export { DEFAULT_HARDWARE_FILE, detectHardware, detectHardwareLocal, mountOf, parseCpuList, parseHardware, readHardwareFile, readNumaNodes } from './hardware.js';
export type { Hardware, NumaNode, DiskKind } from './hardware.js';
export { createTelemetry } from './telemetry.js';
export type { NodeTelemetry, TelemetrySource } from './telemetry.js';
