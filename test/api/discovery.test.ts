/** /v1/cluster/status lists LAN discovery: the backend and each discovered node's identity. */
import test from 'ava';
import { createStaticSource } from '../../src/discovery/index.js';
import { json, makeApp } from '../helpers/http-app.js';

interface Status {
  discovery: { backend: string; peers: { nodeId: string; clusterId: string; provisioned: boolean; addresses: string[]; grpcPort: number; httpPort: number; lastSeen: string }[] };
}

test('without discovery the status says backend off and lists no peers', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const s = json<Status>(await app.inject({ url: '/v1/cluster/status' }));
  t.deepEqual(s.discovery, { backend: 'off', peers: [] });
});

test('discovered peers appear with node id, addresses, gRPC port, provisioning and when they were last seen', async (t) => {
  const source = createStaticSource([{
    instance: 'knowd-n2', host: 'knowd-n2.local', addresses: ['198.18.0.2'], httpPort: 8090,
    txt: { clusterId: 'c1', nodeId: 'n2', grpcPort: 8091, version: '0.1.0', provisioned: true },
  }]);
  await source.start({ httpPort: 8090, txt: { clusterId: '', nodeId: 'n1', grpcPort: 8091, version: '0.1.0', provisioned: false } });
  const { app, close } = await makeApp({ discovery: { status: () => ({ backend: source.backend, peers: source.peers() }) } });
  t.teardown(close);
  const s = json<Status>(await app.inject({ url: '/v1/cluster/status' }));
  t.is(s.discovery.backend, 'static');
  t.is(s.discovery.peers.length, 1);
  const p = s.discovery.peers[0]!;
  t.like(p, { nodeId: 'n2', clusterId: 'c1', provisioned: true, addresses: ['198.18.0.2'], grpcPort: 8091, httpPort: 8090 });
  t.false(Number.isNaN(Date.parse(p.lastSeen)));
});
