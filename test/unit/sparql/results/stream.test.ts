/** Chunked streaming: same bytes as the whole-document helpers, lazy pulling, bounded chunks. */
import test from 'ava';
import type { Quad } from '@rdfjs/types';
import {
  bindingsToString,
  createBindingsWriter,
  createGraphWriter,
  graphToString,
  serializeBindings,
  serializeGraph,
  type ResultRow,
} from '../../../../src/sparql/results/index.js';
import { EX, ROWS, VARS, literal, namedNode, quad } from './fixtures.js';

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

async function* slowly<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const x of items) {
    await new Promise((r) => setImmediate(r));
    yield x;
  }
}

for (const format of ['json', 'xml', 'csv', 'tsv'] as const) {
  test(`${format}: chunks concatenate to the whole document, sync or async source`, async (t) => {
    const whole = bindingsToString(createBindingsWriter(format), VARS, ROWS);
    t.is((await collect(serializeBindings(createBindingsWriter(format), VARS, ROWS))).join(''), whole);
    const small = await collect(serializeBindings(createBindingsWriter(format), VARS, slowly(ROWS), { chunkChars: 10 }));
    t.is(small.join(''), whole);
    t.true(small.length > 3);
    t.true(small.every((c) => c.length > 0));
  });
}

test('rows are pulled lazily: an endless source streams in bounded chunks', async (t) => {
  let pulled = 0;
  function* endless(): Generator<ResultRow> {
    for (;;) {
      pulled++;
      yield { x: literal(String(pulled)), y: namedNode(`${EX}${pulled}`) };
    }
  }
  const chunks = serializeBindings(createBindingsWriter('tsv'), ['x', 'y'], endless(), { chunkChars: 4096 });
  let seen = 0;
  for await (const c of chunks) {
    t.true(c.length < 4096 + 200, 'a chunk is the limit plus at most one row');
    if (++seen === 5) break;
  }
  t.true(pulled < 1000, `pulled ${pulled} rows for 5 chunks`);
});

test('graphs: chunks concatenate to the whole document', async (t) => {
  const quads: Quad[] = Array.from({ length: 500 }, (_, i) => quad(namedNode(`${EX}s${i % 10}`), namedNode(`${EX}p`), literal(`v${i}`)));
  for (const f of ['n-triples', 'n-quads', 'turtle', 'trig', 'json-ld'] as const) {
    const whole = graphToString(createGraphWriter(f), quads);
    const chunks = await collect(serializeGraph(createGraphWriter(f), slowly(quads), { chunkChars: 1000 }));
    t.is(chunks.join(''), whole, f);
    if (f !== 'json-ld') t.true(chunks.length > 5, `${f} streams`);
  }
});
