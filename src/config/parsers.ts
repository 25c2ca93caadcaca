/**
 * Value parsers for settings. Each one turns the raw text of an environment variable or flag into a
 * typed value, or says what would have been allowed: the loader turns that into the one-line
 * start-up error the SPEC promises, so `allowed` is written for an operator, not a programmer.
 */

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

export interface Parser<T> {
  /** What the setting accepts, as a phrase that reads after "expected". */
  readonly allowed: string;
  /** Boolean settings may be given as a bare `--flag` or `--no-flag`. */
  readonly isBoolean: boolean;
  parse(raw: string): Parsed<T>;
}

/** A listen or peer address. `host` is '' for the `:port` form, meaning every interface. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });

function parser<T>(allowed: string, parse: (raw: string) => T | undefined, isBoolean = false): Parser<T> {
  return {
    allowed,
    isBoolean,
    parse: (raw) => {
      const value = parse(raw.trim());
      return value === undefined ? { ok: false, problem: `expected ${allowed}` } : ok(value);
    },
  };
}

function rangeText(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return `of at least ${min}`;
  return `from ${min} to ${max}`;
}

function inRange(n: number, min: number, max: number): number | undefined {
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

export function int(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return parser(`an integer ${rangeText(min, max)}`, (raw) => (/^-?\d+$/.test(raw) ? inRange(Number(raw), min, max) : undefined));
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
  // Decimal units are accepted because operators copy them from disk vendors' data sheets.
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
};

function formatBytes(n: number): string {
  for (const [unit, factor] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= factor && n % factor === 0) return `${n / factor}${unit}`;
  }
  return String(n);
}

/** Plain bytes, or an integer with a unit: KiB, MiB, GiB, TiB (binary) or KB, MB, GB, TB (decimal). */
export function size(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  const bounds = max === Number.MAX_SAFE_INTEGER ? `of at least ${formatBytes(min)}` : `from ${formatBytes(min)} to ${formatBytes(max)}`;
  return parser(`a size ${bounds} (bytes, or a number with KiB MiB GiB TiB or KB MB GB TB, e.g. 1048576 or 64MiB)`, (raw) => {
    const m = /^(\d+)\s*([a-z]*)$/i.exec(raw);
    if (!m) return undefined;
    const factor = SIZE_UNITS[(m[2] ?? '').toLowerCase() || 'b'];
    return factor === undefined ? undefined : inRange(Number(m[1]) * factor, min, max);
  });
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Go-style durations (`500ms`, `30s`, `1m30s`, `1.5h`) because the seed's operators wrote them that
 * way. A bare number is refused: nobody can tell whether it meant seconds or milliseconds.
 */
export function durationMs(minMs: number, maxMs: number): Parser<number> {
  return parser(`a duration from ${minMs}ms to ${maxMs / 3_600_000}h (e.g. 500ms, 30s, 2m, 1m30s)`, (raw) => {
    if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(raw)) return undefined;
    let totalMs = 0;
    for (const m of raw.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
      totalMs += Number(m[1]) * (DURATION_UNITS_MS[m[2] ?? ''] ?? Number.NaN);
    }
    // Binary floating point makes 1.1s come out as 1100.0000000000002ms; round away that noise only.
    const roundedMs = Math.round(totalMs);
    return Math.abs(totalMs - roundedMs) < 1e-6 ? inRange(roundedMs, minMs, maxMs) : undefined;
  });
}

const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, false: false, 1: true, 0: false, yes: true, no: false };

export const bool: Parser<boolean> = parser('true or false (also 1/0, yes/no)', (raw) => BOOLEANS[raw.toLowerCase()], true);

/** Case-insensitive, because `KNOWD_LOG_LEVEL=INFO` is what people type; the value is normalized. */
export function oneOf<const V extends string>(values: readonly V[]): Parser<V> {
  return parser(`one of ${values.join(', ')}`, (raw) => values.find((v) => v === raw.toLowerCase()));
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

function hostPort(raw: string, hostRequired: boolean, minPort: number): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(raw);
  if (!m) return undefined;
  const v6 = m[1];
  const host = v6 ?? m[2] ?? '';
  const port = inRange(Number(m[3]), minPort, 65535);
  if (port === undefined) return undefined;
  if (v6 !== undefined) return IPV6.test(v6) && v6.includes(':') ? { host, port } : undefined;
  if (host === '') return hostRequired ? undefined : { host, port };
  return HOSTNAME.test(host) ? { host, port } : undefined;
}

/** Where to listen: `host:port`, `[ipv6]:port`, or `:port` for every interface; port 0 picks a free one. */
export const listenAddr: Parser<HostPort> = parser(
  'host:port or :port with a port from 0 to 65535 (e.g. :8090, 127.0.0.1:8090, [::1]:8090)',
  (raw) => hostPort(raw, false, 0),
);

/** Comma-separated `host:port` peers; blanks around commas and a trailing comma are forgiven. */
const PEER_LIST_ALLOWED = 'a comma-separated list of host:port with a port from 1 to 65535 (e.g. 10.0.0.2:8091,knowd-3.local:8091)';

export const peerAddr: Parser<HostPort> = parser('host:port with a host and a port from 1 to 65535 (e.g. 10.0.0.2:8091)', (raw) => hostPort(raw.trim(), true, 1));

export const peerList: Parser<readonly HostPort[]> = {
  allowed: PEER_LIST_ALLOWED,
  isBoolean: false,
  parse(raw) {
    const peers: HostPort[] = [];
    const seen = new Set<string>();
    for (const entry of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const peer = hostPort(entry, true, 1);
      if (!peer) return { ok: false, problem: `entry ${JSON.stringify(entry)} is not host:port; expected ${PEER_LIST_ALLOWED}` };
      const key = `${peer.host.toLowerCase()}:${peer.port}`;
      if (seen.has(key)) return { ok: false, problem: `entry ${JSON.stringify(entry)} is listed twice; expected each peer once` };
      seen.add(key);
      peers.push(Object.freeze(peer));
    }
    return ok(Object.freeze(peers));
  },
};

/** http(s) only; credentials in the URL are refused so that printing the config never leaks them. */
export const httpUrl: Parser<string> = parser('an http:// or https:// URL without user:password', (raw) => {
  if (!URL.canParse(raw)) return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.username === '' && url.password === '' ? url.href : undefined;
});

/** A file-system path. Only NUL is refused: the OS decides the rest, and the daemon reports open errors. */
export const path: Parser<string> = parser('a file-system path', (raw) => (raw !== '' && !raw.includes('\0') ? raw : undefined));

export const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const namespaceName: Parser<string> = parser(
  'a namespace name: a letter or digit, then up to 63 of letters, digits, _ . -',
  (raw) => (NAMESPACE_NAME.test(raw) ? raw : undefined),
);

/** A shared secret; 32 characters is the floor for an HS256 key that is not trivially brute-forced. */
export const secret: Parser<string> = {
  allowed: 'a secret of at least 32 characters',
  isBoolean: false,
  // Not trimmed: whitespace inside a secret is the operator's choice, and silently changing it would
  // make tokens signed elsewhere fail to verify.
  parse: (raw) => (raw.length >= 32 ? ok(raw) : { ok: false, problem: 'expected a secret of at least 32 characters' }),
};
