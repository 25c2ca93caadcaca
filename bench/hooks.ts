// SHACL + knowledge hooks benchmark: transaction latency on a LUBM store with 0, 10 and 100 shapes,
// 10 and 100 hooks, and 10 shapes + 10 hooks, side by side with no validation in the same run, on
// LUBM(1) and LUBM(10) (~1.3 M triples) to show that the cost follows the change, not the store.
//
//   npx tsx bench/hooks.ts [--sizes lubm1,lubm10] [--runs 3] [--tx 100] [--warmup 20] [--out FILE]
//                          [--configs none,s10,s100,h10,h100,s10h10,store10]   (a subset of the configurations)
//                          [--mode inproc|http|both]                           (default inproc)
//
// inproc: on LMDB in a fresh temp directory per dataset (loaded with the engine's bulk import), so
// what is measured is engine.transact (parse, hash, log, apply with the checks, commit, fsync-free
// LMDB commit as the daemon does) without HTTP. "hook eval" is the time spent in the hooks check
// (pre hooks, then post hooks and their firings) per transaction, measured by wrapping
// HooksCheck.check/after; "shacl" likewise for ShaclCheck.begin and the wait it returns.
//
// http: what a user's transaction costs: one real knowd process (dist/, fresh data directory, bulk
// loaded with POST /v1/admin/import), shapes and hooks set through the HTTP API, and each tx a
// POST /v1/tx from one keep-alive client, one in flight, timed from send to the whole answer (the
// server parses, checks, commits, signs the receipt and answers). The checks' own times are not
// visible from outside; "in-server" is the mean of knowd_tx_duration_seconds (the route's handler).
//
// Both modes: each run visits every configuration once, in a rotated order (with --mode both, each
// configuration is measured in both modes back to back, the first mode alternating per run, so
// both see the same moment of a noisy machine); the table shows medians over runs of each run's
// p50/p95. "CPU ms/tx" is user + system CPU of the process doing the work (this one in-process,
// the server over HTTP; all threads) over the timed transactions, per transaction.
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { systemClock } from '../src/base/index.js';
import { bulkImport, type Engine } from '../src/engine/index.js';
import { HooksCheck, hookCounters, parseHook } from '../src/hooks/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../src/receipts/index.js';
import { openStandalone } from '../src/replication/node/index.js';
import { ShaclCheck } from '../src/shacl/index.js';
import { openLmdbStorage } from '../src/storage/lmdb/index.js';
import { call, crashed, importFile, KNOWD_JS, metricsText, metricValue, ROOT, spawnNode, stopNode, storeQuads, waitStatus, type NodeProc } from './lib/cluster.js';
import { cpuSeconds, fmtMs, freePort, gitCommit, httpRequest, killAllNow, liveChildren, log, median, newestMtime, percentile, removeTmpDir, stopChild, table, tmpDirs } from './lib/util.js';

const UB = 'http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#';
const D = (k: number): string => `http://www.Department${k}.University0.edu`;

type Mode = 'inproc' | 'http';
const MODES: Record<string, Mode[]> = { inproc: ['inproc'], http: ['http'], both: ['inproc', 'http'] };

interface Options {
  sizes: string[];
  runs: number;
  tx: number;
  warmup: number;
  dataDir: string;
  out: string | undefined;
  /** Keys of CONFIGS to run (default all). */
  configs: string[] | undefined;
  /** inproc, http or both. */
  mode: string;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { sizes: ['lubm1', 'lubm10'], runs: 3, tx: 100, warmup: 20, dataDir: '/work/shared/bench-data/lubm', out: undefined, configs: undefined, mode: 'inproc' };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--sizes': o.sizes = v.split(',').filter((s) => s !== ''); i++; break;
      case '--runs': o.runs = Number(v); i++; break;
      case '--tx': o.tx = Number(v); i++; break;
      case '--warmup': o.warmup = Number(v); i++; break;
      case '--data-dir': o.dataDir = v; i++; break;
      case '--out': o.out = v; i++; break;
      case '--configs': o.configs = v.split(',').filter((s) => s !== ''); i++; break;
      case '--mode': o.mode = v; i++; break;
      default: throw new Error(`unknown option ${argv[i]} (see the header of bench/hooks.ts)`);
    }
  }
  if (MODES[o.mode] === undefined) throw new Error(`--mode must be one of ${Object.keys(MODES).join(', ')}, got "${o.mode}"`);
  return o;
}

