/**
 * The PeerSource contract on the static-list source (the in-memory twin of the mDNS backends, which
 * test/e2e/discovery.test.ts runs in network namespaces): events, self-filtering, updates, stop.
 */
import test from 'ava';
import { createStaticSource, MAX_PEERS, PeerTable, type DiscoveredPeer, type PeerTxt } from '../../../src/discovery/index.js';

const txt = (nodeId: string, extra: Partial<PeerTxt> = {}): PeerTxt => ({ clusterId: '', nodeId, grpcPort: 8091, version: '0.1.0', provisioned: false, ...extra });
const peer = (n: number, extra: Partial<PeerTxt> = {}): DiscoveredPeer => ({
  instance: `knowd-n${n}`, host: `knowd-n${n}.local`, addresses: [`198.18.0.${n}`], httpPort: 8090, txt: txt(`n${n}`, extra),
});

function record(source: { on: (e: 'up' | 'update' | 'down', l: (p: DiscoveredPeer) => void) => () => void }): string[] {
  const events: string[] = [];
  for (const e of ['up', 'update', 'down'] as const) source.on(e, (p) => events.push(`${e} ${p.txt.nodeId}`));
  return events;
}

test('start reports the listed peers, never this node itself', async (t) => {
  const s = createStaticSource([peer(1), peer(2), peer(3)]);
  const events = record(s);
  await s.start({ httpPort: 8090, txt: txt('n1') });
  t.deepEqual(events, ['up n2', 'up n3']);
  t.deepEqual(s.peers().map((p) => p.txt.nodeId).sort(), ['n2', 'n3']);
  t.is(s.backend, 'static');
});

test('set() turns list changes into up, update and down; an unchanged peer is silent', async (t) => {
  const s = createStaticSource([peer(2), peer(3)]);
  await s.start({ httpPort: 8090, txt: txt('n1') });
  const events = record(s);
  s.set([peer(2), peer(3, { provisioned: true, clusterId: 'c1' }), peer(4)]);
  s.set([peer(3, { provisioned: true, clusterId: 'c1' }), peer(4)]);
  t.deepEqual(events, ['update n3', 'up n4', 'down n2']);
  t.true(s.peers().find((p) => p.txt.nodeId === 'n3')?.txt.provisioned);
});

test('update() changes what this node advertises; stop() withdraws it and drops the peers', async (t) => {
  const s = createStaticSource([peer(2)]);
  await s.start({ httpPort: 8090, txt: txt('n1') });
  await s.update({ clusterId: 'c1', provisioned: true });
  t.deepEqual(s.advertised()?.txt, txt('n1', { clusterId: 'c1', provisioned: true }));
  const events = record(s);
  await s.stop();
  t.deepEqual(events, ['down n2']);
  t.deepEqual(s.peers(), []);
  t.is(s.advertised(), undefined);
  await t.notThrowsAsync(() => s.stop(), 'idempotent');
});

test('unsubscribe stops the events', async (t) => {
  const s = createStaticSource([]);
  await s.start({ httpPort: 8090, txt: txt('n1') });
  const seen: string[] = [];
  const off = s.on('up', (p) => seen.push(p.txt.nodeId));
  s.set([peer(2)]);
  off();
  s.set([peer(2), peer(3)]);
  t.deepEqual(seen, ['n2']);
});

test('the table records when a peer was last seen, sorts its addresses, and is bounded', (t) => {
  let now = 1000;
  const table = new PeerTable(() => now);
  table.setSelf('self');
  t.true(table.seen({ ...peer(2), addresses: ['198.18.0.9', '198.18.0.2', '198.18.0.9'] }));
  now = 2000;
  table.seen({ ...peer(2), addresses: ['198.18.0.2', '198.18.0.9'] });
  t.deepEqual(table.list()[0]?.addresses, ['198.18.0.2', '198.18.0.9']);
  t.is(table.list()[0]?.lastSeenMs, 2000, 'a sighting refreshes lastSeen even without a change');
  t.false(table.seen({ ...peer(5), txt: txt('self') }), 'this node is never listed');
  for (let i = 0; i < MAX_PEERS + 10; i++) table.seen({ ...peer(100), instance: `i${i}`, txt: txt(`x${i}`) });
  t.is(table.list().length, MAX_PEERS);
});
