// SHACL + knowledge hooks benchmark: transaction latency on a LUBM store with 0, 10 and 100 shapes,
// 10 and 100 hooks, and 10 shapes + 10 hooks, side by side with no validation in the same run, on
// LUBM(1) and LUBM(10) (~1.3 M triples) to show that the cost follows the change, not the store.
//
//   npx tsx bench/hooks.ts [--sizes lubm1,lubm10] [--runs 3] [--tx 100] [--warmup 20] [--out FILE]
//                          [--configs none,s10,s100,h10,h100,s10h10,store10]   (a subset of the configurations)
//
// In-process, on LMDB in a fresh temp directory per dataset (loaded with the engine's bulk import),
// so what is measured is engine.transact (parse, hash, log, apply with the checks, commit, fsync-free
// LMDB commit as the daemon does) without HTTP. Each run visits every configuration once, in a
// rotated order; the table shows medians over runs of each run's p50/p95. "hook eval" is the time
// spent in the hooks check (pre hooks, then post hooks and their firings) per transaction, measured
// by wrapping HooksCheck.check/after; "shacl" likewise for ShaclCheck.begin and the wait it returns.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/base/index.js';
import { bulkImport, type Engine } from '../src/engine/index.js';
import { HooksCheck, hookCounters, parseHook } from '../src/hooks/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../src/receipts/index.js';
import { openStandalone } from '../src/replication/node/index.js';
import { ShaclCheck } from '../src/shacl/index.js';
import { openLmdbStorage } from '../src/storage/lmdb/index.js';
import { fmtMs, gitCommit, log, median, percentile, table } from './lib/util.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const UB = 'http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#';
const D = (k: number): string => `http://www.Department${k}.University0.edu`;

interface Options {
  sizes: string[];
  runs: number;
  tx: number;
  warmup: number;
  dataDir: string;
  out: string | undefined;
  /** Keys of CONFIGS to run (default all). */
  configs: string[] | undefined;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { sizes: ['lubm1', 'lubm10'], runs: 3, tx: 100, warmup: 20, dataDir: '/work/shared/bench-data/lubm', out: undefined, configs: undefined };
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
      default: throw new Error(`unknown option ${argv[i]} (see the header of bench/hooks.ts)`);
    }
  }
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

// ---- measurement -----------------------------------------------------------------------------------

let seq = 0;
/**
 * A new graduate student with the properties LUBM gives one, in department i mod 15 of University0
 * (both datasets have them), taking two of its first ten graduate courses: spread out, so no
 * department or course grows by thousands over a run and the store-wide rules' cost stays put.
 */
function studentTx(): string {
  const i = seq++;
  const d = D(i % 15);
  const s = `<${d}/BenchStudent${i}>`;
  const c = Math.floor(i / 15) % 10;
  return `@prefix ub: <${UB}> .\n${s} a ub:GraduateStudent ; ub:name "BenchStudent${i}" ; ub:emailAddress "BenchStudent${i}@Department${i % 15}.University0.edu" ; ub:telephone "xxx-xxx-xxxx" ; ub:memberOf <${d}> ; ub:undergraduateDegreeFrom <http://www.University1.edu> ; ub:advisor <${d}/FullProfessor0> ; ub:takesCourse <${d}/GraduateCourse${c}> , <${d}/GraduateCourse${(c + 1) % 10}> .`;
}

async function configure(engine: Engine, cfg: (typeof CONFIGS)[number]): Promise<void> {
  for (const h of engine.hooks('default')) await engine.deleteHook('default', h.id, 'bench');
  await engine.putShapes('default', cfg.shapes === 0 ? '' : shapes(cfg.shapes), 'bench');
  for (const def of [...hooks(cfg.hooks), ...storeHooks(cfg.storeHooks)]) await engine.putHook(parseHook(def, 'default'), 'bench');
}

interface Sample {
  warm: number;
  tx: number[];
  hook: number[];
  shacl: number[];
  evaluated: number;
  skipped: number;
}

