/**
 * The gRPC transport between real servers on 127.0.0.1 with mutual TLS (certificates from
 * certs.ts): every raft message type field for field, big batches, snapshots, forward/status and
 * their error mapping, who is refused, reconnects, membership changes, health, malformed input.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import type { Entry, Message, NodeId } from '../../../../src/replication/raft/types.js';
import { createCa, issueNodeCert } from '../../../../src/replication/transport/certs.js';
import { createGrpcTransport } from '../../../../src/replication/transport/grpc/index.js';
import type { SnapshotChunk, SnapshotOffer } from '../../../../src/replication/transport/types.js';
import { Recorder, clusterCa, eventually, startCluster, startNode, tempDir, writeAtomic, writeNodeTls } from './_fixtures.js';

const MAX = Number.MAX_SAFE_INTEGER;

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** One of every Message variant, with the edge values of every field. */
function everyMessage(from: NodeId, to: NodeId): Message[] {
  const entries: Entry[] = [
    { index: MAX - 2, term: MAX, kind: 'normal', data: bytes(300, 1) },
    { index: MAX - 1, term: MAX, kind: 'noop', data: new Uint8Array(0) },
    { index: MAX, term: MAX, kind: 'config', data: new TextEncoder().encode('{"voters":["a:1"],"learners":[]}') },
  ];
  return [
    { type: 'pre-vote', from, to, term: 7, lastIndex: 41, lastTerm: 6 },
    { type: 'pre-vote-resp', from, to, term: 7, granted: true },
    { type: 'pre-vote-resp', from, to, term: 0, granted: false },
    { type: 'vote', from, to, term: 8, lastIndex: 2 ** 40 + 3, lastTerm: 7, transfer: true },
    { type: 'vote', from, to, term: 8, lastIndex: 0, lastTerm: 0, transfer: false },
    { type: 'vote-resp', from, to, term: 8, granted: true },
    { type: 'vote-resp', from, to, term: 9, granted: false },
    { type: 'append', from, to, term: MAX, prevIndex: MAX - 3, prevTerm: MAX - 1, entries, commit: MAX - 2 },
    { type: 'append', from, to, term: 3, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 },
    { type: 'append-resp', from, to, term: 3, success: true, index: 12, hintIndex: 0 },
    { type: 'append-resp', from, to, term: 3, success: false, index: 12, hintIndex: 9 },
    { type: 'heartbeat', from, to, term: 4, commit: 0 },
    { type: 'heartbeat', from, to, term: 4, commit: 2 ** 50 },
    { type: 'heartbeat-resp', from, to, term: 4 },
    { type: 'snapshot', from, to, term: 5, snapshot: { index: 100, term: 5, membership: { voters: [from, to, '[::1]:8091'], learners: ['learner.example:8091'] } } },
    { type: 'snapshot', from, to, term: 5, snapshot: { index: 0, term: 0, membership: { voters: [], learners: [] } } },
    { type: 'timeout-now', from, to, term: 6 },
  ];
}

test('every raft message type round-trips field for field, in order, both directions', async (t) => {
  const [a, b] = await startCluster(t, 2);
  const ab = everyMessage(a!.id, b!.id);
  const ba = everyMessage(b!.id, a!.id);
  for (const m of ab) a!.transport.send(m);
  for (const m of ba) b!.transport.send(m);
  await b!.rec.until(() => b!.rec.messages.length >= ab.length, 10_000, 'a → b');
  await a!.rec.until(() => a!.rec.messages.length >= ba.length, 10_000, 'b → a');
  t.deepEqual(b!.rec.messages, ab);
  t.deepEqual(a!.rec.messages, ba);
  // Received entry data is a plain Uint8Array of its own, not a view into the gRPC frame.
  const got = b!.rec.messages[7];
  if (got?.type !== 'append') return t.fail('expected the append');
  t.is(Object.getPrototypeOf(got.entries[0]!.data), Uint8Array.prototype);
  t.is(got.entries[0]!.data.buffer.byteLength, 300);
  t.is(a!.transport.stats().messagesSent, ab.length);
  t.is(b!.transport.stats().messagesReceived, ab.length);
  t.is(b!.transport.stats().messagesMalformed, 0);
});

