import test from 'ava';
import type { ExecutionContext } from 'ava';
import { isKnowdError } from '../../../src/base/index.js';
import type { KnowdError } from '../../../src/base/index.js';
import { describeSettings, loadConfig, redactedConfig } from '../../../src/config/index.js';
import type { Config } from '../../../src/config/index.js';

type Env = Record<string, string | undefined>;

const SECRET = 's3cret-s3cret-s3cret-s3cret-s3cret!';
const TLS: Env = { KNOWD_MTLS_CERT: '/etc/knowd/node.crt', KNOWD_MTLS_KEY: '/etc/knowd/node.key', KNOWD_MTLS_CA: '/etc/knowd/ca.crt' };

function load(env: Env = {}, argv: readonly string[] = []): Config {
  return loadConfig(argv, env);
}

/** Asserts CONFIG_INVALID with a one-line message containing every fragment; returns the error. */
function rejects(t: ExecutionContext, run: () => unknown, ...fragments: string[]): KnowdError {
  const error = t.throws(run);
  if (!isKnowdError(error)) {
    t.fail(`expected a KnowdError, got ${String(error)}`);
    throw error;
  }
  t.is(error.code, 'CONFIG_INVALID');
  t.false(/[\r\n]/.test(error.message), `one line: ${error.message}`);
  for (const fragment of fragments) t.true(error.message.includes(fragment), `${JSON.stringify(error.message)} should include ${JSON.stringify(fragment)}`);
  return error;
}

test('defaults', (t) => {
  const c = load();
  t.deepEqual(c.addr, { host: '', port: 8090 });
  t.deepEqual(c.grpcAddr, { host: '', port: 8091 });
  t.is(c.dataDir, './data');
  t.is(c.adminSocketPath, 'data/admin.sock');
  t.is(c.store, 'disk');
  t.is(c.clusterMode, 'single');
  t.deepEqual(c.peerAddrs, []);
  t.is(c.mtlsCertPath, undefined);
  t.is(c.replSnapshotIntervalSec, 300);
  t.is(c.replStreamChunkBytes, 1048576);
  t.is(c.clusterReadTimeoutMs, 30_000);
  t.is(c.clusterWriteTimeoutMs, 60_000);
  t.is(c.clusterMaxPeers, 10);
  t.false('tokenSecret' in c);
  t.is(c.defaultNamespace, 'default');
  t.true(c.shaclEnabled);
  t.true(c.vecEnabled);
  t.is(c.vecTopKDefault, 5);
  t.is(c.vecHnswM, 16);
  t.is(c.vecHnswEfConstruction, 200);
  t.is(c.logLevel, 'info');
  t.is(c.signingKeyPath, undefined);
  t.is(c.maxBodyBytes, 64 * 1024 * 1024);
  t.is(c.maxTxQuads, 1_000_000);
  t.is(c.lmdbMapSizeBytes, 0);
  t.is(c.windowSec, 300);
  t.is(c.idempotencyTtlMs, 24 * 3_600_000);
  t.is(c.embedUrl, undefined);
});

test('the config is frozen, deeply', (t) => {
  const c = load({ KNOWD_PEER_ADDRS: 'a:1' });
  t.true(Object.isFrozen(c));
  t.true(Object.isFrozen(c.addr));
  t.true(Object.isFrozen(c.peerAddrs));
  t.true(Object.isFrozen(c.peerAddrs[0]));
});

test('admin socket follows the data dir unless set', (t) => {
  t.is(load({ KNOWD_DATA_DIR: '/var/lib/knowd' }).adminSocketPath, '/var/lib/knowd/admin.sock');
  t.is(load({}, ['--data-dir', '/srv/k']).adminSocketPath, '/srv/k/admin.sock');
  t.is(load({ KNOWD_DATA_DIR: '/var/lib/knowd', KNOWD_ADMIN_SOCKET: '/run/knowd.sock' }).adminSocketPath, '/run/knowd.sock');
});

test('env: integers', (t) => {
  const c = load({ KNOWD_REPL_SNAPSHOT_SEC: '60', KNOWD_CLUSTER_MAX_PEERS: '100', KNOWD_VEC_HNSW_M: ' 32 ', KNOWD_MAX_TX_QUADS: '5' });
  t.is(c.replSnapshotIntervalSec, 60);
  t.is(c.clusterMaxPeers, 100);
  t.is(c.vecHnswM, 32);
  t.is(c.maxTxQuads, 5);
});