async function measure(engine: Engine, n: number, warmup: number): Promise<Sample> {
  const s: Sample = { warm: warmup, tx: [], hook: [], shacl: [], evaluated: 0, skipped: 0 };
  const ev0 = hookCounters.evaluated;
  const sk0 = hookCounters.skipped;
  for (let i = 0; i < warmup + n; i++) {
    hookMs = 0;
    shaclMs = 0;
    const t0 = performance.now();
    await engine.transact({ namespace: 'default', add: studentTx(), format: 'turtle', actor: 'bench' });
    const ms = performance.now() - t0;
    if (i < warmup) continue;
    s.tx.push(ms);
    s.hook.push(hookMs);
    s.shacl.push(shaclMs);
  }
  s.evaluated = hookCounters.evaluated - ev0;
  s.skipped = hookCounters.skipped - sk0;
  return s;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const rows: Record<string, unknown>[] = [];
  const unknown = (o.configs ?? []).filter((k) => !CONFIGS.some((c) => c.key === k));
  if (unknown.length > 0) throw new Error(`unknown --configs ${unknown.join(',')} (known: ${CONFIGS.map((c) => c.key).join(',')})`);
  const configs = CONFIGS.filter((c) => o.configs === undefined || o.configs.includes(c.key));
  for (const size of o.sizes) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `knowd-bench-hooks-${size}-`));
    dirs.add(dir);
    try {
      const storage = openLmdbStorage({ path: dir, mapSizeBytes: 0 });
      const { engine, node } = await openStandalone({ storage, signer: createEd25519Signer(generateSigningKeyPem()), clock: systemClock, maxTxQuads: 1_000_000 });
      await engine.ensureNamespace('default');
      const file = path.join(o.dataDir, `${size}.nt.gz`);
      log(`${size}: loading ${file}`);
      const loaded = await bulkImport(engine, createReadStream(file).pipe(createGunzip()), { namespace: 'default', format: 'n-triples', actor: 'bench' });
      log(`${size}: ${loaded.added} triples in ${(loaded.durationMs / 1000).toFixed(1)} s`);
      const runs = new Map<string, Sample[]>(configs.map((c) => [c.name, []]));
      for (let r = 0; r < o.runs; r++) {
        // Rotate the order each run, so drift (LMDB growth, a noisy neighbour) does not favour one configuration.
        const order = configs.map((_, i) => configs[(i + r) % configs.length]!);
        for (const cfg of order) {
          await configure(engine, cfg);
          // Store-wide rules take ~100× longer per tx: fewer of them keep the run short (and say so in the JSON).
          const n = cfg.storeHooks > 0 ? Math.min(o.tx, 20) : o.tx;
          const s = await measure(engine, n, cfg.storeHooks > 0 ? Math.min(o.warmup, 5) : o.warmup);
          runs.get(cfg.name)!.push(s);
          log(`${size} run ${r + 1}/${o.runs} ${cfg.name}: tx p50 ${fmtMs(percentile(s.tx, 50))} p95 ${fmtMs(percentile(s.tx, 95))} ms, hooks p95 ${fmtMs(percentile(s.hook, 95))} ms, shacl p95 ${fmtMs(percentile(s.shacl, 95))} ms`);
        }
      }
      for (const cfg of configs) {
        const ss = runs.get(cfg.name)!;
        const med = (f: (s: Sample) => number | null): number | null => median(ss.map(f).filter((x): x is number => x !== null));
        rows.push({
          dataset: size,
          triples: loaded.added,
          config: cfg.name,
          shapes: cfg.shapes,
          hooks: cfg.hooks + cfg.storeHooks,
          hookScope: cfg.storeHooks > 0 ? 'store' : cfg.hooks > 0 ? 'delta' : null,
          txP50Ms: med((s) => percentile(s.tx, 50)),
          txP95Ms: med((s) => percentile(s.tx, 95)),
          hookP95Ms: cfg.hooks + cfg.storeHooks === 0 ? null : med((s) => percentile(s.hook, 95)),
          shaclP95Ms: cfg.shapes === 0 ? null : med((s) => percentile(s.shacl, 95)),
          hooksEvaluatedPerTx: cfg.hooks + cfg.storeHooks === 0 ? 0 : med((s) => s.evaluated / (s.tx.length + s.warm)),
          txPerRun: ss[0]?.tx.length ?? 0,
          perRun: ss.map((s) => ({ txP50Ms: percentile(s.tx, 50), txP95Ms: percentile(s.tx, 95), hookP95Ms: percentile(s.hook, 95), shaclP95Ms: percentile(s.shacl, 95) })),
        });
      }
      await engine.drain();
      await node.stop();
      await storage.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    }
  }
  const base = (ds: unknown): number | null => (rows.find((r) => r['dataset'] === ds && r['config'] === 'none')?.['txP95Ms'] as number | null) ?? null;
  for (const r of rows) {
    const b = base(r['dataset']);
    r['txP95xNone'] = b === null || r['txP95Ms'] === null ? null : (r['txP95Ms'] as number) / b;
  }
  const n = (x: unknown): number | null => (typeof x === 'number' ? x : null);
  process.stdout.write(
    `\n${table(
      ['dataset', 'config', 'tx p50 ms', 'tx p95 ms', 'p95 ×none', 'hook eval p95 ms', 'shacl p95 ms', 'hooks run/tx'],
      rows.map((r) => [String(r['dataset']), String(r['config']), fmtMs(n(r['txP50Ms'])), fmtMs(n(r['txP95Ms'])), n(r['txP95xNone'])?.toFixed(2) ?? '—', fmtMs(n(r['hookP95Ms'])), fmtMs(n(r['shaclP95Ms'])), String(n(r['hooksEvaluatedPerTx']) ?? '—')]),
      [false, false, true, true, true, true, true, true],
    )}\n\nmedians over ${o.runs} runs of ${o.tx} transactions each (after ${o.warmup} warm-up); targets: hook eval p95 < 50 ms, 10 shapes + 10 hooks p95 < 2× none\n`,
  );
  const file = o.out ?? path.join(ROOT, 'bench/results', `hooks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ options: o, commit: gitCommit(ROOT), node: process.version, loadavg: os.loadavg(), cpus: os.cpus().length, rows }, null, 2));
  log(`results: ${path.relative(ROOT, file)}`);
}

// A stopped run (Ctrl-C, kill PID) removes its temporary store too.
const dirs = new Set<string>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    process.exit(130);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
