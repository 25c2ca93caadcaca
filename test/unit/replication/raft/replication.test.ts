/**
 * Log replication: conflict repair and fast backtracking, the commit rule of §5.4.2 (Figure 8),
 * flow control, and the snapshot path for followers that need compacted entries.
 */
import test from 'ava';
import type { Message } from '../../../../src/replication/raft/index.js';
import { Cluster, bytes, entry, text, voters } from './harness.js';

const terms = (c: Cluster, id: string): number[] => {
  const log = c.node(id).log;
  return log.entries(log.firstIndex(), log.lastIndex() + 1, Infinity).map((e) => e.term);
};

test('§5.3: a follower\'s conflicting uncommitted suffix is replaced by the leader\'s, after one rejection', (t) => {
  const m = voters('a', 'b', 'c');
  const c = new Cluster(voters());
  const common = [entry(1, 1, 'x'), entry(2, 1, 'y')];
  c.add('a', m, [...common, entry(3, 2, 'a3')], { term: 3, vote: null, commit: 2 });
  c.add('b', m, [...common, entry(3, 2, 'a3')], { term: 3, vote: null, commit: 2 });
  // c led term 3 alone: fifty entries nobody else has.
  c.add('c', m, [...common, ...Array.from({ length: 50 }, (_, i) => entry(3 + i, 3, `c${i}`))], { term: 3, vote: null, commit: 2 });
  c.elect('a');
  t.like(c.core('a').status(), { role: 'leader', term: 4 });
  t.deepEqual(terms(c, 'c'), [1, 1, 2, 4]);
  t.deepEqual(c.appliedData('c'), ['a3']);
  const rejections = c.node('c').readies.flatMap((r) => r.messages).filter((x) => x.type === 'append-resp' && !x.success);
  t.is(rejections.length, 1, 'the hint skips every entry of term 3 at once');
  t.like(rejections[0], { index: 3, hintIndex: 2 });
});

test('§5.3: a stale, shorter append does not truncate entries that match', (t) => {
  const c = new Cluster(voters());
  const b = c.add('b', voters('a', 'b'), [entry(1, 1), entry(2, 1), entry(3, 1)], { term: 1, vote: null, commit: 1 }).core;
  b.step({ type: 'append', from: 'a', to: 'b', term: 1, prevIndex: 1, prevTerm: 1, entries: [entry(2, 1)], commit: 1 });
  const rd = b.ready();
  t.deepEqual(rd.entries, [], 'nothing rewritten');
  t.like(rd.messages[0], { type: 'append-resp', success: true, index: 2 });
  t.is(b.status().lastIndex, 3);
});

test('§5.4.2 (Figure 8): a leader does not commit an entry of an earlier term by counting replicas', (t) => {
  // (c) of Figure 8: S1 leads term 4 with (2, t2), which S2 has; S5 holds a conflicting (2, t3).
  const m = voters('s1', 's2', 's3', 's4', 's5');
  const c = new Cluster(voters(), { maxMsgBytes: 1 });
  const base = entry(1, 1);
  c.add('s1', m, [base, entry(2, 2, 'two')], { term: 3, vote: null, commit: 1 });
  c.add('s2', m, [base, entry(2, 2, 'two')], { term: 3, vote: null, commit: 1 });
  c.add('s3', m, [base], { term: 3, vote: null, commit: 1 });
  c.add('s4', m, [base], { term: 3, vote: null, commit: 1 });
  c.add('s5', m, [base, entry(2, 3, 'three')], { term: 3, vote: null, commit: 1 });
  const s1 = c.core('s1');
  const down = (m: Message): boolean => m.to === 's5' || m.from === 's5' || m.to === 's2' || m.from === 's2';
  // S3 and S4 get (2, t2) alone (maxMsgBytes 1), then the noop, but S1 never hears they have the noop.
  const noopAcks = (x: Message): boolean => x.type === 'append-resp' && x.index >= 3;
  c.drop = (x) => down(x) || noopAcks(x);
  s1.campaign();
  c.stabilize();
  t.like(s1.status(), { role: 'leader', term: 4 });
  const matches = Object.fromEntries(s1.status().progress.map((p) => [p.id, p.match]));
  t.like(matches, { s1: 3, s3: 2, s4: 2 }, '(2, t2) is on a majority: S1, S3, S4 (and S2)');
  t.is(s1.status().commit, 1, 'but it is of term 2, so it is not committed by counting');
  // Once the term-4 noop is on a majority, both commit.
  c.drop = down;
  c.tick('s1');
  c.stabilize();
  t.is(s1.status().commit, 3);
  t.deepEqual(c.appliedData('s3'), ['two']);
  // And S5's (2, t3), never committed, is overwritten when S5 comes back (Figure 8 (e)).
  c.drop = () => false;
  c.tickAll();
  c.stabilize();
  t.deepEqual(terms(c, 's5'), [1, 2, 4]);
  t.deepEqual(c.appliedData('s5'), ['two']);
});

