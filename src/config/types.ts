import type { HostPort } from './parsers.js';

export type { HostPort } from './parsers.js';

export const STORE_KINDS = ['disk', 'mem'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export const CLUSTER_MODES = ['single', 'leader', 'follower'] as const;
export type ClusterMode = (typeof CLUSTER_MODES)[number];

/** How peers are discovered on the LAN: auto = avahi when it answers on D-Bus, else the pure-JS responder. */
export const DISCOVERY_CHOICES = ['auto', 'avahi', 'mdns-js', 'off'] as const;
export type DiscoveryChoice = (typeof DISCOVERY_CHOICES)[number];

/** pino's level names, so the logger adapter can pass the value straight through. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The validated configuration of one node. Built only by loadConfig, frozen, and JSON-safe (redactedConfig
 * relies on that). Names carry their unit last; optional fields are absent when the setting is unset.
 */
export interface Config {
  readonly addr: HostPort;
  readonly grpcAddr: HostPort;
  readonly dataDir: string;
  readonly adminSocketPath: string;
  readonly store: StoreKind;
  readonly clusterMode: ClusterMode;
  readonly peerAddrs: readonly HostPort[];
  readonly discovery: DiscoveryChoice;
  readonly mtlsCertPath?: string;
  readonly mtlsKeyPath?: string;
  readonly mtlsCaPath?: string;
  readonly replSnapshotIntervalSec: number;
  readonly replStreamChunkBytes: number;
  readonly clusterReadTimeoutMs: number;
  readonly federationMinCost: number;
  readonly federationMaxInflight: number;
  readonly clusterWriteTimeoutMs: number;
  readonly clusterMaxPeers: number;
  readonly clusterHeartbeatMs: number;
  readonly replLogRetainEntries: number;
  readonly clusterElectionTimeoutMs: number;
  readonly certValidityDays: number;
  /** The address peers reach this node's gRPC at; also its member id. */
  readonly grpcAdvertiseAddr?: HostPort;
  readonly snapshotKeyPath?: string;
  readonly tokenSecret?: string;
  readonly defaultNamespace: string;
  readonly shaclEnabled: boolean;
  readonly vecEnabled: boolean;
  readonly vecTopKDefault: number;
  readonly vecSharding: 'replica' | 'shard';
  readonly vecHnswM: number;
  readonly vecHnswEfConstruction: number;
  readonly logLevel: LogLevel;
  readonly signingKeyPath?: string;
  readonly maxBodyBytes: number;
  readonly maxTxQuads: number;
  /** 0 means "auto": the storage edge sizes the map itself. */
  readonly lmdbMapSizeBytes: number;
  /** Hardware facts for the tuning; absent: the appliance's file when it exists, else live detection. */
  readonly hardwareFile?: string;
  readonly idempotencyTtlMs: number;
  readonly windowSec: number;
  readonly packsDir?: string;
  readonly embedUrl?: string;
  /** An admin web UI session ends after this long without a request. */
  readonly adminSessionIdleMs: number;
}

export type ConfigKey = keyof Config;

/** Fields never shown; the settings table marks the same ones `secret` (a test holds them equal). */
export type SecretKey = 'tokenSecret';
