// Knowd processes for bench/cluster.ts: a single node, or a cluster of real processes on 127.0.0.1 with
// gRPC over mutual TLS (a throw-away CA from src/replication/transport/certs.ts, one shared snapshot key).
// Every process is tracked by PID (util.track), stopped by PID, and its data lives under one temporary
// directory that util.tmpDirs removes on Ctrl-C too.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateSigningKeyPem } from '../../src/receipts/index.js';
import { createCa, issueNodeCert } from '../../src/replication/transport/certs.js';
import { exited, freePort, httpRequest, removeTmpDir, sleep, stopChild, tmpDirs, track, whenExited } from './util.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KNOWD_JS = path.join(ROOT, 'dist/src/cli/knowd.js');

// ---- CPU time ---------------------------------------------------------------------------------------


export { cpuSeconds } from './util.js';

// ---- one knowd process --------------------------------------------------------------------------------

/** Lines every benchmark server prints at warn level; not worth reporting. */
const EXPECTED_LINES = [/KNOWD_TOKEN_SECRET is not set/];
const MAX_LOG_LINES = 300;

export interface NodeProc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** Keep-alive agent for the benchmark's own control requests (status, metrics, queries). */
  readonly agent: http.Agent;
  /** Log lines at warn level and above (knowd runs with --log-level warn), the usual ones left out. */
  readonly logs: string[];
  /** Set when the benchmark stops or kills the process: its exit is not a crash. */
  expectedExit: boolean;
}

/** The process is gone and nobody here stopped it. */
export function crashed(node: NodeProc): boolean {
  return exited(node.child) && !node.expectedExit;
}

/** pino JSON → "warn: msg {fields}"; other lines as they are; cut at 600 characters. */
function compact(line: string): string {
  let out = line;
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    const levels: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };
    const { level, msg, time: _t, pid: _p, hostname: _h, ...rest } = j;
    out = `${typeof level === 'number' ? (levels[level] ?? `level ${level}`) : '?'}: ${String(msg ?? '')} ${JSON.stringify(rest)}`;
  } catch {
    // not pino JSON
  }
  return out.length > 600 ? `${out.slice(0, 600)}…` : out;
}

function keepLines(stream: NodeJS.ReadableStream | null, name: string, sink: string[]): void {
  if (stream === null) return;
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    if (line.trim() === '' || EXPECTED_LINES.some((re) => re.test(line))) return;
    if (sink.length < MAX_LOG_LINES) sink.push(`${new Date().toISOString().slice(11, 23)} ${name} ${compact(line)}`);
  });
}

/** The caller's environment without KNOWD_* variables: every run gets the daemon's defaults, except that no mDNS responder runs on the host's LAN. */
function cleanEnv(): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KNOWD_'))), KNOWD_DISCOVERY: 'off' };
}

/** BENCH_CPU_PROF_DIR=dir writes a V8 CPU profile of every node there (node-name prefixed). */
function profileArgs(name: string): string[] {
  const dir = process.env['BENCH_CPU_PROF_DIR'];
  return dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`];
}

/**
 * BENCH_PIN=1 stands in for separate machines on a 2-core box: the node under test (the single
 * node, or n0, the leader by its start-up hint) gets CPU 0 to itself; the followers share CPU 1
 * (with the load generator, see pinSelf). Without it every process floats over both cores.
 */
export function pinnedCpu(name: string): string | undefined {
  if (process.env['BENCH_PIN'] !== '1') return undefined;
  return name === 'single' || name === 'n0' ? '0' : '1';
}

function launcher(name: string): { cmd: string; pre: string[] } {
  const cpu = pinnedCpu(name);
  return cpu === undefined ? { cmd: process.execPath, pre: [] } : { cmd: 'taskset', pre: ['-c', cpu, process.execPath] };
}

export async function spawnNode(name: string, dataDir: string, port: number, args: readonly string[]): Promise<NodeProc> {
  fs.mkdirSync(dataDir, { recursive: true });
  const child = track(
    spawn(launcher(name).cmd, [...launcher(name).pre, ...profileArgs(name), KNOWD_JS, '--data-dir', dataDir, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn', ...args], {
      cwd: path.dirname(dataDir),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv(),
    }),
  );
  if (child.pid === undefined) throw new Error(`${name}: knowd did not start (no PID)`);
  const logs: string[] = [];
  keepLines(child.stdout, name, logs);
  keepLines(child.stderr, name, logs);
  const node: NodeProc = { name, child, pid: child.pid, port, agent: new http.Agent({ keepAlive: true, maxSockets: 8 }), logs, expectedExit: false };
  try {
    await waitStatus(node, '/healthz', 60_000);
  } catch (e) {
    await stopNode(node);
    throw e;
  }
  return node;
}

/** Polls `urlPath` every 50 ms until it answers 200. */
export async function waitStatus(node: NodeProc, urlPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    if (exited(node.child)) throw new Error(`${node.name} exited (code ${node.child.exitCode}, signal ${node.child.signalCode}) while waiting for ${urlPath}: ${node.logs.slice(-5).join(' | ')}`);
    try {
      const r = await httpRequest(node.agent, node.port, 'GET', urlPath, undefined, {}, 2_000);
      if (r.status === 200) return;
      last = `${r.status} ${r.body.slice(0, 300)}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`${node.name}: ${urlPath} not 200 after ${timeoutMs / 1000} s (last: ${last})`);
    await sleep(50);
  }
}

