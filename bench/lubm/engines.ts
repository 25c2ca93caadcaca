// The engines of bench/lubm-queries.ts. Each runs in its own child process, so that its peak RSS (VmHWM)
// is its own:
//   knowd          `node dist/src/cli/knowd.js` (fresh data directory), data loaded by POST /v1/admin/import,
//                  queried at POST /sparql (SPARQL 1.1 Protocol, application/sparql-results+json)
//   oxigraph-http  bench/peers/oxigraph-http.mjs: oxigraph's in-memory Store behind node:http, same client
//   knowd-inproc   bench/peers/worker.mjs + knowd-inproc.mjs: Knowd's engine (dist/) called in-process: the same
//                  bulk import as the server's, then queries evaluated directly, no HTTP, no query-worker hop
//   oxigraph       bench/peers/worker.mjs + oxigraph.mjs: the same Store, queried in-process
//   n3-comunica    bench/peers/worker.mjs + n3-comunica.mjs: N3.Store + @comunica/query-sparql-rdfjs
//   quadstore      bench/peers/worker.mjs + quadstore.mjs: quadstore + quadstore-comunica on classic-level
//   quadstore-mem  the same on memory-level (not in the default set: see bench/README.md)
// In-process engines time each query inside their own process (engine call → last row counted); HTTP
// engines are timed by this process (request sent → JSON answer parsed and its rows counted).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errMsg, exited, freePort, httpRequest, HttpTimeout, procStatusBytes, removeTmpDir, sleep, stopChild, tail, tmpDirs, track, whenExited } from '../lib/util.js';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(BENCH_DIR, '..');
export const KNOWD_JS = path.join(ROOT, 'dist/src/cli/knowd.js');
const WORKER = path.join(BENCH_DIR, 'peers/worker.mjs');
const OXIGRAPH_HTTP = path.join(BENCH_DIR, 'peers/oxigraph-http.mjs');