// ---- shapes and hooks ------------------------------------------------------------------------------

/** Ten realistic LUBM shapes (datatypes, cardinalities, node kinds, classes); variant v tightens or loosens a bound so 100 are distinct. */
function shapes(n: number): string {
  const out = [`@prefix ub: <${UB}> . @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix b: <http://bench/shapes#> .`];
  const base = [
    (v: number) => `sh:targetClass ub:GraduateStudent ; sh:property [ sh:path ub:name ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxCount 1 ; sh:maxLength ${100 + v} ]`,
    (v: number) => `sh:targetClass ub:GraduateStudent ; sh:property [ sh:path ub:emailAddress ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxLength ${200 + v} ]`,
    (_v: number) => `sh:targetClass ub:GraduateStudent ; sh:property [ sh:path ub:memberOf ; sh:minCount 1 ; sh:maxCount 1 ; sh:class ub:Department ]`,
    (v: number) => `sh:targetClass ub:GraduateStudent ; sh:property [ sh:path ub:advisor ; sh:maxCount ${1 + v} ; sh:nodeKind sh:IRI ]`,
    (v: number) => `sh:targetClass ub:GraduateStudent ; sh:property [ sh:path ub:takesCourse ; sh:minCount 1 ; sh:maxCount ${10 + v} ; sh:nodeKind sh:IRI ]`,
    (v: number) => `sh:targetClass ub:GraduateStudent ; sh:property [ sh:path ub:undergraduateDegreeFrom ; sh:maxCount ${1 + v} ; sh:nodeKind sh:IRI ]`,
    (v: number) => `sh:targetClass ub:UndergraduateStudent ; sh:property [ sh:path ub:name ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxLength ${100 + v} ]`,
    (v: number) => `sh:targetClass ub:GraduateCourse ; sh:property [ sh:path ub:name ; sh:datatype xsd:string ; sh:minCount 1 ; sh:maxLength ${100 + v} ]`,
    (_v: number) => `sh:targetClass ub:FullProfessor ; sh:property [ sh:path ub:emailAddress ; sh:datatype xsd:string ; sh:minCount 1 ] ; sh:property [ sh:path ub:telephone ; sh:datatype xsd:string ]`,
    (_v: number) => `sh:targetClass ub:Department ; sh:property [ sh:path ub:subOrganizationOf ; sh:minCount 1 ; sh:nodeKind sh:IRI ]`,
  ];
  for (let i = 0; i < n; i++) out.push(`b:S${i} a sh:NodeShape ; ${base[i % 10]!(Math.floor(i / 10))} .`);
  return out.join('\n');
}

/**
 * Ten per-entity hooks of every condition kind (scope "delta": ?this is each node the transaction
 * changed), the way rules about a student, an advisor or a course load are written; variant v of a
 * kind moves its threshold, so 100 hooks are ten of each. Every one uses predicates the benchmark's
 * transactions write, so none is skipped by the predicate filter.
 */
