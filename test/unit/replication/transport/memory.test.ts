/**
 * The in-memory transport twin: asynchronous, ordered, copying delivery; partitions, one-way cuts,
 * isolation and healing; seeded loss; delays and the reordering they cause; forward/status/snapshot
 * with the gRPC transport's error mapping; membership; close.
 */
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import type { Message, NodeId } from '../../../../src/replication/raft/types.js';
import { createMemoryNetwork, type MemoryNetwork, type MemoryTransport } from '../../../../src/replication/transport/memory/index.js';
import type { SnapshotChunk } from '../../../../src/replication/transport/types.js';
import { seededRandom, testSeed } from '../../../helpers/random.js';
import { Recorder } from './_fixtures.js';

interface Node {
  readonly t: MemoryTransport;
  readonly rec: Recorder;
  readonly unreachable: NodeId[];
}

async function nodes(net: MemoryNetwork, ids: readonly string[], peers?: readonly string[]): Promise<Node[]> {
  const out: Node[] = [];
  for (const id of ids) {
    const t = net.transport(id, peers);
    const rec = new Recorder();
    const unreachable: NodeId[] = [];
    t.onUnreachable((p) => unreachable.push(p));
    await t.start(rec);
    out.push({ t, rec, unreachable });
  }
  return out;
}

const hb = (from: string, to: string, term: number): Message => ({ type: 'heartbeat', from, to, term, commit: term });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('delivery is asynchronous, in order, and copies the message', async (t) => {
  const net = createMemoryNetwork();
  const [a, b] = (await nodes(net, ['a', 'b'])) as [Node, Node];
  const data = new Uint8Array([1, 2, 3]);
  const append: Message = { type: 'append', from: 'a', to: 'b', term: 1, prevIndex: 0, prevTerm: 0, entries: [{ index: 1, term: 1, kind: 'normal', data }], commit: 0 };
  a.t.send(append);
  for (let i = 2; i <= 50; i++) a.t.send(hb('a', 'b', i));
  t.is(b.rec.messages.length, 0, 'nothing inside send()');
  data[0] = 99; // the sender reusing its buffer must not change what is delivered
  await b.rec.until(() => b.rec.messages.length === 50);
  t.deepEqual(b.rec.messages.map((m) => m.term), Array.from({ length: 50 }, (_, i) => i + 1));
  const got = b.rec.messages[0];
  t.deepEqual(got?.type === 'append' ? [...got.entries[0]!.data] : null, [1, 2, 3]);
  t.deepEqual(a.t.stats().messagesSent, 50);
});

test('partition, one-way cut, isolation and heal', async (t) => {
  const net = createMemoryNetwork();
  const [a, b, c] = (await nodes(net, ['a', 'b', 'c'])) as [Node, Node, Node];
  net.partition('a', 'b');
  a.t.send(hb('a', 'b', 1));
  b.t.send(hb('b', 'a', 1));
  a.t.send(hb('a', 'c', 1));
  await c.rec.until(() => c.rec.messages.length === 1);
  await tick();
  t.deepEqual([a.rec.messages.length, b.rec.messages.length], [0, 0]);
  t.deepEqual(a.unreachable, ['b']);
  t.deepEqual(b.unreachable, ['a']);
  t.false(net.reachable('a', 'b'));
  t.true(net.reachable('a', 'c'));

  net.heal();
  net.cut('a', 'c');
  a.t.send(hb('a', 'c', 2));
  c.t.send(hb('c', 'a', 2));
  a.t.send(hb('a', 'b', 2));
  await a.rec.until(() => a.rec.messages.length === 1);
  await b.rec.until(() => b.rec.messages.length === 1);
  t.is(c.rec.messages.length, 1, 'a → c is cut, c → a is not');

  net.heal();
  net.isolate('b');
  a.t.send(hb('a', 'b', 3));
  c.t.send(hb('c', 'b', 3));
  await sleep(10);
  t.is(b.rec.messages.length, 1);
  net.heal();
  a.t.send(hb('a', 'b', 4));
  await b.rec.until(() => b.rec.messages.length === 2);
  t.true(a.t.stats().messagesDropped >= 2);
});

test('a partition that starts while a message is in flight loses it', async (t) => {
  const net = createMemoryNetwork();
  const [a, b] = (await nodes(net, ['a', 'b'])) as [Node, Node];
  net.delay(20);
  a.t.send(hb('a', 'b', 1));
  net.partition('a', 'b');
  await sleep(60);
  t.deepEqual(b.rec.messages, []);
});

