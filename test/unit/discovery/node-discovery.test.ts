/**
 * The daemon's discovery wiring with the static source in place of mDNS: what it advertises, the
 * discovered-peers gauge, the status view, updates from init/join, and that a failing backend never
 * stops the node.
 */
import test from 'ava';
import { loadConfig } from '../../../src/config/index.js';
import { NodeDiscovery } from '../../../src/daemon/discovery.js';
import { createStaticSource, type DiscoveredPeer, type PeerTxt, type StaticSource } from '../../../src/discovery/index.js';
import { Metrics, createLogger } from '../../../src/obs/index.js';

const txt = (nodeId: string, extra: Partial<PeerTxt> = {}): PeerTxt => ({ clusterId: '', nodeId, grpcPort: 8091, version: '0.1.0', provisioned: false, ...extra });
const peer = (n: number, extra: Partial<PeerTxt> = {}): DiscoveredPeer => ({
  instance: `knowd-n${n}`, host: `knowd-n${n}.local`, addresses: [`198.18.0.${n}`], httpPort: 8090, txt: txt(`n${n}`, extra),
});

async function gauge(metrics: Metrics): Promise<Record<string, number>> {
  const m = await metrics.registry.getSingleMetric('knowd_cluster_discovered_peers')?.get();
  return Object.fromEntries((m?.values ?? []).map((v) => [String(v.labels['provisioned']), v.value]));
}

function make(argv: string[] = [], source: StaticSource = createStaticSource([peer(2), peer(3, { provisioned: true, clusterId: 'c1' })])): { d: NodeDiscovery; metrics: Metrics; source: StaticSource; choices: string[] } {
  const metrics = new Metrics(false);
  const choices: string[] = [];
  const d = new NodeDiscovery(loadConfig(['--store', 'mem', '--grpc-addr', ':9191', ...argv], {}), {
    log: createLogger('silent'), metrics, nodeId: 'n1', version: '9.9.9',
    select: async (choice) => {
      choices.push(choice);
      return choice === 'off' ? undefined : source;
    },
  });
  return { d, metrics, source, choices };
}

test('advertises node id, gRPC port and version; a single node is not provisioned', async (t) => {
  const { d, source, choices } = make();
  t.is(d.status().backend, 'off', 'before start');
  await d.start(18090);
  t.deepEqual(choices, ['auto'], 'KNOWD_DISCOVERY defaults to auto');
  t.deepEqual(source.advertised(), { httpPort: 18090, txt: txt('n1', { grpcPort: 9191, version: '9.9.9' }) });
  t.is(d.status().backend, 'static');
  t.deepEqual(d.status().peers.map((p) => p.txt.nodeId).sort(), ['n2', 'n3']);
  await d.stop();
});

test('the gauge counts discovered peers by provisioning state and follows up/down', async (t) => {
  const { d, metrics, source } = make();
  await d.start(18090);
  t.deepEqual(await gauge(metrics), { true: 1, false: 1 });
  source.set([peer(2), peer(3, { provisioned: true }), peer(4, { provisioned: true })]);
  t.deepEqual(await gauge(metrics), { true: 2, false: 1 });
  source.set([]);
  t.deepEqual(await gauge(metrics), { true: 0, false: 0 });
  await d.stop();
});

test('update() (for init/join) reaches the advertisement', async (t) => {
  const { d, source } = make();
  await d.start(18090);
  await d.update({ clusterId: 'c9', provisioned: true });
  t.deepEqual(source.advertised()?.txt, txt('n1', { grpcPort: 9191, version: '9.9.9', clusterId: 'c9', provisioned: true }));
  await d.stop();
  t.is(source.advertised(), undefined, 'stop withdraws the advertisement');
  t.is(d.status().backend, 'off');
});

test('KNOWD_DISCOVERY=off starts nothing', async (t) => {
  const { d, choices } = make(['--discovery', 'off']);
  await d.start(18090);
  t.deepEqual(choices, ['off']);
  t.deepEqual(d.status(), { backend: 'off', peers: [] });
});

test('a backend that fails to start leaves the node running without discovery', async (t) => {
  const broken = createStaticSource();
  broken.start = () => Promise.reject(new Error('no LAN interface'));
  const { d } = make([], broken);
  await t.notThrowsAsync(() => d.start(18090));
  t.is(d.status().backend, 'off');
});

test('a bad KNOWD_DISCOVERY value names the allowed ones', (t) => {
  t.throws(() => loadConfig(['--store', 'mem'], { KNOWD_DISCOVERY: 'bonjour' }), { message: /KNOWD_DISCOVERY.*bonjour.*auto, avahi, mdns-js, off|auto.*avahi.*mdns-js.*off/s });
});