test('env: sizes, binary and decimal units', (t) => {
  t.is(load({ KNOWD_MAX_BODY_BYTES: '2048' }).maxBodyBytes, 2048);
  t.is(load({ KNOWD_MAX_BODY_BYTES: '8KiB' }).maxBodyBytes, 8192);
  t.is(load({ KNOWD_MAX_BODY_BYTES: '16MiB' }).maxBodyBytes, 16 * 2 ** 20);
  t.is(load({ KNOWD_MAX_BODY_BYTES: '2GiB' }).maxBodyBytes, 2 * 2 ** 30);
  t.is(load({ KNOWD_MAP_SIZE: '1TiB' }).lmdbMapSizeBytes, 2 ** 40);
  t.is(load({ KNOWD_MAX_BODY_BYTES: '5KB' }).maxBodyBytes, 5000);
  t.is(load({ KNOWD_MAX_BODY_BYTES: '3 MB' }).maxBodyBytes, 3_000_000);
  t.is(load({ KNOWD_MAX_BODY_BYTES: '1gb' }).maxBodyBytes, 1e9);
  t.is(load({ KNOWD_REPL_STREAM_CHUNK_BYTES: '64MiB' }).replStreamChunkBytes, 64 * 2 ** 20);
});

test('env: durations', (t) => {
  t.is(load({ KNOWD_CLUSTER_READ_TIMEOUT: '500ms' }).clusterReadTimeoutMs, 500);
  t.is(load({ KNOWD_CLUSTER_READ_TIMEOUT: '2m' }).clusterReadTimeoutMs, 120_000);
  t.is(load({ KNOWD_CLUSTER_READ_TIMEOUT: '1m30s' }).clusterReadTimeoutMs, 90_000);
  t.is(load({ KNOWD_CLUSTER_WRITE_TIMEOUT: '1.1s' }).clusterWriteTimeoutMs, 1100);
  t.is(load({ KNOWD_CLUSTER_WRITE_TIMEOUT: '1h' }).clusterWriteTimeoutMs, 3_600_000);
  t.is(load({ KNOWD_IDEMPOTENCY_TTL: '720h' }).idempotencyTtlMs, 720 * 3_600_000);
  t.is(load({ KNOWD_IDEMPOTENCY_TTL: '0' }).idempotencyTtlMs, 0);
});

test('env: booleans', (t) => {
  for (const [raw, expected] of [['true', true], ['false', false], ['1', true], ['0', false], ['yes', true], ['no', false], ['TRUE', true], ['No', false]] as const) {
    t.is(load({ KNOWD_SHACL_ENABLED: raw }).shaclEnabled, expected, raw);
  }
  t.false(load({ KNOWD_VEC_ENABLED: 'no' }).vecEnabled);
});

test('env: enums, case-insensitive and normalized', (t) => {
  t.is(load({ KNOWD_STORE: 'mem' }).store, 'mem');
  t.is(load({ KNOWD_LOG_LEVEL: 'DEBUG' }).logLevel, 'debug');
  t.is(load({ KNOWD_CLUSTER_MODE: 'follower', ...TLS }).clusterMode, 'follower');
});

test('env: addresses', (t) => {
  t.deepEqual(load({ KNOWD_ADDR: '127.0.0.1:9000' }).addr, { host: '127.0.0.1', port: 9000 });
  t.deepEqual(load({ KNOWD_ADDR: 'localhost:0' }).addr, { host: 'localhost', port: 0 });
  t.deepEqual(load({ KNOWD_ADDR: '[::1]:8443' }).addr, { host: '::1', port: 8443 });
  t.deepEqual(load({ KNOWD_GRPC_ADDR: ':65535' }).grpcAddr, { host: '', port: 65535 });
});

test('env: peer list', (t) => {
  t.deepEqual(load({ KNOWD_PEER_ADDRS: '10.0.0.2:8091, knowd-3.local:8091,[fe80::1]:8091,' }).peerAddrs, [
    { host: '10.0.0.2', port: 8091 },
    { host: 'knowd-3.local', port: 8091 },
    { host: 'fe80::1', port: 8091 },
  ]);
});