/** A TCP relay that counts the bytes it carries each way: what is really on the wire. */
async function relay(t: import('ava').ExecutionContext, targetPort: number): Promise<{ port: number; bytesUp: () => number }> {
  let up = 0;
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      up += d.length;
    });
    client.pipe(upstream).pipe(client);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => srv.close(() => resolve()));
  });
  return { port: (srv.address() as net.AddressInfo).port, bytesUp: () => up };
}

for (const compression of [true, false]) {
  test(`several MiB of appends arrive intact ${compression ? 'gzip-compressed' : 'uncompressed'} on the wire`, async (t) => {
    t.timeout(120_000);
    const dir = tempDir(t);
    const ca = await clusterCa();
    const b = await startNode(t, dir, 'b', ca, { compression });
    // a dials b through the relay; b advertises the relay's address as its id, as behind a NAT.
    const r = await relay(t, b.transport.port);
    const bId = `127.0.0.1:${r.port}`;
    await b.transport.close();
    const b2 = createGrpcTransport({ self: bId, listen: { host: '127.0.0.1', port: b.transport.port }, peers: [], tls: b.tls, compression });
    t.teardown(() => b2.close());
    const rec = new Recorder();
    await b2.start(rec);
    const a = await startNode(t, dir, 'a', ca, { compression, peers: [bId] });
    b2.setPeers([a.id]);

    // Compressible, like RDF command bytes: 8 appends of 64 entries × 16 KiB = 8 MiB.
    const line = new TextEncoder().encode('<http://example.org/s> <http://example.org/p> "object literal" .\n');
    const data = new Uint8Array(16 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = line[i % line.length]!;
    const sent: Message[] = [];
    for (let m = 0; m < 8; m++) {
      const entries: Entry[] = Array.from({ length: 64 }, (_, i) => ({ index: m * 64 + i + 1, term: 1, kind: 'normal' as const, data }));
      sent.push({ type: 'append', from: a.id, to: bId, term: 1, prevIndex: m * 64, prevTerm: m === 0 ? 0 : 1, entries, commit: m * 64 });
    }
    for (const m of sent) a.transport.send(m);
    // A bound on waiting, not on speed: on a loaded 2-core CI box (load 10) 8 MiB over TLS took 25 s.
    await rec.until(() => rec.messages.length === sent.length, 90_000, 'the appends');
    t.deepEqual(rec.messages, sent);
    const payload = 8 * 64 * data.length;
    t.true(a.transport.stats().bytesSent > payload);
    if (compression) t.true(r.bytesUp() < payload / 5, `gzip: ${r.bytesUp()} bytes on the wire for ${payload} bytes of entries`);
    else t.true(r.bytesUp() > payload, `identity: ${r.bytesUp()} bytes on the wire for ${payload} bytes of entries`);
  });
}

function snapshotOf(chunks: number, chunkBytes: number): { offer: SnapshotOffer; chunks: SnapshotChunk[] } {
  const list: SnapshotChunk[] = [];
  const whole = createHash('sha256');
  for (let i = 0; i < chunks; i++) {
    const data = bytes(chunkBytes, i + 1);
    whole.update(data);
    list.push({ offset: i * chunkBytes, data, sha256: createHash('sha256').update(data).digest('hex') });
  }
  return {
    offer: { index: 1000, term: 3, membership: { voters: ['127.0.0.1:1', '127.0.0.1:2'], learners: [] }, sha256: whole.digest('hex'), sizeBytes: chunks * chunkBytes, name: 'snap-1000-3.knowd' },
    chunks: list,
  };
}

async function* yieldAll<T>(items: readonly T[], onYield: () => void = () => {}): AsyncGenerator<T> {
  for (const x of items) {
    onYield();
    yield x;
  }
}

test('a snapshot of many chunks arrives whole and in order', async (t) => {
  const [a, b] = await startCluster(t, 2);
  const snap = snapshotOf(150, 64 * 1024);
  await a!.transport.sendSnapshot(b!.id, snap.offer, yieldAll(snap.chunks));
  t.is(b!.rec.snapshots.length, 1);
  const got = b!.rec.snapshots[0]!;
  t.is(got.from, a!.id);
  t.deepEqual(got.offer, snap.offer);
  t.deepEqual(got.chunks, snap.chunks);
  // The raft stream is untouched by the transfer.
  a!.transport.send({ type: 'heartbeat', from: a!.id, to: b!.id, term: 1, commit: 1 });
  await b!.rec.until(() => b!.rec.messages.length === 1);
});

test('a snapshot rejected by the receiver fails the sender with the handler’s error, and the sender stops reading', async (t) => {
  const [a, b] = await startCluster(t, 2);
  const snap = snapshotOf(1000, 64 * 1024);
  b!.rec.onSnapshotImpl = async (_from, _offer, chunks) => {
    let n = 0;
    for await (const c of chunks) {
      if (++n === 3) throw new KnowdError('SNAPSHOT_INVALID', `chunk at offset ${c.offset} fails its SHA-256 check`);
    }
  };
  let produced = 0;
  const err = await t.throwsAsync(a!.transport.sendSnapshot(b!.id, snap.offer, yieldAll(snap.chunks, () => produced++)), { instanceOf: KnowdError });
  t.is(err?.code, 'SNAPSHOT_INVALID');
  t.regex(err?.message ?? '', /offset 131072 fails its SHA-256 check/);
  t.true(produced < 500, `the sender read ${produced} of 1000 chunks after the rejection`);

  // A handler failing with a plain Error is reported as SNAPSHOT_INVALID too.
  b!.rec.onSnapshotImpl = async () => {
    throw new Error('disk full');
  };
  const err2 = await t.throwsAsync(a!.transport.sendSnapshot(b!.id, snap.offer, yieldAll(snap.chunks.slice(0, 2))), { instanceOf: KnowdError });
  t.is(err2?.code, 'SNAPSHOT_INVALID');

  // The sender's chunk source failing mid-way fails the send and the receiver's iteration.
  let receiverError: unknown = null;
  let firstArrived!: () => void;
  const arrived = new Promise<void>((resolve) => (firstArrived = resolve));
  b!.rec.onSnapshotImpl = async (_f, _o, chunks) => {
    try {
      for await (const _ of chunks) firstArrived();
    } catch (e) {
      receiverError = e;
      throw e;
    }
  };
  async function* failing(): AsyncGenerator<SnapshotChunk> {
    yield snap.chunks[0]!;
    await arrived;
    throw new Error('EIO reading the snapshot file');
  }
  const err3 = await t.throwsAsync(a!.transport.sendSnapshot(b!.id, snap.offer, failing()), { instanceOf: KnowdError });
  t.regex(err3?.message ?? '', /EIO/);
  await eventually(() => receiverError !== null, 5000, 'the receiver to see the broken stream');
  t.is((receiverError as KnowdError).code, 'SNAPSHOT_INVALID');
});

test('forward and status round-trip; handler errors keep their code', async (t) => {
  const [a, b] = await startCluster(t, 2);
  t.deepEqual(await a!.transport.forward(b!.id, { kind: 'tx', body: '{"add":"<a> <b> <c> ."}' }, 5000), {
    ok: true,
    body: JSON.stringify({ from: a!.id, kind: 'tx', echo: '{"add":"<a> <b> <c> ."}' }),
  });
  t.deepEqual(await a!.transport.status(b!.id, 5000), { body: JSON.stringify({ asked: a!.id }) });

  b!.rec.onForwardImpl = async () => {
    throw new KnowdError('REJECTED', 'The transaction violates shape ex:PersonShape', { report: { conforms: false } });
  };
  t.deepEqual(await a!.transport.forward(b!.id, { kind: 'tx', body: '{}' }, 5000), {
    ok: false,
    code: 'REJECTED',
    message: 'The transaction violates shape ex:PersonShape',
    details: '{"report":{"conforms":false}}',
  });
  b!.rec.onForwardImpl = async () => {
    throw new TypeError('x is undefined');
  };
  const internal = await a!.transport.forward(b!.id, { kind: 'tx', body: '{}' }, 5000);
  t.like(internal, { ok: false, code: 'INTERNAL' });
  // A handler's answer with ok:false passes through unchanged.
  b!.rec.onForwardImpl = async () => ({ ok: false, code: 'NOT_LEADER', message: 'leader is c', details: '{"leader":"c"}' });
  t.deepEqual(await a!.transport.forward(b!.id, { kind: 'tx', body: '{}' }, 5000), { ok: false, code: 'NOT_LEADER', message: 'leader is c', details: '{"leader":"c"}' });

  b!.rec.onStatusImpl = async () => {
    throw new KnowdError('NOT_READY', 'The node is starting');
  };
  const st = await t.throwsAsync(a!.transport.status(b!.id, 5000), { instanceOf: KnowdError });
  t.is(st?.code, 'NOT_READY');
  t.is(st?.message, 'The node is starting');

  // A handler slower than the deadline: the forwarder learns WRITE_TIMEOUT (it may still commit).
  b!.rec.onForwardImpl = () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, body: 'late' }), 1500));
  const slow = await t.throwsAsync(a!.transport.forward(b!.id, { kind: 'tx', body: '{}' }, 200), { instanceOf: KnowdError });
  t.is(slow?.code, 'WRITE_TIMEOUT');

  // Calls to a node that is not a member are not even attempted.
  const notMember = await t.throwsAsync(a!.transport.forward('127.0.0.1:9', { kind: 'tx', body: '{}' }, 1000), { instanceOf: KnowdError });
  t.is(notMember?.code, 'PEER_REFUSED');
});

