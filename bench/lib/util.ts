// Helpers shared by the benchmarks: statistics, /proc readings, child-process bookkeeping (every
// child tracked and stopped by its PID), a loopback HTTP client, plain-text tables, build provenance.
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export const MIB = 1024 * 1024;

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- statistics -------------------------------------------------------------------------------------

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (with 5 runs, p95 is the slowest run). */
export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Geometric mean; times below 1 µs count as 1 µs so that a 0.0 ms answer does not zero the product. */
export function geomean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  return Math.exp(xs.reduce((a, x) => a + Math.log(Math.max(x, 0.001)), 0) / xs.length);
}

// ---- /proc ----------------------------------------------------------------------------------------

export type StatusField = 'VmHWM' | 'VmRSS' | 'RssAnon' | 'RssFile' | 'RssShmem';

/** A byte count from /proc/<pid>/status, or null when the process is gone. */
export function procStatusBytes(pid: number, field: StatusField): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

// ---- child processes --------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
/** Temporary directories (Knowd data, LevelDB) not yet removed; removed on Ctrl-C too. */
export const tmpDirs = new Set<string>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function liveChildren(): ChildProcess[] {
  return [...children];
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when the child has exited (at once when it already has). */
export function whenExited(child: ChildProcess): Promise<void> {
  return exited(child) ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** SIGTERM (or `signal`) by PID, then SIGKILL by PID after `graceMs`. Resolves when the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || exited(child)) return;
  const done = whenExited(child);
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await done;
  clearTimeout(timer);
}

/** SIGKILL, by PID, to every child still running (Ctrl-C and process exit). */
export function killAllNow(): void {
  for (const c of children) {
    if (c.pid !== undefined && !exited(c)) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export function removeTmpDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tmpDirs.delete(dir);
}

/** Keeps the last `max` characters a stream wrote (stderr of a child, for error messages). */
export function tail(stream: NodeJS.ReadableStream | null, max = 4000): () => string {
  let buf = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (c: string) => {
    buf = (buf + c).slice(-max);
  });
  return () => buf.trim();
}

// ---- HTTP (node:http, loopback only) --------------------------------------------------------------

export interface HttpResult {
  status: number;
  body: string;
  ms: number;
}

export class HttpTimeout extends Error {}

/**
 * One request to 127.0.0.1:`port`. `timeoutMs` bounds the whole exchange: on expiry the request (and its
 * socket) is destroyed and the promise rejects with HttpTimeout.
 */
export function httpRequest(
  agent: http.Agent,
  port: number,
  method: string,
  urlPath: string,
  body: string | Buffer | fs.ReadStream | undefined,
  headers: Record<string, string> = {},
  timeoutMs?: number,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), ms: performance.now() - started });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const e = new HttpTimeout(`no complete answer within ${timeoutMs} ms`);
        req.destroy(e);
        reject(e);
      }, timeoutMs);
    }
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
    }
  });
}

// ---- tables -----------------------------------------------------------------------------------------

export function fmt(n: number | null, digits: number): string {
  return n === null ? '—' : n.toFixed(digits);
}

/** A time in ms with 3 significant digits (0.123, 12.3, 1234). */
export function fmtMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function table(headers: string[], rows: string[][], rightAlign: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAlign[i] === true ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => (r.length === 0 ? '' : line(r)))].join('\n');
}

// ---- provenance -------------------------------------------------------------------------------------

/** The commit measured, marked when src/ has uncommitted changes. */
export function gitCommit(root: string): string | null {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' });
  return `${r.stdout.trim()}${dirty.stdout.trim() !== '' ? ' (src/ has uncommitted changes)' : ''}`;
}

/** The newest modification time of the .ts files under dir (is dist/ older than src/?). */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue;
    newest = Math.max(newest, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

let ticksPerSecond: number | undefined;

/**
 * User + system CPU seconds of a process so far (/proc/PID/stat), or of one of its threads
 * (/proc/PID/task/TID/stat; a Node process's main thread has TID = PID); null when it is gone.
 */
export function cpuSeconds(pid: number, thread?: number): number | null {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  let stat: string;
  try {
    stat = fs.readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at 3.
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(after[14 - 3]) + Number(after[15 - 3])) / ticksPerSecond;
}

// ---- options ----------------------------------------------------------------------------------------

/** An integer option value of at least `min`, or an error naming the flag. */
export function intOption(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, got "${v}"`);
  return n;
}

/** Prints the usage and exits on --help / -h. */
export function exitOnHelp(flag: string, usage: string): void {
  if (flag !== '--help' && flag !== '-h') return;
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
