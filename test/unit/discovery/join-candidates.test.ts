import test from 'ava';
import { joinCandidates } from '../../../src/daemon/index.js';
import type { PeerEntry } from '../../../src/discovery/index.js';

const peer = (nodeId: string, provisioned: boolean, clusterId: string, addresses: string[], lastSeenMs: number): PeerEntry => ({
  instance: `knowd-${nodeId}`, host: `${nodeId}.local`, addresses, httpPort: 8090, lastSeenMs,
  txt: { clusterId, nodeId, grpcPort: 8091, version: '0.1.0', provisioned },
});

test('only provisioned nodes of a cluster are join candidates, newest first, one URL per IPv4 address', (t) => {
  const list = joinCandidates([
    peer('fresh', false, '', ['198.18.0.9'], 50),
    peer('old', true, 'c1', ['198.18.0.2'], 10),
    peer('new', true, 'c1', ['198.18.0.3', 'fe80::1', '198.18.1.3'], 30),
    peer('half', true, '', ['198.18.0.4'], 40),
  ]);
  t.deepEqual(list.map((c) => c.url), ['http://198.18.0.3:8090', 'http://198.18.1.3:8090', 'http://198.18.0.2:8090']);
  t.deepEqual(list.map((c) => c.nodeId), ['new', 'new', 'old']);
});
