/** The states the admin UI shows for each member, decided from the serving node's status and its peers' answers. */
import test from 'ava';
import { buildClusterView, type PeerAnswer } from '../../../src/api/http/cluster-view.js';
import type { ClusterStatusView } from '../../../src/replication/node/index.js';

const A = '10.0.0.1:8091';
const B = '10.0.0.2:8091';
const C = '10.0.0.3:8091';
const NOW = Date.parse('2026-03-01T12:00:00Z');

function status(over: Partial<ClusterStatusView> & { nodeId: string }): ClusterStatusView {
  return {
    role: 'follower', term: 4, leader: A, commitIndex: 100, appliedIndex: 100, lastIndex: 100, lagSec: 0,
    membership: { voters: [A, B, C], learners: [] }, peers: [], lastSnapshot: null, walBytes: 1000, walEntries: 10,
    elections: 1, pendingWrites: 0, transport: null, keys: {}, warnings: [], ...over,
  };
}

const progress = (id: string, match: number, state = 'replicate', lastIndex = 100): ClusterStatusView['peers'][number] =>
  ({ id, voter: true, matchIndex: match, lagEntries: lastIndex - match, lastContactSec: 0.1, reachable: true, state });

const ok = (s: ClusterStatusView): PeerAnswer => ({ ok: true, status: s });

test('a leader, a follower in sync and one catching up, seen from the leader', (t) => {
  const self = status({ nodeId: A, role: 'leader', peers: [progress(B, 100), progress(C, 60)] });
  const v = buildClusterView(self, new Map([[B, ok(status({ nodeId: B }))], [C, ok(status({ nodeId: C, appliedIndex: 60, lagSec: 2.5 }))]]), NOW);
  t.is(v.leader, A);
  t.deepEqual(v.nodes.map((n) => [n.id, n.state, n.lagEntries]), [[A, 'leader', 0], [B, 'in sync', 0], [C, 'catching up', 40]]);
  t.regex(v.nodes[2]!.detail, /40 entries behind the leader, 2.5 s/);
  t.true(v.nodes[0]!.self);
});

test('seen from a follower: progress comes from the leader\'s own status; an unreachable member says so', (t) => {
  const self = status({ nodeId: B });
  const leader = status({ nodeId: A, role: 'leader', peers: [progress(B, 100), progress(C, 0, 'probe')] });
  const v = buildClusterView(self, new Map<string, PeerAnswer>([[A, ok(leader)], [C, { ok: false, error: 'connect ECONNREFUSED' }]]), NOW);
  t.deepEqual(v.nodes.map((n) => n.state), ['leader', 'in sync', 'unreachable']);
  t.regex(v.nodes[2]!.detail, /10.0.0.2:8091 cannot reach it \(connect ECONNREFUSED\)/);
  t.is(v.nodes[2]!.commitIndex, null);
});

test('a follower being sent a snapshot, and a learner', (t) => {
  const self = status({ nodeId: A, role: 'leader', membership: { voters: [A, B], learners: [C] }, peers: [progress(B, 10, 'snapshot'), { ...progress(C, 100), voter: false }] });
  const v = buildClusterView(self, new Map([[B, ok(status({ nodeId: B, appliedIndex: 10 }))], [C, ok(status({ nodeId: C }))]]), NOW);
  t.deepEqual(v.nodes.map((n) => [n.state, n.voter]), [['leader', true], ['receiving snapshot', true], ['learner', false]]);
});

test('when the leader is dead, the view follows the member that claims a newer term', (t) => {
  // B still names the dead A (its election timer has not fired); C already won term 5.
  const self = status({ nodeId: B, leader: A, term: 4 });
  const v = buildClusterView(self, new Map<string, PeerAnswer>([
    [A, { ok: false, error: 'unreachable' }],
    [C, ok(status({ nodeId: C, role: 'leader', term: 5, leader: C, peers: [progress(B, 100)] }))],
  ]), NOW);
  t.is(v.leader, C);
  t.is(v.term, 5);
  t.deepEqual(v.nodes.map((n) => [n.id, n.state]), [[A, 'unreachable'], [B, 'in sync'], [C, 'leader']]);
});

test('no leader at all: every reachable member says so', (t) => {
  const self = status({ nodeId: B, leader: null, role: 'candidate' });
  const v = buildClusterView(self, new Map<string, PeerAnswer>([[A, { ok: false, error: 'down' }], [C, ok(status({ nodeId: C, leader: null }))]]), NOW);
  t.is(v.leader, null);
  t.deepEqual(v.nodes.map((n) => n.state), ['unreachable', 'no leader', 'no leader']);
});