test('env: url, paths, namespace, secret', (t) => {
  const c = load({
    KNOWD_EMBED_URL: 'http://127.0.0.1:11434/api/embeddings',
    KNOWD_SIGNING_KEY: '/etc/knowd/signing.pem',
    KNOWD_NAMESPACE_DEFAULT: 'kb_1.main-x',
    KNOWD_TOKEN_SECRET: SECRET,
  });
  t.is(c.embedUrl, 'http://127.0.0.1:11434/api/embeddings');
  t.is(c.signingKeyPath, '/etc/knowd/signing.pem');
  t.is(c.defaultNamespace, 'kb_1.main-x');
  t.is(c.tokenSecret, SECRET);
  t.is(load({ KNOWD_EMBED_URL: 'https://embed.example' }).embedUrl, 'https://embed.example/');
});

test('an empty variable counts as unset', (t) => {
  const c = load({ KNOWD_STORE: '', KNOWD_TOKEN_SECRET: '', KNOWD_DATA_DIR: undefined });
  t.is(c.store, 'disk');
  t.false('tokenSecret' in c);
  t.is(c.dataDir, './data');
});

test('variables that are not KNOWD_* are ignored', (t) => {
  t.notThrows(() => load({ PATH: '/usr/bin', KNOWDX: '1', knowd_store: 'x' }));
});

test('flags beat the environment', (t) => {
  const c = load({ KNOWD_STORE: 'disk', KNOWD_DATA_DIR: '/env', KNOWD_SHACL_ENABLED: 'true' }, ['--store', 'mem', '--data-dir=/flag', '--no-shacl-enabled']);
  t.is(c.store, 'mem');
  t.is(c.dataDir, '/flag');
  t.false(c.shaclEnabled);
});

test('flags as --x=y and --x y, last one wins', (t) => {
  t.is(load({}, ['--addr=127.0.0.1:1']).addr.port, 1);
  t.is(load({}, ['--addr', '127.0.0.1:2']).addr.port, 2);
  t.is(load({}, ['--addr', ':3', '--addr=:4']).addr.port, 4);
  t.is(load({}, ['--cluster-read-timeout=5s']).clusterReadTimeoutMs, 5000);
  t.is(load({}, ['--token-secret', SECRET]).tokenSecret, SECRET);
  t.is(load({}, ['--peer-addrs=']).peerAddrs.length, 0);
});

test('boolean flags: bare, --no-, with a value', (t) => {
  t.true(load({ KNOWD_VEC_ENABLED: 'false' }, ['--vec-enabled']).vecEnabled);
  t.false(load({}, ['--no-vec-enabled']).vecEnabled);
  t.false(load({}, ['--vec-enabled=no']).vecEnabled);
  t.false(load({}, ['--vec-enabled', 'false']).vecEnabled);
  const c = load({}, ['--shacl-enabled', '--store', 'mem']);
  t.true(c.shaclEnabled);
  t.is(c.store, 'mem');
});