test('a node with a certificate from another CA can neither connect to the cluster nor be connected from it', async (t) => {
  const [a, b] = await startCluster(t, 2);
  const dir = tempDir(t);
  const other = await createCa('Some other cluster');
  const x = await startNode(t, dir, 'x', other);
  const unreachable: NodeId[] = [];
  x.transport.onUnreachable((p) => unreachable.push(p));
  a!.transport.setPeers([b!.id, x.id]);
  x.transport.setPeers([a!.id]);

  const inbound = await t.throwsAsync(x.transport.forward(a!.id, { kind: 'tx', body: '{}' }, 3000), { instanceOf: KnowdError });
  t.is(inbound?.code, 'PEER_REFUSED');
  t.regex(inbound?.message ?? '', /KNOWD_MTLS_CA/);
  const outbound = await t.throwsAsync(a!.transport.forward(x.id, { kind: 'tx', body: '{}' }, 3000), { instanceOf: KnowdError });
  t.is(outbound?.code, 'PEER_REFUSED');
  x.transport.send({ type: 'heartbeat', from: x.id, to: a!.id, term: 1, commit: 0 });
  await eventually(() => unreachable.includes(a!.id), 5000, 'onUnreachable');

  // Server side on its own: y trusts the cluster CA (so it accepts a's server certificate) but its
  // own certificate is from the other CA. a's server refuses the handshake.
  const yDir = path.join(dir, 'y');
  const yTls = await writeNodeTls(yDir, other, 'y');
  writeAtomic(yTls.caPath, other.certPem + (await clusterCa()).certPem);
  const y = await startNode(t, dir, 'y', other, { tls: yTls, peers: [a!.id] });
  a!.transport.setPeers([b!.id, x.id, y.id]);
  const refused = await t.throwsAsync(y.transport.forward(a!.id, { kind: 'tx', body: '{}' }, 3000), { instanceOf: KnowdError });
  t.true(refused?.code === 'PEER_REFUSED' || refused?.code === 'NO_LEADER', `${refused?.code}: ${refused?.message}`);
  y.transport.send({ type: 'heartbeat', from: y.id, to: a!.id, term: 1, commit: 0 });
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(a!.rec.messages, []);
});