test('seeded loss drops about the given share, the same ones for the same seed', async (t) => {
  const seed = testSeed(4242);
  const lost = async (): Promise<number[]> => {
    const net = createMemoryNetwork();
    const [a, b] = (await nodes(net, ['a', 'b'])) as [Node, Node];
    net.dropRate(0.3, seededRandom(seed));
    for (let i = 1; i <= 1000; i++) a.t.send(hb('a', 'b', i));
    await sleep(20);
    await tick();
    const got = new Set(b.rec.messages.map((m) => m.term));
    return Array.from({ length: 1000 }, (_, i) => i + 1).filter((i) => !got.has(i));
  };
  const first = await lost();
  t.true(first.length > 220 && first.length < 380, `lost ${first.length} of 1000 (seed ${seed})`);
  t.deepEqual(await lost(), first);
  const net = createMemoryNetwork();
  const [a, b] = (await nodes(net, ['a', 'b'])) as [Node, Node];
  net.dropRate(0.5, seededRandom(seed));
  net.dropRate(0);
  for (let i = 1; i <= 100; i++) a.t.send(hb('a', 'b', i));
  await b.rec.until(() => b.rec.messages.length === 100);
  t.pass();
});

test('delays hold messages back, and varying delays reorder them', async (t) => {
  const net = createMemoryNetwork();
  const [a, b] = (await nodes(net, ['a', 'b'])) as [Node, Node];
  net.delay(40);
  const t0 = Date.now();
  a.t.send(hb('a', 'b', 1));
  await b.rec.until(() => b.rec.messages.length === 1);
  t.true(Date.now() - t0 >= 35);
  const random = seededRandom(testSeed(7));
  net.delay(() => Math.floor(random() * 20));
  for (let i = 2; i <= 40; i++) a.t.send(hb('a', 'b', i));
  await b.rec.until(() => b.rec.messages.length === 40);
  const terms = b.rec.messages.map((m) => m.term);
  t.notDeepEqual(terms, [...terms].sort((x, y) => x - y), 'some reordering');
  t.deepEqual([...terms].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
});

test('forward and status: answers, handler errors as ok:false, unreachable and timeouts as KnowdError', async (t) => {
  const net = createMemoryNetwork();
  const [a, b] = (await nodes(net, ['a', 'b'])) as [Node, Node];
  t.deepEqual(await a.t.forward('b', { kind: 'tx', body: '1' }, 1000), { ok: true, body: JSON.stringify({ from: 'a', kind: 'tx', echo: '1' }) });
  t.deepEqual(await a.t.status('b', 1000), { body: JSON.stringify({ asked: 'a' }) });
  b.rec.onForwardImpl = async () => {
    throw new KnowdError('REJECTED', 'no', { report: 1 });
  };
  t.deepEqual(await a.t.forward('b', { kind: 'tx', body: '1' }, 1000), { ok: false, code: 'REJECTED', message: 'no', details: '{"report":1}' });
  b.rec.onForwardImpl = () => new Promise(() => {});
  t.is((await t.throwsAsync(a.t.forward('b', { kind: 'tx', body: '1' }, 30), { instanceOf: KnowdError }))?.code, 'WRITE_TIMEOUT');
  b.rec.onStatusImpl = async () => {
    throw new KnowdError('NOT_READY', 'starting');
  };
  t.is((await t.throwsAsync(a.t.status('b', 1000), { instanceOf: KnowdError }))?.code, 'NOT_READY');
  net.partition('a', 'b');
  t.is((await t.throwsAsync(a.t.forward('b', { kind: 'tx', body: '1' }, 1000), { instanceOf: KnowdError }))?.code, 'NO_LEADER');
  t.is((await t.throwsAsync(a.t.status('b', 1000), { instanceOf: KnowdError }))?.code, 'NOT_READY');
  t.is((await t.throwsAsync(a.t.forward('nobody', { kind: 'tx', body: '1' }, 1000), { instanceOf: KnowdError }))?.code, 'NO_LEADER');
});

function chunksOf(n: number): SnapshotChunk[] {
  return Array.from({ length: n }, (_, i) => ({ offset: i * 4, data: new Uint8Array([i, i, i, i]), sha256: `h${i}` }));
}

async function* slowly(chunks: readonly SnapshotChunk[], ms = 0): AsyncGenerator<SnapshotChunk> {
  for (const c of chunks) {
    if (ms > 0) await sleep(ms);
    yield c;
  }
}

test('snapshots: whole and in order; rejection and partition fail the sender', async (t) => {
  const net = createMemoryNetwork();
  const [a, b] = (await nodes(net, ['a', 'b'])) as [Node, Node];
  const offer = { index: 9, term: 2, membership: { voters: ['a', 'b'], learners: [] }, sha256: 'w', sizeBytes: 40, name: 'snap' };
  await a.t.sendSnapshot('b', offer, slowly(chunksOf(10)));
  t.deepEqual(b.rec.snapshots, [{ from: 'a', offer, chunks: chunksOf(10) }]);

  b.rec.onSnapshotImpl = async () => {
    throw new KnowdError('SNAPSHOT_INVALID', 'bad chunk');
  };
  t.is((await t.throwsAsync(a.t.sendSnapshot('b', offer, slowly(chunksOf(10))), { instanceOf: KnowdError }))?.message, 'bad chunk');

  let receiverError: unknown = null;
  b.rec.onSnapshotImpl = async (_f, _o, chunks) => {
    try {
      for await (const _ of chunks) net.partition('a', 'b');
    } catch (e) {
      receiverError = e;
      throw e;
    }
  };
  t.is((await t.throwsAsync(a.t.sendSnapshot('b', offer, slowly(chunksOf(10), 1)), { instanceOf: KnowdError }))?.code, 'NOT_READY');
  t.is((receiverError as KnowdError).code, 'SNAPSHOT_INVALID');
  t.is((await t.throwsAsync(a.t.sendSnapshot('b', offer, slowly(chunksOf(10))), { instanceOf: KnowdError }))?.code, 'NOT_READY');
  net.heal();
  // A source that ends short of the offered size is caught on the receiving side.
  b.rec.onSnapshotImpl = async (_f, _o, chunks) => {
    for await (const _ of chunks);
  };
  t.is((await t.throwsAsync(a.t.sendSnapshot('b', offer, slowly(chunksOf(9))), { instanceOf: KnowdError }))?.code, 'SNAPSHOT_INVALID');
});

test('with a peer list, only members are sent to and accepted from', async (t) => {
  const net = createMemoryNetwork();
  const [a, b, c] = (await nodes(net, ['a', 'b', 'c'], ['a', 'b'])) as [Node, Node, Node];
  a.t.send(hb('a', 'c', 1)); // c is not a's peer
  c.t.send(hb('c', 'a', 1)); // nor a c's
  a.t.send(hb('a', 'b', 1));
  await b.rec.until(() => b.rec.messages.length === 1);
  await tick();
  t.deepEqual([a.rec.messages.length, c.rec.messages.length], [0, 0]);
  t.is((await t.throwsAsync(a.t.forward('c', { kind: 'x', body: '' }, 1000), { instanceOf: KnowdError }))?.code, 'PEER_REFUSED');
  c.t.setPeers(['a', 'b', 'c']);
  t.is((await t.throwsAsync(c.t.forward('a', { kind: 'x', body: '' }, 1000), { instanceOf: KnowdError }))?.code, 'PEER_REFUSED');
  a.t.setPeers(['b', 'c']);
  t.true((await c.t.forward('a', { kind: 'x', body: '' }, 1000)).ok);
});

test('close cancels pending deliveries; a closed node is unreachable and can be replaced', async (t) => {
  const net = createMemoryNetwork();
  const [a, b] = (await nodes(net, ['a', 'b'])) as [Node, Node];
  net.delay(30);
  b.t.send(hb('b', 'a', 1));
  await b.t.close();
  a.t.send(hb('a', 'b', 1));
  await sleep(60);
  t.deepEqual(a.rec.messages, [], 'the closed sender’s message in flight is gone');
  t.deepEqual(a.unreachable, ['b']);
  const b2 = net.transport('b');
  const rec = new Recorder();
  await b2.start(rec);
  net.delay(0);
  a.t.send(hb('a', 'b', 2));
  await rec.until(() => rec.messages.length === 1);
  t.throws(() => net.transport('a'), { message: /already open/ });
  rec.onForwardImpl = () => new Promise(() => {});
  const pending = a.t.forward('b', { kind: 'tx', body: '' }, 60_000);
  await sleep(5);
  await a.t.close();
  t.is((await t.throwsAsync(pending, { instanceOf: KnowdError }))?.code, 'SHUTTING_DOWN');
  await b2.close();
  t.pass();
});
