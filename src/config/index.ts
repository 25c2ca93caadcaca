/** Configuration: the settings table, loading from argv and environment, and safe display. */
export { loadConfig } from './load.js';
export { describeSettings, flagOf } from './schema.js';
export type { SettingDescription } from './schema.js';
export { redactedConfig } from './redact.js';
export type { RedactedConfig } from './redact.js';
export { REDACTED } from './fail.js';
export { NAMESPACE_NAME, listenAddr } from './parsers.js';
export { CLUSTER_MODES, DISCOVERY_CHOICES, LOG_LEVELS, STORE_KINDS } from './types.js';
export type { ClusterMode, Config, DiscoveryChoice, HostPort, LogLevel, StoreKind } from './types.js';