test('a caller with a cluster certificate that is not a member, or whose certificate does not name its address, is refused', async (t) => {
  const [a, b] = await startCluster(t, 2);
  const dir = tempDir(t);
  const ca = await clusterCa();
  const u = await startNode(t, dir, 'u', ca, { peers: [a!.id] });
  const e = await t.throwsAsync(u.transport.forward(a!.id, { kind: 'tx', body: '{}' }, 3000), { instanceOf: KnowdError });
  t.is(e?.code, 'PEER_REFUSED');
  t.regex(e?.message ?? '', /is not a member/);
  const st = await t.throwsAsync(u.transport.status(a!.id, 3000), { instanceOf: KnowdError });
  t.is(st?.code, 'PEER_REFUSED');
  const snap = snapshotOf(2, 16);
  const sn = await t.throwsAsync(u.transport.sendSnapshot(a!.id, snap.offer, yieldAll(snap.chunks)), { instanceOf: KnowdError });
  t.is(sn?.code, 'PEER_REFUSED');
  const unreachable: NodeId[] = [];
  u.transport.onUnreachable((p) => unreachable.push(p));
  u.transport.send({ type: 'heartbeat', from: u.id, to: a!.id, term: 1, commit: 0 });
  await eventually(() => unreachable.length > 0, 5000, 'the refused stream to be reported');
  t.deepEqual(a!.rec.messages, []);
  t.true(a!.transport.stats().callsRefused >= 4);

  // A member whose certificate names another address: refused on both sides of the handshake.
  const wDir = path.join(dir, 'w');
  fs.mkdirSync(wDir);
  const wrong = await issueNodeCert(ca, { commonName: 'w', ips: ['10.1.2.3'], dnsNames: ['w.example'] });
  const wTls = { certPath: path.join(wDir, 'node.crt'), keyPath: path.join(wDir, 'node.key'), caPath: path.join(wDir, 'ca.crt') };
  writeAtomic(wTls.certPath, wrong.certPem);
  writeAtomic(wTls.keyPath, wrong.keyPem);
  writeAtomic(wTls.caPath, ca.certPem);
  const w = await startNode(t, dir, 'w', ca, { tls: wTls, peers: [a!.id] });
  a!.transport.setPeers([b!.id, w.id]);
  const we = await t.throwsAsync(w.transport.forward(a!.id, { kind: 'tx', body: '{}' }, 3000), { instanceOf: KnowdError });
  t.is(we?.code, 'PEER_REFUSED');
  t.regex(we?.message ?? '', /does not name 127\.0\.0\.1/);
  const aw = await t.throwsAsync(a!.transport.forward(w.id, { kind: 'tx', body: '{}' }, 3000), { instanceOf: KnowdError });
  t.is(aw?.code, 'PEER_REFUSED');
});

