// LUBM query benchmark (issue 3): the 14 standard LUBM queries and their 14 expanded versions, at LUBM(1)
// and LUBM(10), on Knowd's SPARQL endpoint and on four peers, side by side in one run. See bench/README.md.
//
//   npx tsx bench/lubm-queries.ts [--sizes lubm1,lubm10] [--engines knowd,oxigraph-http,...] [--queries q08x,...]
//
// Every engine runs in its own child process (one at a time, so they do not compete for the 2 cores), loads
// the dataset, and answers every query: 1 warm-up, then up to --runs timed runs. Row counts are checked
// against expected-counts.tsv. A query that times out (or crashes the engine, or goes over the memory cap)
// counts as missing, and the engine process is restarted for the next query (skipped for the rest of the
// dataset after --max-restarts restarts). All traffic is on 127.0.0.1; every child is stopped by its PID.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ENGINES, ENGINE_NAMES, engineHandle, KNOWD_ENGINES, KNOWD_JS, ROOT, type EngineName, type Outcome, type Session, type StartInfo, type StopInfo } from './lubm/engines.js';
import { loadQueries, selectQueries, type LubmQuery } from './lubm/queries.js';
import { errMsg, fmt, fmtMs, geomean, gitCommit, killAllNow, liveChildren, log, median, MIB, newestMtime, percentile, removeTmpDir, stopChild, table, tmpDirs } from './lib/util.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Distinct triple counts from /work/shared/bench-data/lubm/README.md: every load is checked against them. */
const EXPECTED_TRIPLES: Record<string, number> = { lubm1: 100_543, lubm10: 1_272_575 };

// ---------------------------------------------------------------------------------------------------
// Options

interface Options {
  sizes: string[];
  engines: EngineName[];
  queries: string | undefined;
  runs: number;
  timeoutSec: number;
  budgetSec: number;
  maxRestarts: number;
  maxHeapMiB: number;
  maxRssMiB: number;
  loadTimeoutSec: number;
  dataDir: string;
  tmpDir: string;
  build: boolean;
  out: string | undefined;
}

const USAGE = `Usage: npx tsx bench/lubm-queries.ts [options]     (npm run bench:queries -- [options] builds first)
  --sizes LIST          datasets, comma-separated (default lubm1,lubm10; 1,10 works too); FILE = <data-dir>/<name>.nt.gz
  --engines LIST        subset of ${ENGINE_NAMES.join(',')}
                        (default ${DEFAULT_ENGINES.join(',')}; quadstore-mem only on request)
  --queries LIST        query ids (q01…q14 standard, q01x…q14x expanded; q8x = q08x), or standard, expanded, all (default all)
  --runs N              timed runs per query after 1 warm-up (default 5)
  --timeout S           per-execution timeout in seconds (default 30); a timed-out query counts as missing
                        and the engine process is restarted
  --budget S            stop a query's timed runs early once they would go past S seconds (default 20; at least 1 run)
  --max-restarts N      restarts of an engine per dataset before its remaining queries are skipped (default 3)
  --max-heap-mib N      --max-old-space-size of the Node engine processes, not Knowd's (default 6144)
  --max-rss-mib N       kill any engine process (Knowd too) whose anonymous RSS goes above N MiB (default 12288; 0 = off)
  --load-timeout S      data load timeout per engine start (default 900)
  --data-dir DIR        LUBM files, queries and expected counts (default /work/shared/bench-data/lubm)
  --tmp-dir DIR         parent of Knowd's and quadstore's temporary data directories (default the OS temp dir)
  --build               run \`npm run build\` first (done anyway when dist/ is missing and knowd is selected)
  --out FILE            results JSON (default bench/results/queries-<timestamp>.json)`;