test('bad values: one line naming setting, value and what is allowed', (t) => {
  const e = rejects(t, () => load({ KNOWD_STORE: 'disc' }), 'KNOWD_STORE', '"disc"', 'disk, mem');
  t.is(e.message, 'invalid KNOWD_STORE="disc": expected one of disk, mem');
  t.deepEqual(e.details, { setting: 'KNOWD_STORE', value: 'disc', allowed: 'one of disk, mem' });

  rejects(t, () => load({ KNOWD_CLUSTER_MAX_PEERS: '0' }), 'KNOWD_CLUSTER_MAX_PEERS', '"0"', 'from 1 to 100');
  rejects(t, () => load({ KNOWD_CLUSTER_MAX_PEERS: '101' }), 'KNOWD_CLUSTER_MAX_PEERS', '"101"');
  rejects(t, () => load({ KNOWD_REPL_SNAPSHOT_SEC: '1.5' }), 'KNOWD_REPL_SNAPSHOT_SEC', '"1.5"', 'integer');
  rejects(t, () => load({ KNOWD_VEC_TOPK_DEFAULT: 'five' }), 'KNOWD_VEC_TOPK_DEFAULT', '"five"');
  rejects(t, () => load({ KNOWD_REPL_STREAM_CHUNK_BYTES: '512' }), 'KNOWD_REPL_STREAM_CHUNK_BYTES', '"512"', 'from 1KiB to 64MiB');
  rejects(t, () => load({ KNOWD_REPL_STREAM_CHUNK_BYTES: '65MiB' }), 'KNOWD_REPL_STREAM_CHUNK_BYTES', '"65MiB"');
  rejects(t, () => load({ KNOWD_MAX_BODY_BYTES: '64XB' }), 'KNOWD_MAX_BODY_BYTES', '"64XB"', 'MiB');
  rejects(t, () => load({ KNOWD_MAP_SIZE: '100' }), 'KNOWD_MAP_SIZE', '"100"', '0 (auto)');
  rejects(t, () => load({ KNOWD_IDEMPOTENCY_TTL: '30s' }), 'KNOWD_IDEMPOTENCY_TTL', '"30s"', '0 (never) or a duration from 60000ms');
  rejects(t, () => load({ KNOWD_CLUSTER_READ_TIMEOUT: '30' }), 'KNOWD_CLUSTER_READ_TIMEOUT', '"30"', 'duration');
  rejects(t, () => load({ KNOWD_CLUSTER_READ_TIMEOUT: '0s' }), 'KNOWD_CLUSTER_READ_TIMEOUT', '"0s"');
  rejects(t, () => load({ KNOWD_CLUSTER_WRITE_TIMEOUT: '30 sec' }), 'KNOWD_CLUSTER_WRITE_TIMEOUT', '"30 sec"');
  rejects(t, () => load({ KNOWD_SHACL_ENABLED: 'maybe' }), 'KNOWD_SHACL_ENABLED', '"maybe"', 'true or false');
  rejects(t, () => load({ KNOWD_LOG_LEVEL: 'verbose' }), 'KNOWD_LOG_LEVEL', '"verbose"', 'fatal, error, warn, info, debug, trace, silent');
  rejects(t, () => load({ KNOWD_ADDR: '8090' }), 'KNOWD_ADDR', '"8090"', 'host:port');
  rejects(t, () => load({ KNOWD_ADDR: ':65536' }), 'KNOWD_ADDR', '":65536"');
  rejects(t, () => load({ KNOWD_ADDR: 'bad host:80' }), 'KNOWD_ADDR', '"bad host:80"');
  rejects(t, () => load({ KNOWD_PEER_ADDRS: 'a:1,b' }), 'KNOWD_PEER_ADDRS', '"a:1,b"', 'entry "b"');
  rejects(t, () => load({ KNOWD_PEER_ADDRS: ':8091' }), 'KNOWD_PEER_ADDRS', 'entry ":8091"');
  rejects(t, () => load({ KNOWD_PEER_ADDRS: 'a:0' }), 'KNOWD_PEER_ADDRS', 'port from 1 to 65535');
  rejects(t, () => load({ KNOWD_PEER_ADDRS: 'a:1,A:1' }), 'KNOWD_PEER_ADDRS', 'listed twice');
  rejects(t, () => load({ KNOWD_EMBED_URL: 'ftp://x' }), 'KNOWD_EMBED_URL', '"ftp://x"', 'http');
  rejects(t, () => load({ KNOWD_EMBED_URL: 'not a url' }), 'KNOWD_EMBED_URL', '"not a url"');
  rejects(t, () => load({ KNOWD_EMBED_URL: 'https://u:p@x' }), 'KNOWD_EMBED_URL', 'without user:password');
  rejects(t, () => load({ KNOWD_NAMESPACE_DEFAULT: '-bad' }), 'KNOWD_NAMESPACE_DEFAULT', '"-bad"', 'namespace name');
  rejects(t, () => load({ KNOWD_NAMESPACE_DEFAULT: 'a'.repeat(65) }), 'KNOWD_NAMESPACE_DEFAULT');
});

test('a bad flag value is reported under the flag name', (t) => {
  const e = rejects(t, () => load({ KNOWD_STORE: 'mem' }, ['--store=disc']), 'invalid --store="disc"', 'one of disk, mem');
  t.is(e.details['setting'], 'KNOWD_STORE');
  rejects(t, () => load({}, ['--data-dir=']), '--data-dir=""', 'path');
});

test('a value with a newline is still reported on one line', (t) => {
  rejects(t, () => load({ KNOWD_STORE: 'mem\nKNOWD_X=1' }), 'KNOWD_STORE', String.raw`"mem\nKNOWD_X=1"`);
});

test('a secret value is never echoed', (t) => {
  const short = 'hunter2-but-short';
  const e = rejects(t, () => load({ KNOWD_TOKEN_SECRET: short }), 'KNOWD_TOKEN_SECRET=<redacted>', 'at least 32 characters');
  t.false(e.message.includes(short));
  t.false(JSON.stringify(e.toJSON()).includes(short));
  const f = rejects(t, () => load({}, ['--token-secret', short]), '--token-secret=<redacted>');
  t.false(JSON.stringify(f.toJSON()).includes(short));
});

