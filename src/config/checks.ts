/**
 * Checks that involve more than one setting. They run after every value parsed on its own, so they
 * can rely on types and ranges and only judge combinations.
 */
import { invalidValue } from './fail.js';
import { SETTINGS } from './schema.js';
import type { RawSetting, RawSettings } from './sources.js';
import type { Config, ConfigKey, HostPort } from './types.js';

export function checkCombinations(config: Config, given: RawSettings): void {
  checkClusterTls(config, given);
  checkCertKeyPair(config, given);
  checkPeerCount(config, given);
  checkPortClash(config, given);
  checkClusterTiming(config, given);
}

/** Heartbeats must arrive several times per election timeout, or followers campaign against a live leader. */
function checkClusterTiming(config: Config, given: RawSettings): void {
  if (config.clusterHeartbeatMs * 3 <= config.clusterElectionTimeoutMs) return;
  throw invalid('clusterHeartbeatMs', given, `expected at most a third of ${SETTINGS.clusterElectionTimeoutMs.env} (${config.clusterElectionTimeoutMs} ms)`, 'a heartbeat at most a third of the election timeout');
}

/** The name and text of a setting as the operator gave it, or its default when not given. */
function source(key: ConfigKey, given: RawSettings): RawSetting {
  const spec = SETTINGS[key];
  return given.get(key) ?? { name: spec.env, raw: spec.default.kind === 'unset' ? '' : spec.default.text };
}

function invalid(key: ConfigKey, given: RawSettings, problem: string, allowed: string, extra: Record<string, unknown> = {}): Error {
  const { name, raw } = source(key, given);
  const spec = SETTINGS[key];
  return invalidValue({ setting: spec.env, name, raw, secret: spec.secret === true, allowed, problem }, extra);
}

const TLS_KEYS = ['mtlsCertPath', 'mtlsKeyPath', 'mtlsCaPath'] as const;
const TLS_ENVS = TLS_KEYS.map((k) => SETTINGS[k].env).join(', ');

/** SPEC: cluster traffic is always mutual TLS, and start-up refuses leader/follower without certificates. */
function checkClusterTls(config: Config, given: RawSettings): void {
  if (config.clusterMode === 'single') return;
  const missing = TLS_KEYS.filter((k) => config[k] === undefined).map((k) => SETTINGS[k].env);
  if (missing.length === 0) return;
  throw invalid(
    'clusterMode', given,
    `${config.clusterMode} mode needs mutual TLS, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`,
    `single, or leader/follower with ${TLS_ENVS} set`,
    { missing },
  );
}

/** A certificate without its key (or the reverse) is a half-finished edit, whatever the mode. */
function checkCertKeyPair(config: Config, given: RawSettings): void {
  const hasCert = config.mtlsCertPath !== undefined;
  if (hasCert === (config.mtlsKeyPath !== undefined)) return;
  const [present, absent] = hasCert ? (['mtlsCertPath', 'mtlsKeyPath'] as const) : (['mtlsKeyPath', 'mtlsCertPath'] as const);
  throw invalid(present, given, `${SETTINGS[absent].env} must be set as well`, 'a certificate and its key, set together');
}

function checkPeerCount(config: Config, given: RawSettings): void {
  if (config.peerAddrs.length <= config.clusterMaxPeers) return;
  const limit = `${config.clusterMaxPeers} (${SETTINGS.clusterMaxPeers.env})`;
  throw invalid('peerAddrs', given, `${config.peerAddrs.length} peers, expected at most ${limit}`, `at most ${limit} peers`);
}

function overlaps(a: HostPort, b: HostPort): boolean {
  // Port 0 asks the OS for a free port, so it never clashes; '' listens everywhere, so it clashes with any host.
  return a.port !== 0 && a.port === b.port && (a.host === '' || b.host === '' || a.host.toLowerCase() === b.host.toLowerCase());
}

function checkPortClash(config: Config, given: RawSettings): void {
  if (!overlaps(config.addr, config.grpcAddr)) return;
  const other = source('addr', given);
  throw invalid('grpcAddr', given, `expected a port other than ${config.addr.port}, which ${other.name} uses`, `an address not used by ${SETTINGS.addr.env}`);
}
