/**
 * The derived index and its source of truth: a restart loads the saved index when it reflects the
 * store's version (identical answers), and rebuilds it when a crash fell between a commit and the
 * save, when the file is missing, or after a snapshot restore (engine.resetCaches).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { systemClock } from '../../../src/base/index.js';
import { VectorService } from '../../../src/engine/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { openLmdbStorage } from '../../../src/storage/lmdb/index.js';
import { BruteForceIndex, VectorIndexes, hashingEmbedder, scanVectors, type OpenReport } from '../../../src/vector/index.js';
import { usearchBackend } from '../../../src/vector/usearch/index.js';

const signer = createEd25519Signer(generateSigningKeyPem());

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

interface Node {
  readonly service: VectorService;
  readonly indexes: VectorIndexes;
  readonly report: OpenReport;
  readonly engine: Awaited<ReturnType<typeof openStandalone>>['engine'];
  stop(opts?: { save?: boolean }): Promise<void>;
}

async function open(dir: string, opts: ConstructorParameters<typeof VectorIndexes>[3] = {}): Promise<Node> {
  const storage = openLmdbStorage({ path: path.join(dir, 'db'), mapSizeBytes: 0 });
  const indexes = new VectorIndexes(storage, usearchBackend(path.join(dir, 'vectors')), undefined, opts);
  const report = indexes.open();
  const { engine, node } = await openStandalone({ storage, signer, clock: systemClock, maxTxQuads: 1000, vectors: indexes });
  await engine.ensureNamespace('default');
  const service = new VectorService({ engine, indexes, embedder: hashingEmbedder(), clock: systemClock, topKDefault: 5, m: 16, efConstruction: 200, filterTimeoutMs: 5000 });
  return {
    service,
    indexes,
    report,
    engine,
    async stop({ save = true } = {}) {
      await engine.drain();
      await node.stop();
      if (save) indexes.saveChanged();
      await storage.close();
    },
  };
}

function tmp(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-vecp-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const DIMS = 24;
function items(from: number, n: number, seed: number): { id: string; vector: number[] }[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({ id: `item-${from + i}`, vector: Array.from({ length: DIMS }, () => r() - 0.5) }));
}
const queries = items(0, 20, 99).map((q) => ({ kind: 'vector' as const, values: q.vector }));

async function answers(n: Node): Promise<unknown[]> {
  return Promise.all(queries.map((target) => n.service.similar('default', { target, topK: 10 })));
}

/** Exact answers computed from the store's vectors, for comparison with a rebuilt index. */
function oracle(n: Node): string[][] {
  const exact = new BruteForceIndex({ dims: DIMS, metric: 'cos', quantization: 'f32', m: 16, efConstruction: 200 });
  const ids = new Map<number, string>();
  n.engine.read((r) => {
    for (const v of scanVectors(r, n.engine.namespace('default').id)) {
      exact.add(v.key, v.vector);
      ids.set(v.key, v.id);
    }
  });
  return queries.map((q) => exact.search(Float32Array.from(q.values), 10).map((h) => ids.get(h.key)!));
}

/**
 * HNSW is approximate, and usearch inserts a batch on every core, so a rebuilt graph (unlike a loaded
 * one) may differ a little from run to run: rebuilt indexes are held to the exact answers by recall.
 */
const MIN_RECALL = 0.95;
function recall(got: readonly { id: string }[][], exact: readonly string[][]): number {
  const found = got.reduce((sum, hits, i) => sum + hits.filter((h) => exact[i]!.includes(h.id)).length, 0);
  return found / exact.reduce((sum, e) => sum + e.length, 0);
}

test('a clean restart loads the saved index and answers identically', async (t) => {
  const dir = tmp(t);
  let n = await open(dir);
  await n.service.upsert('default', items(0, 300, 1), 'test');
  await n.service.remove('default', ['item-5', 'item-6'], 'test');
  await n.service.upsert('default', items(10, 5, 2), 'test'); // replaces 10..14
  const before = await answers(n);
  await n.stop();
  n = await open(dir);
  t.teardown(() => n.stop());
  t.deepEqual(n.report.loaded, ['default']);
  t.deepEqual(n.report.rebuilt, []);
  t.deepEqual(await answers(n), before);
  t.is(n.indexes.get(n.engine.namespace('default').id)!.size, 298);
});