test('flow control: in replicate state at most maxInflight appends are in flight, each within maxMsgBytes', (t) => {
  const c = new Cluster(voters('a', 'b'), { maxInflight: 2, maxMsgBytes: 16 });
  const a = c.elect('a');
  for (let i = 0; i < 10; i++) a.propose(bytes(`entry-${i}`)); // 7 bytes each: two per append
  c.flush('a');
  let delivered = 0;
  for (let round = 0; round < 20 && c.queue.length > 0; round++) {
    const appends = c.queue.filter((m) => m.type === 'append' && m.to === 'b' && m.entries.length > 0);
    t.true(appends.length <= 2, `round ${round}: ${appends.length} appends in flight`);
    for (const m of appends) {
      if (m.type !== 'append') continue;
      const size = m.entries.reduce((n, e) => n + e.data.byteLength, 0);
      t.true(m.entries.length === 1 || size <= 16, `append of ${size} bytes`);
    }
    delivered += c.deliver().length;
  }
  t.true(delivered > 0);
  t.is(c.core('b').status().commit, 11);
  t.deepEqual(c.appliedData('b'), Array.from({ length: 10 }, (_, i) => `entry-${i}`));
});

/** a leads, c missed `n` entries and a compacted them away. */
function lagBehindCompaction(n: number): Cluster {
  const c = new Cluster(voters('a', 'b', 'c'));
  const a = c.elect('a');
  c.drop = (m) => m.to === 'c' || m.from === 'c';
  for (let i = 0; i < n; i++) a.propose(bytes(`e${i}`));
  c.stabilize();
  const applied = a.status().applied;
  c.node('a').log.compact(applied);
  c.drop = () => false;
  return c;
}

/** Delivers everything but snapshots until the leader sends one; returns it, still queued. */
function untilSnapshot(c: Cluster): Message | undefined {
  c.tick('a');
  for (let i = 0; i < 20 && !c.queue.some((m) => m.type === 'snapshot'); i++) c.deliver((m) => m.type !== 'snapshot');
  return c.queue.find((m) => m.type === 'snapshot');
}

test('snapshot: a follower that needs compacted entries installs the leader\'s snapshot, then catches up by appends', (t) => {
  const c = lagBehindCompaction(5);
  const a = c.core('a');
  a.propose(bytes('after'));
  c.flushAll();
  const snap = untilSnapshot(c);
  t.like(snap, { type: 'snapshot', from: 'a', to: 'c', snapshot: { index: 6, term: 1 } });
  t.like(a.status().progress.find((p) => p.id === 'c'), { state: 'snapshot' });
  c.deliver((m) => m.type === 'snapshot');
  const installed = c.node('c').readies.find((r) => r.snapshot !== null);
  t.like(installed?.snapshot, { index: 6, term: 1, membership: { voters: ['a', 'b', 'c'] } });
  t.like(installed?.messages[0], { type: 'append-resp', success: true, index: 6 });
  t.is(c.node('c').log.firstIndex(), 7);
  a.reportSnapshot('c', true);
  c.stabilize();
  t.is(c.core('c').status().commit, 7);
  t.deepEqual(c.appliedData('c'), ['after'], 'entries after the snapshot are applied, the snapshot itself is installed');
  t.like(a.status().progress.find((p) => p.id === 'c'), { state: 'replicate', match: 7 });
});

test('snapshot: a failed send is retried once the follower answers a heartbeat', (t) => {
  const c = lagBehindCompaction(3);
  const a = c.core('a');
  t.truthy(untilSnapshot(c));
  c.queue = c.queue.filter((m) => m.type !== 'snapshot');
  a.reportSnapshot('c', false);
  t.like(a.status().progress.find((p) => p.id === 'c'), { state: 'probe' });
  c.deliver();
  t.false(c.queue.some((m) => m.type === 'snapshot'), 'no retry before the peer answers');
  t.truthy(untilSnapshot(c), 'retried after a heartbeat answer');
});

test('snapshot: an old snapshot only reports the commit; one whose last entry we hold keeps the entries after it', (t) => {
  const c = new Cluster(voters());
  const log = [1, 2, 3, 4, 5].map((i) => entry(i, 1, `e${i}`));
  const b = c.add('b', voters('a', 'b'), log, { term: 1, vote: null, commit: 3 }).core;
  const meta = (index: number, term: number) => ({ index, term, membership: voters('a', 'b') });
  b.step({ type: 'snapshot', from: 'a', to: 'b', term: 1, snapshot: meta(2, 1) });
  let rd = b.ready();
  t.is(rd.snapshot, null);
  t.like(rd.messages[0], { type: 'append-resp', success: true, index: 3 });
  b.advance(rd);
  // (4, t1) is ours: we may have acknowledged 5 already, so 5 must survive.
  b.step({ type: 'snapshot', from: 'a', to: 'b', term: 1, snapshot: meta(4, 1) });
  rd = b.ready();
  t.is(rd.snapshot, null);
  t.like(b.status(), { commit: 4, lastIndex: 5 });
  t.like(rd.messages[0], { type: 'append-resp', success: true, index: 4 });
  t.deepEqual(rd.committed.map((e) => text(e.data)), ['e4'], 'e1..e3 were applied before (RaftInit.applied = 3)');
  b.advance(rd);
  // A snapshot past our log replaces it.
  b.step({ type: 'snapshot', from: 'a', to: 'b', term: 2, snapshot: meta(9, 2) });
  rd = b.ready();
  t.like(rd.snapshot, { index: 9, term: 2 });
  t.deepEqual(rd.hardState, { term: 2, vote: null, commit: 9 });
  t.like(b.status(), { commit: 9, lastIndex: 9 });
  t.deepEqual(rd.committed, [], 'the snapshot is the state; no entry before it is applied');
  b.advance(rd);
  t.is(b.status().applied, 9);
});