function parseOptions(argv: string[]): Options {
  const o: Options = {
    sizes: ['lubm1', 'lubm10'],
    engines: [...DEFAULT_ENGINES],
    queries: undefined,
    runs: 5,
    timeoutSec: 30,
    budgetSec: 20,
    maxRestarts: 3,
    maxHeapMiB: 6144,
    maxRssMiB: 12288,
    loadTimeoutSec: 900,
    dataDir: '/work/shared/bench-data/lubm',
    tmpDir: os.tmpdir(),
    build: false,
    out: undefined,
  };
  const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const num = (flag: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`${flag} needs a number >= ${min}, got "${v}"`);
    return n;
  };
  const int = (flag: string, v: string, min: number): number => {
    const n = num(flag, v, min);
    if (!Number.isInteger(n)) throw new Error(`${flag} needs an integer, got "${v}"`);
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
        o.sizes = list(value).map((s) => (/^\d+$/.test(s) ? `lubm${s}` : s));
        break;
      case '--engines': {
        const bad = list(value).filter((x) => !(ENGINE_NAMES as readonly string[]).includes(x));
        if (bad.length > 0) throw new Error(`--engines: unknown ${bad.join(', ')} (known: ${ENGINE_NAMES.join(', ')})`);
        // Keep the canonical order (HTTP engines first) whatever the order given.
        o.engines = ENGINE_NAMES.filter((e) => list(value).includes(e));
        break;
      }
      case '--queries':
        o.queries = value;
        break;
      case '--runs':
        o.runs = int(name, value, 1);
        break;
      case '--timeout':
        o.timeoutSec = num(name, value, 0.1);
        break;
      case '--budget':
        o.budgetSec = num(name, value, 0);
        break;
      case '--max-restarts':
        o.maxRestarts = int(name, value, 0);
        break;
      case '--max-heap-mib':
        o.maxHeapMiB = int(name, value, 64);
        break;
      case '--max-rss-mib':
        o.maxRssMiB = int(name, value, 0);
        break;
      case '--load-timeout':
        o.loadTimeoutSec = num(name, value, 1);
        break;
      case '--data-dir':
        o.dataDir = value;
        break;
      case '--tmp-dir':
        o.tmpDir = value;
        break;
      case '--out':
        o.out = value;
        break;
      default:
        throw new Error(`Unknown option ${name}\n${USAGE}`);
    }
  }
  if (o.engines.length === 0) throw new Error('--engines: nothing selected');
  return o;
}

// ---------------------------------------------------------------------------------------------------
// Measurement

type Status = 'ok' | 'mismatch' | 'unchecked' | 'n/a' | 'error' | 'timeout' | 'crash' | 'oom' | 'skipped';
/** Statuses whose times count: the query finished (`mismatch` finished too, but with a wrong answer). */
const FINISHED: ReadonlySet<Status> = new Set(['ok', 'mismatch', 'unchecked']);

interface QueryResult {
  dataset: string;
  engine: EngineName;
  query: string;
  status: Status;
  expectedRows: number | null;
  /** Rows of every execution, warm-up first. */
  rows: number[];
  warmupMs: number | null;
  runsMs: number[];
  medianMs: number | null;
  p95Ms: number | null;
  message?: string;
}

interface EngineRun {
  dataset: string;
  engine: EngineName;
  starts: (StartInfo & { stop?: StopInfo })[];
  startError?: string;
  restarts: number;
  skippedFrom?: string;
  queries: QueryResult[];
  wallMs: number;
  loadavg1AtStart: number;
}

function statusOf(o: Outcome): Status {
  return o.kind === 'ok' ? 'ok' : o.kind;
}

