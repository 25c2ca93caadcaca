/**
 * What the planner asks of the store: range counts are linear in the matches, so a query must not
 * ask for the same count twice, nor count at all where the answer cannot change the plan.
 */
import test from 'ava';
import { executeQuery, parseQuery, type QueryableDataset } from '../../../src/sparql/index.js';
import { EX, idTriples } from '../../helpers/id-dataset.js';

/** An in-memory dataset over ids that records every count() it answers. */
function dataset(triples: readonly (readonly [string, string, string])[]): { data: QueryableDataset; counts: string[] } {
  const { match, terms } = idTriples(triples);
  const counts: string[] = [];
  const data: QueryableDataset = {
    ...terms,
    match: (s, p, o, g) => (g === 0 ? match(s, p, o) : []),
    count: (s, p, o, g) => {
      counts.push(`${s ?? '_'} ${p ?? '_'} ${o ?? '_'}`);
      return g === 0 ? match(s, p, o).length : 0;
    },
  };
  return { data, counts };
}

function run(data: QueryableDataset, q: string): string[] {
  const r = executeQuery(parseQuery(`PREFIX : <${EX}>\n${q}`), data, { deadlineMs: Date.now() + 10_000, timeoutMs: 10_000, maxHeldValues: 1_000_000, nowMs: Date.now });
  if (r.kind !== 'bindings') throw new Error('expected bindings');
  return [...r.rows].map((row) => r.vars.map((v) => row[v]?.value.slice(EX.length) ?? '-').join(' ')).sort();
}

const TRIPLES = [
  ['a', 'type', 'Student'],
  ['b', 'type', 'Student'],
  ['c', 'type', 'Course'],
  ['a', 'takes', 'c'],
  ['b', 'takes', 'c'],
  ['t', 'teaches', 'c'],
] as const;

test('a pattern with a constant the store has never seen empties its BGP without a single count', (t) => {
  const { data, counts } = dataset(TRIPLES);
  t.deepEqual(run(data, 'SELECT * { ?x a :Unknown ; :takes ?y . ?y a :Course }'), []);
  t.deepEqual(run(data, 'SELECT * { ?x :takes ?y . ?y :type :Unknown . ?x :type :Student }'), []);
  t.deepEqual(counts, []);
});

test('a pattern with no matches stops the counting of the rest of its BGP', (t) => {
  const { data, counts } = dataset(TRIPLES);
  // :t is known but teaches no Student: the second pattern counts 0, the third is never counted.
  t.deepEqual(run(data, 'SELECT * { ?y :type :Course . :t :type ?y . ?x :takes ?y }'), []);
  t.is(counts.length, 2);
});

test('a one-pattern BGP is not planned; each count is asked once per query', (t) => {
  const { data, counts } = dataset(TRIPLES);
  t.deepEqual(run(data, 'SELECT ?x { ?x :type :Student }'), ['a', 'b']);
  t.deepEqual(counts, []);
  // Planned once per outer row until its order is stable: the same counts come from the query's cache.
  t.deepEqual(run(data, 'SELECT ?x ?y { VALUES ?z { :c } ?x :takes ?z . ?x :type :Student . ?y :teaches ?z }'), ['a t', 'b t']);
  t.is(new Set(counts).size, counts.length);
});
