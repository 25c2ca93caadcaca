/**
 * The VectorIndex port: the usearch edge against the brute-force oracle (recall on small sets, for
 * every metric and quantization), replace/remove semantics, and saved copies that load back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { BruteForceIndex, distance, memoryBackend, type IndexOptions, type Metric, type Quantization, type VectorIndex } from '../../../src/vector/index.js';
import { UsearchIndex, usearchBackend } from '../../../src/vector/usearch/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomVectors(n: number, dims: number, seed: number): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: dims }, () => r() * 2 - 1));
}

function opts(metric: Metric, quantization: Quantization = 'f32', dims = 32): IndexOptions {
  return { dims, metric, quantization, m: 16, efConstruction: 200 };
}

function recallAt(k: number, approx: VectorIndex, exact: VectorIndex, queries: readonly Float32Array[]): number {
  let found = 0;
  for (const q of queries) {
    const truth = new Set(exact.search(q, k).map((h) => h.key));
    found += approx.search(q, k).filter((h) => truth.has(h.key)).length;
  }
  return found / (k * queries.length);
}

for (const metric of ['cos', 'l2', 'ip'] as const) {
  test(`usearch agrees with brute force (${metric}, recall@10 over 1000 vectors)`, (t) => {
    const data = randomVectors(1000, 32, 1);
    const hnsw = new UsearchIndex(opts(metric));
    const exact = new BruteForceIndex(opts(metric));
    data.forEach((v, i) => {
      hnsw.add(i + 1, v);
      exact.add(i + 1, v);
    });
    const queries = randomVectors(50, 32, 2);
    const recall = recallAt(10, hnsw, exact, queries);
    t.true(recall >= 0.95, `recall ${recall}`);
    // distances are the metric's, as the oracle computes them
    const q = queries[0]!;
    const top = hnsw.search(q, 1)[0]!;
    t.true(Math.abs(top.distance - distance(metric, q, data[top.key - 1]!)) < 1e-3);
  });
}

for (const quantization of ['f16', 'i8'] as const) {
  test(`quantized ${quantization} indexes still find the neighbours`, (t) => {
    const data = randomVectors(500, 32, 3);
    const hnsw = new UsearchIndex(opts('cos', quantization));
    const exact = new BruteForceIndex(opts('cos'));
    data.forEach((v, i) => {
      hnsw.add(i + 1, v);
      exact.add(i + 1, v);
    });
    t.true(recallAt(10, hnsw, exact, randomVectors(30, 32, 4)) >= 0.85);
  });
}

for (const make of [(o: IndexOptions) => new UsearchIndex(o), (o: IndexOptions) => new BruteForceIndex(o)]) {
  test(`replace and remove (${make(opts('cos', 'f32', 2)).constructor.name})`, (t) => {
    const idx = make(opts('cos', 'f32', 2));
    t.deepEqual(idx.search(Float32Array.of(1, 0), 3), []);
    idx.add(1, Float32Array.of(1, 0));
    idx.add(2, Float32Array.of(0, 1));
    t.is(idx.size(), 2);
    t.is(idx.search(Float32Array.of(1, 0), 1)[0]!.key, 1);
    idx.add(1, Float32Array.of(-1, 0));
    t.is(idx.size(), 2, 'a replaced key is still one entry');
    t.is(idx.search(Float32Array.of(0.1, 1), 1)[0]!.key, 2);
    t.deepEqual(idx.search(Float32Array.of(1, 0), 2).map((h) => h.key), [2, 1]);
    t.true(idx.remove(2));
    t.false(idx.remove(2));
    t.is(idx.size(), 1);
    t.deepEqual(idx.search(Float32Array.of(1, 0), 5).map((h) => h.key), [1]);
    idx.addMany([7, 8], Float32Array.of(1, 1, 1, -1));
    t.is(idx.size(), 3);
  });
}

test('usearch saves and loads; a torn save (index newer than its meta) is refused', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-usearch-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const backend = usearchBackend(dir);
  const idx = backend.create(opts('cos', 'f32', 8));
  randomVectors(100, 8, 5).forEach((v, i) => idx.add(i + 1, v));
  backend.save('ns1', idx, { nsId: 1, version: 10, options: idx.options, size: idx.size() });
  const back = backend.load('ns1');
  t.truthy(back);
  t.is(back!.meta.version, 10);
  const q = randomVectors(1, 8, 6)[0]!;
  t.deepEqual(back!.index.search(q, 5), idx.search(q, 5));
  t.is(backend.load('other'), undefined);
  // a crash after the index file's rename but before the meta's: the sizes disagree
  idx.add(1000, q);
  idx.add(1001, randomVectors(1, 8, 7)[0]!);
  (idx as UsearchIndex).native.save(path.join(dir, 'ns1.usearch'));
  t.is(backend.load('ns1'), undefined);
  backend.remove('ns1');
  t.deepEqual(fs.readdirSync(dir), []);
});

test('the memory backend keeps copies, not the live index', (t) => {
  const backend = memoryBackend();
  const idx = backend.create(opts('l2', 'f32', 2));
  idx.add(1, Float32Array.of(0, 0));
  backend.save('x', idx, { nsId: 1, version: 3, options: idx.options, size: 1 });
  idx.add(2, Float32Array.of(1, 1));
  t.is(backend.load('x')!.index.size(), 1);
});

test('usearch: a batch add after removals never runs out of slots', (t) => {
  // usearch's multi-threaded batch add sized the index from its live count while removed vectors
  // still held slots, and failed ("Reserve capacity ahead of insertions!") for some sizes, e.g. 20
  // added, 1 removed, 3 more in one batch. Every size up to 40 added and removed, then a batch.
  const v = (i: number): Float32Array => Float32Array.from([i, 1, 2, 3]);
  for (let n = 1; n < 40; n++) {
    for (let r = 1; r <= n; r++) {
      const idx = new UsearchIndex({ dims: 4, metric: 'cos', quantization: 'f32', m: 16, efConstruction: 64 });
      for (let i = 1; i <= n; i++) idx.add(i, v(i));
      for (let i = 1; i <= r; i++) idx.remove(i);
      const keys = [1000, 1001, 1002];
      const flat = new Float32Array(12);
      keys.forEach((k, j) => flat.set(v(k), j * 4));
      idx.addMany(keys, flat);
      if (idx.size() !== n - r + 3) return t.fail(`n ${n} r ${r}: size ${idx.size()}`);
    }
  }
  t.pass();
});

test('usearch survives upsert/delete churn with fresh keys (its key table filled with tombstones in 2.25)', (t) => {
  // The soak's vector traffic: ids upserted again and again (remove + add under the same key) and
  // deleted (a re-upsert then gets a fresh key). usearch 2.25.3 corrupted its key table within about
  // a thousand such operations ("Duplicate keys" for a key contains() denied) and could then spin
  // forever in remove(), holding the main thread: the whole server stopped answering.
  const index = new UsearchIndex(opts('cos', 'f32', 8));
  const r = rng(7);
  const keyOf = new Map<number, number>();
  let nextKey = 1;
  for (let i = 0; i < 20_000; i++) {
    const id = Math.floor(r() * 160);
    const key = keyOf.get(id);
    if (r() < 0.3) {
      if (key !== undefined) t.true(index.remove(key));
      keyOf.delete(id);
      continue;
    }
    const k = key ?? nextKey++;
    keyOf.set(id, k);
    index.add(k, Float32Array.from({ length: 8 }, () => r() * 2 - 1));
  }
  t.is(index.size(), keyOf.size);
  for (const k of keyOf.values()) t.true(index.native.contains(BigInt(k)));
});

test('a batch insertion after single ones does not fail for want of reserved thread contexts', (t) => {
  // The apply path adds a transaction's one new vector alone and a batch's new vectors together:
  // usearch's binding had reserved one thread context when a single insertion grew the index, and a
  // batch on every core then threw "Reserve capacity ahead of insertions!" after the commit (the soak
  // saw the server exit on it).
  const r = rng(3);
  for (let trial = 0; trial < 40; trial++) {
    const index = new UsearchIndex(opts('cos', 'f32', 8));
    let key = 1;
    const singles = 5 + Math.floor(r() * 200);
    for (let i = 0; i < singles; i++) index.add(key++, Float32Array.from({ length: 8 }, () => r() * 2 - 1));
    for (let b = 0; b < 20; b++) {
      const keys = Array.from({ length: 5 }, () => key++);
      index.addMany(keys, Float32Array.from({ length: 5 * 8 }, () => r() * 2 - 1));
    }
    t.is(index.size(), key - 1);
  }
});
