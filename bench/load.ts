// Load benchmark: Knowd bulk import (HTTP and knowdctl) and posted transactions, side by side with an
// in-memory oxigraph Store loading the same files. See bench/README.md.
//
//   npx tsx bench/load.ts [--sizes lubm1,lubm10] [--runs 3] [--only import,knowdctl,oxigraph,tx]
//
// Every measurement runs in a fresh child process (a fresh Knowd server with a fresh data directory,
// or a fresh `node bench/oxigraph-load.mjs`), so each peak RSS (VmHWM) belongs to one system and one run.
// All traffic is on 127.0.0.1. Every child is stopped by its PID, also on errors and on Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, errMsg, fmt, freePort, gitCommit, log, median, newestMtime, percentile, procStatusBytes, sleep, table, type StatusField } from './lib/util.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const KNOWD_JS = path.join(ROOT, 'dist/src/cli/knowd.js');
const KNOWDCTL_JS = path.join(ROOT, 'dist/src/cli/knowdctl.js');
const OXIGRAPH_HELPER = path.join(BENCH_DIR, 'oxigraph-load.mjs');
const MIB = 1024 * 1024;

/** Distinct triple counts from /work/shared/bench-data/lubm/README.md: every import is checked against them. */
const EXPECTED_TRIPLES: Record<string, number> = { lubm1: 100_543, lubm10: 1_272_575 };

// ---------------------------------------------------------------------------------------------------
// Options

interface Options {
  sizes: string[];
  runs: number;
  only: Set<string>;
  dataDir: string;
  tmpDir: string;
  build: boolean;
  txTotal: number;
  txSeconds: number;
  txConcurrency: number;
  out: string | undefined;
}

const USAGE = `Usage: npx tsx bench/load.ts [options]
  --sizes LIST         datasets, comma-separated (default lubm1,lubm10); FILE = <data-dir>/<name>.nt.gz
  --runs N             runs per measurement; the table shows medians (default 3)
  --only LIST          subset of import,knowdctl,oxigraph,tx (default all)
  --data-dir DIR       where the .nt.gz files are (default /work/shared/bench-data/lubm)
  --tmp-dir DIR        parent of the fresh Knowd data directories (default the OS temp dir)
  --build              run \`npm run build\` first (done anyway when dist/ is missing)
  --tx-total N         transactions in the 16-client phase (default 20000)
  --tx-seconds S       time cap of the 16-client phase (default 60)
  --tx-concurrency N   clients in the concurrent phase (default 16)
  --out FILE           results JSON (default bench/results/load-<timestamp>.json)`;