/** 1 warm-up, then up to opts.runs timed runs (fewer when they would go past --budget). */
async function measureQuery(session: Session, q: LubmQuery, dataset: string, opts: Options): Promise<{ result: QueryResult; processLost: boolean }> {
  const expected = q.expected[dataset] ?? null;
  const result: QueryResult = { dataset, engine: session.engine, query: q.id, status: 'ok', expectedRows: expected, rows: [], warmupMs: null, runsMs: [], medianMs: null, p95Ms: null };
  const timeoutMs = opts.timeoutSec * 1000;
  const fail = (o: Exclude<Outcome, { kind: 'ok' }>, during: string): { result: QueryResult; processLost: boolean } => {
    result.status = statusOf(o);
    result.message = `${during}: ${o.message}`;
    result.runsMs = [];
    return { result, processLost: o.kind === 'timeout' || o.kind === 'crash' || o.kind === 'oom' };
  };
  const warm = await session.run(q.text, timeoutMs);
  if (warm.kind !== 'ok') return fail(warm, 'warm-up');
  result.warmupMs = warm.ms;
  result.rows.push(warm.rows);
  let spent = 0;
  for (let i = 0; i < opts.runs; i++) {
    const last = result.runsMs[result.runsMs.length - 1] ?? warm.ms;
    if (i >= 1 && spent + last > opts.budgetSec * 1000) break;
    const o = await session.run(q.text, timeoutMs);
    if (o.kind !== 'ok') return fail(o, `run ${i + 1}`);
    result.runsMs.push(o.ms);
    result.rows.push(o.rows);
    spent += o.ms;
  }
  result.medianMs = median(result.runsMs);
  result.p95Ms = percentile(result.runsMs, 95);
  const distinct = [...new Set(result.rows)];
  if (expected === null) result.status = 'unchecked';
  else if (distinct.length !== 1 || distinct[0] !== expected) {
    result.status = 'mismatch';
    result.message = `rows ${distinct.join('/')} != expected ${expected}`;
  }
  return { result, processLost: false };
}

function describe(r: QueryResult): string {
  if (FINISHED.has(r.status)) {
    const rows = r.rows[0] ?? 0;
    const check = r.status === 'ok' ? '✓' : r.status === 'mismatch' ? `✗ MISMATCH (expected ${r.expectedRows})` : '(no expected count)';
    return `${fmtMs(r.medianMs)} ms median of ${r.runsMs.length} (p95 ${fmtMs(r.p95Ms)}, warm-up ${fmtMs(r.warmupMs)}), ${rows} rows ${check}`;
  }
  return `${r.status.toUpperCase()}: ${r.message ?? ''}`;
}

