/**
 * Every setting Knowd reads, in one table: its environment variable, flag, default, description and
 * parser. The table is typed against Config, so a field without a setting (or a setting whose parser
 * yields the wrong type, or an optional field with a default) fails to compile.
 */
import { join } from 'node:path';
import * as p from './parsers.js';
import type { Parser } from './parsers.js';
import { CLUSTER_MODES, DISCOVERY_CHOICES, LOG_LEVELS, STORE_KINDS } from './types.js';
import type { Config, ConfigKey } from './types.js';

/** Settings whose default is computed from others; they are resolved in a second pass. */
type DerivedKey = 'adminSocketPath';
export type BaseConfig = Omit<Config, DerivedKey>;

export type DefaultSpec<T> =
  /** Parsed with the setting's own parser, so the documented text and the value cannot drift apart. */
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'derived'; readonly text: string; readonly derive: (base: BaseConfig) => T }
  /** An optional setting; `text` tells the operator what happens when it is not set. */
  | { readonly kind: 'unset'; readonly text: string };

export interface SettingSpec<T> {
  readonly env: `KNOWD_${string}`;
  readonly parser: Parser<T>;
  readonly default: DefaultSpec<T>;
  readonly description: string;
  /** Never printed: error messages say `<redacted>` and redactedConfig replaces the value. */
  readonly secret?: true;
}

type RequiredSetting<T> = SettingSpec<T> & { readonly default: Exclude<DefaultSpec<T>, { kind: 'unset' }> };
type OptionalSetting<T> = SettingSpec<T> & { readonly default: Extract<DefaultSpec<T>, { kind: 'unset' }> };

export type SettingsTable = {
  readonly [K in ConfigKey]-?: undefined extends Config[K] ? OptionalSetting<Exclude<Config[K], undefined>> : RequiredSetting<Config[K]>;
};

const text = (t: string): { kind: 'text'; text: string } => ({ kind: 'text', text: t });
const unset = (t: string): { kind: 'unset'; text: string } => ({ kind: 'unset', text: t });

const KIB = 1024;
const MIB = 1024 * KIB;
const HOUR_MS = 3_600_000;

/** 0 keeps its special meaning ("auto", "never") while any other value must be a sensible size. */
function zeroOr(inner: Parser<number>, zeroMeans = 'auto'): Parser<number> {
  const allowed = `0 (${zeroMeans}) or ${inner.allowed}`;
  return {
    allowed,
    isBoolean: false,
    parse: (raw) => {
      if (raw.trim() === '0') return { ok: true, value: 0 };
      const result = inner.parse(raw);
      return result.ok ? result : { ok: false, problem: `expected ${allowed}` };
    },
  };
}

