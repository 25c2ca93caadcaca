/**
 * The wire format of a federated query's part: stored terms as ids up to the coordinator's bound,
 * everything else (computed values, terms newer than the bound) as text, in one row; read back from
 * chunks split anywhere; a part that is not whole or does not add up is refused.
 */
import test from 'ava';
import type { Term } from '@rdfjs/types';
import { KnowdError } from '../../../src/base/index.js';
import { PartReader, partLines, type PartIds } from '../../../src/engine/index.js';
import { encodeTerm, factory } from '../../../src/rdf/index.js';
import type { QueryResult, Val } from '../../../src/sparql/index.js';

const STORE = new Map<number, Term>([
  [3, factory.namedNode('http://e/a')],
  [7, factory.literal('x', 'en')],
  [12, factory.namedNode('http://e/new')],
]);
const computed = factory.literal('4.5', factory.namedNode('http://www.w3.org/2001/XMLSchema#decimal'));

function result(rows: (Val | undefined)[][]): QueryResult {
  return {
    kind: 'bindings',
    vars: ['s', 'o', 'c'],
    rows: [],
    vals: { rows, term: (v) => (typeof v === 'number' ? STORE.get(v)! : v) },
  };
}

async function text(r: QueryResult, ids: PartIds | undefined): Promise<string> {
  let out = '';
  for await (const c of partLines(r, 0, ids)) out += c;
  return out;
}

test('ids up to the bound, computed values and newer terms as text, unbound as null: in one row', async (t) => {
  const out = await text(result([[3, computed, undefined], [12, 7, computed]]), { nsId: 1, upTo: 10 });
  const lines = out.trimEnd().split('\n');
  t.is(lines.length, 2);
  t.deepEqual(JSON.parse(lines[0]!), { n: 2, vals: [3, encodeTerm(computed), null, encodeTerm(STORE.get(12)!), 7, encodeTerm(computed)] });
  t.is((JSON.parse(lines[1]!) as { stats: { rows: number } }).stats.rows, 2);
  const reader = new PartReader(3);
  // Chunks may cut lines anywhere.
  for (const ch of out) reader.push(ch);
  t.true(reader.closed);
  t.is(reader.rows, 2);
  t.deepEqual(
    reader.vals.map((v) => (v === undefined ? '-' : typeof v === 'number' ? v : encodeTerm(v))),
    [3, encodeTerm(computed), '-', encodeTerm(STORE.get(12)!), 7, encodeTerm(computed)],
  );
});

test('without ids (an older coordinator) every value is text, a row a line', async (t) => {
  const r: QueryResult = { kind: 'bindings', vars: ['s'], rows: [{ s: STORE.get(3)! }, {}] };
  const out = await text(r, undefined);
  t.deepEqual(out.trimEnd().split('\n').slice(0, 2).map((l) => JSON.parse(l) as unknown), [{ row: ['http://e/a'] }, { row: [null] }]);
  const reader = new PartReader(1);
  reader.push(out);
  t.true(reader.closed);
  t.is(reader.rows, 2);
});

test('many rows come in several batches; rows with no variables are counted', async (t) => {
  const rows = Array.from({ length: 30_000 }, (_, i) => [i % 2 === 0 ? 3 : 7, computed, undefined]);
  const out = await text(result(rows), { nsId: 1, upTo: 10 });
  t.true(out.split('\n').length > 3, 'more than one batch');
  const reader = new PartReader(3);
  reader.push(out);
  t.is(reader.rows, 30_000);
  t.is(reader.vals.length, 90_000);
  const empty: QueryResult = { kind: 'bindings', vars: [], rows: [], vals: { rows: [[], [], []], term: (v) => v as Term } };
  const r0 = new PartReader(0);
  r0.push(await text(empty, { nsId: 1, upTo: 10 }));
  t.is(r0.rows, 3);
});

test('a part that does not add up is refused', (t) => {
  const bad = (lines: string[], width = 2): unknown => t.throws(() => new PartReader(width).push(lines.map((l) => `${l}\n`).join('')), { instanceOf: KnowdError });
  bad(['{"n":2,"vals":[1,2,3]}']);
  bad(['{"row":[1]}']);
  bad(['{"n":1,"vals":[1,2]}', '{"stats":{"rows":2,"elapsedMs":1}}']);
  bad(['{"stats":{"rows":0,"elapsedMs":1}}', '{"n":1,"vals":[1,2]}']);
  const cut = new PartReader(2);
  cut.push('{"n":1,"vals":[1,2]}\n');
  t.false(cut.closed, 'no closing line: not whole');
});