async function runEngine(engine: EngineName, dataset: string, file: string, queries: LubmQuery[], opts: Options): Promise<EngineRun> {
  const t0 = performance.now();
  const run: EngineRun = { dataset, engine, starts: [], restarts: 0, queries: [], wallMs: 0, loadavg1AtStart: os.loadavg()[0]! };
  let handle;
  let session: Session | undefined;
  try {
    handle = engineHandle(engine, {
      dataset,
      file,
      expectedTriples: EXPECTED_TRIPLES[dataset],
      tmpDir: opts.tmpDir,
      maxHeapMiB: opts.maxHeapMiB,
      maxRssMiB: opts.maxRssMiB,
      loadTimeoutMs: opts.loadTimeoutSec * 1000,
    });
    const start = async (): Promise<Session> => {
      const s = await handle!.start();
      run.starts.push({ ...s.info });
      const i = s.info;
      if (i.notAvailable !== undefined) log(`  ${engine} ${dataset}: n/a — ${i.notAvailable}`);
      else
        log(
          `  ${engine} ${dataset}: ${i.reusedData ? 'reopened its data' : `loaded ${i.triples?.toLocaleString('en-US') ?? '?'} triples in ${fmt(i.loadMs === null ? null : i.loadMs / 1000, 1)} s`}, RSS ${fmt(i.rssAfterLoadBytes === null ? null : i.rssAfterLoadBytes / MIB, 0)} MiB (pid ${i.pid}; ${i.version})`,
        );
      const expected = EXPECTED_TRIPLES[dataset];
      if (i.notAvailable === undefined && expected !== undefined && i.triples !== expected) log(`  WARNING: ${engine} ${dataset} holds ${i.triples} triples, expected ${expected}`);
      return s;
    };
    const stop = async (kill: boolean): Promise<void> => {
      if (session === undefined) return;
      const info = await session.stop(kill);
      const last = run.starts[run.starts.length - 1];
      if (last !== undefined) last.stop = info;
      session = undefined;
    };
    try {
      session = await start();
    } catch (e) {
      run.startError = errMsg(e);
      log(`  ${engine} ${dataset}: could not start: ${run.startError}`);
    }
    for (const [qi, q] of queries.entries()) {
      if (session === undefined) {
        const why = run.startError ?? run.skippedFrom ?? 'engine not running';
        run.queries.push({ dataset, engine, query: q.id, status: run.startError !== undefined && run.starts.length === 0 ? 'error' : 'skipped', expectedRows: q.expected[dataset] ?? null, rows: [], warmupMs: null, runsMs: [], medianMs: null, p95Ms: null, message: why });
        continue;
      }
      const { result, processLost } = await measureQuery(session, q, dataset, opts);
      run.queries.push(result);
      if (session.info.notAvailable === undefined) log(`  ${engine} ${dataset} ${q.id}: ${describe(result)}`);
      if (processLost) {
        await stop(true);
        if (qi === queries.length - 1) break; // nothing left to run
        if (run.restarts >= opts.maxRestarts) {
          run.skippedFrom = `skipped after ${run.restarts} restart(s) (--max-restarts ${opts.maxRestarts}); last: ${q.id} ${result.status}`;
          log(`  ${engine} ${dataset}: ${run.skippedFrom}`);
          continue;
        }
        run.restarts++;
        log(`  ${engine} ${dataset}: restarting (${run.restarts}/${opts.maxRestarts})`);
        try {
          session = await start();
        } catch (e) {
          run.skippedFrom = `restart failed: ${errMsg(e)}`;
          log(`  ${engine} ${dataset}: ${run.skippedFrom}`);
        }
      }
    }
    await stop(false);
  } finally {
    if (session !== undefined) await session.stop(true).catch(() => undefined);
    handle?.dispose();
    run.wallMs = performance.now() - t0;
  }
  return run;
}

// ---------------------------------------------------------------------------------------------------
// Reporting

interface EngineSummary {
  dataset: string;
  engine: EngineName;
  finished: number;
  ok: number;
  mismatches: number;
  missing: number;
  notAvailable: number;
  total: number;
  /** Geometric mean of the medians over the queries every participating engine finished with the right count. */
  geomeanMs: number | null;
  geomeanVsOxigraph: number | null;
  /** Data load (first start), seconds. */
  loadSec: number | null;
  rssAfterLoadMiB: number | null;
  /** Highest VmHWM of all this engine's processes on this dataset (the timed-out queries' blow-ups included). */
  peakRssMiB: number | null;
  /** In-process engines: the highest VmHWM after the load (the query phase alone; see StartInfo.loadPeakRssBytes). */
  queryPeakRssMiB: number | null;
  restarts: number;
  wallSec: number;
  version: string | null;
  note?: string;
}

interface DatasetSummary {
  dataset: string;
  /** Engines that finished at least one query on this dataset: the set the common geomean is taken over. */
  participating: EngineName[];
  /** Queries every participating engine finished with the expected row count. */
  commonQueries: string[];
  engines: EngineSummary[];
}