export const SETTINGS: SettingsTable = {
  addr: {
    env: 'KNOWD_ADDR', parser: p.listenAddr, default: text(':8090'),
    description: 'Listen address of the HTTP API, SPARQL endpoints and admin web UI.',
  },
  grpcAddr: {
    env: 'KNOWD_GRPC_ADDR', parser: p.listenAddr, default: text(':8091'),
    description: 'Listen address of gRPC cluster traffic (mutual TLS).',
  },
  dataDir: {
    env: 'KNOWD_DATA_DIR', parser: p.path, default: text('./data'),
    description: 'Data directory: LMDB store, snapshots, keys and certificates (appliance: /var/lib/knowd).',
  },
  adminSocketPath: {
    env: 'KNOWD_ADMIN_SOCKET', parser: p.path,
    default: { kind: 'derived', text: '<dataDir>/admin.sock', derive: (base) => join(base.dataDir, 'admin.sock') },
    description: 'Local maintenance socket used by knowdctl (root and the knowd group only).',
  },
  store: {
    env: 'KNOWD_STORE', parser: p.oneOf(STORE_KINDS), default: text('disk'),
    description: 'Storage engine: disk (LMDB in the data directory) or mem (in memory, lost on exit).',
  },
  clusterMode: {
    env: 'KNOWD_CLUSTER_MODE', parser: p.oneOf(CLUSTER_MODES), default: text('single'),
    description: 'Role of this node; leader and follower require the KNOWD_MTLS_* certificates.',
  },
  peerAddrs: {
    env: 'KNOWD_PEER_ADDRS', parser: p.peerList, default: text(''),
    description: 'gRPC addresses (host:port, as each advertises itself) of the other cluster members, comma-separated; needed by a follower (`knowdctl cluster join` writes it into data/cluster/cluster.env); mDNS discovery lists peers but does not add members.',
  },
  discovery: {
    env: 'KNOWD_DISCOVERY', parser: p.oneOf(DISCOVERY_CHOICES), default: text('auto'),
    description: 'LAN discovery of other nodes by mDNS (_knowd._tcp): auto uses avahi-daemon when it answers on D-Bus, else a built-in responder; avahi or mdns-js force one; off advertises and browses nothing.',
  },
  mtlsCertPath: {
    env: 'KNOWD_MTLS_CERT', parser: p.path, default: unset('not set'),
    description: 'PEM certificate of this node for cluster mutual TLS.',
  },
  mtlsKeyPath: {
    env: 'KNOWD_MTLS_KEY', parser: p.path, default: unset('not set'),
    description: 'PEM private key matching KNOWD_MTLS_CERT.',
  },
  mtlsCaPath: {
    env: 'KNOWD_MTLS_CA', parser: p.path, default: unset('not set'),
    description: 'PEM CA certificate that signs every cluster node.',
  },
  replSnapshotIntervalSec: {
    env: 'KNOWD_REPL_SNAPSHOT_SEC', parser: p.int(1), default: text('300'),
    description: 'Seconds between replication snapshots (which also truncate the WAL).',
  },
  replStreamChunkBytes: {
    env: 'KNOWD_REPL_STREAM_CHUNK_BYTES', parser: p.size(KIB, 64 * MIB), default: text('1048576'),
    description: 'Size of the chunks in which snapshots are shipped to followers.',
  },
  clusterReadTimeoutMs: {
    env: 'KNOWD_CLUSTER_READ_TIMEOUT', parser: p.durationMs(1, 24 * HOUR_MS), default: text('30s'),
    description: 'Time limit of a read forwarded to another node.',
  },
  federationMinCost: {
    env: 'KNOWD_FEDERATION_MIN_COST', parser: p.int(0), default: text('1000000'),
    description: 'Estimated cost (rows the query\'s joins go through, from the store\'s counts along the join order) at which a query is split across the cluster\'s nodes without being asked; 0 splits every splittable query. A client asks with "federated": true or X-Knowd-Federated: true, and opts out with false.',
  },
  federationMaxInflight: {
    env: 'KNOWD_FEDERATION_MAX_INFLIGHT', parser: p.int(1, 10_000), default: text('16'),
    description: 'Parts of federated queries this node runs at once; more are refused, so coordinators re-run them elsewhere, and /readyz reports the node busy.',
  },
  clusterWriteTimeoutMs: {
    env: 'KNOWD_CLUSTER_WRITE_TIMEOUT', parser: p.durationMs(1, 24 * HOUR_MS), default: text('60s'),
    description: 'Time limit of a write until a majority has committed it.',
  },
  clusterMaxPeers: {
    env: 'KNOWD_CLUSTER_MAX_PEERS', parser: p.int(1, 100), default: text('10'),
    description: 'Largest number of peers this node accepts in its cluster.',
  },
  replLogRetainEntries: {
    env: 'KNOWD_REPL_LOG_RETAIN', parser: p.int(0, 100_000_000), default: text('1000'),
    description: 'Log entries kept behind each snapshot, so a follower that lags by fewer catches up from the log instead of a whole snapshot.',
  },
  clusterHeartbeatMs: {
    env: 'KNOWD_CLUSTER_HEARTBEAT', parser: p.durationMs(10, 60_000), default: text('100ms'),
    description: 'Interval of leader heartbeats; keep it well under KNOWD_CLUSTER_ELECTION_TIMEOUT.',
  },
  clusterElectionTimeoutMs: {
    env: 'KNOWD_CLUSTER_ELECTION_TIMEOUT', parser: p.durationMs(50, 600_000), default: text('500ms'),
    description: 'A follower that has not heard from the leader for a random time between this and twice this starts an election; a leader that has not heard from a majority for this long steps down.',
  },
  certValidityDays: {
    env: 'KNOWD_CERT_VALIDITY_DAYS', parser: p.int(1, 3650), default: text('30'),
    description: 'Lifetime in days of the node certificates the cluster CA issues (init, join, renewal); a node renews its own when two thirds of it have passed, without a restart.',
  },
  grpcAdvertiseAddr: {
    env: 'KNOWD_GRPC_ADVERTISE', parser: p.peerAddr, default: unset('KNOWD_GRPC_ADDR when it names a host, else <hostname>:<port>'),
    description: 'host:port at which peers reach this node\'s gRPC; it is the node\'s member id and must match how the peers list it in KNOWD_PEER_ADDRS.',
  },
  snapshotKeyPath: {
    env: 'KNOWD_SNAPSHOT_KEY', parser: p.path, default: unset('generated in the data directory'),
    description: 'AES-256 key file (32 bytes, hex or raw) that encrypts snapshots; every node of a cluster needs the same key.',
  },
  tokenSecret: {
    env: 'KNOWD_TOKEN_SECRET', parser: p.secret, default: unset('not set: only loopback clients are served'),
    secret: true,
    description: 'HS256 secret for bearer tokens; when set, every request needs a token.',
  },
  defaultNamespace: {
    env: 'KNOWD_NAMESPACE_DEFAULT', parser: p.namespaceName, default: text('default'),
    description: 'Namespace used when a request names none (and served at /sparql and /store).',
  },
  shaclEnabled: {
    env: 'KNOWD_SHACL_ENABLED', parser: p.bool, default: text('true'),
    description: 'Validate transactions against the SHACL shapes of their namespace. The leader\'s setting is logged with each write, and every replica validates exactly the writes the leader did.',
  },
  vecEnabled: {
    env: 'KNOWD_VEC_ENABLED', parser: p.bool, default: text('true'),
    description: 'Enable the vector index and the /v1/vector and /v1/similar endpoints.',
  },
  vecTopKDefault: {
    env: 'KNOWD_VEC_TOPK_DEFAULT', parser: p.int(1, 1000), default: text('5'),
    description: 'Number of results of a similarity search that gives no topK.',
  },
  vecSharding: {
    env: 'KNOWD_VEC_SHARDING', parser: p.oneOf(['replica', 'shard'] as const), default: text('replica'),
    description: 'replica: every node indexes every vector and answers /v1/similar alone; shard: each cluster member indexes a shard (by a hash of the vector key; shard i belongs to the i-th of the sorted member addresses, so set the same KNOWD_PEER_ADDRS everywhere and restart every node after a membership change), and /v1/similar asks every shard and merges. Every node still stores every vector, so a shard whose node is down is searched exactly from the store.',
  },
  vecHnswM: {
    env: 'KNOWD_VEC_HNSW_M', parser: p.int(2, 128), default: text('16'),
    description: 'HNSW graph degree (M): higher is more accurate and uses more memory.',
  },
  vecHnswEfConstruction: {
    env: 'KNOWD_VEC_HNSW_EFC', parser: p.int(1, 4096), default: text('200'),
    description: 'HNSW construction breadth (efConstruction): higher is more accurate and slower to insert.',
  },
  logLevel: {
    env: 'KNOWD_LOG_LEVEL', parser: p.oneOf(LOG_LEVELS), default: text('info'),
    description: 'Least severe level that is logged.',
  },
  signingKeyPath: {
    env: 'KNOWD_SIGNING_KEY', parser: p.path, default: unset('generated in the data directory'),
    description: 'PEM Ed25519 private key that signs receipts.',
  },
  maxBodyBytes: {
    env: 'KNOWD_MAX_BODY_BYTES', parser: p.size(KIB), default: text('64MiB'),
    description: 'Largest HTTP request body; larger requests get 413.',
  },
  maxTxQuads: {
    env: 'KNOWD_MAX_TX_QUADS', parser: p.int(1), default: text('1000000'),
    description: 'Largest number of quads added plus removed by one transaction; larger ones get 413.',
  },
  lmdbMapSizeBytes: {
    env: 'KNOWD_MAP_SIZE', parser: zeroOr(p.size(MIB)), default: text('0'),
    description: 'LMDB map size (the most the store may grow to); 0 lets Knowd choose and grow it.',
  },
  hardwareFile: {
    env: 'KNOWD_HARDWARE_FILE', parser: p.path, default: unset('/etc/knowd/hardware.json when it exists, else detected at start'),
    description: 'Hardware facts (JSON, written by the appliance provisioner) that the LMDB and NUMA tuning is computed from.',
  },
  idempotencyTtlMs: {
    env: 'KNOWD_IDEMPOTENCY_TTL', parser: zeroOr(p.durationMs(60_000, 10 * 365 * 24 * HOUR_MS), 'never'), default: text('24h'),
    description: 'How long a transaction\'s idempotencyKey is remembered: a retry within it returns the first receipt; after it the key may be used again. 0 keeps keys forever (the store then grows with every keyed transaction).',
  },
  windowSec: {
    env: 'KNOWD_WINDOW_SEC', parser: p.int(1), default: text('300'),
    description: 'Length in seconds of the WINDOW that knowledge hooks evaluate over (the last N seconds of transactions).',
  },
  packsDir: {
    env: 'KNOWD_PACKS', parser: p.path, default: unset('not set: no policy packs (appliance: /etc/knowd/packs)'),
    description: 'Directory of policy packs (<pack>/<namespace>/shapes/*.ttl and hooks/*.json), loaded by the leader at start-up and on POST /v1/packs/reload.',
  },
  embedUrl: {
    env: 'KNOWD_EMBED_URL', parser: p.httpUrl, default: unset('not set: text is embedded by the built-in lexical feature-hashing embedder'),
    description: 'Embedding service that turns "text" into vectors for /v1/vector/upsert and /v1/similar.',
  },
  adminSessionIdleMs: {
    env: 'KNOWD_ADMIN_SESSION_IDLE', parser: p.durationMs(60_000, 24 * HOUR_MS), default: text('30m'),
    description: 'An admin web UI session (/admin/) ends after this long without a request; signing in again starts a new one.',
  },
};

export const SETTING_KEYS = Object.keys(SETTINGS) as readonly ConfigKey[];

/** `KNOWD_DATA_DIR` → `--data-dir`: the SPEC's rule, so no setting can have an irregular flag. */
export function flagOf(env: string): string {
  return `--${env.replace(/^KNOWD_/, '').toLowerCase().replaceAll('_', '-')}`;
}

export interface SettingDescription {
  readonly name: string;
  readonly flag: string;
  readonly default: string;
  readonly allowed: string;
  readonly description: string;
  readonly secret: boolean;
}

/** The settings in table order, for the README and `knowdctl config check`. */
export function describeSettings(): readonly SettingDescription[] {
  return SETTING_KEYS.map((key) => {
    const s: SettingSpec<unknown> = SETTINGS[key];
    const defaultText = s.default.kind === 'unset' ? `(${s.default.text})` : s.default.text || '(empty)';
    return {
      name: s.env,
      flag: flagOf(s.env),
      default: defaultText,
      allowed: s.parser.allowed,
      description: s.description,
      secret: s.secret === true,
    };
  });
}