test('a peer that goes down is reported unreachable, and messages flow again once it is back', async (t) => {
  // A backoff long enough that the send right after the break surely falls into it.
  const [a, b] = await startCluster(t, 2, { reconnectBackoffMs: { initial: 1000, max: 1500 } });
  const hb = (term: number): Message => ({ type: 'heartbeat', from: a!.id, to: b!.id, term, commit: 0 });
  a!.transport.send(hb(1));
  await b!.rec.until(() => b!.rec.messages.length === 1);
  const unreachable: NodeId[] = [];
  a!.transport.onUnreachable((p) => unreachable.push(p));

  const port = b!.transport.port;
  await b!.transport.close();
  for (let term = 2; unreachable.length === 0; term++) {
    a!.transport.send(hb(term));
    await new Promise((r) => setTimeout(r, 50));
    if (term > 200) return t.fail('no onUnreachable after the peer went down');
  }
  t.is(unreachable[0], b!.id);
  // Backing off now: what is sent meanwhile is dropped and counted, not queued.
  const dropped = a!.transport.stats().messagesDropped;
  a!.transport.send(hb(999));
  t.is(a!.transport.stats().messagesDropped, dropped + 1);

  // Back on the same address with the same certificate.
  const b2 = createGrpcTransport({ self: b!.id, listen: { host: '127.0.0.1', port }, peers: [a!.id], tls: b!.tls });
  t.teardown(() => b2.close());
  const rec = new Recorder();
  await b2.start(rec);
  let term = 1000;
  while (rec.messages.length === 0) {
    a!.transport.send(hb(term++));
    await new Promise((r) => setTimeout(r, 50));
    if (term > 1200) return t.fail('messages did not flow again');
  }
  t.is(rec.messages[0]?.from, a!.id);
  // And replies flow back on b's own stream.
  b2.send({ type: 'heartbeat-resp', from: b!.id, to: a!.id, term: 1 });
  await a!.rec.until(() => a!.rec.messages.some((m) => m.type === 'heartbeat-resp'));
});