function summarize(runs: EngineRun[], dataset: string, engines: EngineName[], queryIds: string[]): DatasetSummary {
  const mine = runs.filter((r) => r.dataset === dataset);
  const byEngine = new Map(mine.map((r) => [r.engine, r]));
  const result = (e: EngineName, q: string): QueryResult | undefined => byEngine.get(e)?.queries.find((x) => x.query === q);
  const participating = engines.filter((e) => byEngine.get(e)?.queries.some((q) => FINISHED.has(q.status)) === true);
  const good = (s: Status | undefined): boolean => s === 'ok' || s === 'unchecked';
  const commonQueries = participating.length === 0 ? [] : queryIds.filter((q) => participating.every((e) => good(result(e, q)?.status)));
  const gm = (e: EngineName): number | null => (participating.includes(e) ? geomean(commonQueries.map((q) => result(e, q)!.medianMs!)) : null);
  const oxGm = gm('oxigraph');
  const summaries: EngineSummary[] = engines.flatMap((e) => {
    const r = byEngine.get(e);
    if (r === undefined) return [];
    const qs = r.queries;
    const first = r.starts[0];
    const queryPeaks = r.starts.flatMap((s) => (s.stop?.peakRssBytes == null || s.loadPeakRssBytes === undefined ? [] : [s.stop.peakRssBytes]));
    // Where the worker reset the high-water mark after its load, the load's peak is added back.
    const peaks = [...r.starts.flatMap((s) => (s.stop?.peakRssBytes == null ? [] : [s.stop.peakRssBytes])), ...r.starts.flatMap((s) => (s.loadPeakRssBytes == null ? [] : [s.loadPeakRssBytes]))];
    const g = gm(e);
    const note = first?.notAvailable ?? r.startError ?? r.skippedFrom;
    return [
      {
        dataset,
        engine: e,
        finished: qs.filter((q) => FINISHED.has(q.status)).length,
        ok: qs.filter((q) => q.status === 'ok').length,
        mismatches: qs.filter((q) => q.status === 'mismatch').length,
        missing: qs.filter((q) => ['timeout', 'crash', 'oom', 'error', 'skipped'].includes(q.status)).length,
        notAvailable: qs.filter((q) => q.status === 'n/a').length,
        total: qs.length,
        geomeanMs: g,
        geomeanVsOxigraph: g !== null && oxGm !== null ? g / oxGm : null,
        loadSec: first?.loadMs == null ? null : first.loadMs / 1000,
        // Knowd without /sparql loads nothing: its idle server's RSS would only confuse the table.
        rssAfterLoadMiB: first?.rssAfterLoadBytes == null || first.notAvailable !== undefined ? null : first.rssAfterLoadBytes / MIB,
        peakRssMiB: peaks.length === 0 || first?.notAvailable !== undefined ? null : Math.max(...peaks) / MIB,
        queryPeakRssMiB: queryPeaks.length === 0 ? null : Math.max(...queryPeaks) / MIB,
        restarts: r.restarts,
        wallSec: r.wallMs / 1000,
        version: first?.version ?? null,
        ...(note !== undefined && { note }),
      },
    ];
  });
  return { dataset, participating, commonQueries, engines: summaries };
}

function cell(r: QueryResult | undefined, field: 'medianMs' | 'p95Ms'): string {
  if (r === undefined) return '';
  switch (r.status) {
    case 'ok':
      return fmtMs(r[field]);
    case 'unchecked':
      return `${fmtMs(r[field])} ?`;
    case 'mismatch':
      return `${fmtMs(r[field])} ✗${r.rows[0] ?? ''}`;
    default:
      return r.status;
  }
}