test('unknown flags, with a suggestion', (t) => {
  const e = rejects(t, () => load({}, ['--data-dri', '/x']), 'unknown flag --data-dri', 'did you mean --data-dir?');
  t.false(e.message.includes('/x'));
  rejects(t, () => load({}, ['--frobnicate=1']), 'unknown flag --frobnicate', 'not a Knowd setting');
  rejects(t, () => load({}, ['--no-store']), 'unknown flag --no-store');
  rejects(t, () => load({}, ['-v']), '"-v"');
  rejects(t, () => load({}, ['serve']), 'unexpected argument "serve"');
});

test('a flag missing its value', (t) => {
  rejects(t, () => load({}, ['--data-dir']), 'missing value for --data-dir', 'path');
  rejects(t, () => load({}, ['--store', '--data-dir', '/x']), 'missing value for --store', 'one of disk, mem');
  rejects(t, () => load({}, ['--no-vec-enabled=true']), '--no-vec-enabled');
});

test('unknown KNOWD_ variables are refused, without echoing their value', (t) => {
  const e = rejects(t, () => load({ KNOWD_TOKEN_SECERT: SECRET }), 'unknown environment variable KNOWD_TOKEN_SECERT', 'did you mean KNOWD_TOKEN_SECRET?');
  t.false(JSON.stringify(e.toJSON()).includes(SECRET));
  rejects(t, () => load({ KNOWD_WHATEVER: '1' }), 'KNOWD_WHATEVER', 'not a Knowd setting');
  // Even an empty one: the name itself is the typo.
  rejects(t, () => load({ KNOWD_STROE: '' }), 'KNOWD_STROE', 'KNOWD_STORE');
});

test('leader and follower modes require the mTLS files', (t) => {
  const e = rejects(t, () => load({ KNOWD_CLUSTER_MODE: 'leader' }), 'invalid KNOWD_CLUSTER_MODE="leader"', 'KNOWD_MTLS_CERT, KNOWD_MTLS_KEY, KNOWD_MTLS_CA are not set');
  t.deepEqual(e.details['missing'], ['KNOWD_MTLS_CERT', 'KNOWD_MTLS_KEY', 'KNOWD_MTLS_CA']);
  rejects(t, () => load({ ...TLS, KNOWD_MTLS_CA: undefined }, ['--cluster-mode', 'follower']), 'invalid --cluster-mode="follower"', 'KNOWD_MTLS_CA is not set');
  const c = load(TLS, ['--cluster-mode=leader']);
  t.is(c.clusterMode, 'leader');
  t.is(c.mtlsCaPath, '/etc/knowd/ca.crt');
});

test('combinations: cert without key, too many peers, port clash', (t) => {
  rejects(t, () => load({ KNOWD_MTLS_CERT: '/c' }), 'invalid KNOWD_MTLS_CERT="/c"', 'KNOWD_MTLS_KEY must be set');
  rejects(t, () => load({ KNOWD_PEER_ADDRS: 'a:1,b:1,c:1', KNOWD_CLUSTER_MAX_PEERS: '2' }), 'KNOWD_PEER_ADDRS', 'at most 2');
  rejects(t, () => load({ KNOWD_GRPC_ADDR: ':8090' }), 'invalid KNOWD_GRPC_ADDR=":8090"', 'KNOWD_ADDR');
  rejects(t, () => load({}, ['--addr', '127.0.0.1:7000', '--grpc-addr', ':7000']), '--grpc-addr', '--addr');
  t.notThrows(() => load({ KNOWD_ADDR: '127.0.0.1:7000', KNOWD_GRPC_ADDR: '127.0.0.2:7000' }));
  t.notThrows(() => load({ KNOWD_ADDR: ':0', KNOWD_GRPC_ADDR: ':0' }));
  // Heartbeats must come several times per election timeout.
  rejects(t, () => load({ KNOWD_CLUSTER_HEARTBEAT: '300ms', KNOWD_CLUSTER_ELECTION_TIMEOUT: '500ms' }), 'KNOWD_CLUSTER_HEARTBEAT', 'a third of KNOWD_CLUSTER_ELECTION_TIMEOUT');
  t.notThrows(() => load({ KNOWD_CLUSTER_HEARTBEAT: '1s', KNOWD_CLUSTER_ELECTION_TIMEOUT: '5s' }));
  rejects(t, () => load({ KNOWD_GRPC_ADVERTISE: ':8091' }), 'KNOWD_GRPC_ADVERTISE', 'host:port');
});