test('three nodes: everyone reaches everyone, a removed member is cut off both ways', async (t) => {
  const nodes = await startCluster(t, 3);
  for (const from of nodes) for (const to of nodes) if (from !== to) from.transport.send({ type: 'vote-resp', from: from.id, to: to.id, term: 2, granted: true });
  for (const n of nodes) await n.rec.until(() => n.rec.messages.length === 2);
  for (const n of nodes) t.deepEqual(new Set(n.rec.messages.map((m) => m.from)), new Set(nodes.filter((x) => x !== n).map((x) => x.id)));

  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
  a.transport.setPeers([a.id, b.id]); // self in the list is ignored
  b.transport.setPeers([a.id, b.id]);
  const e = await t.throwsAsync(c.transport.forward(a.id, { kind: 'tx', body: '{}' }, 3000), { instanceOf: KnowdError });
  t.is(e?.code, 'PEER_REFUSED');
  const before = a.rec.messages.length;
  c.transport.send({ type: 'heartbeat', from: c.id, to: a.id, term: 3, commit: 0 });
  a.transport.send({ type: 'heartbeat', from: a.id, to: c.id, term: 3, commit: 0 });
  await new Promise((r) => setTimeout(r, 300));
  t.is(a.rec.messages.length, before);
  t.is(c.rec.messages.length, 2);
  t.true(a.transport.stats().messagesDropped >= 1);
});

test('malformed frames and messages from a member are dropped and counted; the stream goes on', async (t) => {
  const [a] = await startCluster(t, 1);
  const dir = tempDir(t);
  const ca = await clusterCa();
  const tls = await writeNodeTls(path.join(dir, 'raw'), ca, 'raw');
  const rawId = '127.0.0.1:1';
  a!.transport.setPeers([rawId]);
  const creds = grpc.credentials.createSsl(fs.readFileSync(tls.caPath), fs.readFileSync(tls.keyPath), fs.readFileSync(tls.certPath));
  const client = new grpc.Client(`localhost:${a!.transport.port}`, creds);
  t.teardown(() => client.close());
  const md = new grpc.Metadata();
  md.set('knowd-from', rawId);
  const done = new Promise<grpc.ServiceError | null>((resolve) => {
    const call = client.makeClientStreamRequest<Buffer, Buffer>('/knowd.v1.Raft/Stream', (b) => b, (b) => b, md, {}, (err) => resolve(err));
    // Not protobuf at all.
    call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    // A RaftBatch with one RaftMessage that has no body: field 1 (messages), length 9,
    // { from: "x"(1), to: "y"(2), term: 1 } — a message type is missing.
    call.write(Buffer.from([0x0a, 0x08, 0x0a, 0x01, 0x78, 0x12, 0x01, 0x79, 0x18, 0x01]));
    call.end();
  });
  const err = await done;
  t.is(err, null);
  await eventually(() => a!.transport.stats().messagesMalformed >= 2, 5000, 'both counted');
  t.deepEqual(a!.rec.messages, []);
});