function report(runs: EngineRun[], summaries: DatasetSummary[], queries: LubmQuery[], opts: Options): string[] {
  const out: string[] = [];
  for (const ds of summaries) {
    const engines = ds.engines.map((e) => e.engine);
    if (engines.length === 0) continue;
    const result = (e: EngineName, q: string): QueryResult | undefined => runs.find((r) => r.dataset === ds.dataset && r.engine === e)?.queries.find((x) => x.query === q);
    const triples = EXPECTED_TRIPLES[ds.dataset];
    const head = ['query', 'rows', ...engines];
    const right = head.map((_, i) => i > 0);
    for (const field of ['medianMs', 'p95Ms'] as const) {
      out.push(
        '',
        field === 'medianMs'
          ? `${ds.dataset}${triples === undefined ? '' : ` (${triples.toLocaleString('en-US')} triples)`}: median ms of up to ${opts.runs} runs after 1 warm-up. ✗N = wrong row count N; ? = no expected count; n/a = endpoint missing; timeout/oom/crash/error/skipped = missing`
          : `${ds.dataset}: p95 ms (nearest rank: with up to ${opts.runs} runs, the slowest run)`,
      );
      const rows = queries.map((q) => [q.id, q.expected[ds.dataset]?.toLocaleString('en-US') ?? '?', ...engines.map((e) => cell(result(e, q.id), field))]);
      if (field === 'medianMs') {
        const s = (f: (e: EngineSummary) => string): string[] => ds.engines.map(f);
        rows.push(
          [],
          [`geomean ms (${ds.commonQueries.length} common)`, '', ...s((e) => fmtMs(e.geomeanMs))],
          ...(engines.includes('oxigraph') ? [['geomean ×oxigraph', '', ...s((e) => fmt(e.geomeanVsOxigraph, 2))]] : []),
          ['count ok / finished / all', '', ...s((e) => `${e.ok}/${e.finished}/${e.total}`)],
          ['load s', '', ...s((e) => fmt(e.loadSec, 1))],
          ['RSS after load MiB', '', ...s((e) => fmt(e.rssAfterLoadMiB, 0))],
          ['peak RSS MiB', '', ...s((e) => fmt(e.peakRssMiB, 0))],
          ['peak RSS after load MiB', '', ...s((e) => fmt(e.queryPeakRssMiB, 0))],
          ['restarts', '', ...s((e) => String(e.restarts))],
          ['engine wall s', '', ...s((e) => fmt(e.wallSec, 0))],
        );
      }
      out.push(table(head, rows, right));
    }
    const missing = ds.engines.filter((e) => !ds.participating.includes(e.engine));
    out.push(
      `common queries (finished with the right count by ${ds.participating.join(', ') || 'no engine'}): ${ds.commonQueries.join(' ') || 'none'}` +
        (missing.length > 0 ? `\n  not in the geomean (no query finished): ${missing.map((e) => `${e.engine}${e.note !== undefined ? ` — ${e.note.slice(0, 200)}` : ''}`).join('; ')}` : ''),
    );
  }
  const all = runs.flatMap((r) => r.queries);
  const mism = all.filter((q) => q.status === 'mismatch');
  if (mism.length > 0) {
    out.push('', '!!!!!!!! ROW COUNT MISMATCHES !!!!!!!!');
    for (const q of mism) out.push(`  !!! ${q.dataset} ${q.engine} ${q.query}: got ${[...new Set(q.rows)].join('/')} rows, expected ${q.expectedRows}`);
  }
  const bad = all.filter((q) => ['timeout', 'crash', 'oom', 'error'].includes(q.status));
  if (bad.length > 0) {
    out.push('', 'Missing (counted as not finished):');
    for (const q of bad) out.push(`  ${q.dataset} ${q.engine} ${q.query}: ${q.status} — ${(q.message ?? '').slice(0, 300)}`);
  }
  const skipped = runs.filter((r) => r.skippedFrom !== undefined || (r.startError !== undefined && r.starts.length === 0));
  for (const r of skipped) out.push(`  ${r.dataset} ${r.engine}: ${r.queries.filter((q) => q.status === 'skipped' || q.status === 'error').length} queries not run — ${(r.startError ?? r.skippedFrom ?? '').slice(0, 400)}`);
  const na = runs.filter((r) => r.queries.some((q) => q.status === 'n/a'));
  for (const r of na) {
    const msgs = [...new Set(r.queries.filter((q) => q.status === 'n/a').map((q) => q.message ?? ''))];
    out.push(`  ${r.dataset} ${r.engine}: n/a for ${r.queries.filter((q) => q.status === 'n/a').length} queries — ${msgs.join(' / ').slice(0, 300)}`);
  }
  const logs = new Map<string, number>();
  for (const l of runs.flatMap((r) => r.starts.flatMap((s) => (s.stop?.log ?? []).map((x) => `${r.dataset} ${r.engine}: ${x.slice(0, 300)}`)))) logs.set(l, (logs.get(l) ?? 0) + 1);
  if (logs.size > 0) out.push('', 'Knowd log lines (warn and above):', ...[...logs].slice(0, 20).map(([l, n]) => `  ${n > 1 ? `${n}× ` : ''}${l}`));
  return out;
}


