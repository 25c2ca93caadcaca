// Federated query benchmark (issue 10): LUBM heavy queries (the expanded q02, q06, q08, q09, q14) on one
// node against the same queries split over a 3-node loopback cluster, side by side in one run, on the same
// coordinator (a follower): single = "federated": false, federated = "federated": true. See bench/README.md.
//
//   npx tsx bench/federation.ts [--size lubm10|lubm1] [--runs 5] [--budget 90] [--queries q02x,q14x]
//
// Reported per query: medians of both, the ratio federated / single, p95 of the federated runs, and the
// coordination overhead: the share of a federated query's time outside its slowest part (scatter, the
// read barrier, shipping rows, the merge and the coordinator's modifiers), from the parts' own times
// (explain). This machine has 2 cores for 3 nodes, so the parallel speed-up is bounded; the projection
// ("simulated") fits a per-participant cost (a cheap query split 3 ways against unsplit) and a per-row
// shipping cost, and projects T(P) = single / P + P × per-participant + rows × per-row for a rack of P
// nodes with a core each. Every process is a real knowd on 127.0.0.1 (gRPC, mutual TLS), stopped by PID.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Cluster, clusterStatus, ROOT, type NodeProc } from './lib/cluster.js';
import { errMsg, fmt, fmtMs, gitCommit, httpRequest, killAllNow, log, median, newestMtime, percentile, removeTmpDir, sleep, table, tmpDirs } from './lib/util.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const UB = 'http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#';