test('the standard gRPC health service answers', async (t) => {
  const [a] = await startCluster(t, 1);
  const dir = tempDir(t);
  const tls = await writeNodeTls(path.join(dir, 'probe'), await clusterCa(), 'probe');
  const creds = grpc.credentials.createSsl(fs.readFileSync(tls.caPath), fs.readFileSync(tls.keyPath), fs.readFileSync(tls.certPath));
  const client = new grpc.Client(`localhost:${a!.transport.port}`, creds);
  t.teardown(() => client.close());
  // HealthCheckRequest { service = "" } is the empty message; the response is field 1 (enum).
  const check = (req: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest<Buffer, Buffer>('/grpc.health.v1.Health/Check', (b) => b, (b) => b, req, (err, v) => (err !== null ? reject(err) : resolve(v as Buffer))),
    );
  t.deepEqual(await check(Buffer.alloc(0)), Buffer.from([0x08, 0x01])); // SERVING
  a!.transport.setServing('NOT_SERVING');
  t.deepEqual(await check(Buffer.alloc(0)), Buffer.from([0x08, 0x02]));
  const unknown = await t.throwsAsync(check(Buffer.from([0x0a, 0x03, 0x66, 0x6f, 0x6f])));
  t.is((unknown as grpc.ServiceError).code, grpc.status.NOT_FOUND);
});

test('bad TLS files stop the transport at creation with an actionable error', async (t) => {
  const dir = tempDir(t);
  const ca = await clusterCa();
  const tls = await writeNodeTls(path.join(dir, 'n'), ca, 'n');
  const other = await createCa('Other');
  const foreign = await writeNodeTls(path.join(dir, 'f'), other, 'f');
  const create = (paths: typeof tls) => () => createGrpcTransport({ listen: { host: '127.0.0.1', port: 0 }, peers: [], tls: paths });
  t.is(t.throws(create({ ...tls, caPath: path.join(dir, 'missing.crt') }), { instanceOf: KnowdError })?.code, 'CONFIG_INVALID');
  t.regex(t.throws(create({ ...tls, keyPath: foreign.keyPath }))?.message ?? '', /is not the key of the certificate/);
  t.regex(t.throws(create({ ...tls, caPath: foreign.caPath }))?.message ?? '', /is not signed by a CA/);
  t.regex(t.throws(create({ ...tls, caPath: tls.certPath }))?.message ?? '', /not a CA certificate/);
  // The key never appears in an error message.
  const keyPem = fs.readFileSync(tls.keyPath, 'utf8');
  fs.writeFileSync(path.join(dir, 'garbage.key'), keyPem.slice(0, 80));
  const msg = t.throws(create({ ...tls, keyPath: path.join(dir, 'garbage.key') }))?.message ?? '';
  t.false(msg.includes(keyPem.split('\n')[1]!.slice(0, 20)));

  const taken = createGrpcTransport({ listen: { host: '127.0.0.1', port: 0 }, peers: [], tls });
  t.teardown(() => taken.close());
  await taken.start(new Recorder());
  const clash = createGrpcTransport({ listen: { host: '127.0.0.1', port: taken.port }, peers: [], tls });
  const e = await t.throwsAsync(clash.start(new Recorder()), { instanceOf: KnowdError });
  t.is(e?.code, 'CONFIG_INVALID');
  await clash.close();
});
