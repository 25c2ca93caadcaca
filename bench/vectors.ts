/**
 * Vector search: Knowd's usearch index against hnswlib-node in the same run, and Knowd over HTTP.
 *
 *   npm run bench:vectors                       # 50 000 random and clustered 384-dim vectors
 *   npx tsx bench/vectors.ts --large            # also 500 000 (minutes, several GB)
 *   npx tsx bench/vectors.ts --size 10000 --no-http --ef 64,128
 *   npx tsx --expose-gc bench/vectors.ts --size 500000 --kinds clustered --ef 64,128
 *   npx tsx bench/vectors.ts --server src       # HTTP against src/ through tsx instead of dist/
 *
 * Per data set: build rate, memory, search p50/p95 (topK 10, one query at a time) and recall@10
 * against exact brute force, for each ef; then the same data upserted over HTTP in batches of 500
 * into a fresh `knowd --store mem`, and /v1/similar latencies on the client's clock.
 * Results: the console and bench/results/vectors-<timestamp>.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import hnswlib from 'hnswlib-node';
import { BruteForceIndex } from '../src/vector/index.js';
import { UsearchIndex } from '../src/vector/usearch/index.js';
import { MIB, errMsg, fmt, freePort, gitCommit, httpRequest, log, percentile, sleep, stopChild, table, track } from './lib/util.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  sizes: number[];
  dims: number;
  queries: number;
  recallQueries: number;
  efs: number[];
  http: boolean;
  server: 'dist' | 'src';
  m: number;
  efc: number;
  kinds: ('random' | 'clustered')[];
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { sizes: [50_000], dims: 384, queries: 1000, recallQueries: 200, efs: [64, 128, 256], http: true, server: 'dist', m: 16, efc: 200, kinds: ['random', 'clustered'] };
  for (let i = 0; i < argv.length; i++) {
    const next = (): string => argv[++i] ?? '';
    switch (argv[i]) {
      case '--size':
        a.sizes = next().split(',').map(Number);
        break;
      case '--large':
        a.sizes = [...new Set([...a.sizes, 500_000])];
        break;
      case '--dims':
        a.dims = Number(next());
        break;
      case '--queries':
        a.queries = Number(next());
        break;
      case '--recall-queries':
        a.recallQueries = Number(next());
        break;
      case '--ef':
        a.efs = next().split(',').map(Number);
        break;
      case '--kinds':
        a.kinds = next().split(',').map((k) => {
          if (k !== 'random' && k !== 'clustered') throw new Error(`--kinds: random and/or clustered, not ${k}`);
          return k;
        });
        break;
      case '--no-http':
        a.http = false;
        break;
      case '--server':
        a.server = next() === 'src' ? 'src' : 'dist';
        break;
      case '--help':
        process.stdout.write(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return a;
}

// ---- data ---------------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Uniform in the cube (the hard case for HNSW), or 100 Gaussian clusters (closer to real embeddings). */
function dataset(kind: 'random' | 'clustered', n: number, dims: number, seed: number): Float32Array[] {
  const r = rng(seed);
  if (kind === 'random') return Array.from({ length: n }, () => Float32Array.from({ length: dims }, () => r() * 2 - 1));
  const cr = rng(4242);
  const centers = Array.from({ length: 100 }, () => Float32Array.from({ length: dims }, () => cr() * 2 - 1));
  return Array.from({ length: n }, () => {
    const c = centers[Math.floor(r() * centers.length)]!;
    return Float32Array.from(c, (x) => x + 0.15 * gaussian(r));
  });
}

/** Exact top-10 by cosine for the recall queries (the oracle: the same as BruteForceIndex, faster on normalised copies). */
function exactTopK(data: readonly Float32Array[], queries: readonly Float32Array[], k: number): number[][] {
  const norm = (v: Float32Array): Float32Array => {
    const n = Math.hypot(...v);
    return Float32Array.from(v, (x) => x / n);
  };
  const nd = data.map(norm);
  return queries.map((q0) => {
    const q = norm(q0);
    const best: { key: number; s: number }[] = [];
    for (let i = 0; i < nd.length; i++) {
      const v = nd[i]!;
      let s = 0;
      for (let j = 0; j < v.length; j++) s += v[j]! * q[j]!;
      if (best.length === k && s <= best[k - 1]!.s) continue;
      let at = best.length;
      while (at > 0 && best[at - 1]!.s < s) at--;
      best.splice(at, 0, { key: i + 1, s });
      if (best.length > k) best.pop();
    }
    return best.map((b) => b.key);
  });
}