function hooks(n: number): unknown[] {
  const P = `PREFIX ub: <${UB}> `;
  const make = (i: number): unknown => {
    const v = Math.floor(i / 10);
    const defs = [
      { phase: 'pre', condition: { ask: `${P} ASK { ?this ub:advisor ?a1, ?a2 FILTER(?a1 != ?a2) }` }, description: 'one advisor per student' },
      { phase: 'pre', condition: { ask: `${P} ASK { ?this ub:advisor ?a FILTER NOT EXISTS { ?a ub:worksFor ?dep } }` }, description: 'advisors work for a department' },
      { phase: 'pre', condition: { ask: `${P} ASK { ?this a ub:GraduateStudent FILTER NOT EXISTS { ?this ub:undergraduateDegreeFrom ?u } }` }, description: 'graduate students hold a degree' },
      { phase: 'pre', condition: { select: `${P} SELECT ?c { ?this ub:takesCourse ?c }`, count: { op: '>', value: 10 + v } }, description: 'at most 10 courses' },
      { phase: 'pre', condition: { select: `${P} SELECT ?this (COUNT(?c) AS ?n) { ?this ub:takesCourse ?c } GROUP BY ?this`, threshold: { var: 'n', op: '>', value: 20 + v } }, description: 'course load' },
      { phase: 'pre', condition: { select: `${P} SELECT ?this { ?this ub:advisor ?a ; ub:memberOf ?d FILTER NOT EXISTS { ?a ub:worksFor ?d } }`, count: { op: '>', value: v } }, description: 'advisor from the same department' },
      { phase: 'post', condition: { select: `${P} SELECT ?c { ?this ub:takesCourse ?c }`, delta: { op: '>', value: v } }, description: 'enrolments grew' },
      { phase: 'post', condition: { and: [{ window: { count: { op: '>', value: 100000 + v } } }, { ask: `${P} ASK { ?this ub:memberOf ?d }` }] }, description: 'write burst' },
      { phase: 'pre', condition: { and: [{ ask: `${P} ASK { ?this ub:telephone ?t }` }, { select: `${P} SELECT ?this { ?this ub:memberOf ?d FILTER NOT EXISTS { ?this ub:emailAddress ?e } }`, count: { op: '>', value: v } }] }, description: 'members have email' },
      { phase: 'pre', condition: { or: [{ ask: `${P} ASK { ?this ub:advisor ?this }` }, { ask: `${P} ASK { ?this ub:memberOf ?this }` }] }, description: 'no self-reference' },
    ];
    return { id: `h${i}`, scope: 'delta', ...defs[i % 10]! };
  };
  return Array.from({ length: n }, (_, i) => make(i));
}

/**
 * Ten store-wide hooks (no ?this) over a department k, as rules about a department are written:
 * each reads what its department holds (hundreds of members), whatever the transaction touched.
 */
function storeHooks(n: number): unknown[] {
  const P = `PREFIX ub: <${UB}> `;
  const make = (i: number): unknown => {
    const d = `<${D(Math.floor(i / 10))}>`;
    const c = `<${D(Math.floor(i / 10))}/GraduateCourse0>`; // thresholds below are far above what a run adds
    const defs = [
      { phase: 'pre', condition: { ask: `${P} ASK { ?s ub:memberOf ${d} ; ub:advisor ?a1, ?a2 FILTER(?a1 != ?a2) }` } },
      { phase: 'pre', condition: { ask: `${P} ASK { ?s ub:memberOf ${d} ; ub:advisor ?a FILTER NOT EXISTS { ?a ub:worksFor ?dep } }` } },
      { phase: 'pre', condition: { ask: `${P} ASK { ?s ub:memberOf ${d} ; a ub:GraduateStudent FILTER NOT EXISTS { ?s ub:undergraduateDegreeFrom ?u } }` } },
      { phase: 'pre', condition: { select: `${P} SELECT ?s { ?s ub:memberOf ${d} }`, count: { op: '>', value: 100000 } } },
      { phase: 'pre', condition: { select: `${P} SELECT ?s { ?s ub:takesCourse ${c} }`, count: { op: '>', value: 100000 } } },
      { phase: 'pre', condition: { select: `${P} SELECT ?s (COUNT(?c) AS ?n) { ?s ub:memberOf ${d} ; ub:takesCourse ?c } GROUP BY ?s`, threshold: { var: 'n', op: '>', value: 20 } } },
      { phase: 'post', condition: { select: `${P} SELECT ?s { ?s ub:memberOf ${d} }`, delta: { op: '>', value: 0 } } },
      { phase: 'post', condition: { and: [{ window: { count: { op: '>', value: 100000 } } }, { ask: `${P} ASK { ?s ub:memberOf ${d} }` }] } },
      { phase: 'pre', condition: { and: [{ ask: `${P} ASK { ?s ub:memberOf ${d} ; ub:telephone ?t }` }, { select: `${P} SELECT ?s { ?s ub:memberOf ${d} FILTER NOT EXISTS { ?s ub:emailAddress ?e } }`, count: { op: '>', value: 0 } }] } },
      { phase: 'pre', condition: { or: [{ ask: `${P} ASK { ?s ub:advisor ?s }` }, { ask: `${P} ASK { ${d} ub:subOrganizationOf ${d} }` }] } },
    ];
    return { id: `w${i}`, ...defs[i % 10]! };
  };
  return Array.from({ length: n }, (_, i) => make(i));
}

