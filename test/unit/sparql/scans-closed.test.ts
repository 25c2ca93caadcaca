/**
 * Every index scan a query opens is closed, also when the query stops early (ASK, LIMIT, EXISTS,
 * a consumer that stops reading). Over LMDB an open scan is a cursor holding its read transaction:
 * left open, each pins a reader slot until the process ends, and once the slots run out every
 * read fails with MDB_READERS_FULL (it did: a few hundred ASK queries with a join, between writes).
 */
import test from 'ava';
import { executeQuery, parseQuery, type QueryableDataset, type QueryIdQuad } from '../../../src/sparql/index.js';
import { EX, idTriples } from '../../helpers/id-dataset.js';

/** An in-memory dataset whose scans count how many are open. */
function tracked(triples: readonly (readonly [string, string, string])[]): { data: QueryableDataset; open: () => number; opened: () => number } {
  const { match, terms } = idTriples(triples);
  let open = 0;
  let opened = 0;
  function* scan(s?: number, p?: number, o?: number): Generator<QueryIdQuad> {
    open++;
    opened++;
    try {
      yield* match(s, p, o);
    } finally {
      open--;
    }
  }
  const data: QueryableDataset = {
    ...terms,
    match: (s, p, o, g) => (g === 0 ? scan(s, p, o) : []),
    count: (s, p, o, g) => (g === 0 ? match(s, p, o).length : 0),
  };
  return { data, open: () => open, opened: () => opened };
}

const TRIPLES: [string, string, string][] = [];
for (let i = 0; i < 20; i++) TRIPLES.push([`s${i}`, 'p', `o${i % 4}`], [`o${i % 4}`, 'q', `v${i}`], [`s${i}`, 'r', `s${(i + 1) % 20}`]);

const opts = { deadlineMs: Number.MAX_SAFE_INTEGER, timeoutMs: 0, maxHeldValues: 1_000_000, nowMs: Date.now };

const QUERIES = [
  'ASK { ?s :p ?o . ?o :q ?v }',
  'ASK { ?s :p ?o . ?o :q ?v . ?s :r ?t . ?t :p ?o2 }',
  'ASK { { ?s :p ?o } UNION { ?s :r ?o } ?o :q ?v }',
  'ASK { ?s :p ?o FILTER EXISTS { ?o :q ?v . ?s :r ?t } }',
  'ASK { ?s :p ?o OPTIONAL { ?o :q ?v . ?s :r ?t } }',
  'SELECT * { ?s :p ?o . ?o :q ?v } LIMIT 1',
  'SELECT * { ?s :r ?t . ?t :r ?u . ?u :p ?o } LIMIT 2',
  'SELECT ?s { ?s :p ?o FILTER NOT EXISTS { ?o :q :v3 . ?s :r ?t } } LIMIT 1',
  'SELECT ?s { ?s :r+ ?t } LIMIT 1',
];

for (const q of QUERIES) {
  test(`every scan is closed when the query stops early: ${q}`, (t) => {
    const { data, open, opened } = tracked(TRIPLES);
    const r = executeQuery(parseQuery(`PREFIX : <${EX}>\n${q}`), data, opts);
    if (r.kind === 'bindings') {
      const rows = [...r.rows];
      t.true(rows.length > 0);
    } else {
      t.deepEqual(r, { kind: 'boolean', value: true });
    }
    t.true(opened() > 0);
    t.is(open(), 0);
  });
}

test('a consumer that stops reading closes every scan of the rows it abandoned', (t) => {
  const { data, open } = tracked(TRIPLES);
  const r = executeQuery(parseQuery(`PREFIX : <${EX}>\nSELECT * { ?s :p ?o . ?o :q ?v . ?s :r ?t }`), data, opts);
  if (r.kind !== 'bindings') throw new Error('expected bindings');
  for (const _ of r.rows) break;
  t.is(open(), 0);
});