interface Options {
  size: string;
  runs: number;
  budgetSec: number;
  timeoutSec: number;
  queries: string[];
  dataDir: string;
  tmpDir: string;
  out: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { size: 'lubm10', runs: 5, budgetSec: 90, timeoutSec: 300, queries: ['q02x', 'q06x', 'q08x', 'q09x', 'q14x'], dataDir: '/work/shared/bench-data/lubm', tmpDir: os.tmpdir(), out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--size') o.size = v().replace(/^(\d+)$/, 'lubm$1');
    else if (a === '--runs') o.runs = Number(v());
    else if (a === '--budget') o.budgetSec = Number(v());
    else if (a === '--timeout') o.timeoutSec = Number(v());
    else if (a === '--queries') o.queries = v().split(',').map((q) => q.trim()).filter((q) => q !== '');
    else if (a === '--data-dir') o.dataDir = v();
    else if (a === '--tmp-dir') o.tmpDir = v();
    else if (a === '--out') o.out = v();
    else if (a === '--help' || a === '-h') {
      console.log('Usage: npx tsx bench/federation.ts [--size lubm10|lubm1] [--runs N] [--budget S] [--timeout S] [--queries q02x,...] [--data-dir DIR] [--tmp-dir DIR] [--out FILE]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

interface Run {
  ms: number;
  rows: number;
  /** Federated runs: the parts' own times and rows (explain). */
  parts?: { node: string; ms: number; rows: number; attempts: number }[];
}

interface QueryResult {
  id: string;
  rows: number | null;
  single: Run[];
  federated: Run[];
  how: string;
  error?: string;
}

function queryText(o: Options, id: string): string {
  const m = /^q(\d+)(x?)$/.exec(id);
  if (m === null) throw new Error(`query id ${id}: expected qNN or qNNx`);
  return fs.readFileSync(path.join(o.dataDir, m[2] === 'x' ? 'queries-expanded' : 'queries', `q${m[1]!.padStart(2, '0')}.rq`), 'utf8');
}

async function query(agent: http.Agent, node: NodeProc, text: string, federated: boolean, timeoutSec: number): Promise<Run & { how: string }> {
  const body = JSON.stringify({ query: text, federated, explain: federated, timeoutMs: timeoutSec * 1000 });
  const r = await httpRequest(agent, node.port, 'POST', '/v1/query', body, { 'content-type': 'application/json' }, (timeoutSec + 10) * 1000);
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.body.slice(0, 300)}`);
  const j = JSON.parse(r.body) as { stats: { rows: number }; federation?: { parts: { node: string; ms: number; rows: number; attempts: unknown[] }[] } };
  return {
    ms: r.ms,
    rows: j.stats.rows,
    how: j.federation === undefined ? 'local' : 'split',
    ...(j.federation !== undefined && { parts: j.federation.parts.map((p) => ({ node: p.node, ms: p.ms, rows: p.rows, attempts: p.attempts.length })) }),
  };
}

async function load(agent: http.Agent, c: Cluster, file: string): Promise<number> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const leader = await c.leader(60_000);
    const r = await httpRequest(agent, leader.proc.port, 'POST', '/v1/admin/import?format=n-triples', fs.createReadStream(file), { 'content-type': 'application/octet-stream' }, 1_800_000);
    if (r.status === 200) break;
    // Quads are a set: batches committed before a leadership change are harmless to send again.
    if (attempt >= 3) throw new Error(`import answered HTTP ${r.status}: ${r.body.slice(0, 300)}`);
    log(`import interrupted (HTTP ${r.status}), retrying through the current leader`);
  }
  const commit = (await c.leader()).status.commitIndex;
  for (const p of c.live()) {
    for (;;) {
      const s = await clusterStatus(p);
      if (s.appliedIndex >= commit) break;
      await sleep(200);
    }
  }
  return performance.now() - started;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const file = path.join(o.dataDir, `${o.size}.nt.gz`);
  if (!fs.existsSync(file)) throw new Error(`no dataset at ${file}`);
  const dist = path.join(ROOT, 'dist', 'src', 'cli', 'knowd.js');
  if (!fs.existsSync(dist) || newestMtime(path.join(ROOT, 'src')) > fs.statSync(dist).mtimeMs) {
    log('building (dist/ is missing or older than src/)');
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const agent = new http.Agent({ keepAlive: true });
  // Elections at 5 s: applying a 50 000-quad import batch can hold a node's event loop past the default
  // 500 ms on a loaded 2-core box, and a leader change aborts the import (not what is measured here).
  const c = await Cluster.create(o.tmpDir, 3, ['--cluster-heartbeat', '200ms', '--cluster-election-timeout', '5s']);
  const results: QueryResult[] = [];
  let loadMs = 0;
  let logs: string[] = [];
  try {
    log(`starting 3 nodes`);
    await c.startAll();
    log(`loading ${o.size} through the leader`);
    loadMs = await load(agent, c, file);
    log(`loaded and applied on every node in ${(loadMs / 1000).toFixed(1)} s`);
    const leader = (await c.leader()).proc;
    const coordinator = c.live().find((p) => p !== leader)!;
    // A cheap query (one university's departments): what splitting costs when there is nothing to share.
    const probe = `SELECT ?d WHERE { ?d <${UB}subOrganizationOf> <http://www.University0.edu> }`;
    const plan: { id: string; text: string }[] = [{ id: 'probe', text: probe }, ...o.queries.map((id) => ({ id, text: queryText(o, id) }))];
    for (const q of plan) {
      const r: QueryResult = { id: q.id, rows: null, single: [], federated: [], how: '' };
      results.push(r);
      try {
        log(`${q.id}: warm-up`);
        const w1 = await query(agent, coordinator, q.text, false, o.timeoutSec);
        const w2 = await query(agent, coordinator, q.text, true, o.timeoutSec);
        r.how = w2.how;
        if (w1.rows !== w2.rows) throw new Error(`row counts differ: single ${w1.rows}, federated ${w2.rows}`);
        r.rows = w1.rows;
        const started = performance.now();
        for (let i = 0; i < (q.id === 'probe' ? Math.max(o.runs, 15) : o.runs); i++) {
          // Alternate which goes first, so neither always runs on a warmer cache.
          const order = i % 2 === 0 ? [false, true] : [true, false];
          for (const fed of order) {
            const x = await query(agent, coordinator, q.text, fed, o.timeoutSec);
            if (x.rows !== r.rows) throw new Error(`${fed ? 'federated' : 'single'} run ${i}: ${x.rows} rows, expected ${r.rows}`);
            (fed ? r.federated : r.single).push(x);
          }
          const spent = (performance.now() - started) / 1000;
          if (spent * ((i + 2) / (i + 1)) > o.budgetSec) break;
        }
        log(`${q.id}: ${r.rows} rows, single ${fmtMs(median(r.single.map((x) => x.ms)))} ms, federated ${fmtMs(median(r.federated.map((x) => x.ms)))} ms (${r.single.length} runs)`);
      } catch (e) {
        r.error = errMsg(e);
        log(`${q.id}: ${r.error}`);
      }
    }
  } finally {
    logs = await c.dispose();
    agent.destroy();
  }

  // ---- analysis -----------------------------------------------------------------------------------
  const med = (xs: number[]): number | null => median(xs);
  const probe = results.find((r) => r.id === 'probe');
  const probeParts = probe?.federated[0]?.parts?.length ?? 3;
  const perParticipantMs = probe !== undefined && probe.single.length > 0 ? Math.max(0, (med(probe.federated.map((x) => x.ms))! - med(probe.single.map((x) => x.ms))!) / probeParts) : null;
  const rowsOf = (r: Run): number => (r.parts ?? []).reduce((n, p) => n + p.rows, 0);
  const summary = results.filter((r) => r.id !== 'probe').map((r) => {
    const single = med(r.single.map((x) => x.ms));
    const federated = med(r.federated.map((x) => x.ms));
    const overheads = r.federated.filter((x) => x.parts !== undefined && x.parts.length > 0).map((x) => (x.ms - Math.max(...x.parts!.map((p) => p.ms))) / x.ms);
    const shipped = med(r.federated.map(rowsOf));
    const extraMs = r.federated.map((x) => x.ms - Math.max(...(x.parts ?? [{ ms: 0 }]).map((p) => p.ms)));
    return {
      id: r.id,
      rows: r.rows,
      how: r.how,
      runs: r.single.length,
      singleMedianMs: single,
      federatedMedianMs: federated,
      ratio: single !== null && federated !== null ? federated / single : null,
      federatedP95Ms: percentile(r.federated.map((x) => x.ms), 95),
      slowestPartMedianMs: med(r.federated.map((x) => Math.max(...(x.parts ?? [{ ms: 0 }]).map((p) => p.ms)))),
      coordinationOverhead: med(overheads),
      rowsShipped: shipped,
      outsidePartsMedianMs: med(extraMs),
      ...(r.error !== undefined && { error: r.error }),
    };
  });
  // Per-row shipping cost: time outside the parts, less the per-participant cost, per row shipped.
  const perRow = summary.filter((s) => s.rowsShipped !== null && s.rowsShipped > 1000 && s.outsidePartsMedianMs !== null).map((s) => Math.max(0, s.outsidePartsMedianMs! - 3 * (perParticipantMs ?? 0)) / s.rowsShipped!);
  const perRowMs = med(perRow);
  const project = (single: number | null, rows: number | null, p: number): number | null => (single === null || perParticipantMs === null ? null : single / p + p * perParticipantMs + (rows ?? 0) * (perRowMs ?? 0));
  const RACK = [3, 8, 16, 32];

  console.log(`\nFederated queries, ${o.size}, 3 nodes on 127.0.0.1 (${os.availableParallelism()} cores); coordinator = a follower; ms, medians\n`);
  console.log(table(
    ['query', 'rows', 'runs', 'single', 'federated', 'fed/single', 'fed p95', 'slowest part', 'overhead', 'rows shipped'],
    summary.map((s) => [s.id, String(s.rows ?? '—'), String(s.runs), fmtMs(s.singleMedianMs), fmtMs(s.federatedMedianMs), fmt(s.ratio, 2), fmtMs(s.federatedP95Ms), fmtMs(s.slowestPartMedianMs), s.coordinationOverhead === null ? '—' : `${(s.coordinationOverhead * 100).toFixed(1)}%`, String(s.rowsShipped ?? '—')]),
    [false, true, true, true, true, true, true, true, true, true],
  ));
  if (probe !== undefined) console.log(`\nprobe (${probe.rows} rows): single ${fmtMs(med(probe.single.map((x) => x.ms)))} ms, split 3 ways ${fmtMs(med(probe.federated.map((x) => x.ms)))} ms → ${fmtMs(perParticipantMs)} ms per participant`);
  console.log(`per row shipped: ${perRowMs === null ? '—' : `${(perRowMs * 1000).toFixed(2)} µs`}`);
  console.log(`\nSimulated: T(P) = single / P + P × ${fmtMs(perParticipantMs)} ms + rows × ${perRowMs === null ? '—' : `${(perRowMs * 1000).toFixed(2)} µs`} (a core per node; ms)\n`);
  console.log(table(['query', ...RACK.map((p) => `P=${p}`)], summary.map((s) => [s.id, ...RACK.map((p) => fmtMs(project(s.singleMedianMs, s.rowsShipped, p)))]), [false, ...RACK.map(() => true)]));
  const errors = results.filter((r) => r.error !== undefined);
  if (errors.length > 0) console.log(`\nerrors:\n${errors.map((r) => `  ${r.id}: ${r.error}`).join('\n')}`);

  const outFile = o.out ?? path.join(BENCH_DIR, 'results', `federation-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify({ bench: 'federation', commit: gitCommit(ROOT), size: o.size, cores: os.availableParallelism(), loadMs, options: o, perParticipantMs, perRowMs, summary, projection: Object.fromEntries(summary.map((s) => [s.id, Object.fromEntries(RACK.map((p) => [p, project(s.singleMedianMs, s.rowsShipped, p)]))])), results, warnings: logs.slice(0, 100) }, null, 2)}\n`);
  console.log(`\nresults: ${outFile}`);
  if (errors.length > 0) process.exitCode = 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllNow();
    for (const d of tmpDirs) removeTmpDir(d);
    process.exit(130);
  });
}
process.once('exit', killAllNow);
main().catch((e: unknown) => {
  console.error(errMsg(e));
  killAllNow();
  for (const d of tmpDirs) removeTmpDir(d);
  process.exit(1);
});