const CONFIGS = [
  { key: 'none', name: 'none', shapes: 0, hooks: 0, storeHooks: 0 },
  { key: 's10', name: '10 shapes', shapes: 10, hooks: 0, storeHooks: 0 },
  { key: 's100', name: '100 shapes', shapes: 100, hooks: 0, storeHooks: 0 },
  { key: 'h10', name: '10 hooks', shapes: 0, hooks: 10, storeHooks: 0 },
  { key: 'h100', name: '100 hooks', shapes: 0, hooks: 100, storeHooks: 0 },
  { key: 's10h10', name: '10 shapes + 10 hooks', shapes: 10, hooks: 10, storeHooks: 0 },
  { key: 'store10', name: '10 store-wide hooks', shapes: 0, hooks: 0, storeHooks: 10 },
] as const;

// ---- instrumentation -------------------------------------------------------------------------------

let hookMs = 0;
let shaclMs = 0;
function wrap<T extends object>(proto: T, name: keyof T, add: (ms: number) => void): void {
  const orig = proto[name] as unknown as (...a: unknown[]) => unknown;
  (proto as Record<string, unknown>)[name as string] = function (this: unknown, ...a: unknown[]) {
    const t0 = performance.now();
    try {
      return orig.apply(this, a);
    } finally {
      add(performance.now() - t0);
    }
  };
}
wrap(HooksCheck.prototype, 'check', (ms) => (hookMs += ms));
wrap(HooksCheck.prototype, 'after', (ms) => (hookMs += ms));
// The engine starts SHACL (begin: plan, read ahead, post to the worker), runs the hooks while the
// worker validates, then waits (finish): "shacl" is this thread's time in both.
{
  const begin = ShaclCheck.prototype.begin;
  ShaclCheck.prototype.begin = function (this: ShaclCheck, ...a: Parameters<ShaclCheck['begin']>) {
    const t0 = performance.now();
    const p = begin.apply(this, a);
    shaclMs += performance.now() - t0;
    if (p === undefined) return p;
    return {
      finish: () => {
        const t1 = performance.now();
        try {
          p.finish();
        } finally {
          shaclMs += performance.now() - t1;
        }
      },
    };
  };
}

type Config = (typeof CONFIGS)[number];

// ---- transactions ----------------------------------------------------------------------------------

/**
 * The benchmark's transactions, one store each (so both modes write the same sequence): the i-th
 * is a new graduate student with the properties LUBM gives one, in department i mod 15 of
 * University0 (both datasets have them), taking two of its first ten graduate courses: spread out,
 * so no department or course grows by thousands over a run and the store-wide rules' cost stays put.
 */
function students(): () => string {
  let seq = 0;
  return () => {
    const i = seq++;
    const d = D(i % 15);
    const s = `<${d}/BenchStudent${i}>`;
    const c = Math.floor(i / 15) % 10;
    return `@prefix ub: <${UB}> .\n${s} a ub:GraduateStudent ; ub:name "BenchStudent${i}" ; ub:emailAddress "BenchStudent${i}@Department${i % 15}.University0.edu" ; ub:telephone "xxx-xxx-xxxx" ; ub:memberOf <${d}> ; ub:undergraduateDegreeFrom <http://www.University1.edu> ; ub:advisor <${d}/FullProfessor0> ; ub:takesCourse <${d}/GraduateCourse${c}> , <${d}/GraduateCourse${(c + 1) % 10}> .`;
  };
}

/** The hook definitions (JSON, as POST /v1/hooks takes them) of a configuration. */
const hookDefs = (cfg: Config): unknown[] => [...hooks(cfg.hooks), ...storeHooks(cfg.storeHooks)];
const shapesText = (cfg: Config): string => (cfg.shapes === 0 ? '' : shapes(cfg.shapes));

// ---- targets: where the transactions go ------------------------------------------------------------

interface TxTiming {
  ms: number;
  /** Time in the hooks / SHACL checks; null where it cannot be seen (over HTTP). */
  hookMs: number | null;
  shaclMs: number | null;
}