export const ENGINE_NAMES = ['knowd', 'oxigraph-http', 'knowd-inproc', 'oxigraph', 'n3-comunica', 'quadstore', 'quadstore-mem'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
export const DEFAULT_ENGINES: EngineName[] = ['knowd', 'oxigraph-http', 'knowd-inproc', 'oxigraph', 'n3-comunica', 'quadstore'];
/** Engines that run Knowd's code from dist/ (built first when it is missing). */
export const KNOWD_ENGINES: readonly EngineName[] = ['knowd', 'knowd-inproc'];

/** What one execution of a query gave. */
export type Outcome =
  | { kind: 'ok'; rows: number; ms: number }
  /** The engine does not offer the query endpoint (Knowd's /sparql answering 404). */
  | { kind: 'n/a'; message: string }
  /** The engine answered with an error; its process is still fine. */
  | { kind: 'error'; message: string }
  | { kind: 'timeout'; message: string }
  /** The process died during the query, or was killed for going over the memory cap (`oom`). */
  | { kind: 'crash' | 'oom'; message: string };

export interface StartInfo {
  pid: number;
  version: string;
  triples: number | null;
  /** Data load time (ms); null when the process reused data loaded by an earlier process. */
  loadMs: number | null;
  /** Spawn → ready to take queries, load included (ms). */
  startMs: number;
  reusedData: boolean;
  rssAfterLoadBytes: number | null;
  rssAnonAfterLoadBytes: number | null;
  /**
   * In-process engines: VmHWM when the load was done (the load's peak), after which the worker reset
   * the kernel's high-water mark, so that StopInfo.peakRssBytes is the query phase's peak alone.
   */
  loadPeakRssBytes?: number | null;
  /** Set when every query will be n/a (Knowd without a /sparql route); the data was not loaded then. */
  notAvailable?: string;
  detail: Record<string, unknown>;
}

export interface StopInfo {
  peakRssBytes: number | null;
  peakRssAnonSampledBytes: number;
  exitCode: number | null;
  exitSignal: string | null;
  exitedBeforeStop: boolean;
  log?: string[];
}

export interface Session {
  readonly engine: EngineName;
  readonly info: StartInfo;
  run(query: string, timeoutMs: number): Promise<Outcome>;
  /** Reads VmHWM, then stops the process by PID (SIGTERM, SIGKILL after a grace period; SIGKILL at once when `kill`). */
  stop(kill?: boolean): Promise<StopInfo>;
}

export interface EngineOptions {
  dataset: string;
  file: string;
  expectedTriples: number | undefined;
  tmpDir: string;
  /** --max-old-space-size of the Node engine processes (all but knowd), MiB. */
  maxHeapMiB: number;
  /** Anonymous RSS above which any engine process is killed (0: no cap), MiB. */
  maxRssMiB: number;
  loadTimeoutMs: number;
}

/** One engine × one dataset, across restarts: knowd and quadstore keep their data directory, so a restart does not load again. */
export interface EngineHandle {
  readonly engine: EngineName;
  start(): Promise<Session>;
  dispose(): void;
}

// ---------------------------------------------------------------------------------------------------
// Memory watchdog: samples RssAnon every 200 ms; kills the process by PID when it goes over the cap.

class Watchdog {
  peakAnon = 0;
  killedAt: number | null = null;
  private timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    capMiB: number,
  ) {
    const cap = capMiB * 1024 * 1024;
    this.timer = setInterval(() => {
      const anon = procStatusBytes(this.pid, 'RssAnon');
      if (anon === null) return;
      this.peakAnon = Math.max(this.peakAnon, anon);
      if (cap > 0 && anon > cap && this.killedAt === null) {
        this.killedAt = anon;
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, 200);
    this.timer.unref();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const OOM_TEXT = /heap out of memory|Reached heap limit|Allocation failed|out of memory|WebAssembly\.Memory|RangeError: Array buffer allocation failed/i;

function deathOutcome(child: ChildProcess, dog: Watchdog, stderr: () => string, during: string): { kind: 'crash' | 'oom'; message: string } {
  const how = `exit code ${child.exitCode}, signal ${child.signalCode}`;
  if (dog.killedAt !== null) return { kind: 'oom', message: `killed at ${Math.round(dog.killedAt / 1024 / 1024)} MiB anonymous RSS (over --max-rss-mib) ${during}` };
  const err = stderr();
  const lines = err.split('\n').filter((l) => l.trim() !== '');
  const last = lines.slice(-3).join(' | ');
  if (OOM_TEXT.test(err)) return { kind: 'oom', message: `out of memory ${during} (${how}): ${(lines.find((l) => OOM_TEXT.test(l)) ?? last).trim().slice(0, 400)}` };
  return { kind: 'crash', message: `process died ${during} (${how})${last === '' ? '' : `: ${last.slice(0, 400)}`}` };
}

function readMemory(pid: number): { rss: number | null; anon: number | null } {
  return { rss: procStatusBytes(pid, 'VmRSS'), anon: procStatusBytes(pid, 'RssAnon') };
}

async function stopWith(child: ChildProcess, dog: Watchdog, kill: boolean, log?: string[]): Promise<StopInfo> {
  const exitedBeforeStop = exited(child);
  const peak = child.pid === undefined ? null : procStatusBytes(child.pid, 'VmHWM');
  dog.stop();
  await stopChild(child, kill ? 0 : 10_000, kill ? 'SIGKILL' : 'SIGTERM');
  return { peakRssBytes: peak, peakRssAnonSampledBytes: dog.peakAnon, exitCode: child.exitCode, exitSignal: child.signalCode, exitedBeforeStop, ...(log !== undefined && log.length > 0 && { log }) };
}

/** Environment for the children: no KNOWD_* settings from the caller, so every run has the same configuration. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KNOWD_') && !k.startsWith('QUADSTORE_'))), ...extra };
}

// ---------------------------------------------------------------------------------------------------
// In-process engines: bench/peers/worker.mjs over the Node IPC channel

interface WorkerReady {
  type: 'ready';
  version: string;
  triples: number | null;
  reused: boolean;
  moduleMs: number;
  loadMs: number;
  memory?: { vmHWM: number | null };
  hwmReset?: boolean;
}
type WorkerMessage = WorkerReady | { type: 'failed'; message: string } | { type: 'result'; id: number; rows: number; ms: number } | { type: 'error'; id: number; message: string; ms: number };

/** `heapFlag` false: the engine keeps Node's default heap limit (Knowd, as its server does). */
async function startWorker(engine: EngineName, adapter: string, opts: EngineOptions, env: Record<string, string>, heapFlag = true): Promise<Session> {
  const t0 = performance.now();
  const child = track(
    spawn(process.execPath, [...(heapFlag ? [`--max-old-space-size=${opts.maxHeapMiB}`] : []), WORKER, adapter, opts.file], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: cleanEnv(env),
    }),
  );
  const stdout = tail(child.stdout, 2000);
  const stderr = tail(child.stderr);
  if (child.pid === undefined) throw new Error(`${engine}: the process did not start`);
  const pid = child.pid;
  const dog = new Watchdog(pid, opts.maxRssMiB);
  const listeners = new Set<(m: WorkerMessage) => void>();
  child.on('message', (m: WorkerMessage) => listeners.forEach((l) => l(m)));
  const exitP = whenExited(child);

  let ready: WorkerReady;
  try {
    let timer: NodeJS.Timeout | undefined;
    let onMsg: ((m: WorkerMessage) => void) | undefined;
    const msgP = new Promise<WorkerMessage>((resolve) => {
      onMsg = (m) => {
        if (m.type === 'ready' || m.type === 'failed') resolve(m);
      };
      listeners.add(onMsg);
    });
    const first = await Promise.race([
      msgP,
      exitP.then(() => 'exit' as const),
      new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), opts.loadTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (onMsg !== undefined) listeners.delete(onMsg);
    if (first === 'timeout') throw new Error(`${engine}: not loaded after ${opts.loadTimeoutMs / 1000} s`);
    if (first === 'exit') {
      const d = deathOutcome(child, dog, stderr, 'while loading');
      throw new Error(`${engine}: ${d.message}${stdout() === '' ? '' : `; stdout: ${stdout().slice(-300)}`}`);
    }
    if (first.type === 'failed') throw new Error(`${engine}: ${first.message}${stderr() === '' ? '' : `; stderr: ${stderr().slice(-500)}`}`);
    ready = first as WorkerReady;
  } catch (e) {
    await stopWith(child, dog, true);
    throw e;
  }
  const mem = readMemory(pid);
  const info: StartInfo = {
    pid,
    version: ready.version,
    triples: ready.triples,
    loadMs: ready.reused ? null : ready.loadMs,
    startMs: performance.now() - t0,
    reusedData: ready.reused,
    rssAfterLoadBytes: mem.rss,
    rssAnonAfterLoadBytes: mem.anon,
    ...(ready.hwmReset === true && { loadPeakRssBytes: ready.memory?.vmHWM ?? null }),
    detail: { moduleImportMs: ready.moduleMs, ...(heapFlag && { maxOldSpaceSizeMiB: opts.maxHeapMiB }) },
  };

  let nextId = 1;
  let dead = false;
  return {
    engine,
    info,
    async run(query: string, timeoutMs: number): Promise<Outcome> {
      if (dead || exited(child)) return deathOutcome(child, dog, stderr, 'before the query');
      const id = nextId++;
      let timer: NodeJS.Timeout | undefined;
      let onMsg: ((m: WorkerMessage) => void) | undefined;
      const answer = new Promise<WorkerMessage>((resolve) => {
        onMsg = (m) => {
          if ((m.type === 'result' || m.type === 'error') && m.id === id) resolve(m);
        };
        listeners.add(onMsg);
      });
      child.send({ type: 'query', id, query });
      const r = await Promise.race([
        answer,
        exitP.then(() => 'exit' as const),
        new Promise<'timeout'>((res) => {
          timer = setTimeout(() => res('timeout'), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (onMsg !== undefined) listeners.delete(onMsg);
      if (r === 'timeout') {
        dead = true; // still busy with the query: the caller stops this process
        return { kind: 'timeout', message: `no answer within ${timeoutMs / 1000} s` };
      }
      if (r === 'exit') {
        dead = true;
        return deathOutcome(child, dog, stderr, 'during the query');
      }
      if (r.type === 'result') return { kind: 'ok', rows: r.rows, ms: r.ms };
      if (r.type === 'error') return OOM_TEXT.test(r.message) ? { kind: 'oom', message: r.message } : { kind: 'error', message: r.message };
      return { kind: 'error', message: `unexpected message ${JSON.stringify(r).slice(0, 200)}` };
    },
    stop: (kill = false) => stopWith(child, dog, kill),
  };
}

// ---------------------------------------------------------------------------------------------------
// HTTP engines: SPARQL 1.1 Protocol, POST /sparql, one keep-alive connection

const SPARQL_HEADERS = { 'content-type': 'application/sparql-query', accept: 'application/sparql-results+json' };

/** Counts the rows of a SPARQL JSON results document (ASK: 1). Throws when it is not one. */
function countJsonRows(body: string): number {
  const j = JSON.parse(body) as { results?: { bindings?: unknown }; boolean?: unknown };
  if (Array.isArray(j.results?.bindings)) return j.results.bindings.length;
  if (typeof j.boolean === 'boolean') return 1;
  throw new Error(`not a SPARQL JSON results document: ${body.slice(0, 200)}`);
}

/**
 * One query over HTTP: timed from the request to the last row counted (JSON.parse included), the way a
 * client gets its rows. 404 → n/a (no such endpoint yet); any other non-200 → error.
 */
async function httpSparql(agent: http.Agent, port: number, query: string, timeoutMs: number, child: ChildProcess, dog: Watchdog, stderr: () => string): Promise<Outcome> {
  const t0 = performance.now();
  let r;
  try {
    r = await httpRequest(agent, port, 'POST', '/sparql', query, SPARQL_HEADERS, timeoutMs);
  } catch (e) {
    if (e instanceof HttpTimeout) return { kind: 'timeout', message: `no complete answer within ${timeoutMs / 1000} s` };
    await Promise.race([whenExited(child), sleep(200)]);
    if (exited(child)) return deathOutcome(child, dog, stderr, 'during the query');
    return { kind: 'error', message: `request failed: ${errMsg(e)}` };
  }
  if (r.status === 404) return { kind: 'n/a', message: `POST /sparql answered 404: ${r.body.slice(0, 200)}` };
  if (r.status !== 200) return { kind: 'error', message: `HTTP ${r.status}: ${r.body.slice(0, 300)}` };
  try {
    const rows = countJsonRows(r.body);
    return { kind: 'ok', rows, ms: performance.now() - t0 };
  } catch (e) {
    return { kind: 'error', message: errMsg(e) };
  }
}

async function waitHealthy(agent: http.Agent, port: number, child: ChildProcess, paths: string[], timeoutMs: number, what: string, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const p of paths) {
    for (;;) {
      if (exited(child)) throw new Error(`${what} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}): ${describe()}`);
      if (Date.now() > deadline) throw new Error(`${what}: ${p} not 200 after ${timeoutMs / 1000} s`);
      try {
        const r = await httpRequest(agent, port, 'GET', p, undefined, {}, 5_000);
        if (r.status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
  }
}

async function startOxigraphHttp(opts: EngineOptions): Promise<Session> {
  const t0 = performance.now();
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [`--max-old-space-size=${opts.maxHeapMiB}`, OXIGRAPH_HTTP, opts.file, '--port', String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() }),
  );
  if (child.pid === undefined) throw new Error('oxigraph-http: the process did not start');
  const pid = child.pid;
  const dog = new Watchdog(pid, opts.maxRssMiB);
  const stderr = tail(child.stderr);
  let firstLine = '';
  const lineP = new Promise<void>((resolve) => {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      if (firstLine.includes('\n')) return;
      firstLine += c;
      if (firstLine.includes('\n')) resolve();
    });
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let ready: { version?: string; triples?: number; loadMs?: number };
  try {
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([
      lineP.then(() => 'line' as const),
      whenExited(child).then(() => 'exit' as const),
      new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), opts.loadTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (first === 'timeout') throw new Error(`oxigraph-http: not loaded after ${opts.loadTimeoutMs / 1000} s`);
    if (first === 'exit') throw new Error(`oxigraph-http: ${deathOutcome(child, dog, stderr, 'while loading').message}`);
    ready = JSON.parse(firstLine.split('\n')[0]!) as typeof ready;
    await waitHealthy(agent, port, child, ['/healthz'], 30_000, 'oxigraph-http', stderr);
  } catch (e) {
    agent.destroy();
    await stopWith(child, dog, true);
    throw e;
  }
  const mem = readMemory(pid);
  return {
    engine: 'oxigraph-http',
    info: {
      pid,
      version: ready.version ?? 'oxigraph',
      triples: ready.triples ?? null,
      loadMs: ready.loadMs ?? null,
      startMs: performance.now() - t0,
      reusedData: false,
      rssAfterLoadBytes: mem.rss,
      rssAnonAfterLoadBytes: mem.anon,
      detail: { port, maxOldSpaceSizeMiB: opts.maxHeapMiB },
    },
    run: (query, timeoutMs) => httpSparql(agent, port, query, timeoutMs, child, dog, stderr),
    stop: async (kill = false) => {
      agent.destroy();
      return stopWith(child, dog, kill);
    },
  };
}

// ---- Knowd --------------------------------------------------------------------------------------------

/** Log lines every benchmark server prints at warn level; not worth reporting. */
const EXPECTED_WARNINGS = [/KNOWD_TOKEN_SECRET is not set/];

/** pino JSON → `level 40: msg (err.type: err.message)`, without the stack; other lines as they are, cut at 1,000 characters. */
function compactLogLine(line: string): string {
  try {
    const j = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { type?: unknown; message?: unknown } };
    if (typeof j.level === 'number') {
      const err = j.err === undefined ? '' : ` (${String(j.err.type ?? 'error')}: ${String(j.err.message ?? '')})`;
      return `level ${j.level}: ${String(j.msg ?? '')}${err}`.slice(0, 1000);
    }
  } catch {
    // not pino JSON
  }
  return line.length > 1000 ? `${line.slice(0, 1000)}…` : line;
}

function collectLines(stream: NodeJS.ReadableStream | null, sink: string[]): void {
  if (stream === null) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line === '' || EXPECTED_WARNINGS.some((re) => re.test(line))) continue;
      if (sink.length < 200) sink.push(compactLogLine(line));
    }
  });
}

async function storeQuads(agent: http.Agent, port: number): Promise<number | null> {
  try {
    const r = await httpRequest(agent, port, 'GET', '/v1/store/stats', undefined, {}, 30_000);
    const j = JSON.parse(r.body) as { namespaces?: { quads?: number }[] };
    return (j.namespaces ?? []).reduce((a, n) => a + (n.quads ?? 0), 0);
  } catch {
    return null;
  }
}

function knowdHandle(opts: EngineOptions): EngineHandle {
  const dir = fs.mkdtempSync(path.join(opts.tmpDir, `knowd-lubmq-${opts.dataset}-`));
  tmpDirs.add(dir);
  let loaded = false;
  return {
    engine: 'knowd',
    dispose: () => removeTmpDir(dir),
    async start(): Promise<Session> {
      if (!fs.existsSync(KNOWD_JS)) throw new Error(`${path.relative(ROOT, KNOWD_JS)} does not exist (npm run build)`);
      const t0 = performance.now();
      const port = await freePort();
      const logs: string[] = [];
      const child = track(
        spawn(process.execPath, [KNOWD_JS, '--data-dir', dir, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() }),
      );
      if (child.pid === undefined) throw new Error('knowd: the process did not start');
      const pid = child.pid;
      const dog = new Watchdog(pid, opts.maxRssMiB);
      collectLines(child.stdout, logs);
      collectLines(child.stderr, logs);
      const stderr = (): string => logs.slice(-5).join(' | ');
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const detail: Record<string, unknown> = { port, dataDir: dir };
      let notAvailable: string | undefined;
      let loadMs: number | null = null;
      let triples: number | null = null;
      try {
        await waitHealthy(agent, port, child, ['/healthz', '/readyz'], 60_000, 'knowd', () => logs.join('\n'));
        detail['serverStartMs'] = Math.round(performance.now() - t0);
        // Probe the endpoint before loading anything: without a /sparql route every query is n/a and the
        // import would be wasted time.
        const probe = await httpRequest(agent, port, 'POST', '/sparql', 'ASK {}', SPARQL_HEADERS, 30_000);
        detail['probe'] = { status: probe.status, body: probe.body.slice(0, 300) };
        if (probe.status === 404 && /no route/i.test(probe.body)) {
          notAvailable = `POST /sparql answered 404 (${probe.body.slice(0, 160)}): the endpoint is not built yet`;
        } else {
          const have = loaded ? await storeQuads(agent, port) : null;
          if (loaded && have === opts.expectedTriples) {
            triples = have;
          } else {
            const t = performance.now();
            const r = await httpRequest(agent, port, 'POST', '/v1/admin/import?format=n-triples', fs.createReadStream(opts.file), { 'content-type': 'application/octet-stream' }, opts.loadTimeoutMs);
            loadMs = performance.now() - t;
            if (r.status !== 200) throw new Error(`knowd: import answered HTTP ${r.status}: ${r.body.slice(0, 500)}`);
            const j = JSON.parse(r.body) as { quads?: number; added?: number };
            detail['import'] = { quads: j.quads, added: j.added };
            triples = await storeQuads(agent, port);
            if (opts.expectedTriples !== undefined && triples !== opts.expectedTriples) throw new Error(`knowd: store holds ${triples} quads after the import, expected ${opts.expectedTriples}`);
            loaded = true;
          }
        }
      } catch (e) {
        agent.destroy();
        await stopWith(child, dog, true);
        throw new Error(`${errMsg(e)}${logs.length > 0 ? `; server log: ${logs.slice(-3).join(' | ').slice(0, 600)}` : ''}`);
      }
      const mem = readMemory(pid);
      return {
        engine: 'knowd',
        info: {
          pid,
          version: `knowd ${(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version} (dist built ${new Date(fs.statSync(KNOWD_JS).mtimeMs).toISOString()})`,
          triples,
          loadMs,
          startMs: performance.now() - t0,
          reusedData: loadMs === null && notAvailable === undefined,
          rssAfterLoadBytes: mem.rss,
          rssAnonAfterLoadBytes: mem.anon,
          ...(notAvailable !== undefined && { notAvailable }),
          detail,
        },
        run: (query, timeoutMs) => (notAvailable !== undefined ? Promise.resolve({ kind: 'n/a', message: notAvailable }) : httpSparql(agent, port, query, timeoutMs, child, dog, stderr)),
        stop: async (kill = false) => {
          agent.destroy();
          return stopWith(child, dog, kill, logs);
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------

export function engineHandle(engine: EngineName, opts: EngineOptions): EngineHandle {
  switch (engine) {
    case 'knowd':
      return knowdHandle(opts);
    case 'oxigraph-http':
      return { engine, start: () => startOxigraphHttp(opts), dispose: () => undefined };
    case 'oxigraph':
    case 'n3-comunica':
      return { engine, start: () => startWorker(engine, engine, opts, {}), dispose: () => undefined };
    case 'knowd-inproc': {
      // Like quadstore: the data directory outlives a restart after a timeout, which then only reopens it.
      const dir = fs.mkdtempSync(path.join(opts.tmpDir, `knowd-inproc-lubmq-${opts.dataset}-`));
      tmpDirs.add(dir);
      return {
        engine,
        start: () => {
          if (!fs.existsSync(KNOWD_JS)) throw new Error(`${path.relative(ROOT, KNOWD_JS)} does not exist (npm run build)`);
          return startWorker(engine, 'knowd-inproc', opts, { KNOWD_INPROC_DIR: dir }, false);
        },
        dispose: () => removeTmpDir(dir),
      };
    }
    case 'quadstore-mem':
      return { engine, start: () => startWorker(engine, 'quadstore', opts, { QUADSTORE_BACKEND: 'memory-level' }), dispose: () => undefined };
    case 'quadstore': {
      const dir = fs.mkdtempSync(path.join(opts.tmpDir, `quadstore-lubmq-${opts.dataset}-`));
      tmpDirs.add(dir);
      return { engine, start: () => startWorker(engine, 'quadstore', opts, { QUADSTORE_BACKEND: 'classic-level', QUADSTORE_DIR: dir }), dispose: () => removeTmpDir(dir) };
    }
  }
}
