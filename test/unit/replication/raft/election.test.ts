/**
 * Elections: timeouts, votes, the log restriction, pre-vote, leader stickiness and check-quorum.
 * Section numbers: Raft paper (§5.x) and Ongaro's thesis (thesis §x.y).
 */
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import type { Message } from '../../../../src/replication/raft/index.js';
import { Cluster, bytes, entry, voters } from './harness.js';

const isolate = (id: string) => (m: Message): boolean => m.from === id || m.to === id;

test('§5.2: a follower campaigns after a randomized election timeout in [electionTicks, 2·electionTicks)', (t) => {
  for (const [random, expected] of [[0, 10], [0.999, 19]] as const) {
    const c = new Cluster(voters('a', 'b', 'c'), { random });
    c.tick('a', expected - 1);
    t.deepEqual(c.queue, [], `random ${random}: no campaign before tick ${expected}`);
    c.tick('a');
    t.deepEqual(c.queue.map((m) => `${m.type}→${m.to}@${m.term}`), ['pre-vote→b@1', 'pre-vote→c@1']);
    t.is(c.core('a').status().term, 0, 'a pre-vote does not raise the term');
  }
});

test('§5.2: the winner becomes leader and commits a noop of its term (§5.4.2) on every node', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  const a = c.elect('a');
  t.like(a.status(), { role: 'leader', leader: 'a', term: 1, commit: 1 });
  for (const id of ['a', 'b', 'c']) {
    t.like(c.node(id).applied[0], { index: 1, term: 1, kind: 'noop' });
    t.like(c.core(id).status(), { leader: 'a', term: 1, commit: 1 });
  }
});

test('§5.2: one vote per term, persisted in the HardState of the Ready that sends it', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  const b = c.core('b');
  b.step({ type: 'vote', from: 'a', to: 'b', term: 1, lastIndex: 0, lastTerm: 0, transfer: false });
  const rd = b.ready();
  t.deepEqual(rd.hardState, { term: 1, vote: 'a', commit: 0 });
  t.like(rd.messages[0], { type: 'vote-resp', to: 'a', term: 1, granted: true });
  b.advance(rd);
  b.step({ type: 'vote', from: 'c', to: 'b', term: 1, lastIndex: 5, lastTerm: 1, transfer: false });
  t.like(b.ready().messages[0], { type: 'vote-resp', to: 'c', granted: false });
});

test('§5.4.1: a vote goes only to a candidate whose log is at least as up to date', (t) => {
  const c = new Cluster(voters('a'));
  const b = c.add('b', voters('a', 'b', 'x'), [entry(1, 1), entry(2, 2)], { term: 2, vote: null, commit: 1 }).core;
  const ask = (from: string, lastIndex: number, lastTerm: number, term: number): boolean => {
    b.step({ type: 'vote', from, to: 'b', term, lastIndex, lastTerm, transfer: false });
    const rd = b.ready();
    b.advance(rd);
    const resp = rd.messages.find((m) => m.type === 'vote-resp');
    return resp?.type === 'vote-resp' && resp.granted;
  };
  t.false(ask('x', 5, 1, 3), 'a longer log of an older last term is behind');
  t.false(ask('x', 1, 2, 4), 'the same last term but shorter is behind');
  t.true(ask('x', 2, 2, 5), 'equal logs are up to date');
  t.true(ask('x', 1, 3, 6), 'a newer last term wins whatever the length');
});

test('§5.2: a single voter elects itself on the first timeout and commits once its entries are persisted', (t) => {
  const c = new Cluster(voters('a'));
  const a = c.core('a');
  for (let i = 0; i < 10; i++) a.tick();
  t.like(a.status(), { role: 'leader', term: 1, commit: 0 }, 'the noop is not persisted yet');
  const { index } = a.propose(bytes('x'));
  t.is(a.status().commit, 0);
  const first = a.ready();
  t.deepEqual(first.entries.map((e) => e.kind), ['noop', 'normal']);
  t.deepEqual(first.committed, []);
  c.node('a').log.append(first.entries);
  a.advance(first);
  t.is(a.status().commit, index, 'persisted, so counted');
  c.flush('a');
  t.deepEqual(c.appliedData('a'), ['x']);
});

