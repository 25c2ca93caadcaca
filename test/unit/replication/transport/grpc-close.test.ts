/**
 * close() releases everything the transport opened: servers, sockets, streams, timers. Alone in its
 * file (its own worker process) so the count of live handles is not disturbed by other tests.
 */
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { startCluster } from './_fixtures.js';

/** Live libuv handles that keep a process alive, by kind (Node's own view). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'FSReqCallback' || kind === 'FileHandleCloseReq') continue; // ava's own file IO comes and goes
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

test('close() leaves no open handles, and cancels calls in flight', async (t) => {
  const baseline = handles();
  const nodes = await startCluster(t, 3, { tlsRefreshMs: 50, reconnectBackoffMs: { initial: 50, max: 100 } });
  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
  for (const x of nodes) for (const y of nodes) if (x !== y) x.transport.send({ type: 'heartbeat', from: x.id, to: y.id, term: 1, commit: 0 });
  for (const n of nodes) await n.rec.until(() => n.rec.messages.length === 2);
  t.true((await a.transport.forward(b.id, { kind: 'tx', body: '{}' }, 5000)).ok);
  await a.transport.status(c.id, 5000);
  t.not(JSON.stringify(handles()), JSON.stringify(baseline));

  // Calls still waiting when the caller closes are cancelled, not left hanging.
  b.rec.onForwardImpl = () => new Promise(() => {});
  const pending = a.transport.forward(b.id, { kind: 'tx', body: '{}' }, 60_000);
  b.rec.onSnapshotImpl = async (_f, _o, chunks) => {
    for await (const _ of chunks) await new Promise(() => {});
  };
  async function* endless() {
    for (let i = 0; ; i++) yield { offset: i * 1024, data: new Uint8Array(1024), sha256: '' };
  }
  const snapshot = a.transport.sendSnapshot(b.id, { index: 1, term: 1, membership: { voters: [], learners: [] }, sha256: '', sizeBytes: 1 << 30, name: 's' }, endless());
  await new Promise((r) => setTimeout(r, 200));
  // c goes first: the others now hold broken streams to it and back off.
  await c.transport.close();
  a.transport.send({ type: 'heartbeat', from: a.id, to: c.id, term: 2, commit: 0 });
  await new Promise((r) => setTimeout(r, 100));
  await a.transport.close();
  await b.transport.close();
  t.is((await t.throwsAsync(pending, { instanceOf: KnowdError }))?.code, 'SHUTTING_DOWN');
  t.is((await t.throwsAsync(snapshot, { instanceOf: KnowdError }))?.code, 'SHUTTING_DOWN');

  await new Promise((r) => setTimeout(r, 300));
  const after = handles();
  t.deepEqual(after, baseline, `still open: ${JSON.stringify(after)} (before: ${JSON.stringify(baseline)})`);
  // Closing twice is harmless.
  await a.transport.close();
});
