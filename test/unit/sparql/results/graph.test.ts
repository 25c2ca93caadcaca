/** CONSTRUCT/DESCRIBE writers: exact output where it is ours, and every format read back by n3 and Oxigraph. */
import test from 'ava';
import type { Quad } from '@rdfjs/types';
import { Parser } from 'n3';
import oxigraph from 'oxigraph';
import { AssertionError, KnowdError } from '../../../../src/base/index.js';
import { canonicalNQuads } from '../../../../src/receipts/index.js';
import { createGraphWriter, GRAPH_FORMATS, graphToString, RESULT_FORMATS, type GraphFormatName } from '../../../../src/sparql/results/index.js';
import { pickOne, seededRandom, testSeed } from '../../../helpers/random.js';
import { EX, NASTY, blankNode, defaultGraph, literal, namedNode, quad, xsd } from './fixtures.js';

const RDF_TYPE = namedNode('http://www.w3.org/1999/02/22-rdf-syntax-ns#type');
const s1 = namedNode(`${EX}s1`);
const s2 = namedNode(`${EX}s2`);
const p = namedNode(`${EX}p`);
const q = namedNode(`${EX}q`);
const g = namedNode(`${EX}g`);
const b1 = blankNode('b1');
const bg = blankNode('bg');

/** Default-graph triples first (a CONSTRUCT result), then named graphs (a dataset). */
const TRIPLES: readonly Quad[] = [
  quad(s1, p, literal(NASTY)),
  quad(s1, RDF_TYPE, namedNode(`${EX}C`)),
  quad(s1, p, literal('chat', 'fr')),
  quad(s1, q, literal('42', xsd('integer'))),
  quad(s1, p, b1),
  quad(b1, q, s1),
  quad(s1, RDF_TYPE, literal('not a class')),
  quad(g, namedNode(`${EX}label`), literal('a graph that is also a subject')),
  quad(s2, p, literal('1.0E6', namedNode(`${EX}dt`))), // not xsd:double: Oxigraph would canonicalize it
];
const NAMED: readonly Quad[] = [quad(s1, p, literal('in g'), g), quad(b1, q, literal('y'), g), quad(s2, p, namedNode(`${EX}o`), bg)];
const QUADS: readonly Quad[] = [...TRIPLES, ...NAMED];
const asTriple = (x: Quad): Quad => quad(x.subject, x.predicate, x.object);

const write = (format: GraphFormatName, quads: readonly Quad[] = QUADS, prefixes?: Record<string, string>): string =>
  graphToString(createGraphWriter(format, prefixes === undefined ? {} : { prefixes }), quads);

function n3Parse(text: string, format: string): Quad[] {
  return new Parser({ format, blankNodePrefix: '' }).parse(text);
}

/** Oxigraph parses the document (an independent reader); its N-Quads dump is read back with n3. */
function oxParse(text: string, mediaType: string): Quad[] {
  const store = new oxigraph.Store();
  store.load(text, { format: mediaType });
  return n3Parse(store.dump({ format: 'application/n-quads' }), 'N-Quads');
}

/** Same graph up to blank node labels. */
async function isomorphic(a: readonly Quad[], b: readonly Quad[]): Promise<boolean> {
  return (await canonicalNQuads(a)) === (await canonicalNQuads(b));
}

// ------------------------------------------------------------------------------------ N-Triples/N-Quads

test('N-Triples: exact lines, canonical escapes, graphs dropped', (t) => {
  const out = write('n-triples', [TRIPLES[0]!, TRIPLES[2]!, TRIPLES[3]!, TRIPLES[4]!, NAMED[0]!, quad(s1, p, literal('\u0000\u0007\u007f\b\f\ufffe'))]);
  t.is(
    out,
    [
      String.raw`<http://example.org/s1> <http://example.org/p> "say \"hi\",\nthen\ttab\r\\ é 😀" .`,
      '<http://example.org/s1> <http://example.org/p> "chat"@fr .',
      '<http://example.org/s1> <http://example.org/q> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .',
      '<http://example.org/s1> <http://example.org/p> _:b1 .',
      '<http://example.org/s1> <http://example.org/p> "in g" .',
      String.raw`<http://example.org/s1> <http://example.org/p> "\u0000\u0007\u007F\b\f\uFFFE" .`,
      '',
    ].join('\n'),
  );
});

