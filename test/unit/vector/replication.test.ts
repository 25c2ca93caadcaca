/**
 * Vectors replicate like triples: upserted through the leader (or forwarded by a follower), applied
 * on every node from the log, searchable on each node's own index. In-memory cluster of three.
 */
import test from 'ava';
import { FakeClock } from '../../../src/base/index.js';
import { Engine, VectorService } from '../../../src/engine/index.js';
import { ReplicationNode, type NodeTiming } from '../../../src/replication/node/index.js';
import { createMemoryNetwork } from '../../../src/replication/transport/memory/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';
import { VectorIndexes, hashingEmbedder, memoryBackend } from '../../../src/vector/index.js';
import { until } from '../../helpers/until.js';

const TIMING: NodeTiming = { tickMs: 10, heartbeatTicks: 2, electionTicks: 10 };
const signer = createEd25519Signer(generateSigningKeyPem());

test('vectors upserted via the leader are searchable on a follower; a follower forwards upserts', async (t) => {
  const net = createMemoryNetwork();
  const ids = ['10.0.0.1:8091', '10.0.0.2:8091', '10.0.0.3:8091'];
  const members: { id: string; engine: Engine; node: ReplicationNode; service: VectorService; indexes: VectorIndexes }[] = [];
  for (const [i, id] of ids.entries()) {
    const storage = openMemoryStorage();
    const indexes = new VectorIndexes(storage, memoryBackend());
    indexes.open();
    const clock = new FakeClock(1_700_000_000_000);
    const engine = await Engine.open({ storage, signer, clock, maxTxQuads: 1000, vectors: indexes });
    const node = await ReplicationNode.start({
      id, engine, storage, bootstrap: ids, transport: net.transport(id, ids.filter((x) => x !== id)), timing: TIMING, writeTimeoutMs: 5000, readTimeoutMs: 2000, hint: i === 0 ? 'leader' : 'follower',
    });
    const service = new VectorService({ engine, indexes, embedder: hashingEmbedder(), clock, topKDefault: 5, m: 16, efConstruction: 100, filterTimeoutMs: 2000 });
    members.push({ id, engine, node, service, indexes });
  }
  t.teardown(async () => {
    for (const m of members) await m.node.stop();
  });
  const leader = await until('a leader', () => members.find((m) => m.node.raftStatus().role === 'leader' && members.every((x) => x.node.raftStatus().leader === m.id)));
  await leader.engine.createNamespace('main', 'test');
  const followers = members.filter((m) => m !== leader);
  await until('namespace everywhere', () => (followers.every((f) => f.engine.namespaces().some((n) => n.name === 'main')) ? true : undefined));

  const r = await leader.service.upsert('main', [{ id: 'a', vector: [1, 0, 0] }, { id: 'b', vector: [0, 1, 0] }, { id: 'c', text: 'hello world' }], 'test');
  t.is(r.upserted, 3);
  const follower = followers[0]!;
  await follower.node.waitForApplied(r.logIndex);
  const nsId = follower.engine.namespace('main').id;
  t.is(follower.indexes.get(nsId)?.size, 3);
  const onLeader = await leader.service.similar('main', { target: { kind: 'vector', values: [1, 0.1, 0] }, topK: 3 });
  const onFollower = await follower.service.similar('main', { target: { kind: 'vector', values: [1, 0.1, 0] }, topK: 3 });
  t.deepEqual(onFollower, onLeader);
  t.is(onFollower[0]!.id, 'a');

  // through a follower: forwarded to the leader, answered once applied here
  const fwd = await follower.service.upsert('main', [{ id: 'd', vector: [0, 0, 1] }], 'test');
  t.is(fwd.upserted, 1);
  t.is((await follower.service.similar('main', { target: { kind: 'vector', values: [0, 0, 1] }, topK: 1 }))[0]!.id, 'd');
  const del = await follower.service.remove('main', ['a'], 'test');
  t.is(del.deleted, 1);
  for (const m of members) await m.node.waitForApplied(del.logIndex);
  for (const m of members) t.is(m.indexes.get(m.engine.namespace('main').id)?.size, 3, m.id);
});
