/** The per-role health and readiness judgements, as pure functions of the node's status. */
import test from 'ava';
import { clusterChecks, readiness, type HealthInputs } from '../../../src/replication/node/health.js';
import type { ClusterStatusView } from '../../../src/replication/node/index.js';

function status(over: Partial<ClusterStatusView> = {}): ClusterStatusView {
  return {
    role: 'leader', nodeId: 'a:1', term: 3, leader: 'a:1', commitIndex: 10, appliedIndex: 10, lastIndex: 10, lagSec: 0,
    membership: { voters: ['a:1', 'b:1', 'c:1'], learners: [] },
    peers: [
      { id: 'b:1', voter: true, matchIndex: 10, lagEntries: 0, lastContactSec: 0.1, reachable: true, state: 'replicate' },
      { id: 'c:1', voter: true, matchIndex: 9, lagEntries: 1, lastContactSec: 0.2, reachable: true, state: 'replicate' },
    ],
    lastSnapshot: null, walBytes: 100, walEntries: 10, elections: 1, pendingWrites: 0, transport: null, keys: {}, warnings: [],
    ...over,
  };
}

function inputs(over: Partial<HealthInputs> = {}): HealthInputs {
  return {
    status: status(), electionTimeoutMs: 500, snapshotIntervalMs: 300_000, nowMs: 1_000_000, writeError: null, snapshotError: null,
    applyRate: { appliedLastMinute: 5, behindEntries: 0 }, single: false, ...over,
  };
}

const failing = (c: Record<string, { ok: boolean }>): string[] => Object.entries(c).filter(([, v]) => !v.ok).map(([k]) => k);

test('a leader in contact with a majority, writing and snapshotting, is healthy', (t) => {
  t.deepEqual(failing(clusterChecks(inputs())), []);
});

test('a leader that lost its majority fails "followers"; one lost follower of two is still fine', (t) => {
  const oneLost = status({ peers: [...status().peers.slice(0, 1), { id: 'c:1', voter: true, matchIndex: 9, lagEntries: 1, lastContactSec: 30, reachable: false, state: 'probe' }] });
  t.deepEqual(failing(clusterChecks(inputs({ status: oneLost }))), []);
  const bothLost = status({ peers: status().peers.map((p) => ({ ...p, lastContactSec: 30, reachable: false })) });
  t.deepEqual(failing(clusterChecks(inputs({ status: bothLost }))), ['followers']);
});

test('a failed log write, a failed or overdue snapshot fail their checks', (t) => {
  t.deepEqual(failing(clusterChecks(inputs({ writeError: 'ENOSPC' }))), ['wal']);
  t.deepEqual(failing(clusterChecks(inputs({ snapshotError: 'disk full' }))), ['snapshot']);
  const old = status({ lastSnapshot: { index: 2, term: 1, createdAtMs: 0, sizeBytes: 10 } });
  t.deepEqual(failing(clusterChecks(inputs({ status: old }))), ['snapshot']);
});

test('a follower: leader known and applying is healthy; no leader, stalled apply or bad indexes fail', (t) => {
  const f = status({ role: 'follower', leader: 'b:1', peers: [] });
  t.deepEqual(failing(clusterChecks(inputs({ status: f }))), []);
  t.deepEqual(failing(clusterChecks(inputs({ status: { ...f, leader: null } }))), ['leader']);
  t.deepEqual(failing(clusterChecks(inputs({ status: f, applyRate: { appliedLastMinute: 0, behindEntries: 50 } }))), ['apply']);
  t.deepEqual(failing(clusterChecks(inputs({ status: { ...f, appliedIndex: 11 } }))), ['index']);
  // Catching up while applying is healthy (alive), only not ready.
  const catching = inputs({ status: f, applyRate: { appliedLastMinute: 900, behindEntries: 5000 } });
  t.deepEqual(failing(clusterChecks(catching)), []);
  t.false(readiness(f, 5000, false, 1000).ok);
  t.true(readiness(f, 10, false, 1000).ok);
  t.false(readiness({ ...f, leader: null }, 0, false, 1000).ok);
});

test('single mode checks only the log', (t) => {
  t.deepEqual(Object.keys(clusterChecks(inputs({ single: true }))), ['wal']);
  t.true(readiness(status({ leader: null }), 99, true, 0).ok);
});