test('redactedConfig hides secrets and is JSON-safe', (t) => {
  const c = load({ KNOWD_TOKEN_SECRET: SECRET });
  const view = redactedConfig(c);
  t.is(view.tokenSecret, '<redacted>');
  t.is(view.dataDir, './data');
  const json = JSON.stringify(view);
  t.false(json.includes(SECRET));
  t.deepEqual(JSON.parse(json), { ...c, tokenSecret: '<redacted>' });
  t.false('tokenSecret' in redactedConfig(load()));
  t.is(c.tokenSecret, SECRET, 'the config itself is untouched');
});

test('describeSettings lists every setting with its flag, default and description', (t) => {
  const settings = describeSettings();
  t.is(settings.length, 43);
  t.is(new Set(settings.map((s) => s.name)).size, settings.length);
  for (const s of settings) {
    t.regex(s.name, /^KNOWD_[A-Z0-9_]+$/);
    t.is(s.flag, `--${s.name.slice('KNOWD_'.length).toLowerCase().replaceAll('_', '-')}`);
    t.true(s.description.length > 10, s.name);
    t.true(s.allowed.length > 0, s.name);
  }
  const byName = new Map(settings.map((s) => [s.name, s]));
  t.is(byName.get('KNOWD_DATA_DIR')?.flag, '--data-dir');
  t.is(byName.get('KNOWD_ADDR')?.default, ':8090');
  t.is(byName.get('KNOWD_ADMIN_SOCKET')?.default, '<dataDir>/admin.sock');
  t.is(byName.get('KNOWD_MAX_BODY_BYTES')?.default, '64MiB');
  t.deepEqual(settings.filter((s) => s.secret).map((s) => s.name), ['KNOWD_TOKEN_SECRET']);
  t.is(byName.get('KNOWD_DISCOVERY')?.default, 'auto');
  t.is(byName.get('KNOWD_DISCOVERY')?.allowed, 'one of auto, avahi, mdns-js, off');
  // The SPEC's names are all present.
  for (const name of ['KNOWD_ADDR', 'KNOWD_GRPC_ADDR', 'KNOWD_ADMIN_SOCKET', 'KNOWD_DATA_DIR', 'KNOWD_STORE', 'KNOWD_CLUSTER_MODE', 'KNOWD_PEER_ADDRS',
    'KNOWD_MTLS_CERT', 'KNOWD_MTLS_KEY', 'KNOWD_MTLS_CA', 'KNOWD_REPL_SNAPSHOT_SEC', 'KNOWD_REPL_STREAM_CHUNK_BYTES', 'KNOWD_CLUSTER_READ_TIMEOUT',
    'KNOWD_CLUSTER_WRITE_TIMEOUT', 'KNOWD_CLUSTER_MAX_PEERS', 'KNOWD_TOKEN_SECRET', 'KNOWD_NAMESPACE_DEFAULT', 'KNOWD_SHACL_ENABLED',
    'KNOWD_VEC_ENABLED', 'KNOWD_VEC_TOPK_DEFAULT', 'KNOWD_VEC_HNSW_M', 'KNOWD_VEC_HNSW_EFC', 'KNOWD_LOG_LEVEL']) {
    t.true(byName.has(name), name);
  }
});

test('every described setting can be set by its flag and by its variable', (t) => {
  const values: Record<string, string> = {
    KNOWD_CLUSTER_MODE: 'single', KNOWD_PEER_ADDRS: 'h:1', KNOWD_TOKEN_SECRET: SECRET, KNOWD_EMBED_URL: 'http://e/', KNOWD_ADDR: ':1', KNOWD_GRPC_ADDR: ':2', KNOWD_GRPC_ADVERTISE: 'h:1',
  };
  for (const s of describeSettings()) {
    const raw = values[s.name] ?? (s.default.startsWith('(') || s.default.startsWith('<') ? '/some/path' : s.default);
    const env = { ...(s.name.startsWith('KNOWD_MTLS_') ? TLS : {}), [s.name]: raw };
    t.notThrows(() => load(env), s.name);
    t.notThrows(() => load(s.name.startsWith('KNOWD_MTLS_') ? TLS : {}, [`${s.flag}=${raw}`]), s.flag);
  }
});
