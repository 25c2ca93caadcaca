/**
 * The HNSW index is derived data: when its library throws after a vector change was committed, the
 * node must not go down (the change is durable), and searches must stay correct.
 */
import test from 'ava';
import { systemClock } from '../../../src/base/index.js';
import { VectorService } from '../../../src/engine/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';
import { BruteForceIndex, VectorIndexes, hashingEmbedder, memoryBackend, type VectorBackend, type VectorIndex } from '../../../src/vector/index.js';

const signer = createEd25519Signer(generateSigningKeyPem());
const DIMS = 8;

/** A backend whose indexes throw on insertion while `broken.on` is set (as usearch did on some data). */
function flakyBackend(broken: { on: boolean }): VectorBackend {
  const inner = memoryBackend();
  const fail = (): void => {
    if (broken.on) throw new Error('index library failure (test)');
  };
  return {
    name: 'flaky',
    save: (ns, index, meta) => inner.save(ns, index, meta),
    load: (ns) => inner.load(ns),
    remove: (ns) => inner.remove(ns),
    create(options): VectorIndex {
      const idx = inner.create(options);
      return {
        options: idx.options,
        add: (k, v) => (fail(), idx.add(k, v)),
        addMany: (ks, vs) => (fail(), idx.addMany(ks, vs)),
        remove: (k) => idx.remove(k),
        search: (q, k, ef) => idx.search(q, k, ef),
        size: () => idx.size(),
        memoryBytes: () => idx.memoryBytes(),
      };
    },
  };
}

const vec = (i: number): number[] => Array.from({ length: DIMS }, (_, d) => Math.sin(i * 7 + d * 3) + (d === i % DIMS ? 2 : 0));
const items = (from: number, n: number): { id: string; vector: number[] }[] => Array.from({ length: n }, (_, i) => ({ id: `item-${from + i}`, vector: vec(from + i) }));

test('a failing index library after a commit: the write stands, the node stays up, searches answer exactly from the store', async (t) => {
  const broken = { on: false };
  const faults: string[] = [];
  const steps: (() => void)[] = [];
  const storage = openMemoryStorage();
  const indexes = new VectorIndexes(storage, flakyBackend(broken), undefined, {
    onFault: (ns, _e, action) => faults.push(`${ns}: ${action}`),
    schedule: (step) => steps.push(step),
    backgroundRebuildMin: 0,
  });
  indexes.open();
  const { engine, node } = await openStandalone({ storage, signer, clock: systemClock, maxTxQuads: 1000, vectors: indexes });
  t.teardown(async () => {
    await engine.drain();
    await node.stop();
  });
  await engine.ensureNamespace('default');
  const service = new VectorService({ engine, indexes, embedder: hashingEmbedder(), clock: systemClock, topKDefault: 5, m: 16, efConstruction: 200, filterTimeoutMs: 5000 });
  await service.upsert('default', items(0, 30), 'test');

  broken.on = true;
  const out = await service.upsert('default', items(30, 10), 'test');
  t.is(out.upserted, 10, 'the committed change is acknowledged');
  t.deepEqual(faults, ['default: rebuilding']);
  // The background rebuild hits the same failure: the namespace falls back to scanning the store.
  while (steps.length > 0) steps.shift()!();
  t.deepEqual(faults, ['default: rebuilding', 'default: scanning the store']);

  // Every answer is the exact one over all 40 vectors, the 10 the index never took included.
  const exact = new BruteForceIndex({ dims: DIMS, metric: 'cos', quantization: 'f32', m: 16, efConstruction: 200 });
  for (let i = 0; i < 40; i++) exact.add(i, Float32Array.from(vec(i)));
  for (const q of [3, 33, 38]) {
    const hits = await service.similar('default', { target: { kind: 'vector', values: vec(q) }, topK: 5 });
    t.deepEqual(
      hits.map((h) => h.id),
      exact.search(Float32Array.from(vec(q)), 5).map((h) => `item-${h.key}`),
    );
  }
  // Later writes still commit.
  t.is((await service.upsert('default', items(40, 2), 'test')).upserted, 2);
  t.is((await service.similar('default', { target: { kind: 'vector', values: vec(41) }, topK: 1 }))[0]!.id, 'item-41');

  // Once the library works again, a reopen rebuilds a usable index from the store.
  broken.on = false;
  indexes.open();
  while (steps.length > 0) steps.shift()!();
  const info = indexes.get(engine.namespace('default').id)!;
  t.false(info.building);
  t.is(info.size, 42);
});
