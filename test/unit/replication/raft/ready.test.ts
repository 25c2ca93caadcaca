/**
 * The contract with the driver (types.ts): one Ready at a time, persist-before-count, committed
 * entries handed out once per life and again after a restart from RaftInit.applied, and network
 * input that never throws.
 */
import test from 'ava';
import { AssertionError, KnowdError } from '../../../../src/base/index.js';
import { RaftNode, type Message } from '../../../../src/replication/raft/index.js';
import { Cluster, bytes, text, voters } from './harness.js';

test('a follower refuses proposals with NOT_LEADER, naming the leader it knows', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  c.elect('a');
  const err = t.throws(() => c.core('b').propose(bytes('x')), { instanceOf: KnowdError });
  t.is(err?.code, 'NOT_LEADER');
  t.deepEqual(err?.details, { leader: 'a' });
  const fresh = new Cluster(voters('a', 'b'));
  t.deepEqual(t.throws(() => fresh.core('a').propose(bytes('x')), { instanceOf: KnowdError })?.details, { leader: null });
});

test('one Ready at a time: hasReady() is false and ready() is refused until advance()', (t) => {
  const c = new Cluster(voters('a'));
  const a = c.core('a');
  a.campaign();
  const rd = a.ready();
  a.propose(bytes('while persisting'));
  t.false(a.hasReady());
  t.throws(() => a.ready(), { instanceOf: AssertionError });
  t.throws(() => a.advance({ ...rd }), { instanceOf: AssertionError }, 'only the Ready last handed out');
  c.node('a').log.append(rd.entries);
  a.advance(rd);
  t.true(a.hasReady());
  const next = a.ready();
  t.deepEqual(next.entries.map((e) => text(e.data)), ['while persisting'], 'each entry is handed out once');
  t.deepEqual(next.committed.map((e) => e.kind), ['noop'], 'the noop was persisted, so it committed');
});

test('committed entries are handed out once; after a restart, those after RaftInit.applied again', (t) => {
  const c = new Cluster(voters('a'));
  const a = c.elect('a');
  for (const x of ['x', 'y', 'z']) a.propose(bytes(x));
  c.flush('a');
  t.deepEqual(c.appliedData('a'), ['x', 'y', 'z']);
  t.false(a.hasReady());
  const n = c.node('a');
  // Crash after applying x (index 2): y and z (3, 4) come again, x does not.
  const restarted = new RaftNode(c.config('a'), n.log, { hardState: n.hardState, membership: voters('a'), applied: 2 });
  const rd = restarted.ready();
  t.deepEqual(rd.committed.map((e) => text(e.data)), ['y', 'z']);
  t.deepEqual(rd.entries, []);
  restarted.advance(rd);
  t.false(restarted.hasReady());
  t.like(restarted.status(), { role: 'follower', term: 1, commit: 4, applied: 4 });
});

test('a vote is sent only in the Ready that persists it, and a restarted node keeps it', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  const b = c.core('b');
  b.step({ type: 'vote', from: 'a', to: 'b', term: 3, lastIndex: 0, lastTerm: 0, transfer: false });
  const rd = b.ready();
  t.deepEqual(rd.hardState, { term: 3, vote: 'a', commit: 0 });
  t.true(rd.messages.some((m) => m.type === 'vote-resp' && m.granted));
  const again = new RaftNode(c.config('b'), c.node('b').log, { hardState: { term: 3, vote: 'a', commit: 0 }, membership: voters('a', 'b', 'c'), applied: 0 });
  again.step({ type: 'vote', from: 'c', to: 'b', term: 3, lastIndex: 0, lastTerm: 0, transfer: false });
  t.like(again.ready().messages[0], { type: 'vote-resp', granted: false });
});

test('network input that is misaddressed, from ourselves, stale or malformed is ignored without throwing', (t) => {
  const c = new Cluster(voters('a', 'b', 'c'));
  c.elect('a');
  const b = c.core('b');
  const before = b.status();
  const junk: Message[] = [
    { type: 'heartbeat', from: 'a', to: 'c', term: 1, commit: 1 },
    { type: 'heartbeat', from: 'b', to: 'b', term: 9, commit: 1 },
    { type: 'vote-resp', from: 'c', to: 'b', term: 1, granted: true },
    { type: 'append-resp', from: 'c', to: 'b', term: 1, success: true, index: 99, hintIndex: 0 },
    { type: 'heartbeat', from: 'a', to: 'b', term: -1, commit: 1 },
    { type: 'heartbeat', from: 'a', to: 'b', term: Number.NaN, commit: 1 },
    { type: 'unknown', from: 'a', to: 'b', term: 1 } as unknown as Message,
  ];
  for (const m of junk) t.notThrows(() => b.step(m), m.type);
  t.false(b.hasReady());
  t.deepEqual(b.status(), before);
  // A stale leader's append is answered with our term (so that it steps down), nothing else.
  b.step({ type: 'append', from: 'x', to: 'b', term: 0, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
  t.like(b.ready().messages, [{ type: 'append-resp', to: 'x', term: 1, success: false }]);
});

test('status() reports progress on the leader only', (t) => {
  const c = new Cluster({ voters: ['a', 'b'], learners: ['l'] });
  const a = c.elect('a');
  t.deepEqual(
    a.status().progress.map((p) => [p.id, p.voter, p.match, p.state]),
    [['a', true, 1, 'probe'], ['b', true, 1, 'replicate'], ['l', false, 1, 'replicate']],
  );
  t.deepEqual(c.core('b').status().progress, []);
  t.like(c.core('l').status(), { role: 'follower', leader: 'a', commit: 1, applied: 1, lastIndex: 1, transferee: null });
});