/** SIGTERM by PID (SIGKILL after 10 s). */
export async function stopNode(node: NodeProc): Promise<void> {
  node.expectedExit = true;
  node.agent.destroy();
  await stopChild(node.child, 10_000);
}

/** SIGKILL by PID; resolves when the process is gone. */
export async function killNode(node: NodeProc): Promise<void> {
  node.expectedExit = true;
  node.agent.destroy();
  if (!exited(node.child)) process.kill(node.pid, 'SIGKILL');
  await whenExited(node.child);
}

export async function getJson<T>(node: NodeProc, urlPath: string, timeoutMs = 5_000): Promise<T> {
  const r = await httpRequest(node.agent, node.port, 'GET', urlPath, undefined, {}, timeoutMs);
  if (r.status !== 200) throw new Error(`${node.name}: GET ${urlPath} answered ${r.status}: ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as T;
}

/**
 * One request that must answer 200; anything else throws with the answer's body, so a benchmark
 * fails loudly instead of timing errors. Resolves with the body parsed as JSON.
 */
export async function call<T>(node: NodeProc, method: string, urlPath: string, body?: string, contentType = 'application/json', timeoutMs = 60_000): Promise<T> {
  const headers = body === undefined ? {} : { 'content-type': contentType };
  const r = await httpRequest(node.agent, node.port, method, urlPath, body, headers, timeoutMs);
  if (r.status !== 200) throw new Error(`${node.name}: ${method} ${urlPath} answered ${r.status}: ${r.body.slice(0, 2000)}`);
  return JSON.parse(r.body) as T;
}

/** What POST /v1/admin/import answers (the fields the benchmarks read). */
export interface ImportAnswer {
  added: number;
  quads: number;
  durationMs: number;
}

/** Bulk load of an N-Triples file (gzipped or not: the server tells by the magic number) into `namespace`. */
export async function importFile(node: NodeProc, file: string, namespace: string, timeoutMs = 1_800_000): Promise<ImportAnswer> {
  const urlPath = `/v1/admin/import?format=n-triples&namespace=${encodeURIComponent(namespace)}`;
  const r = await httpRequest(node.agent, node.port, 'POST', urlPath, fs.createReadStream(file), { 'content-type': 'application/octet-stream' }, timeoutMs);
  if (r.status !== 200) throw new Error(`${node.name}: import of ${file} answered ${r.status}: ${r.body.slice(0, 2000)}`);
  return JSON.parse(r.body) as ImportAnswer;
}

/** Quads in all namespaces of the node's store. */
export async function storeQuads(node: NodeProc): Promise<number> {
  const j = await getJson<{ namespaces?: { quads?: number }[] }>(node, '/v1/store/stats', 30_000);
  return (j.namespaces ?? []).reduce((a, n) => a + (n.quads ?? 0), 0);
}

export interface ClusterStatus {
  mode: string;
  nodeId: string;
  term: number;
  leader: string | null;
  commitIndex: number;
  appliedIndex: number;
}

export function clusterStatus(node: NodeProc): Promise<ClusterStatus> {
  return getJson<ClusterStatus>(node, '/v1/cluster/status');
}

/** The knowd_cluster_* counters the benchmark watches, from /metrics. */
export interface RoleCounters {
  elections: number;
  roleChanges: number;
}

/** A sample's value in Prometheus text (its first series when it has labels), 0 when absent. */
export function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** The node's /metrics text. */
export async function metricsText(node: NodeProc): Promise<string> {
  const r = await httpRequest(node.agent, node.port, 'GET', '/metrics', undefined, {}, 5_000);
  if (r.status !== 200) throw new Error(`${node.name}: /metrics answered ${r.status}`);
  return r.body;
}

export async function roleCounters(node: NodeProc): Promise<RoleCounters> {
  const text = await metricsText(node);
  return { elections: metricValue(text, 'knowd_cluster_elections_total'), roleChanges: metricValue(text, 'knowd_cluster_role_changes_total') };
}

// ---- a cluster ----------------------------------------------------------------------------------------

export interface Member {
  readonly name: string;
  /** host:port of its gRPC listener; also its member id. */
  readonly memberId: string;
  readonly httpPort: number;
  readonly dataDir: string;
  readonly certDir: string;
  proc: NodeProc | null;
}

export class Cluster {
  /** Every process any member ran, in start order (their logs and exits outlive restarts). */
  readonly procs: NodeProc[] = [];

  private constructor(
    readonly dir: string,
    readonly members: Member[],
    private readonly keyFile: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /**
   * Certificates, snapshot key and ports for `n` nodes under a fresh temporary directory in `parent`;
   * `extraArgs` go to every node (e.g. slower elections for a bulk load).
   */
  static async create(parent: string, n: number, extraArgs: readonly string[] = []): Promise<Cluster> {
    const dir = fs.mkdtempSync(path.join(parent, 'knowd-bench-cluster-'));
    tmpDirs.add(dir);
    const keyFile = path.join(dir, 'snapshot.key');
    fs.writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    // One receipt-signing key for the cluster, as production needs (receipts are identical on every node).
    fs.writeFileSync(path.join(dir, 'signing.pem'), generateSigningKeyPem(), { mode: 0o600 });
    const ca = await createCa('knowd-bench-ca');
    const members: Member[] = [];
    // freePort() closes its probe socket, so two calls may return the same port: keep them distinct.
    const used = new Set<number>();
    const port = async (): Promise<number> => {
      for (;;) {
        const p = await freePort();
        if (!used.has(p)) {
          used.add(p);
          return p;
        }
      }
    };
    for (let i = 0; i < n; i++) {
      const certDir = path.join(dir, `n${i}`, 'certs');
      fs.mkdirSync(certDir, { recursive: true });
      const cert = await issueNodeCert(ca, { commonName: `n${i}`, ips: ['127.0.0.1'], dnsNames: ['localhost'] });
      fs.writeFileSync(path.join(certDir, 'node.crt'), cert.certPem);
      fs.writeFileSync(path.join(certDir, 'node.key'), cert.keyPem, { mode: 0o600 });
      fs.writeFileSync(path.join(certDir, 'ca.crt'), ca.certPem);
      members.push({ name: `n${i}`, memberId: `127.0.0.1:${await port()}`, httpPort: await port(), dataDir: path.join(dir, `n${i}`, 'data'), certDir, proc: null });
    }
    return new Cluster(dir, members, keyFile, extraArgs);
  }

  /** Starts member i (the same ports and data directory every time) and waits for /healthz. */
  async start(i: number, hint: 'leader' | 'follower'): Promise<NodeProc> {
    const m = this.members[i]!;
    const peers = this.members.map((x) => x.memberId).join(',');
    const c = (f: string): string => path.join(m.certDir, f);
    // Timings: the daemon's defaults (no --cluster-heartbeat / --cluster-election-timeout) unless extraArgs say otherwise.
    const args = ['--cluster-mode', hint, '--grpc-addr', m.memberId, '--peer-addrs', peers, '--snapshot-key', this.keyFile, '--signing-key', path.join(path.dirname(this.keyFile), 'signing.pem'), '--mtls-cert', c('node.crt'), '--mtls-key', c('node.key'), '--mtls-ca', c('ca.crt')];
    m.proc = await spawnNode(m.name, m.dataDir, m.httpPort, [...args, ...this.extraArgs]);
    this.procs.push(m.proc);
    return m.proc;
  }

  /** All members at once (a leader needs a majority), member 0 with the leader hint; then /readyz on all. */
  async startAll(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.start(i, i === 0 ? 'leader' : 'follower')));
    await this.waitAllReady(60_000);
  }

  live(): NodeProc[] {
    return this.members.flatMap((m) => (m.proc === null ? [] : [m.proc]));
  }

  async waitAllReady(timeoutMs: number): Promise<void> {
    await Promise.all(this.live().map((p) => waitStatus(p, '/readyz', timeoutMs)));
  }

  /** The live node every live node names as leader (polled until they agree, same term). */
  async leader(timeoutMs = 20_000): Promise<{ proc: NodeProc; member: Member; status: ClusterStatus }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.members.filter((m) => m.proc !== null);
      const st = await Promise.all(live.map((m) => clusterStatus(m.proc!).catch(() => undefined)));
      const leaders = live.filter((_, i) => st[i]?.mode === 'leader');
      if (leaders.length === 1) {
        const l = leaders[0]!;
        const ls = st[live.indexOf(l)]!;
        if (st.every((s) => s !== undefined && s.leader === l.memberId && s.term === ls.term)) return { proc: l.proc!, member: l, status: ls };
      }
      if (Date.now() > deadline) throw new Error(`no agreed leader after ${timeoutMs / 1000} s: ${JSON.stringify(st.map((s) => (s === undefined ? null : { mode: s.mode, term: s.term, leader: s.leader })))}`);
      await sleep(50);
    }
  }

  memberOf(proc: NodeProc): Member {
    const m = this.members.find((x) => x.proc === proc);
    if (m === undefined) throw new Error(`${proc.name} is not a live member`);
    return m;
  }

  /** SIGKILL of a member by PID. */
  async kill(m: Member): Promise<void> {
    const p = m.proc;
    m.proc = null;
    if (p !== null) await killNode(p);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.live().map((p) => stopNode(p)));
    for (const m of this.members) m.proc = null;
  }

  /** Processes that exited without the benchmark stopping or killing them. */
  crashed(): string[] {
    return this.procs.filter((p) => crashed(p)).map((p) => `${p.name} (pid ${p.pid}) exited by itself (code ${p.child.exitCode}, signal ${p.child.signalCode})`);
  }

  /** Stops every member, removes the directory; returns the log lines of every process it ran. */
  async dispose(): Promise<string[]> {
    await this.stopAll();
    removeTmpDir(this.dir);
    return this.procs.flatMap((p) => p.logs);
  }
}
