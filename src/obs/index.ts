export { createLogger } from './logger.js';
export type { Logger } from './logger.js';
export { Metrics } from './metrics.js';
export { createAuditLog } from './audit.js';
export type { AuditEvent, AuditLog } from './audit.js';
