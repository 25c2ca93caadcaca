/**
 * Membership changes one server at a time (thesis §4.1–§4.2), learners, and leadership transfer
 * (thesis §3.10).
 */
import test from 'ava';
import { KnowdError, type ErrorCode } from '../../../../src/base/index.js';
import { decodeMembership, encodeMembership } from '../../../../src/replication/raft/index.js';
import { Cluster, bytes, voters } from './harness.js';

function code(f: () => unknown): ErrorCode | null {
  try {
    f();
  } catch (e) {
    if (e instanceof KnowdError) return e.code;
    throw e;
  }
  return null;
}

const cutOff = (id: string) => (m: { from: string; to: string }): boolean => m.from === id || m.to === id;

test('thesis §4.2.1: a learner receives the log but does not count; promoted, it counts toward commit', (t) => {
  const c = new Cluster({ voters: ['a', 'b'], learners: ['l'] });
  const a = c.elect('a');
  a.propose(bytes('one'));
  c.stabilize();
  t.deepEqual(c.appliedData('l'), ['one']);
  t.like(a.status().progress.find((p) => p.id === 'l'), { voter: false });
  // Without b, a and the learner are no majority of {a, b}.
  c.drop = cutOff('b');
  const { index } = a.propose(bytes('two'));
  c.stabilize();
  t.true(a.status().commit < index);
  c.drop = () => false;
  c.tick('a');
  c.stabilize();
  t.is(a.status().commit, index);
  a.proposeMembership({ type: 'promote', id: 'l' });
  c.stabilize();
  t.deepEqual(a.status().membership, { voters: ['a', 'b', 'l'], learners: [] });
  t.deepEqual(c.core('l').status().membership, { voters: ['a', 'b', 'l'], learners: [] });
  // Now a and l are a majority of {a, b, l}.
  c.drop = cutOff('b');
  const three = a.propose(bytes('three'));
  c.stabilize();
  t.is(a.status().commit, three.index);
  t.deepEqual(c.appliedData('l'), ['one', 'two', 'three']);
});

test('thesis §4.1: one change at a time — MEMBERSHIP_PENDING until the previous change is applied', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  const a = c.elect('a');
  c.drop = () => true;
  a.proposeMembership({ type: 'add-learner', id: 'd' });
  t.is(code(() => a.proposeMembership({ type: 'add-learner', id: 'e' })), 'MEMBERSHIP_PENDING');
  c.drop = () => false;
  c.tick('a');
  c.stabilize();
  t.deepEqual(a.status().membership, { voters: ['a', 'b', 'c'], learners: ['d'] });
  t.notThrows(() => a.proposeMembership({ type: 'remove', id: 'd' }));
});

test('thesis §4.1 (single-server bug fix): a new leader changes membership only after applying an entry of its term', (t) => {
  const c = new Cluster(voters('a'));
  const a = c.core('a');
  for (let i = 0; i < 10; i++) a.tick();
  t.is(a.status().role, 'leader');
  t.is(code(() => a.proposeMembership({ type: 'add-learner', id: 'b' })), 'MEMBERSHIP_PENDING', 'the noop is not applied yet');
  c.flush('a');
  t.is(a.status().applied, 1);
  t.notThrows(() => a.proposeMembership({ type: 'add-learner', id: 'b' }));
});

test('membership changes that make no sense are refused with CONFLICT; followers refuse with NOT_LEADER', (t) => {
  const c = new Cluster({ voters: ['a', 'b'], learners: ['l'] });
  const a = c.elect('a');
  t.is(code(() => a.proposeMembership({ type: 'promote', id: 'b' })), 'CONFLICT', 'already a voter');
  t.is(code(() => a.proposeMembership({ type: 'add-learner', id: 'l' })), 'CONFLICT', 'already a learner');
  t.is(code(() => a.proposeMembership({ type: 'remove', id: 'zz' })), 'CONFLICT', 'not a member');
  t.is(code(() => c.core('b').proposeMembership({ type: 'remove', id: 'a' })), 'NOT_LEADER');
  const single = new Cluster(voters('x'));
  const x = single.core('x');
  x.campaign();
  single.flush('x');
  t.is(code(() => x.proposeMembership({ type: 'remove', id: 'x' })), 'CONFLICT', 'the last voter');
});

test('thesis §4.2.2: a leader that removes itself leads without counting itself until that commits, then steps down', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'), { random: { a: 0, b: 0.3, c: 0.6 } });
  const a = c.elect('a');
  a.proposeMembership({ type: 'remove', id: 'a' });
  c.stabilize();
  t.like(a.status(), { role: 'follower', leader: null, membership: { voters: ['b', 'c'] } });
  for (let i = 0; i < 40; i++) {
    c.tickAll();
    c.stabilize();
  }
  t.is(a.status().role, 'follower', 'a removed node never campaigns');
  const leader = ['b', 'c'].find((id) => c.core(id).status().role === 'leader');
  t.truthy(leader);
  const l = c.core(leader as string);
  l.propose(bytes('after'));
  c.stabilize();
  t.deepEqual(c.appliedData('b'), ['after']);
  t.deepEqual(c.appliedData('a'), [], 'the removed node no longer receives the log');
});