test('N-Triples and N-Quads read back to the same statements (n3 and Oxigraph)', async (t) => {
  const nt = write('n-triples');
  t.deepEqual(await canonicalNQuads(n3Parse(nt, 'N-Triples')), await canonicalNQuads(QUADS.map(asTriple)));
  t.true(await isomorphic(oxParse(nt, 'application/n-triples'), QUADS.map(asTriple)));
  const nq = write('n-quads');
  t.true(nq.includes('<http://example.org/s1> <http://example.org/p> "in g" <http://example.org/g> .\n'));
  t.true(nq.includes('<http://example.org/s2> <http://example.org/p> <http://example.org/o> _:bg .\n'));
  t.true(await isomorphic(n3Parse(nq, 'N-Quads'), QUADS));
  t.true(await isomorphic(oxParse(nq, 'application/n-quads'), QUADS));
});

test('N-Triples: the same node keeps its label in every statement', (t) => {
  const lines = write('n-triples', TRIPLES).split('\n');
  t.is(lines.filter((l) => l.includes('_:b1')).length, 2);
});

test('IRIs with characters IRIREF does not allow are \\u-escaped', (t) => {
  t.is(write('n-triples', [quad(namedNode(`${EX}a b`), p, namedNode(`${EX}<x>`))]), '<http://example.org/a\\u0020b> <http://example.org/p> <http://example.org/\\u003Cx\\u003E> .\n');
});

// ----------------------------------------------------------------------------------------- Turtle/TriG

test('Turtle: reads back to the triples (graphs dropped), with n3 and Oxigraph', async (t) => {
  const ttl = write('turtle');
  t.false(ttl.includes('{'), 'no graph blocks in Turtle');
  t.true(await isomorphic(n3Parse(ttl, 'Turtle'), QUADS.map(asTriple)));
  t.true(await isomorphic(oxParse(ttl, 'text/turtle'), QUADS.map(asTriple)));
});

test('Turtle: prefixes in the head, subjects grouped, output streamed row by row', (t) => {
  const w = createGraphWriter('turtle', { prefixes: { ex: EX } });
  t.is(w.head(), '@prefix ex: <http://example.org/>.\n\n');
  const pieces = [w.row(quad(s1, p, literal('a'))), w.row(quad(s1, q, literal('b'))), w.row(quad(s2, p, literal('c')))];
  t.is(pieces[0], 'ex:s1 ex:p "a"');
  t.is(pieces[1], ';\n    ex:q "b"');
  t.is(pieces[2], '.\nex:s2 ex:p "c"');
  t.is(w.end(), '.\n');
});

test('TriG: reads back to the quads, with n3 and Oxigraph', async (t) => {
  const trig = write('trig', QUADS, { ex: EX });
  t.true(trig.includes('ex:g {'));
  t.true(await isomorphic(n3Parse(trig, 'TriG'), QUADS));
  t.true(await isomorphic(oxParse(trig, 'application/trig'), QUADS));
});

// --------------------------------------------------------------------------------------------- JSON-LD

test('JSON-LD: exact expanded document (rdf:type as @type, graphs, duplicates once)', (t) => {
  const out = write('json-ld', [...QUADS, QUADS[2]!]);
  t.is(
    out,
    '[\n' +
      String.raw`{"@id":"http://example.org/s1","@type":["http://example.org/C"],"http://example.org/p":[{"@value":"say \"hi\",\nthen\ttab\r\\ é 😀"},{"@value":"chat","@language":"fr"},{"@id":"_:b1"}],"http://example.org/q":[{"@value":"42","@type":"http://www.w3.org/2001/XMLSchema#integer"}],"http://www.w3.org/1999/02/22-rdf-syntax-ns#type":[{"@value":"not a class"}]},` +
      '\n' +
      '{"@id":"_:b1","http://example.org/q":[{"@id":"http://example.org/s1"}]},\n' +
      '{"@id":"http://example.org/g","http://example.org/label":[{"@value":"a graph that is also a subject"}],"@graph":[\n' +
      '  {"@id":"http://example.org/s1","http://example.org/p":[{"@value":"in g"}]},\n' +
      '  {"@id":"_:b1","http://example.org/q":[{"@value":"y"}]}\n' +
      ']},\n' +
      '{"@id":"http://example.org/s2","http://example.org/p":[{"@value":"1.0E6","@type":"http://example.org/dt"}]},\n' +
      '{"@id":"_:bg","@graph":[\n' +
      '  {"@id":"http://example.org/s2","http://example.org/p":[{"@id":"http://example.org/o"}]}\n' +
      ']}\n' +
      ']\n',
  );
  t.true(Array.isArray(JSON.parse(out)));
});