// ---------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = performance.now();

  if (opts.engines.some((e) => KNOWD_ENGINES.includes(e))) {
    if (opts.build || !fs.existsSync(KNOWD_JS)) {
      log('building (npm run build)…');
      const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
      if (b.status !== 0) throw new Error('npm run build failed');
    } else if (newestMtime(path.join(ROOT, 'src')) > fs.statSync(KNOWD_JS).mtimeMs) {
      log('warning: src/ has .ts files newer than dist/: knowd numbers are for the last build (use --build or npm run bench:queries)');
    }
  }
  const queries = selectQueries(loadQueries(opts.dataDir), opts.queries);
  if (queries.length === 0) throw new Error(`no queries found in ${opts.dataDir}`);
  const files: Record<string, string> = {};
  for (const s of opts.sizes) {
    const f = path.join(opts.dataDir, `${s}.nt.gz`);
    if (!fs.existsSync(f)) throw new Error(`No data file ${f}`);
    files[s] = f;
  }
  log(`${opts.sizes.join(', ')} × ${opts.engines.join(', ')} × ${queries.length} queries; ${opts.runs} runs after 1 warm-up, timeout ${opts.timeoutSec} s`);

  const runs: EngineRun[] = [];
  const outFile = opts.out ?? path.join(BENCH_DIR, 'results', `queries-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const results = (): Record<string, unknown> => ({
    startedAt: startedAt.toISOString(),
    totalSeconds: (performance.now() - t0) / 1000,
    options: opts,
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memTotalMiB: Math.round(os.totalmem() / MIB),
      gitCommit: gitCommit(ROOT),
      distBuiltAt: fs.existsSync(KNOWD_JS) ? new Date(fs.statSync(KNOWD_JS).mtimeMs).toISOString() : null,
    },
    queries: queries.map((q) => ({ id: q.id, set: q.set, file: q.file, expected: q.expected, ...(q.note !== undefined && { note: q.note }) })),
    summary: opts.sizes.map((d) =>
      summarize(
        runs,
        d,
        opts.engines,
        queries.map((q) => q.id),
      ),
    ),
    runs,
  });
  const save = (): void => {
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, `${JSON.stringify(results(), null, 2)}\n`);
  };

  for (const dataset of opts.sizes) {
    for (const engine of opts.engines) {
      log(`${dataset} / ${engine}`);
      runs.push(await runEngine(engine, dataset, files[dataset]!, queries, opts));
      save(); // partial results survive a crash or Ctrl-C of a long run
    }
  }

  const res = results();
  const summaries = res['summary'] as DatasetSummary[];
  const out = report(runs, summaries, queries, opts);
  const versions = [...new Map(runs.flatMap((r) => (r.starts[0] === undefined ? [] : [[r.engine, r.starts[0].version] as const]))).entries()].map(([e, v]) => `${e}: ${v}`);
  out.push('', `versions: ${versions.join('; ')}`);
  out.push(`total ${((performance.now() - t0) / 1000).toFixed(0)} s; load average (1 min) at the start of each engine: ${runs.map((r) => r.loadavg1AtStart.toFixed(2)).join(' ')}`);
  save();
  out.push(`results: ${path.relative(process.cwd(), outFile)}`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (runs.some((r) => r.queries.some((q) => q.status === 'mismatch'))) process.exitCode = 1;
}

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
  log(`error: ${errMsg(e)}`);
  process.exitCode = 1;
} finally {
  for (const c of liveChildren()) await stopChild(c, 5_000);
  for (const d of [...tmpDirs]) removeTmpDir(d);
}
