/** memoDataset: a small scan read to its end is replayed, anything else is read again; same quads, same order. */
import test from 'ava';
import { memoDataset } from '../../../src/hooks/memo.js';
import type { QueryableDataset, QueryIdQuad } from '../../../src/sparql/index.js';

function fake(n: number): { ds: QueryableDataset; reads: { match: number; count: number } } {
  const reads = { match: 0, count: 0 };
  const quads: QueryIdQuad[] = Array.from({ length: n }, (_, i) => [1, 2, i + 10, 0]);
  const ds: QueryableDataset = {
    lookup: () => undefined,
    term: () => { throw new Error('not used'); },
    namedGraphs: () => [],
    count: () => {
      reads.count++;
      return quads.length;
    },
    *match() {
      reads.match++;
      yield* quads;
    },
  };
  return { ds, reads };
}

test('a small scan read to its end is read once; counts too', (t) => {
  const { ds, reads } = fake(3);
  const m = memoDataset(ds);
  const first = [...m.match(1, 2, undefined, 0)];
  t.deepEqual([...m.match(1, 2, undefined, 0)], first);
  t.is(first.length, 3);
  t.is(reads.match, 1);
  // Another pattern is another read.
  t.is([...m.match(1, undefined, undefined, 0)].length, 3);
  t.is(reads.match, 2);
  t.is(m.count(1, 2, undefined, 0), 3);
  t.is(m.count(1, 2, undefined, 0), 3);
  t.is(reads.count, 1);
});

test('a scan stopped early, or too large to keep, is read again', (t) => {
  const small = fake(3);
  const m = memoDataset(small.ds);
  for (const _ of m.match(1, 2, undefined, 0)) break;
  t.is([...m.match(1, 2, undefined, 0)].length, 3);
  t.is(small.reads.match, 2);
  const big = fake(1000);
  const b = memoDataset(big.ds);
  t.is([...b.match(1, 2, undefined, 0)].length, 1000);
  t.is([...b.match(1, 2, undefined, 0)].length, 1000);
  t.is(big.reads.match, 2);
});