function parseOptions(argv: string[]): Options {
  const o: Options = {
    sizes: ['lubm1', 'lubm10'],
    runs: 3,
    only: new Set(['import', 'knowdctl', 'oxigraph', 'tx']),
    dataDir: '/work/shared/bench-data/lubm',
    tmpDir: os.tmpdir(),
    build: false,
    txTotal: 20_000,
    txSeconds: 60,
    txConcurrency: 16,
    out: undefined,
  };
  const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const int = (flag: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (flag === '--build') {
      o.build = true;
      continue;
    }
    const eq = flag.indexOf('=');
    const name = eq >= 0 ? flag.slice(0, eq) : flag;
    const value = eq >= 0 ? flag.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value\n${USAGE}`);
    switch (name) {
      case '--sizes':
        o.sizes = list(value);
        break;
      case '--runs':
        o.runs = int(name, value, 1);
        break;
      case '--only': {
        const known = ['import', 'knowdctl', 'oxigraph', 'tx'];
        const bad = list(value).filter((x) => !known.includes(x));
        if (bad.length > 0) throw new Error(`--only: unknown ${bad.join(', ')} (known: ${known.join(', ')})`);
        o.only = new Set(list(value));
        break;
      }
      case '--data-dir':
        o.dataDir = value;
        break;
      case '--tmp-dir':
        o.tmpDir = value;
        break;
      case '--tx-total':
        o.txTotal = int(name, value, 1);
        break;
      case '--tx-seconds':
        o.txSeconds = int(name, value, 1);
        break;
      case '--tx-concurrency':
        o.txConcurrency = int(name, value, 1);
        break;
      case '--out':
        o.out = value;
        break;
      default:
        throw new Error(`Unknown option ${name}\n${USAGE}`);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------
// Small helpers










// ---------------------------------------------------------------------------------------------------
// Child-process bookkeeping: every child is tracked by PID and stopped by PID.

const children = new Set<ChildProcess>();
/** Fresh Knowd data directories not yet removed (removed on Ctrl-C too). */
const tmpDirs = new Set<string>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM by PID, then SIGKILL by PID after `graceMs`. Resolves when the child has exited. */
async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<{ code: number | null; signal: string | null; killed: boolean }> {
  const pid = child.pid;
  if (pid === undefined || exited(child)) return { code: child.exitCode, signal: child.signalCode, killed: false };
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await done;
  clearTimeout(timer);
  return { code: child.exitCode, signal: child.signalCode, killed };
}

function killAllNow(): void {
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

// ---------------------------------------------------------------------------------------------------
// HTTP client (node:http with a keep-alive agent; loopback only)

interface HttpResult {
  status: number;
  body: string;
  ms: number;
}

function httpRequest(agent: http.Agent, port: number, method: string, urlPath: string, body: string | Buffer | fs.ReadStream | undefined, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined) req.end();
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Knowd server

interface LogLine {
  level: number | null;
  msg: string;
}

interface Server {
  child: ChildProcess;
  pid: number;
  port: number;
  dir: string;
  agent: http.Agent;
  logs: LogLine[];
  startupMs: number;
  /** Peaks of RssAnon (heap, buffers) and RssFile (mapped LMDB pages), sampled every 100 ms. */
  sampled: { peakRssAnonBytes: number; peakRssFileBytes: number; timer: NodeJS.Timeout | undefined };
}

/** Log lines every benchmark server prints at warn level; not worth reporting. */
const EXPECTED_WARNINGS = [/KNOWD_TOKEN_SECRET is not set/];

function collectLines(stream: NodeJS.ReadableStream | null, sink: LogLine[]): void {
  if (stream === null) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line === '') continue;
      let level: number | null = null;
      try {
        const j = JSON.parse(line) as { level?: unknown };
        if (typeof j.level === 'number') level = j.level;
      } catch {
        // not pino JSON
      }
      if (sink.length < 2000) sink.push({ level, msg: line.length > 2000 ? `${line.slice(0, 2000)}…` : line });
    }
  });
}

function noteworthy(logs: readonly LogLine[]): string[] {
  return logs.filter((l) => !EXPECTED_WARNINGS.some((re) => re.test(l.msg))).map((l) => l.msg);
}

async function startServer(opts: Options, label: string): Promise<Server> {
  const dir = fs.mkdtempSync(path.join(opts.tmpDir, `knowd-bench-${label}-`));
  tmpDirs.add(dir);
  const port = await freePort();
  const logs: LogLine[] = [];
  const started = performance.now();
  const child = track(
    spawn(process.execPath, [KNOWD_JS, '--data-dir', dir, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // No KNOWD_* settings from the caller's environment: every run gets the same, default configuration
      // (but no mDNS responder on the host's LAN).
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KNOWD_'))), KNOWD_DISCOVERY: 'off' },
    }),
  );
  collectLines(child.stdout, logs);
  collectLines(child.stderr, logs);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server: Server = { child, pid: child.pid ?? -1, port, dir, agent, logs, startupMs: 0, sampled: { peakRssAnonBytes: 0, peakRssFileBytes: 0, timer: undefined } };
  const sample = (): void => {
    if (server.pid <= 0) return;
    server.sampled.peakRssAnonBytes = Math.max(server.sampled.peakRssAnonBytes, procStatusBytes(server.pid, 'RssAnon') ?? 0);
    server.sampled.peakRssFileBytes = Math.max(server.sampled.peakRssFileBytes, procStatusBytes(server.pid, 'RssFile') ?? 0);
  };
  server.sampled.timer = setInterval(sample, 100);
  try {
    if (child.pid === undefined) throw new Error('knowd did not start (no PID)');
    const deadline = Date.now() + 60_000;
    let phase: '/healthz' | '/readyz' = '/healthz';
    for (;;) {
      if (exited(child)) throw new Error(`knowd exited during startup (code ${child.exitCode}, signal ${child.signalCode}): ${logs.map((l) => l.msg).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`knowd not ${phase === '/healthz' ? 'healthy' : 'ready'} after 60 s`);
      try {
        const r = await httpRequest(agent, port, 'GET', phase, undefined);
        if (r.status === 200) {
          if (phase === '/readyz') break;
          phase = '/readyz'; // /healthz answers before the node takes writes; /v1/tx needs ready
          continue;
        }
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    server.startupMs = performance.now() - started;
    return server;
  } catch (e) {
    await stopServer(server);
    throw e;
  }
}

interface StopInfo {
  peakRssBytes: number | null;
  /** RSS just before stopping, split by kind: RssFile is mostly LMDB's memory-mapped data file. */
  rssAtStop: Partial<Record<StatusField, number | null>>;
  sampledPeakRssAnonBytes: number;
  sampledPeakRssFileBytes: number;
  exitCode: number | null;
  exitSignal: string | null;
  sigkilled: boolean;
  stopMs: number;
  /** The server was already gone when the benchmark came to stop it (crashed, or killed by someone else). */
  exitedBeforeStop: boolean;
}

async function stopServer(s: Server): Promise<StopInfo> {
  const exitedBeforeStop = exited(s.child);
  const peak = s.pid > 0 ? procStatusBytes(s.pid, 'VmHWM') : null;
  const rssAtStop: Partial<Record<StatusField, number | null>> = {};
  if (s.pid > 0) for (const f of ['VmRSS', 'RssAnon', 'RssFile', 'RssShmem'] as const) rssAtStop[f] = procStatusBytes(s.pid, f);
  clearInterval(s.sampled.timer);
  const t = performance.now();
  s.agent.destroy();
  const r = await stopChild(s.child);
  const stopMs = performance.now() - t;
  fs.rmSync(s.dir, { recursive: true, force: true });
  tmpDirs.delete(s.dir);
  return { peakRssBytes: peak, rssAtStop, sampledPeakRssAnonBytes: s.sampled.peakRssAnonBytes, sampledPeakRssFileBytes: s.sampled.peakRssFileBytes, exitCode: r.code, exitSignal: r.signal, sigkilled: r.killed, stopMs, exitedBeforeStop };
}

interface StoreCheck {
  quads: number | null;
  usedBytes: number | null;
}

async function storeStats(s: Server): Promise<StoreCheck> {
  try {
    const r = await httpRequest(s.agent, s.port, 'GET', '/v1/store/stats', undefined);
    const j = JSON.parse(r.body) as { usedBytes?: number; namespaces?: { name: string; quads?: number }[] };
    const quads = (j.namespaces ?? []).reduce((a, n) => a + (n.quads ?? 0), 0);
    return { quads, usedBytes: j.usedBytes ?? null };
  } catch {
    return { quads: null, usedBytes: null };
  }
}

// ---------------------------------------------------------------------------------------------------
// Measurements

interface ImportRun {
  system: 'knowd-http' | 'knowdctl' | 'oxigraph';
  dataset: string;
  run: number;
  ok: boolean;
  error?: string;
  triples: number | null;
  wallMs: number | null;
  triplesPerSec: number | null;
  peakRssBytes: number | null;
  /** Anonymous memory (heap, buffers, wasm memory), without mapped files: Knowd's LMDB pages are RssFile. */
  peakRssAnonBytes: number | null;
  /** CPU seconds of the loading process during the load (Knowd: the server only, not the client). */
  cpuSeconds: number | null;
  loadavg1: number;
  detail: Record<string, unknown>;
}

async function knowdImportRun(opts: Options, dataset: string, file: string, run: number, viaCtl: boolean): Promise<ImportRun> {
  const system = viaCtl ? 'knowdctl' : 'knowd-http';
  const result: ImportRun = { system, dataset, run, ok: false, triples: null, wallMs: null, triplesPerSec: null, peakRssBytes: null, peakRssAnonBytes: null, cpuSeconds: null, loadavg1: os.loadavg()[0]!, detail: {} };
  let server: Server | undefined;
  try {
    server = await startServer(opts, `${dataset}-${viaCtl ? 'ctl' : 'http'}`);
    result.detail['serverStartupMs'] = Math.round(server.startupMs);
    let reported: Record<string, unknown> = {};
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    if (viaCtl) {
      const ctl = track(spawn(process.execPath, [KNOWDCTL_JS, '--json', 'import', file, '--url', `http://127.0.0.1:${server.port}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
      let out = '';
      let err = '';
      ctl.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
      ctl.stderr?.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
      try {
        const code = await new Promise<number | null>((resolve, reject) => {
          ctl.once('error', reject);
          ctl.once('exit', (c) => resolve(c));
        });
        result.wallMs = performance.now() - t0;
        if (code !== 0) throw new Error(`knowdctl exited with ${code}: ${err.trim() || out.trim()}`);
      } finally {
        await stopChild(ctl, 5_000);
      }
      const lastLine = out.trim().split('\n').pop() ?? '';
      try {
        reported = JSON.parse(lastLine) as Record<string, unknown>;
      } catch {
        reported = { stdout: out.slice(-1000) };
      }
    } else {
      const r = await httpRequest(server.agent, server.port, 'POST', '/v1/admin/import?format=n-triples', fs.createReadStream(file), { 'content-type': 'application/octet-stream' });
      result.wallMs = performance.now() - t0;
      try {
        reported = JSON.parse(r.body) as Record<string, unknown>;
      } catch {
        reported = { body: r.body.slice(0, 1000) };
      }
      if (r.status !== 200) throw new Error(`import answered HTTP ${r.status}: ${r.body.slice(0, 1000)}`);
    }
    const cpu1 = cpuSeconds(server.pid);
    if (cpu0 !== null && cpu1 !== null) result.cpuSeconds = cpu1 - cpu0;
    delete reported['receipts']; // one id per batch: not interesting here
    result.detail['server'] = reported;
    const quads = typeof reported['quads'] === 'number' ? reported['quads'] : null;
    const stats = await storeStats(server);
    result.detail['storeQuads'] = stats.quads;
    result.detail['lmdbUsedBytes'] = stats.usedBytes;
    result.triples = quads ?? stats.quads;
    const expected = EXPECTED_TRIPLES[dataset];
    const problems: string[] = [];
    if (expected !== undefined && quads !== expected) problems.push(`server parsed ${quads} quads, expected ${expected}`);
    if (expected !== undefined && reported['added'] !== expected) problems.push(`server added ${String(reported['added'])}, expected ${expected}`);
    if (expected !== undefined && stats.quads !== expected) problems.push(`store holds ${stats.quads} quads afterwards, expected ${expected}`);
    if (problems.length > 0) result.detail['problems'] = problems;
    if (result.triples !== null && result.wallMs !== null) result.triplesPerSec = result.triples / (result.wallMs / 1000);
    result.ok = problems.length === 0;
    if (!result.ok) result.error = problems.join('; ');
  } catch (e) {
    result.error = errMsg(e);
  } finally {
    if (server !== undefined) {
      const info = await stopServer(server);
      result.peakRssBytes = info.peakRssBytes;
      result.peakRssAnonBytes = info.sampledPeakRssAnonBytes > 0 ? info.sampledPeakRssAnonBytes : null;
      result.detail['stop'] = info;
      if (info.exitedBeforeStop) {
        result.ok = false;
        result.error = `${result.error ?? ''}${result.error === undefined ? '' : '; '}the server exited before the benchmark stopped it (code ${info.exitCode}, signal ${info.exitSignal})`;
      }
      const notes = noteworthy(server.logs);
      if (notes.length > 0) result.detail['serverLog'] = notes.slice(0, 50);
    }
  }
  return result;
}

async function oxigraphRun(dataset: string, file: string, run: number): Promise<ImportRun> {
  const result: ImportRun = { system: 'oxigraph', dataset, run, ok: false, triples: null, wallMs: null, triplesPerSec: null, peakRssBytes: null, peakRssAnonBytes: null, cpuSeconds: null, loadavg1: os.loadavg()[0]!, detail: {} };
  const child = track(spawn(process.execPath, [OXIGRAPH_HELPER, file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`oxigraph helper exited with ${code}: ${err.trim()}`);
    const j = JSON.parse(out.trim().split('\n').pop() ?? '') as { triples: number; totalMs: number; cpuMs: number; peakRssBytes: number | null; rssAnonAtEndBytes: number | null } & Record<string, unknown>;
    result.triples = j.triples;
    result.wallMs = j.totalMs;
    result.triplesPerSec = j.triples / (j.totalMs / 1000);
    result.cpuSeconds = j.cpuMs / 1000;
    result.peakRssBytes = j.peakRssBytes;
    result.peakRssAnonBytes = j.rssAnonAtEndBytes; // wasm memory never shrinks: the value at the end is the peak
    result.detail = j;
    if (err.trim() !== '') result.detail['stderr'] = err.trim();
    const expected = EXPECTED_TRIPLES[dataset];
    result.ok = expected === undefined || j.triples === expected;
    if (!result.ok) result.error = `oxigraph holds ${j.triples} triples, expected ${expected}`;
  } catch (e) {
    result.error = errMsg(e);
  } finally {
    await stopChild(child, 5_000);
  }
  return result;
}

// ---- Posted transactions --------------------------------------------------------------------------

const TX_NS = 'http://bench.knowd.example/';

/** N-Triples with `n` triples whose subjects are all new: `tag` is unique per phase and run. */
function ntriples(tag: string, txIndex: number, n: number): string {
  let s = '';
  for (let j = 0; j < n; j++) s += `<${TX_NS}${tag}/t${txIndex}/s${j}> <${TX_NS}p${j % 7}> "value ${txIndex}-${j}" .\n`;
  return s;
}

function txBody(tag: string, txIndex: number, n: number): string {
  return JSON.stringify({ add: ntriples(tag, txIndex, n), format: 'n-triples' });
}

interface TxPhase {
  phase: string;
  run: number;
  clients: number;
  quadsPerTx: number;
  tx: number;
  errors: number;
  firstError?: string;
  wallMs: number;
  txPerSec: number;
  triplesPerSec: number;
  addedMismatch: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Server CPU seconds during the phase (warm-up included), and as a share of one core over wallMs. */
  serverCpuSeconds?: number;
  serverCpuPct?: number;
  /** CPU ms of the server's main (JavaScript) thread per successful tx: what bounds throughput. */
  mainThreadMsPerTx?: number;
}

async function postTx(server: Server, agent: http.Agent, body: string): Promise<{ ok: boolean; ms: number; added: number | null; error?: string }> {
  try {
    const r = await httpRequest(agent, server.port, 'POST', '/v1/tx', body, { 'content-type': 'application/json' });
    if (r.status !== 200) return { ok: false, ms: r.ms, added: null, error: `HTTP ${r.status}: ${r.body.slice(0, 300)}` };
    const j = JSON.parse(r.body) as { delta?: { added?: number } };
    return { ok: true, ms: r.ms, added: j.delta?.added ?? null };
  } catch (e) {
    return { ok: false, ms: 0, added: null, error: errMsg(e) };
  }
}

function phaseResult(phase: string, run: number, clients: number, quadsPerTx: number, lat: number[], errors: number, firstError: string | undefined, wallMs: number, addedMismatch: number): TxPhase {
  const sorted = [...lat].sort((a, b) => a - b);
  const ok = lat.length;
  return {
    phase,
    run,
    clients,
    quadsPerTx,
    tx: ok,
    errors,
    ...(firstError !== undefined && { firstError }),
    wallMs,
    txPerSec: ok / (wallMs / 1000),
    triplesPerSec: (ok * quadsPerTx) / (wallMs / 1000),
    addedMismatch,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : null,
  };
}

/**
 * One client, one request at a time. The bodies are built before each request's clock starts, so the
 * throughput is count / Σ(request time): client-side generation is not charged to the server.
 */
async function sequentialPhase(server: Server, run: number, quadsPerTx: number, maxTx: number, maxSeconds: number): Promise<TxPhase> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const tag = `seq${quadsPerTx}-r${run}`;
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let mismatch = 0;
  let busyMs = 0;
  const deadline = performance.now() + maxSeconds * 1000;
  try {
    // Warm-up: one tx outside the measurement (connection set-up, JIT of the parse path).
    await postTx(server, agent, txBody(`${tag}-warm`, 0, quadsPerTx));
    for (let i = 0; i < maxTx && performance.now() < deadline; i++) {
      const body = txBody(tag, i, quadsPerTx);
      const r = await postTx(server, agent, body);
      busyMs += r.ms;
      if (r.ok) {
        lat.push(r.ms);
        if (r.added !== quadsPerTx) mismatch++;
      } else {
        errors++;
        firstError ??= r.error;
        if (errors >= 20) break;
      }
    }
  } finally {
    agent.destroy();
  }
  return phaseResult(`sequential x${quadsPerTx}`, run, 1, quadsPerTx, lat, errors, firstError, busyMs, mismatch);
}

/** `clients` workers post single-quad transactions until `total` are done or `maxSeconds` have passed. */
async function concurrentPhase(server: Server, run: number, clients: number, total: number, maxSeconds: number): Promise<TxPhase> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const tag = `conc${clients}-r${run}`;
  const lat: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let mismatch = 0;
  let issued = 0;
  try {
    // Warm-up: open all connections.
    await Promise.all(Array.from({ length: clients }, (_, k) => postTx(server, agent, txBody(`${tag}-warm`, k, 1))));
    const t0 = performance.now();
    const deadline = t0 + maxSeconds * 1000;
    const worker = async (): Promise<void> => {
      while (issued < total && performance.now() < deadline && errors < 100) {
        const i = issued++;
        const r = await postTx(server, agent, txBody(tag, i, 1));
        if (r.ok) {
          lat.push(r.ms);
          if (r.added !== 1) mismatch++;
        } else {
          errors++;
          firstError ??= r.error;
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, worker));
    return phaseResult(`concurrent x1`, run, clients, 1, lat, errors, firstError, performance.now() - t0, mismatch);
  } finally {
    agent.destroy();
  }
}

interface TxRun {
  run: number;
  ok: boolean;
  error?: string;
  phases: TxPhase[];
  peakRssBytes: number | null;
  storeQuads: number | null;
  expectedQuads: number;
  serverLog?: string[];
  stop?: StopInfo;
  loadavg1: number;
}

interface CpuMark {
  readonly all: number | null;
  readonly main: number | null;
}

const cpuMark = (pid: number): CpuMark => ({ all: cpuSeconds(pid), main: cpuSeconds(pid, pid) });

function withCpu(p: TxPhase, before: CpuMark, after: CpuMark): void {
  if (before.all !== null && after.all !== null) {
    p.serverCpuSeconds = after.all - before.all;
    p.serverCpuPct = (100 * p.serverCpuSeconds) / (p.wallMs / 1000);
  }
  if (before.main !== null && after.main !== null && p.tx > 0) p.mainThreadMsPerTx = (1000 * (after.main - before.main)) / p.tx;
}

async function txRun(opts: Options, run: number): Promise<TxRun> {
  const result: TxRun = { run, ok: false, phases: [], peakRssBytes: null, storeQuads: null, expectedQuads: 0, loadavg1: os.loadavg()[0]! };
  let server: Server | undefined;
  try {
    server = await startServer(opts, 'tx');
    const seq: [number, number, number][] = [
      // quads per tx, max tx, max seconds
      [1, 2_000, 10],
      [100, 500, 10],
      [10_000, 30, 20],
    ];
    for (const [q, maxTx, secs] of seq) {
      log(`  tx run ${run}: sequential, ${q} quad(s) per tx`);
      const cpu0 = cpuMark(server.pid);
      const p = await sequentialPhase(server, run, q, maxTx, secs);
      withCpu(p, cpu0, cpuMark(server.pid));
      result.phases.push(p);
      result.expectedQuads += (p.tx + 1) * q; // + the warm-up tx
    }
    log(`  tx run ${run}: ${opts.txConcurrency} clients, 1 quad per tx (≤ ${opts.txTotal} tx, ≤ ${opts.txSeconds} s)`);
    const cpu0 = cpuMark(server.pid);
    const c = await concurrentPhase(server, run, opts.txConcurrency, opts.txTotal, opts.txSeconds);
    withCpu(c, cpu0, cpuMark(server.pid));
    result.phases.push(c);
    result.expectedQuads += c.tx + opts.txConcurrency;
    result.storeQuads = (await storeStats(server)).quads;
    const problems = result.phases.filter((p) => p.errors > 0 || p.addedMismatch > 0).map((p) => `${p.phase}: ${p.errors} errors (${p.firstError ?? ''}), ${p.addedMismatch} with added != quads sent`);
    if (result.storeQuads !== result.expectedQuads) problems.push(`store holds ${result.storeQuads} quads, expected ${result.expectedQuads}`);
    result.ok = problems.length === 0;
    if (!result.ok) result.error = problems.join('; ');
  } catch (e) {
    result.error = errMsg(e);
  } finally {
    if (server !== undefined) {
      const info = await stopServer(server);
      result.peakRssBytes = info.peakRssBytes;
      result.stop = info;
      if (info.exitedBeforeStop) {
        result.ok = false;
        result.error = `the server exited before the benchmark stopped it (code ${info.exitCode}, signal ${info.exitSignal}; exit code 0 means it shut down on a SIGTERM/SIGINT from outside); ${result.error ?? ''}`;
      }
      const notes = noteworthy(server.logs);
      if (notes.length > 0) result.serverLog = notes.slice(0, 50);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Reporting

function fmtInt(n: number | null): string {
  return n === null ? '—' : Math.round(n).toLocaleString('en-US');
}


interface ImportSummary {
  system: string;
  dataset: string;
  runs: number;
  okRuns: number;
  medianTriplesPerSec: number | null;
  medianPeakRssMiB: number | null;
  medianPeakRssAnonMiB: number | null;
  medianWallMs: number | null;
  medianCpuSeconds: number | null;
  ratioTriplesPerSecVsOxigraph: number | null;
  ratioPeakRssVsOxigraph: number | null;
}

function summarizeImports(runs: ImportRun[], sizes: string[]): ImportSummary[] {
  const out: ImportSummary[] = [];
  for (const dataset of sizes) {
    for (const system of ['knowd-http', 'knowdctl', 'oxigraph'] as const) {
      const all = runs.filter((r) => r.dataset === dataset && r.system === system);
      if (all.length === 0) continue;
      const ok = all.filter((r) => r.ok);
      out.push({
        system,
        dataset,
        runs: all.length,
        okRuns: ok.length,
        medianTriplesPerSec: median(ok.flatMap((r) => (r.triplesPerSec === null ? [] : [r.triplesPerSec]))),
        medianPeakRssMiB: median(ok.flatMap((r) => (r.peakRssBytes === null ? [] : [r.peakRssBytes / MIB]))),
        medianPeakRssAnonMiB: median(ok.flatMap((r) => (r.peakRssAnonBytes === null ? [] : [r.peakRssAnonBytes / MIB]))),
        medianWallMs: median(ok.flatMap((r) => (r.wallMs === null ? [] : [r.wallMs]))),
        medianCpuSeconds: median(ok.flatMap((r) => (r.cpuSeconds === null ? [] : [r.cpuSeconds]))),
        ratioTriplesPerSecVsOxigraph: null,
        ratioPeakRssVsOxigraph: null,
      });
    }
    const ox = out.find((s) => s.dataset === dataset && s.system === 'oxigraph');
    for (const s of out.filter((x) => x.dataset === dataset)) {
      if (ox?.medianTriplesPerSec != null && s.medianTriplesPerSec !== null) s.ratioTriplesPerSecVsOxigraph = s.medianTriplesPerSec / ox.medianTriplesPerSec;
      if (ox?.medianPeakRssMiB != null && s.medianPeakRssMiB !== null) s.ratioPeakRssVsOxigraph = s.medianPeakRssMiB / ox.medianPeakRssMiB;
    }
  }
  return out;
}

interface TxSummary {
  phase: string;
  clients: number;
  quadsPerTx: number;
  runs: number;
  okRuns: number;
  medianTx: number | null;
  medianTxPerSec: number | null;
  medianTriplesPerSec: number | null;
  medianP50Ms: number | null;
  medianP95Ms: number | null;
  medianP99Ms: number | null;
  medianServerCpuPct: number | null;
  medianMainThreadMsPerTx: number | null;
  errors: number;
}

function summarizeTx(runs: TxRun[]): TxSummary[] {
  const phases = runs.flatMap((r) => r.phases);
  const names = [...new Set(phases.map((p) => p.phase))];
  return names.map((name) => {
    const all = phases.filter((p) => p.phase === name);
    // Medians over clean phases only: a phase with errors (e.g. the server went away) would drag them down.
    const ps = all.filter((p) => p.errors === 0 && p.addedMismatch === 0);
    const m = (f: (p: TxPhase) => number | null): number | null => median(ps.flatMap((p) => (f(p) === null ? [] : [f(p)!])));
    return {
      phase: name,
      clients: all[0]!.clients,
      quadsPerTx: all[0]!.quadsPerTx,
      runs: all.length,
      okRuns: ps.length,
      medianTx: m((p) => p.tx),
      medianTxPerSec: m((p) => p.txPerSec),
      medianTriplesPerSec: m((p) => p.triplesPerSec),
      medianP50Ms: m((p) => p.p50Ms),
      medianP95Ms: m((p) => p.p95Ms),
      medianP99Ms: m((p) => p.p99Ms),
      medianServerCpuPct: m((p) => p.serverCpuPct ?? null),
      medianMainThreadMsPerTx: m((p) => p.mainThreadMsPerTx ?? null),
      errors: all.reduce((a, p) => a + p.errors, 0),
    };
  });
}



// ---------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = performance.now();

  if (opts.build || !fs.existsSync(KNOWD_JS)) {
    log('building (npm run build)…');
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  } else if (newestMtime(path.join(ROOT, 'src')) > fs.statSync(KNOWD_JS).mtimeMs) {
    log('warning: src/ has .ts files newer than dist/: the numbers are for the last build (use --build or npm run bench:load)');
  }

  const commitAtStart = gitCommit(ROOT); // right after the build: the code that is measured
  const files: Record<string, string> = {};
  for (const s of opts.sizes) {
    const f = path.join(opts.dataDir, `${s}.nt.gz`);
    if (!fs.existsSync(f)) throw new Error(`No data file ${f}`);
    files[s] = f;
  }
  const haveCtl = fs.existsSync(KNOWDCTL_JS);
  if (opts.only.has('knowdctl') && !haveCtl) log('dist/src/cli/knowdctl.js does not exist: no knowdctl row');

  const imports: ImportRun[] = [];
  const txs: TxRun[] = [];

  for (let run = 1; run <= opts.runs; run++) {
    for (const dataset of opts.sizes) {
      const file = files[dataset]!;
      const say = (r: ImportRun): void =>
        log(`  ${r.system} ${dataset}: ${r.ok ? '' : `FAILED (${r.error ?? ''}) `}${fmtInt(r.triples)} triples in ${fmt(r.wallMs === null ? null : r.wallMs / 1000, 2)} s = ${fmtInt(r.triplesPerSec)} triples/s, peak RSS ${fmt(r.peakRssBytes === null ? null : r.peakRssBytes / MIB, 0)} MiB`);
      if (opts.only.has('import')) {
        log(`run ${run}/${opts.runs}: knowd HTTP import of ${dataset}`);
        const r = await knowdImportRun(opts, dataset, file, run, false);
        imports.push(r);
        say(r);
      }
      if (opts.only.has('knowdctl') && haveCtl) {
        log(`run ${run}/${opts.runs}: knowdctl import of ${dataset}`);
        const r = await knowdImportRun(opts, dataset, file, run, true);
        imports.push(r);
        say(r);
      }
      if (opts.only.has('oxigraph')) {
        log(`run ${run}/${opts.runs}: oxigraph load of ${dataset}`);
        const r = await oxigraphRun(dataset, file, run);
        imports.push(r);
        say(r);
      }
    }
    if (opts.only.has('tx')) {
      log(`run ${run}/${opts.runs}: posted transactions`);
      const r = await txRun(opts, run);
      txs.push(r);
      if (!r.ok) log(`  tx run ${run} FAILED: ${r.error ?? ''}`);
    }
  }

  const importSummary = summarizeImports(imports, opts.sizes);
  const txSummary = summarizeTx(txs);

  const out: string[] = [];
  if (importSummary.length > 0) {
    out.push(`Bulk load, median of ${opts.runs} run(s) (ratios: this row / oxigraph, same dataset; anon = peak RSS without mapped files; cpu = CPU seconds of the loading process)`);
    out.push(
      table(
        ['system', 'dataset', 'ok runs', 'triples/s', 'peak RSS MiB', 'anon MiB', 'wall s', 'cpu s', 'tput ×oxigraph', 'RSS ×oxigraph'],
        importSummary.map((s) => [
          s.system,
          s.dataset,
          `${s.okRuns}/${s.runs}`,
          fmtInt(s.medianTriplesPerSec),
          fmt(s.medianPeakRssMiB, 0),
          fmt(s.medianPeakRssAnonMiB, 0),
          fmt(s.medianWallMs === null ? null : s.medianWallMs / 1000, 2),
          fmt(s.medianCpuSeconds, 2),
          fmt(s.ratioTriplesPerSecVsOxigraph, 3),
          fmt(s.ratioPeakRssVsOxigraph, 2),
        ]),
        [false, false, true, true, true, true, true, true, true, true],
      ),
    );
  }
  if (txSummary.length > 0) {
    out.push('', `Knowd POST /v1/tx, median over the error-free runs (fresh server per run; latency = client-side request time)`);
    out.push(
      table(
        ['phase', 'clients', 'quads/tx', 'ok runs', 'tx', 'tx/s', 'triples/s', 'p50 ms', 'p95 ms', 'p99 ms', 'server cpu %', 'main ms/tx', 'errors'],
        txSummary.map((s) => [s.phase, String(s.clients), fmtInt(s.quadsPerTx), `${s.okRuns}/${s.runs}`, fmtInt(s.medianTx), fmt(s.medianTxPerSec, 1), fmtInt(s.medianTriplesPerSec), fmt(s.medianP50Ms, 2), fmt(s.medianP95Ms, 2), fmt(s.medianP99Ms, 2), fmt(s.medianServerCpuPct, 0), fmt(s.medianMainThreadMsPerTx, 3), String(s.errors)]),
        [false, true, true, true, true, true, true, true, true, true, true, true, true],
      ),
    );
    const rss = median(txs.flatMap((t) => (t.peakRssBytes === null ? [] : [t.peakRssBytes / MIB])));
    out.push(`(tx server peak RSS, median: ${fmt(rss, 0)} MiB)`);
  }
  const failures = [...imports.filter((r) => !r.ok).map((r) => `${r.system} ${r.dataset} run ${r.run}: ${r.error ?? ''}`), ...txs.filter((r) => !r.ok).map((r) => `tx run ${r.run}: ${r.error ?? ''}`)];
  const serverNotes = [...imports.flatMap((r) => ((r.detail['serverLog'] as string[] | undefined) ?? []).map((m) => `${r.system} ${r.dataset} run ${r.run}: ${m}`)), ...txs.flatMap((r) => (r.serverLog ?? []).map((m) => `tx run ${r.run}: ${m}`))];
  if (failures.length > 0) out.push('', 'FAILURES:', ...failures.map((f) => `  ${f}`));
  if (serverNotes.length > 0) out.push('', 'Server log lines (warn and above, the usual no-token warning left out):', ...serverNotes.slice(0, 30).map((f) => `  ${f.slice(0, 400)}`));

  const totalSec = (performance.now() - t0) / 1000;
  out.push('', `total ${totalSec.toFixed(0)} s; load average at start of runs: ${[...imports.map((r) => r.loadavg1), ...txs.map((r) => r.loadavg1)].map((x) => x.toFixed(2)).join(' ')}`);

  const results = {
    startedAt: startedAt.toISOString(),
    totalSeconds: totalSec,
    options: { ...opts, only: [...opts.only] },
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memTotalMiB: Math.round(os.totalmem() / MIB),
      gitCommit: commitAtStart,
      distBuiltAt: new Date(fs.statSync(KNOWD_JS).mtimeMs).toISOString(),
      oxigraphVersion: (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/oxigraph/package.json'), 'utf8')) as { version: string }).version,
      knowdctl: haveCtl,
    },
    importSummary,
    txSummary,
    imports,
    txs,
    failures,
  };
  const outFile = opts.out ?? path.join(BENCH_DIR, 'results', `load-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  out.push(`results: ${path.relative(process.cwd(), outFile)}`);
  process.stdout.write(`\n${out.join('\n')}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping ${children.size} child process(es)`);
    killAllNow();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
    process.exit(130);
  });
}
process.once('exit', killAllNow);

try {
  await main();
} catch (e) {
  log(`error: ${errMsg(e)}`);
  process.exitCode = 1;
} finally {
  for (const c of [...children]) await stopChild(c, 5_000);
}