test('thesis §3.10: a transfer brings the target up to date, refuses proposals meanwhile, and the target takes over', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  const a = c.elect('a');
  c.drop = cutOff('c');
  a.propose(bytes('x'));
  a.propose(bytes('y'));
  c.stabilize();
  c.drop = () => false;
  a.transferLeadership('c');
  t.is(a.status().transferee, 'c');
  t.is(code(() => a.propose(bytes('z'))), 'TRANSFER_IN_PROGRESS');
  t.is(code(() => a.proposeMembership({ type: 'remove', id: 'b' })), 'TRANSFER_IN_PROGRESS');
  c.stabilize();
  t.like(c.core('c').status(), { role: 'leader', term: 2 });
  t.like(a.status(), { role: 'follower', leader: 'c', term: 2, transferee: null });
  t.deepEqual(c.appliedData('c'), ['x', 'y']);
  const votes = c.node('c').readies.flatMap((r) => r.messages).filter((m) => m.type === 'vote');
  t.true(votes.length > 0 && votes.every((m) => m.type === 'vote' && m.transfer), 'votes say "transfer", so leases let them through');
});

test('thesis §3.10: a transfer that does not finish within an election timeout is abandoned', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  const a = c.elect('a');
  c.drop = cutOff('c');
  a.transferLeadership('c');
  for (let i = 0; i < 9; i++) {
    c.tick('a');
    c.stabilize();
  }
  t.is(a.status().transferee, 'c');
  c.tick('a');
  t.is(a.status().transferee, null);
  t.like(a.status(), { role: 'leader', term: 1 });
  t.notThrows(() => a.propose(bytes('ok')));
});

test('transfers only go from the leader to a voter', (t) => {
  const c = new Cluster({ voters: ['a', 'b'], learners: ['l'] });
  const a = c.elect('a');
  t.is(code(() => c.core('b').transferLeadership('a')), 'NOT_LEADER');
  t.is(code(() => a.transferLeadership('l')), 'CONFLICT');
  t.is(code(() => a.transferLeadership('nobody')), 'CONFLICT');
  a.transferLeadership('a');
  t.is(a.status().transferee, null, 'to itself: nothing to do');
});

test('membership bytes are canonical (sorted, deduplicated) and damaged ones are STORE_CORRUPT', (t) => {
  const m = { voters: ['c:1', 'a:1', 'b:1', 'a:1'], learners: ['z:1'] };
  const bytesOf = encodeMembership(m);
  t.deepEqual(decodeMembership(bytesOf), { voters: ['a:1', 'b:1', 'c:1'], learners: ['z:1'] });
  t.deepEqual(encodeMembership({ voters: ['b:1', 'c:1', 'a:1'], learners: ['z:1'] }), bytesOf);
  for (const bad of ['', 'null', '{"voters":[1],"learners":[]}', '{"voters":[]}', '\xff']) {
    t.is(code(() => decodeMembership(bytes(bad))), 'STORE_CORRUPT', JSON.stringify(bad));
  }
});

/** Ticks everyone, delivering as it goes, until `done` or a bound. */
function settle(c: Cluster, done: () => boolean): void {
  for (let i = 0; i < 200 && !done(); i++) {
    c.tickAll();
    c.stabilize();
  }
}

test('thesis §4.1: votes and quorums follow the latest membership in the log, so a removal cannot strand the rest (sim seed 2)', (t) => {
  // b removes itself; a acknowledges the entry, but b's next messages (with the commit) are lost.
  const c = new Cluster(voters('a', 'b'), { random: { a: 0, b: 0.5 } });
  const b = c.elect('b');
  const { index } = b.proposeMembership({ type: 'remove', id: 'b' });
  c.flush('b');
  c.deliver((m) => m.type === 'append' && m.to === 'a');
  c.queue = c.queue.filter((m) => m.type === 'append-resp');
  c.drop = (m) => m.from === 'b' && m.to === 'a';
  c.stabilize();
  t.like(b.status(), { role: 'follower', membership: { voters: ['a'] } }, 'b applied its removal and stepped down');
  t.true(c.core('a').status().commit < index, 'a does not know the removal committed');
  // a campaigns under the membership in its log, {a}: it needs no vote from b, whose log is longer.
  settle(c, () => c.core('a').status().role === 'leader');
  t.like(c.core('a').status(), { role: 'leader', membership: { voters: ['a'] } });
});

test('thesis §4.2.2: a voter whose removal is in its log but not applied still campaigns, to finish the change (sim seed 7962)', (t) => {
  // c proposes its own removal; the entry reaches nobody and c, cut off, steps down (check-quorum).
  const c = new Cluster(voters('a', 'c'), { random: { a: 0, c: 0.5 } });
  const leader = c.elect('c');
  c.drop = (m) => m.from === 'c' || m.to === 'c';
  leader.proposeMembership({ type: 'remove', id: 'c' });
  leader.propose(bytes('later'));
  settle(c, () => leader.status().role !== 'leader');
  t.is(leader.status().role, 'follower');
  c.drop = () => false;
  // a (log shorter) cannot win under {a, c} without c, and c's latest membership is {a}: c must
  // campaign, counting only a's vote, commit its removal, and step down for a.
  settle(c, () => c.core('a').status().role === 'leader');
  t.like(c.core('a').status(), { role: 'leader', membership: { voters: ['a'], learners: [] } });
  t.like(leader.status(), { role: 'follower', membership: { voters: ['a'], learners: [] } });
  t.deepEqual(c.appliedData('a'), ['later']);
});
