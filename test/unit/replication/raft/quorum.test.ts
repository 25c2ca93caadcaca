/** Quorum arithmetic against a dumb reference, on seeded random inputs (etcd's quickcheck). */
import test from 'ava';
import { committedIndex, voteResult } from '../../../../src/replication/raft/quorum.js';
import { seededRandom, testSeed } from '../../../helpers/random.js';

test('committedIndex is the highest index that a strict majority of voters has', (t) => {
  const seed = testSeed(7);
  const r = seededRandom(seed);
  for (let run = 0; run < 500; run++) {
    const n = 1 + Math.floor(r() * 7);
    const ids = Array.from({ length: n }, (_, i) => `v${i}`);
    const match = new Map(ids.map((id) => [id, Math.floor(r() * 10)]));
    const reference = Math.max(0, ...[...match.values()].filter((i) => ids.filter((id) => (match.get(id) ?? 0) >= i).length * 2 > n));
    t.is(committedIndex(ids, (id) => match.get(id) ?? 0), reference, `seed ${seed} run ${run}: ${JSON.stringify([...match])}`);
  }
  t.is(committedIndex([], () => 5), 0);
});

test('voteResult: won with a majority of grants, lost once a majority is out of reach; non-voters never count', (t) => {
  const v = ['a', 'b', 'c', 'd'];
  const votes = (o: Record<string, boolean>): Map<string, boolean> => new Map(Object.entries(o));
  t.is(voteResult(v, votes({ a: true, b: true })), 'pending');
  t.is(voteResult(v, votes({ a: true, b: true, c: true })), 'won');
  t.is(voteResult(v, votes({ a: true, b: false, c: false })), 'lost');
  t.is(voteResult(v, votes({ a: true, x: true, y: true, z: true })), 'pending');
  t.is(voteResult([], votes({ a: true })), 'lost');
});