/** Readings taken around the timed transactions; null where the mode cannot see them. */
interface Counters {
  /** CPU seconds so far of the process that does the work (all its threads). */
  cpuS: number | null;
  hooksEvaluated: number | null;
  /** knowd_tx_duration_seconds sum and count (the POST /v1/tx handler, in the server). */
  handlerS: number | null;
  handlerCount: number | null;
  /** TCP connections the client opened since the configuration was set (1: keep-alive held). */
  connections: number | null;
}

/** A loaded store in one mode: set a configuration, run one transaction, read the counters. */
interface Target {
  readonly mode: Mode;
  /** Triples the bulk load added. */
  readonly triples: number;
  configure(cfg: Config): Promise<void>;
  transact(turtle: string): Promise<TxTiming>;
  counters(): Promise<Counters>;
  close(): Promise<void>;
}

function tmpDir(size: string, mode: Mode): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `knowd-bench-hooks-${mode}-${size}-`));
  tmpDirs.add(dir);
  return dir;
}

async function configureEngine(engine: Engine, cfg: Config): Promise<void> {
  for (const h of engine.hooks('default')) await engine.deleteHook('default', h.id, 'bench');
  await engine.putShapes('default', shapesText(cfg), 'bench');
  for (const def of hookDefs(cfg)) await engine.putHook(parseHook(def, 'default'), 'bench');
}

/** engine.transact of an LMDB store in this process (the instrumentation above sees its checks). */
async function openInproc(size: string, file: string): Promise<Target> {
  const dir = tmpDir(size, 'inproc');
  try {
    const storage = openLmdbStorage({ path: dir, mapSizeBytes: 0 });
    const { engine, node } = await openStandalone({ storage, signer: createEd25519Signer(generateSigningKeyPem()), clock: systemClock, maxTxQuads: 1_000_000 });
    await engine.ensureNamespace('default');
    log(`${size} inproc: loading ${file}`);
    const loaded = await bulkImport(engine, createReadStream(file).pipe(createGunzip()), { namespace: 'default', format: 'n-triples', actor: 'bench' });
    log(`${size} inproc: ${loaded.added} triples in ${(loaded.durationMs / 1000).toFixed(1)} s`);
    return {
      mode: 'inproc',
      triples: loaded.added,
      configure: (cfg) => configureEngine(engine, cfg),
      transact: async (turtle) => {
        hookMs = 0;
        shaclMs = 0;
        const t0 = performance.now();
        await engine.transact({ namespace: 'default', add: turtle, format: 'turtle', actor: 'bench' });
        return { ms: performance.now() - t0, hookMs, shaclMs };
      },
      counters: () => Promise.resolve({ cpuS: cpuSeconds(process.pid), hooksEvaluated: hookCounters.evaluated, handlerS: null, handlerCount: null, connections: null }),
      close: async () => {
        await engine.drain();
        await node.stop();
        await storage.close();
        removeTmpDir(dir);
      },
    };
  } catch (e) {
    removeTmpDir(dir);
    throw e;
  }
}

async function configureServer(node: NodeProc, cfg: Config): Promise<void> {
  const listed = await call<{ hooks: { id: string }[] }>(node, 'GET', '/v1/hooks?namespace=default');
  for (const h of listed.hooks) await call(node, 'DELETE', `/v1/hooks/${encodeURIComponent(h.id)}?namespace=default`);
  await call(node, 'PUT', '/v1/shapes?namespace=default', shapesText(cfg), 'text/turtle');
  for (const def of hookDefs(cfg)) await call(node, 'POST', '/v1/hooks?namespace=default', JSON.stringify(def));
}

