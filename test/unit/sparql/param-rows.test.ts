/**
 * paramRows (a hook's ?this): a query run again and again with other rows reuses one prepared
 * plan (query.ts paramTemplate), and each run must see its own rows only, also while another run
 * of the same query is still being read.
 */
import test from 'ava';
import { factory } from '../../../src/rdf/index.js';
import { executeQuery, parseQuery, type QueryableDataset } from '../../../src/sparql/index.js';
import { EX, idTriples } from '../../helpers/id-dataset.js';

const { match, terms } = idTriples([
  ['a', 'takes', 'c1'],
  ['a', 'takes', 'c2'],
  ['b', 'takes', 'c2'],
  ['c1', 'level', 'grad'],
  ['c2', 'level', 'ugrad'],
]);
const data: QueryableDataset = { ...terms, match: (s, p, o, g) => (g === 0 ? match(s, p, o) : []), count: (s, p, o, g) => (g === 0 ? match(s, p, o).length : 0) };
const node = (n: string) => factory.namedNode(EX + n);
const opts = (rows: readonly Record<string, ReturnType<typeof node>>[]) => ({ deadlineMs: Number.MAX_SAFE_INTEGER, timeoutMs: 0, maxHeldValues: 1_000_000, nowMs: Date.now, paramRows: rows });

const SELECT = parseQuery(`PREFIX : <${EX}> SELECT ?this (COUNT(?c) AS ?n) { ?this :takes ?c . ?c :level ?l } GROUP BY ?this`);
const ASK = parseQuery(`PREFIX : <${EX}> ASK { ?this :takes ?c . ?c :level :grad }`);

function rows(r: ReturnType<typeof executeQuery>): string[] {
  if (r.kind !== 'bindings') throw new Error('expected bindings');
  return [...r.rows].map((x) => `${x['this']?.value.slice(EX.length)}=${x['n']?.value}`).sort();
}

test('each run of the same query sees its own parameter rows', (t) => {
  t.deepEqual(rows(executeQuery(SELECT, data, opts([{ this: node('a') }]))), ['a=2']);
  t.deepEqual(rows(executeQuery(SELECT, data, opts([{ this: node('b') }]))), ['b=1']);
  t.deepEqual(rows(executeQuery(SELECT, data, opts([{ this: node('a') }, { this: node('b') }]))), ['a=2', 'b=1']);
  t.deepEqual(rows(executeQuery(SELECT, data, opts([{ this: node('nobody') }]))), []);
  t.deepEqual(executeQuery(ASK, data, opts([{ this: node('a') }])), { kind: 'boolean', value: true });
  t.deepEqual(executeQuery(ASK, data, opts([{ this: node('b') }])), { kind: 'boolean', value: false });
  t.deepEqual(executeQuery(ASK, data, opts([])), { kind: 'boolean', value: false }, 'no rows: no solutions');
});

test('two runs read at the same time keep their rows apart', (t) => {
  const first = executeQuery(SELECT, data, opts([{ this: node('a') }]));
  const second = executeQuery(SELECT, data, opts([{ this: node('b') }]));
  t.deepEqual(rows(second), ['b=1']);
  t.deepEqual(rows(first), ['a=2']);
});

test('rows that leave a parameter unbound still run (without the shared plan)', (t) => {
  const q = parseQuery(`PREFIX : <${EX}> SELECT ?this ?c { ?this :takes ?c }`);
  const r = executeQuery(q, data, opts([{ this: node('b') }, {}]));
  if (r.kind !== 'bindings') throw new Error('expected bindings');
  t.is([...r.rows].length, 1 + 3, 'b takes c2; the empty row joins with every triple');
});