function recall(found: readonly (readonly number[])[], truth: readonly number[][]): number {
  let hit = 0;
  found.forEach((f, i) => {
    const t = new Set(truth[i]);
    hit += f.filter((k) => t.has(k)).length;
  });
  return hit / (truth.length * 10);
}

function rssMiB(): number {
  return process.memoryUsage().rss / MIB;
}

function settle(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

// ---- in-process -----------------------------------------------------------------------------------

interface Row {
  engine: string;
  dataset: string;
  size: number;
  buildSec: number;
  buildPerSec: number;
  memMiB: number;
  ef: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  recall10: number | null;
}

function timeQueries(queries: readonly Float32Array[], run: (q: Float32Array) => unknown): number[] {
  for (let i = 0; i < Math.min(50, queries.length); i++) run(queries[i]!); // warm-up
  return queries.map((q) => {
    const t0 = performance.now();
    run(q);
    return performance.now() - t0;
  });
}

function benchUsearch(args: Args, name: string, data: Float32Array[], queries: Float32Array[], rq: Float32Array[], truth: number[][]): Row[] {
  settle();
  const rss0 = rssMiB();
  const idx = new UsearchIndex({ dims: args.dims, metric: 'cos', quantization: 'f32', m: args.m, efConstruction: args.efc });
  const flat = new Float32Array(data.length * args.dims);
  data.forEach((v, i) => flat.set(v, i * args.dims));
  const t0 = performance.now();
  // A rebuild's path (addMany on every core); the apply path adds one at a time, measured over HTTP.
  idx.addMany(data.map((_, i) => i + 1), flat);
  const buildSec = (performance.now() - t0) / 1000;
  const mem = rssMiB() - rss0 - (flat.byteLength / MIB);
  const rows: Row[] = [];
  for (const ef of args.efs) {
    const lat = timeQueries(queries, (q) => idx.search(q, 10, ef));
    const found = rq.map((q) => idx.search(q, 10, ef).map((h) => h.key));
    rows.push({ engine: 'knowd usearch', dataset: name, size: data.length, buildSec, buildPerSec: data.length / buildSec, memMiB: mem, ef, p50Ms: percentile(lat, 50), p95Ms: percentile(lat, 95), recall10: recall(found, truth) });
  }
  return rows;
}

function benchHnswlib(args: Args, name: string, data: Float32Array[], queries: Float32Array[], rq: Float32Array[], truth: number[][]): Row[] {
  // hnswlib-node takes plain arrays: converted before the clock starts.
  const arrays = data.map((v) => Array.from(v));
  const qa = queries.map((v) => Array.from(v));
  const rqa = rq.map((v) => Array.from(v));
  settle();
  const rss0 = rssMiB();
  const idx = new hnswlib.HierarchicalNSW('cosine', args.dims);
  idx.initIndex(data.length, args.m, args.efc, 100);
  const t0 = performance.now();
  arrays.forEach((v, i) => idx.addPoint(v, i + 1));
  const buildSec = (performance.now() - t0) / 1000;
  const mem = rssMiB() - rss0;
  const rows: Row[] = [];
  for (const ef of args.efs) {
    idx.setEf(ef);
    for (let w = 0; w < 50; w++) idx.searchKnn(qa[w % qa.length]!, 10);
    const lat = qa.map((q) => {
      const t1 = performance.now();
      idx.searchKnn(q, 10);
      return performance.now() - t1;
    });
    const found = rqa.map((q) => idx.searchKnn(q, 10).neighbors);
    rows.push({ engine: 'hnswlib-node', dataset: name, size: data.length, buildSec, buildPerSec: data.length / buildSec, memMiB: mem, ef, p50Ms: percentile(lat, 50), p95Ms: percentile(lat, 95), recall10: recall(found, truth) });
  }
  return rows;
}

// ---- HTTP -----------------------------------------------------------------------------------------

async function benchHttp(args: Args, name: string, data: Float32Array[], queries: Float32Array[], rq: Float32Array[], truth: number[][]): Promise<Row[]> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(ROOT, '.tmp-bench-vec-'));
  const entry = args.server === 'dist' ? [path.join(ROOT, 'dist/src/cli/knowd.js')] : ['--import', 'tsx', path.join(ROOT, 'src/cli/knowd.ts')];
  const child = track(
    spawn(process.execPath, [...entry, '--store', 'mem', '--data-dir', dataDir, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn', '--vec-hnsw-m', String(args.m), '--vec-hnsw-efc', String(args.efc)], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { PATH: process.env['PATH'] ?? '' },
    }),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; ; i++) {
      const r = await httpRequest(agent, port, 'GET', '/readyz', undefined).catch(() => undefined);
      if (r?.status === 200) break;
      if (i > 300) throw new Error('knowd did not become ready');
      await sleep(100);
    }
    const json = { 'content-type': 'application/json' };
    const BATCH = 500;
    const t0 = performance.now();
    for (let i = 0; i < data.length; i += BATCH) {
      const items = data.slice(i, i + BATCH).map((v, j) => ({ id: String(i + j + 1), vector: Array.from(v) }));
      const r = await httpRequest(agent, port, 'POST', '/v1/vector/upsert', JSON.stringify({ items }), json);
      if (r.status !== 200) throw new Error(`upsert answered ${r.status}: ${r.body.slice(0, 200)}`);
    }
    const buildSec = (performance.now() - t0) / 1000;
    const rows: Row[] = [];
    for (const ef of args.efs) {
      const body = (q: Float32Array): string => JSON.stringify({ vector: Array.from(q), topK: 10, ef });
      for (let w = 0; w < 50; w++) await httpRequest(agent, port, 'POST', '/v1/similar', body(queries[w % queries.length]!), json);
      const lat: number[] = [];
      for (const q of queries) {
        const r = await httpRequest(agent, port, 'POST', '/v1/similar', body(q), json);
        if (r.status !== 200) throw new Error(`similar answered ${r.status}: ${r.body.slice(0, 200)}`);
        lat.push(r.ms);
      }
      const found: number[][] = [];
      for (const q of rq) {
        const r = await httpRequest(agent, port, 'POST', '/v1/similar', body(q), json);
        found.push((JSON.parse(r.body) as { items: { id: string }[] }).items.map((h) => Number(h.id)));
      }
      rows.push({ engine: 'knowd HTTP', dataset: name, size: data.length, buildSec, buildPerSec: data.length / buildSec, memMiB: NaN, ef, p50Ms: percentile(lat, 50), p95Ms: percentile(lat, 95), recall10: recall(found, truth) });
    }
    return rows;
  } finally {
    agent.destroy();
    await stopChild(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- main -----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.http && args.server === 'dist' && !fs.existsSync(path.join(ROOT, 'dist/src/vector/index.js'))) {
    throw new Error('dist/ has no vector module: run `npm run build` (or use --server src)');
  }
  const rows: Row[] = [];
  for (const size of args.sizes) {
    for (const kind of args.kinds) {
      log(`${kind} ${size} × ${args.dims}: generating`);
      const data = dataset(kind, size, args.dims, 1);
      const queries = dataset(kind, args.queries, args.dims, 2);
      const rq = queries.slice(0, args.recallQueries);
      log('exact top-10 (brute force)');
      const truth = exactTopK(data, rq, 10);
      // A spot check that the oracle agrees with the test oracle (BruteForceIndex).
      const bf = new BruteForceIndex({ dims: args.dims, metric: 'cos', quantization: 'f32', m: 16, efConstruction: 1 });
      data.slice(0, 2000).forEach((v, i) => bf.add(i + 1, v));
      if (JSON.stringify(bf.search(rq[0]!, 10).map((h) => h.key)) !== JSON.stringify(exactTopK(data.slice(0, 2000), [rq[0]!], 10)[0])) throw new Error('the two exact searches disagree');
      log('knowd usearch');
      rows.push(...benchUsearch(args, kind, data, queries, rq, truth));
      log('hnswlib-node');
      rows.push(...benchHnswlib(args, kind, data, queries, rq, truth));
      if (args.http && size <= 50_000) {
        log('knowd over HTTP');
        try {
          rows.push(...(await benchHttp(args, kind, data, queries, rq, truth)));
        } catch (e) {
          log(`HTTP failed: ${errMsg(e)}`);
        }
      }
    }
  }
  const out = table(
    ['engine', 'data', 'n', 'build s', 'vec/s', 'mem MiB', 'ef', 'p50 ms', 'p95 ms', 'recall@10'],
    rows.map((r) => [r.engine, r.dataset, String(r.size), fmt(r.buildSec, 1), fmt(r.buildPerSec, 0), Number.isNaN(r.memMiB) ? '-' : fmt(r.memMiB, 0), String(r.ef), fmt(r.p50Ms, 3), fmt(r.p95Ms, 3), fmt(r.recall10, 3)]),
    [false, false, true, true, true, true, true, true, true, true],
  );
  process.stdout.write(`${out}\n`);
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', `vectors-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ args, commit: gitCommit(ROOT), node: process.version, loadavg: (await import('node:os')).loadavg(), rows }, null, 2));
  log(`results: ${path.relative(ROOT, file)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${errMsg(e)}\n`);
  process.exit(1);
});