/** A bulk-loaded knowd process, ready for writes; stopped (by PID) and its directory removed if that fails. */
async function startLoadedServer(size: string, file: string): Promise<{ node: NodeProc; dir: string; triples: number }> {
  const dir = tmpDir(size, 'http');
  let node: NodeProc | undefined;
  try {
    node = await spawnNode('single', path.join(dir, 'data'), await freePort(), []);
    // /healthz answers before the node takes writes; the import and /v1/tx need it ready.
    await waitStatus(node, '/readyz', 60_000);
    log(`${size} http: importing ${file} into knowd pid ${node.pid} on 127.0.0.1:${node.port}`);
    const t0 = performance.now();
    const r = await importFile(node, file, 'default');
    const stored = await storeQuads(node);
    if (stored !== r.added) throw new Error(`${size} http: the import added ${r.added} triples but the store holds ${stored}`);
    log(`${size} http: ${stored} triples in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return { node, dir, triples: stored };
  } catch (e) {
    if (node !== undefined) await stopNode(node);
    removeTmpDir(dir);
    throw e;
  }
}

/** POST /v1/tx to a real knowd process, from one keep-alive connection, one request in flight. */
async function openHttp(size: string, file: string): Promise<Target> {
  const { node, dir, triples } = await startLoadedServer(size, file);
  // A fresh connection per configuration: an idle keep-alive socket the server closed (its
  // keep-alive timeout passes while the other mode measures) must not fail the next request.
  // The agent's "free" event hands back each socket after a request: their number says whether
  // the transactions really shared one connection.
  const sockets = new Set<Socket>();
  const newAgent = (): http.Agent => {
    sockets.clear();
    return new http.Agent({ keepAlive: true, maxSockets: 1 }).on('free', (s: Socket) => sockets.add(s));
  };
  let agent = newAgent();
  return {
    mode: 'http',
    triples,
    configure: async (cfg) => {
      agent.destroy();
      agent = newAgent();
      await configureServer(node, cfg);
    },
    transact: async (turtle) => {
      const body = JSON.stringify({ namespace: 'default', add: turtle, format: 'turtle' });
      const r = await httpRequest(agent, node.port, 'POST', '/v1/tx', body, { 'content-type': 'application/json' }, 120_000);
      if (r.status !== 200) throw new Error(`POST /v1/tx answered ${r.status}: ${r.body.slice(0, 2000)}`);
      return { ms: r.ms, hookMs: null, shaclMs: null };
    },
    counters: async () => {
      // CPU first: the /metrics request after it is not counted at the end of a window.
      const cpuS = cpuSeconds(node.pid);
      const text = await metricsText(node);
      return { cpuS, hooksEvaluated: null, handlerS: metricValue(text, 'knowd_tx_duration_seconds_sum'), handlerCount: metricValue(text, 'knowd_tx_duration_seconds_count'), connections: sockets.size };
    },
    close: async () => {
      agent.destroy();
      const gone = crashed(node);
      await stopNode(node);
      removeTmpDir(dir);
      if (node.logs.length > 0) log(`${size} http: server log (warn and above):\n  ${node.logs.join('\n  ')}`);
      if (gone) throw new Error(`${size} http: knowd pid ${node.pid} exited by itself (code ${node.child.exitCode}, signal ${node.child.signalCode})`);
    },
  };
}

const OPEN: Record<Mode, (size: string, file: string) => Promise<Target>> = { inproc: openInproc, http: openHttp };

// ---- measurement -----------------------------------------------------------------------------------

interface Sample {
  warm: number;
  tx: number[];
  hook: number[];
  shacl: number[];
  /** Hooks evaluated over warm-up and timed transactions (null: not visible). */
  evaluated: number | null;
  cpuMsPerTx: number | null;
  handlerMeanMs: number | null;
  /** Client connections over warm-up and timed transactions (null: in-process). */
  connections: number | null;
}

const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, x) => a + x, 0) / xs.length);
const delta = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : b - a);

async function measure(t: Target, next: () => string, n: number, warmup: number): Promise<Sample> {
  const s: Sample = { warm: warmup, tx: [], hook: [], shacl: [], evaluated: null, cpuMsPerTx: null, handlerMeanMs: null, connections: null };
  const c0 = await t.counters();
  let w: Counters = c0;
  for (let i = 0; i < warmup + n; i++) {
    if (i === warmup) w = await t.counters();
    const r = await t.transact(next());
    if (i < warmup) continue;
    s.tx.push(r.ms);
    if (r.hookMs !== null) s.hook.push(r.hookMs);
    if (r.shaclMs !== null) s.shacl.push(r.shaclMs);
  }
  const c1 = await t.counters();
  s.evaluated = delta(c0.hooksEvaluated, c1.hooksEvaluated);
  const cpu = delta(w.cpuS, c1.cpuS);
  s.cpuMsPerTx = cpu === null ? null : (cpu * 1000) / n;
  const hs = delta(w.handlerS, c1.handlerS);
  const hc = delta(w.handlerCount, c1.handlerCount);
  s.handlerMeanMs = hs === null || hc === null || hc === 0 ? null : (hs * 1000) / hc;
  s.connections = c1.connections;
  return s;
}

type Row = Record<string, unknown>;

function summarise(size: string, t: Target, cfg: Config, ss: Sample[]): Row {
  const med = (f: (s: Sample) => number | null): number | null => median(ss.map(f).filter((x): x is number => x !== null));
  const hooked = cfg.hooks + cfg.storeHooks > 0;
  return {
    dataset: size,
    mode: t.mode,
    triples: t.triples,
    config: cfg.name,
    shapes: cfg.shapes,
    hooks: cfg.hooks + cfg.storeHooks,
    hookScope: cfg.storeHooks > 0 ? 'store' : cfg.hooks > 0 ? 'delta' : null,
    txP50Ms: med((s) => percentile(s.tx, 50)),
    txP95Ms: med((s) => percentile(s.tx, 95)),
    // Comparable with serverTxMeanMs (a mean from the server's histogram): what HTTP adds around the handler.
    txMeanMs: med((s) => mean(s.tx)),
    hookP95Ms: hooked ? med((s) => percentile(s.hook, 95)) : null,
    shaclP95Ms: cfg.shapes === 0 ? null : med((s) => percentile(s.shacl, 95)),
    hooksEvaluatedPerTx: !hooked ? 0 : med((s) => (s.evaluated === null ? null : s.evaluated / (s.tx.length + s.warm))),
    cpuMsPerTx: med((s) => s.cpuMsPerTx),
    serverTxMeanMs: med((s) => s.handlerMeanMs),
    txPerRun: ss[0]?.tx.length ?? 0,
    perRun: ss.map((s) => ({ txP50Ms: percentile(s.tx, 50), txP95Ms: percentile(s.tx, 95), hookP95Ms: percentile(s.hook, 95), shaclP95Ms: percentile(s.shacl, 95), cpuMsPerTx: s.cpuMsPerTx, serverTxMeanMs: s.handlerMeanMs, connections: s.connections })),
  };
}

/** Every configuration in every mode for one dataset, run after run; the rows, one per mode and configuration. */
async function benchDataset(o: Options, size: string, modes: Mode[], configs: Config[]): Promise<Row[]> {
  const file = path.join(o.dataDir, `${size}.nt.gz`);
  const targets: Target[] = [];
  try {
    for (const m of modes) targets.push(await OPEN[m](size, file));
    const nexts = targets.map(() => students());
    const runs = new Map<string, Sample[]>();
    for (let r = 0; r < o.runs; r++) {
      log(`${size} run ${r + 1}/${o.runs}: load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
      // Rotate the order each run, so drift (LMDB growth, a noisy neighbour) does not favour one configuration or mode.
      const order = configs.map((_, i) => configs[(i + r) % configs.length]!);
      for (const cfg of order) {
        for (let j = 0; j < targets.length; j++) {
          const k = (j + r) % targets.length;
          const t = targets[k]!;
          await t.configure(cfg);
          // Store-wide rules take ~100× longer per tx: fewer of them keep the run short (and say so in the JSON).
          const n = cfg.storeHooks > 0 ? Math.min(o.tx, 20) : o.tx;
          const s = await measure(t, nexts[k]!, n, cfg.storeHooks > 0 ? Math.min(o.warmup, 5) : o.warmup);
          runs.set(`${t.mode}/${cfg.key}`, [...(runs.get(`${t.mode}/${cfg.key}`) ?? []), s]);
          log(`${size} run ${r + 1}/${o.runs} ${t.mode} ${cfg.name}: tx p50 ${fmtMs(percentile(s.tx, 50))} p95 ${fmtMs(percentile(s.tx, 95))} ms, hooks p95 ${fmtMs(percentile(s.hook, 95))} ms, shacl p95 ${fmtMs(percentile(s.shacl, 95))} ms, CPU ${fmtMs(s.cpuMsPerTx)} ms/tx${s.connections === null ? '' : `, ${s.connections} connection(s)`}`);
        }
      }
    }
    return targets.flatMap((t) => configs.map((cfg) => summarise(size, t, cfg, runs.get(`${t.mode}/${cfg.key}`) ?? [])));
  } finally {
    for (const t of targets) await t.close();
  }
}

