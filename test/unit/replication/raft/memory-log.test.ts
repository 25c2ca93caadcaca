/** MemoryLogStorage: the durable log of the simulation and of driver tests. */
import test from 'ava';
import { AssertionError } from '../../../../src/base/index.js';
import { MemoryLogStorage, encodeMembership } from '../../../../src/replication/raft/index.js';
import { entry, voters } from './harness.js';

const all = (s: MemoryLogStorage): string[] => s.entries(s.firstIndex(), s.lastIndex() + 1, Infinity).map((e) => `${e.index}/${e.term}`);

test('append truncates the suffix from the first new index, and refuses gaps', (t) => {
  const s = new MemoryLogStorage();
  t.deepEqual([s.firstIndex(), s.lastIndex(), s.term(0), s.term(1)], [1, 0, 0, undefined]);
  s.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
  s.append([entry(2, 2)]);
  t.deepEqual(all(s), ['1/1', '2/2']);
  t.throws(() => s.append([entry(4, 2)]), { instanceOf: AssertionError });
  s.append([]);
  t.is(s.lastIndex(), 2);
});

test('entries() returns at least one entry, then up to maxBytes of data', (t) => {
  const s = new MemoryLogStorage();
  s.append([entry(1, 1, 'aaaa'), entry(2, 1, 'bb'), entry(3, 1, 'cc'), entry(4, 1, 'd')]);
  t.deepEqual(s.entries(1, 5, 0).map((e) => e.index), [1]);
  t.deepEqual(s.entries(1, 5, 6).map((e) => e.index), [1, 2]);
  t.deepEqual(s.entries(2, 5, 5).map((e) => e.index), [2, 3, 4]);
  t.deepEqual(s.entries(3, 3, 100), []);
  t.throws(() => s.entries(0, 2, 100), { instanceOf: AssertionError });
});

test('compact keeps the snapshot term and derives the membership from dropped config entries', (t) => {
  const s = new MemoryLogStorage({ index: 0, term: 0, membership: voters('a') });
  const ab = voters('a', 'b');
  s.append([entry(1, 1), { index: 2, term: 1, kind: 'config', data: encodeMembership(ab) }, entry(3, 2), entry(4, 2)]);
  s.compact(1);
  t.deepEqual(s.snapshot(), { index: 1, term: 1, membership: voters('a') });
  s.compact(3);
  t.deepEqual(s.snapshot(), { index: 3, term: 2, membership: ab });
  t.deepEqual([s.firstIndex(), s.lastIndex(), s.term(3), s.term(2)], [4, 4, 2, undefined]);
  s.compact(2);
  t.is(s.firstIndex(), 4, 'compacting to an older index changes nothing');
  // Appending entries the snapshot already covers only adds the new ones.
  s.append([entry(3, 2), entry(4, 2), entry(5, 3)]);
  t.deepEqual(all(s), ['4/2', '5/3']);
});

test('applySnapshot replaces the whole log', (t) => {
  const s = new MemoryLogStorage();
  s.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
  s.applySnapshot({ index: 2, term: 5, membership: voters('x') });
  t.deepEqual([s.firstIndex(), s.lastIndex(), s.term(2)], [3, 2, 5]);
  t.throws(() => s.applySnapshot({ index: 1, term: 5, membership: voters('x') }), { instanceOf: AssertionError });
});