test('thesis §9.6: a partitioned node keeps its term through pre-votes and does not disrupt the leader when it returns', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  c.elect('a');
  c.drop = isolate('c');
  for (let i = 0; i < 50; i++) {
    c.tickAll();
    c.stabilize();
  }
  t.like(c.core('c').status(), { role: 'pre-candidate', term: 1 });
  c.drop = () => false;
  for (let i = 0; i < 30; i++) {
    c.tickAll();
    c.stabilize();
  }
  t.like(c.core('a').status(), { role: 'leader', term: 1 });
  t.like(c.core('c').status(), { role: 'follower', leader: 'a', term: 1 });
});

test('thesis §4.2.3: a follower that hears from its leader ignores higher-term (pre-)votes, except for a transfer', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  c.elect('a');
  const b = c.core('b');
  b.step({ type: 'pre-vote', from: 'c', to: 'b', term: 2, lastIndex: 9, lastTerm: 1 });
  b.step({ type: 'vote', from: 'c', to: 'b', term: 2, lastIndex: 9, lastTerm: 1, transfer: false });
  t.false(b.hasReady(), 'ignored, no answer');
  t.is(b.status().term, 1);
  b.step({ type: 'vote', from: 'c', to: 'b', term: 2, lastIndex: 9, lastTerm: 1, transfer: true });
  const rd = b.ready();
  t.like(rd.messages[0], { type: 'vote-resp', granted: true, term: 2 });
  t.deepEqual(rd.hardState, { term: 2, vote: 'c', commit: 1 });
});

test('thesis §6.2: check-quorum — a leader cut off from the majority steps down within an election timeout and refuses writes', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  const a = c.elect('a');
  c.drop = isolate('a');
  for (let i = 0; i < 9; i++) c.tick('a');
  t.is(a.status().role, 'leader', 'still within the election timeout');
  c.tick('a');
  t.like(a.status(), { role: 'follower', leader: null, term: 1 });
  const err = t.throws(() => a.propose(bytes('late')), { instanceOf: KnowdError });
  t.is(err?.code, 'NOT_LEADER');
});

/** Ticks the cluster (delivering as it goes) until `id` leads. */
function tickUntilLeader(c: Cluster, id: string): void {
  for (let i = 0; i < 100 && c.core(id).status().role !== 'leader'; i++) {
    c.tickAll();
    c.stabilize();
  }
}

test('thesis §6.2: the majority side of a partition elects a new leader once its lease on the old one runs out', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'), { random: { a: 0.9, b: 0, c: 0.5 } });
  c.elect('a');
  c.drop = isolate('a');
  tickUntilLeader(c, 'b');
  t.like(c.core('b').status(), { role: 'leader', term: 2 });
  t.like(c.core('c').status(), { leader: 'b', term: 2 });
  t.not(c.core('a').status().role, 'leader');
  t.is(c.core('a').status().term, 1, 'cut off, a only pre-campaigns');
});

test('§5.1: a stale leader learns the newer term from any answer and steps down', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'), { random: { a: 0.9, b: 0, c: 0.5 } });
  const a = c.elect('a');
  c.drop = isolate('a');
  a.propose(bytes('lost'));
  c.flush('a');
  c.queue = [];
  // b and c stop hearing from a and elect b; a (not ticked) does not notice.
  for (let i = 0; i < 100 && c.core('b').status().role !== 'leader'; i++) {
    c.tick('b');
    c.tick('c');
    c.stabilize();
  }
  t.like(c.core('b').status(), { role: 'leader', term: 2 });
  t.is(a.status().role, 'leader');
  c.drop = () => false;
  // The old leader's heartbeat reaches c, whose answer carries term 2.
  c.tick('a');
  c.stabilize();
  t.like(a.status(), { role: 'follower', term: 2 });
  t.false(c.appliedData('a').includes('lost'));
});

test('§5.2: a learner never campaigns, however long it waits', (t) => {
  const c = new Cluster({ voters: ['a', 'b'], learners: ['l'] });
  c.tick('l', 100);
  t.deepEqual(c.queue, []);
  c.core('l').campaign();
  t.false(c.core('l').hasReady());
});