// ---- report ----------------------------------------------------------------------------------------

const TITLES: Record<Mode, string> = {
  inproc: 'in-process: engine.transact; CPU = this process',
  http: 'HTTP: POST /v1/tx to a knowd process, send to whole answer; CPU = the server; in-server = mean in the /v1/tx handler',
};

function report(o: Options, modes: Mode[], rows: Row[]): string {
  const n = (x: unknown): number | null => (typeof x === 'number' ? x : null);
  const tables = modes.map((m) =>
    `${TITLES[m]}\n${table(
      ['dataset', 'config', 'tx p50 ms', 'tx p95 ms', 'p95 ×none', 'hook eval p95 ms', 'shacl p95 ms', 'hooks run/tx', 'CPU ms/tx', 'in-server ms'],
      rows.filter((r) => r['mode'] === m).map((r) => [String(r['dataset']), String(r['config']), fmtMs(n(r['txP50Ms'])), fmtMs(n(r['txP95Ms'])), n(r['txP95xNone'])?.toFixed(2) ?? '—', fmtMs(n(r['hookP95Ms'])), fmtMs(n(r['shaclP95Ms'])), String(n(r['hooksEvaluatedPerTx']) ?? '—'), fmtMs(n(r['cpuMsPerTx'])), fmtMs(n(r['serverTxMeanMs']))]),
      [false, false, true, true, true, true, true, true, true, true],
    )}`,
  );
  return `\n${tables.join('\n\n')}\n\nmedians over ${o.runs} runs of ${o.tx} transactions each (after ${o.warmup} warm-up); targets: hook eval p95 < 50 ms, 10 shapes + 10 hooks p95 < 2× none\n`;
}