test('a crash between the commit and the save: the stale index is rebuilt from the store', async (t) => {
  const dir = tmp(t);
  let n = await open(dir);
  await n.service.upsert('default', items(0, 200, 3), 'test');
  n.indexes.saveChanged(); // a periodic save
  await n.service.upsert('default', items(200, 50, 4), 'test'); // committed, never saved
  await n.service.remove('default', ['item-0'], 'test');
  await n.stop({ save: false }); // the crash
  n = await open(dir);
  t.teardown(() => n.stop());
  t.deepEqual(n.report.loaded, []);
  t.is(n.report.rebuilt.length, 1);
  t.regex(n.report.rebuilt[0]!.reason, /reflects version \d+, the store \d+/);
  const got = (await answers(n)) as { id: string }[][];
  const r = recall(got, oracle(n));
  t.true(r >= MIN_RECALL, `recall@10 ${r}`);
  t.is(n.indexes.get(n.engine.namespace('default').id)!.size, 249);
  t.false(got.flat().some((h) => h.id === 'item-0'));
});

test('a missing index file is rebuilt; so is every index after a snapshot restore (resetCaches)', async (t) => {
  const dir = tmp(t);
  let n = await open(dir);
  await n.service.upsert('default', items(0, 100, 5), 'test');
  await n.stop();
  fs.rmSync(path.join(dir, 'vectors', 'default.usearch'));
  n = await open(dir);
  t.teardown(() => n.stop());
  t.deepEqual(n.report.rebuilt.map((r) => r.ns), ['default']);
  const expected = oracle(n);
  const first = recall((await answers(n)) as { id: string }[][], expected);
  t.true(first >= MIN_RECALL, `recall@10 ${first}`);
  n.engine.resetCaches();
  const again = recall((await answers(n)) as { id: string }[][], expected);
  t.true(again >= MIN_RECALL, `recall@10 after resetCaches ${again}`);
  t.is(n.indexes.get(n.engine.namespace('default').id)!.size, 100);
});

test('a large stale index is rebuilt in the background: the node keeps serving (exact answers from the store), changes committed meanwhile land, and the result equals the store', async (t) => {
  const dir = tmp(t);
  let n = await open(dir);
  await n.service.upsert('default', items(0, 1500, 7), 'test');
  await n.stop({ save: false }); // no saved index: a rebuild at the next start
  let rebuilt: number | undefined;
  // Above 500 vectors in the background, in chunks (256 first, then sized to ~50 ms), run by hand here.
  const steps: (() => void)[] = [];
  n = await open(dir, { backgroundRebuildMin: 500, onRebuilt: (_ns, size) => (rebuilt = size), schedule: (f) => steps.push(f) });
  t.teardown(() => n.stop());
  const nsId = n.engine.namespace('default').id;
  t.regex(n.report.rebuilt[0]!.reason, /rebuilt in the background/);
  t.true(n.indexes.get(nsId)!.building, 'open() returned before the index was built');
  // While it builds: searches are exact (from the store), and writes commit.
  const during = (await answers(n)) as { id: string }[][];
  t.deepEqual(during.map((hits) => hits.map((h) => h.id)), oracle(n));
  await n.service.remove('default', ['item-1', 'item-1400'], 'test');
  await n.service.upsert('default', items(1500, 10, 8), 'test'); // new ids
  steps.shift()!(); // one chunk in: changes still wait
  await n.service.upsert('default', items(20, 3, 9), 'test'); // replaced vectors
  t.true(n.indexes.get(nsId)!.building);
  for (let i = 0; steps.length > 0; i++) {
    t.true(i < 200, "the rebuild ends");
    steps.shift()!();
  }
  t.is(rebuilt, 1508);
  t.false(n.indexes.get(nsId)!.building);
  t.is(n.indexes.get(nsId)!.size, 1508);
  const got = (await answers(n)) as { id: string }[][];
  const r = recall(got, oracle(n));
  t.true(r >= MIN_RECALL, `recall@10 ${r}`);
  t.false(got.flat().some((h) => h.id === 'item-1' || h.id === 'item-1400'));
  // Saved once built: the next start loads it.
  await n.stop();
  n = await open(dir, { backgroundRebuildMin: 500 });
  t.deepEqual(n.report.loaded, ['default']);
});
