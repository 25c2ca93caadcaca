/**
 * Sharded vector search (KNOWD_VEC_SHARDING=shard) in process: three nodes' indexes over one store,
 * each indexing its shard (by key hash); the scatter asks every shard's node through a fake cluster
 * call and merges. The merged topK equals the exact answer over all vectors, also when a shard's node
 * fails (that shard is then searched exactly from the coordinator's store).
 */
import test, { type ExecutionContext } from 'ava';
import { FakeClock } from '../../../src/base/index.js';
import { inlineQueryExecutor, VectorService, type Engine } from '../../../src/engine/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { Participant, vectorScatter, mergeHits, type PeerCall } from '../../../src/federation/index.js';
import { createLogger } from '../../../src/obs/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';
import { hashingEmbedder, memoryBackend, VectorIndexes, WHOLE, type ShardLayout } from '../../../src/vector/index.js';
import { seededRandom } from '../../helpers/random.js';

const OWNERS = ['a', 'b', 'c'];

async function setup(t: ExecutionContext): Promise<{ services: Map<string, VectorService>; whole: VectorService; engine: Engine; sizes: number[] }> {
  const storage = openMemoryStorage();
  const clock = new FakeClock(1_700_000_000_000);
  const wholeIndexes = new VectorIndexes(storage, memoryBackend());
  wholeIndexes.open();
  const { engine, node } = await openStandalone({ storage, signer: createEd25519Signer(generateSigningKeyPem()), clock, maxTxQuads: 10_000, vectors: wholeIndexes });
  t.teardown(() => node.stop());
  const make = (indexes: VectorIndexes): VectorService => new VectorService({ engine, indexes, embedder: hashingEmbedder(), clock, topKDefault: 5, m: 16, efConstruction: 100, filterTimeoutMs: 2000 });
  const whole = make(wholeIndexes);
  await engine.createNamespace('v', 'test');
  const random = seededRandom(7);
  const items = Array.from({ length: 300 }, (_, i) => ({ id: `item${i}`, vector: Array.from({ length: 8 }, () => random() * 2 - 1) }));
  await whole.upsert('v', items, 'test');
  // Each node rebuilds only its shard from the (shared) store.
  const services = new Map<string, VectorService>();
  const sizes: number[] = [];
  for (const [i, owner] of OWNERS.entries()) {
    const layout: ShardLayout = { index: i, count: OWNERS.length };
    const indexes = new VectorIndexes(storage, memoryBackend(), layout);
    indexes.open();
    sizes.push(indexes.stats()[0]?.size ?? 0);
    services.set(owner, make(indexes));
  }
  return { services, whole, engine, sizes };
}

function scatterFor(env: Awaited<ReturnType<typeof setup>>, failing: ReadonlySet<string>, fallbacks: { n: number }) {
  const participants = new Map([...env.services].map(([owner, vectors]) => [owner, new Participant({ executor: inlineQueryExecutor(env.engine.storage, env.engine.quads), waitForApplied: async () => undefined, readyForReads: () => ({ ok: true }), maxInflight: 4, vectors })]));
  const call: PeerCall = async function* (to, body, _t, signal) {
    if (failing.has(to)) throw new Error(`${to} is down`);
    yield* participants.get(to)!.serve(body, signal);
  };
  return vectorScatter({ self: () => 'a', owners: () => OWNERS, readIndex: () => 0, call, vectors: env.services.get('a')!, timeoutMs: 5000, log: createLogger('silent'), fallback: () => fallbacks.n++ });
}

test('each node indexes a disjoint shard; together they hold every vector', async (t) => {
  const env = await setup(t);
  t.is(env.sizes.reduce((a, b) => a + b, 0), 300);
  for (const n of env.sizes) t.true(n > 60 && n < 140, `shard sizes ${env.sizes.join(', ')}`);
});

test('the scattered topK equals the exact topK over all vectors, also with a shard node down', async (t) => {
  const env = await setup(t);
  const random = seededRandom(11);
  for (const failing of [new Set<string>(), new Set(['b']), new Set(['b', 'c'])]) {
    const fallbacks = { n: 0 };
    const a = env.services.get('a')!;
    a.setScatter(scatterFor(env, failing, fallbacks));
    for (let i = 0; i < 10; i++) {
      const vector = Array.from({ length: 8 }, () => random() * 2 - 1);
      const got = await a.similar('v', { target: { kind: 'vector', values: vector }, topK: 10 });
      // The oracle: every vector scored exactly (the whole index is brute force here).
      const want = await env.whole.similar('v', { target: { kind: 'vector', values: vector }, topK: 10 });
      t.deepEqual(got.map((h) => h.id), want.map((h) => h.id), `failing: ${[...failing].join(',')}`);
    }
    t.is(fallbacks.n, failing.size * 10);
  }
});

test('a sharded node without the cluster searches its store exactly; shard parts answer for any shard', async (t) => {
  const env = await setup(t);
  const b = env.services.get('b')!;
  const vector = [0.5, -0.2, 0.1, 0.9, -0.4, 0.3, 0.0, 0.7];
  const want = await env.whole.similar('v', { target: { kind: 'vector', values: vector }, topK: 7 });
  t.deepEqual((await b.similar('v', { target: { kind: 'vector', values: vector }, topK: 7 })).map((h) => h.id), want.map((h) => h.id));
  const byShard = [0, 1, 2].map((index) => b.searchShard('v', vector, 7, undefined, { index, count: 3 }));
  t.deepEqual(mergeHits(byShard, 7).map((h) => h.id), want.map((h) => h.id));
  t.deepEqual(b.searchShard('v', vector, 7, undefined, WHOLE).map((h) => h.id), want.map((h) => h.id));
});