/** p95 ×none: each row's p95 over the same dataset's and mode's configuration without checks. */
function addRatios(rows: Row[]): void {
  const base = (r: Row): number | null => (rows.find((b) => b['dataset'] === r['dataset'] && b['mode'] === r['mode'] && b['config'] === 'none')?.['txP95Ms'] as number | null) ?? null;
  for (const r of rows) {
    const b = base(r);
    r['txP95xNone'] = b === null || r['txP95Ms'] === null ? null : (r['txP95Ms'] as number) / b;
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const modes = MODES[o.mode]!;
  const unknown = (o.configs ?? []).filter((k) => !CONFIGS.some((c) => c.key === k));
  if (unknown.length > 0) throw new Error(`unknown --configs ${unknown.join(',')} (known: ${CONFIGS.map((c) => c.key).join(',')})`);
  const configs: Config[] = CONFIGS.filter((c) => o.configs === undefined || o.configs.includes(c.key));
  if (modes.includes('http')) {
    if (!fs.existsSync(KNOWD_JS)) throw new Error(`${KNOWD_JS} is missing: npm run build first`);
    if (newestMtime(path.join(ROOT, 'src')) > fs.statSync(KNOWD_JS).mtimeMs) log('warning: src/ has .ts files newer than dist/: the http numbers are for the last build (npm run build)');
  }
  const loadavgStart = os.loadavg();
  const rows: Row[] = [];
  for (const size of o.sizes) rows.push(...(await benchDataset(o, size, modes, configs)));
  addRatios(rows);
  const loadavg = os.loadavg();
  process.stdout.write(report(o, modes, rows));
  process.stdout.write(`load average (1, 5, 15 min) at start ${loadavgStart.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg.map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs\n`);
  const file = o.out ?? path.join(ROOT, 'bench/results', `hooks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ options: o, commit: gitCommit(ROOT), node: process.version, loadavgStart, loadavg, cpus: os.cpus().length, rows }, null, 2));
  log(`results: ${path.relative(ROOT, file)}`);
}

// A stopped run (Ctrl-C, kill PID) stops its knowd process by PID and removes its temporary stores too.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping ${liveChildren().length} child process(es)`);
    killAllNow();
    for (const d of [...tmpDirs]) removeTmpDir(d);
    process.exit(130);
  });
}
process.once('exit', killAllNow);

try {
  await main();
} catch (e) {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
} finally {
  for (const c of liveChildren()) await stopChild(c, 5_000);
  for (const d of [...tmpDirs]) removeTmpDir(d);
}