test('JSON-LD: Oxigraph reads it back to the same dataset', async (t) => {
  const out = write('json-ld');
  t.true(await isomorphic(oxParse(out, 'application/ld+json'), QUADS));
});

test('JSON-LD: empty graph, and a blank-node subject with types only', (t) => {
  t.is(write('json-ld', []), '[]\n');
  t.deepEqual(JSON.parse(write('json-ld', [quad(b1, RDF_TYPE, namedNode(`${EX}C`)), quad(b1, RDF_TYPE, bg)])), [{ '@id': '_:b1', '@type': ['http://example.org/C', '_:bg'] }]);
});

// ---------------------------------------------------------------------------------------- edge cases

test('triple terms (RDF 1.2): N-Triples/N-Quads write <<( s p o )>>; JSON-LD refuses with BAD_TERM', (t) => {
  const tt = quad(s1, p, quad(s2, q, literal('x')));
  t.is(write('n-triples', [tt]), '<http://example.org/s1> <http://example.org/p> <<( <http://example.org/s2> <http://example.org/q> "x" )>> .\n');
  t.is(write('n-quads', [quad(tt.subject, tt.predicate, tt.object, g)]), '<http://example.org/s1> <http://example.org/p> <<( <http://example.org/s2> <http://example.org/q> "x" )>> <http://example.org/g> .\n');
  t.true(write('turtle', [tt]).includes('<<('));
  const w = createGraphWriter('json-ld');
  w.head();
  const e = t.throws(() => w.row(tt), { instanceOf: KnowdError });
  t.is(e?.code, 'BAD_TERM');
});

test('graph writers assert the protocol; media types match the formats', (t) => {
  for (const f of GRAPH_FORMATS) {
    const w = createGraphWriter(RESULT_FORMATS[f]);
    t.is(w.format, f);
    t.is(w.mediaType, RESULT_FORMATS[f].mediaType);
    t.is(w.contentType, RESULT_FORMATS[f].contentType);
    t.throws(() => w.row(quad(s1, p, s2)), { instanceOf: AssertionError });
    w.head();
    w.end();
    t.throws(() => w.end(), { instanceOf: AssertionError });
  }
});

test('a default graph given explicitly is the default graph', (t) => {
  t.is(write('n-quads', [quad(s1, p, s2, defaultGraph())]), '<http://example.org/s1> <http://example.org/p> <http://example.org/s2> .\n');
});

const ALPHABET = ['a', ' ', '"', "'", '\\', '\t', '\n', '\r', '<', '>', '&', '{', '}', '@', '^^', '#', '.', ';', '\u0000', '\u001f', '\u007f', 'é', '\u2028', '\ufffd', '😀', '"""', "'''"];

test('random literals survive N-Triples, N-Quads, Turtle, TriG and JSON-LD', async (t) => {
  const seed = testSeed(7311);
  const random = seededRandom(seed);
  const quads: Quad[] = [];
  for (let n = 0; n < 200; n++) {
    let v = '';
    const len = Math.floor(random() * 10);
    for (let i = 0; i < len; i++) v += pickOne(random, ALPHABET);
    const o = random() < 0.3 ? literal(v, 'en') : random() < 0.5 ? literal(v, xsd('token')) : literal(v);
    quads.push(quad(namedNode(`${EX}s${n % 7}`), namedNode(`${EX}p${n % 3}`), o, n % 5 === 0 ? g : defaultGraph()));
  }
  const triples = quads.map(asTriple);
  t.true(await isomorphic(n3Parse(write('n-triples', quads), 'N-Triples'), triples), `seed ${seed}`);
  t.true(await isomorphic(n3Parse(write('n-quads', quads), 'N-Quads'), quads), `seed ${seed}`);
  t.true(await isomorphic(n3Parse(write('turtle', quads), 'Turtle'), triples), `seed ${seed}`);
  t.true(await isomorphic(n3Parse(write('trig', quads), 'TriG'), quads), `seed ${seed}`);
  t.true(await isomorphic(oxParse(write('json-ld', quads), 'application/ld+json'), quads), `seed ${seed}`);
  t.true(await isomorphic(oxParse(write('n-quads', quads), 'application/n-quads'), quads), `seed ${seed}`);
});
