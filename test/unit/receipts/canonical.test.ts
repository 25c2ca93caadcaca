import test from 'ava';
import type { Quad } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { isKnowdError } from '../../../src/base/index.js';
import { canonicalDelta, canonicalNQuads, deltaHash, digestDelta } from '../../../src/receipts/index.js';
import { EX, XSD, blankNode, defaultGraph, literal, namedNode, oracle, pick, quad, seeded, shuffle } from './helpers.js';

const s = namedNode(`${EX}s`);
const p = namedNode(`${EX}p`);
const g = namedNode(`${EX}graph/1`);

/** Every kind of term and escape the canonical form distinguishes. */
const variedSample: Quad[] = [
  quad(s, p, literal('plain')),
  quad(s, p, literal('')),
  quad(s, p, literal('say "hi"')),
  quad(s, p, literal('back\\slash')),
  quad(s, p, literal('line\nbreak\r\nand return')),
  quad(s, p, literal('tab\there, bell\u0007, nul\u0000, unit sep\u001f, del\u007f, bs\b, ff\f')),
  quad(s, p, literal("single ' quote and <angle> {braces}")),
  quad(s, p, literal('unicode: é ü ß 中文 日本語 😀 \uE000 \uFFFD')),
  quad(s, p, literal('chat', 'fr')),
  quad(s, p, literal('colour', 'en-gb')),
  quad(s, p, literal('Grüezi', 'de-ch-1996')),
  quad(s, p, literal('42', namedNode(`${XSD}integer`))),
  quad(s, p, literal('explicit string', namedNode(`${XSD}string`))),
  quad(s, p, literal('2024-01-01T00:00:00Z', namedNode(`${XSD}dateTime`))),
  quad(s, p, literal('x', namedNode(`${EX}custom-type`))),
  quad(s, p, namedNode(`${EX}o`)),
  quad(s, p, namedNode('http://example.org/ünïcödé/路径?q=é#frag')),
  quad(namedNode('urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66'), p, literal('urn')),
  quad(s, p, literal('in a graph'), g),
  quad(s, p, literal('in another graph'), namedNode('http://example.org/graph/é')),
  quad(s, namedNode(`${EX}p2`), literal('same s, other p'), g),
];

test('the fast path equals rdf-canonize quad by quad on a varied sample', async (t) => {
  for (const q of variedSample) {
    t.is(await canonicalNQuads([q]), await oracle([q]));
  }
});

test('the fast path equals rdf-canonize on the whole varied sample', async (t) => {
  t.is(await canonicalNQuads(variedSample), await oracle(variedSample));
});

test('the fast path equals rdf-canonize on seeded random quads', async (t) => {
  const seed = 20240601;
  const random = seeded(seed);
  const chars = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u0001', '\u001f', '\u007f',
    'é', '中', '😀', '\uE000', '\uFFFD', "'", '<', '>', '^', '@', '.'];
  const iris = [`${EX}a`, `${EX}b`, 'http://example.org/é', 'http://例え.jp/x', 'urn:x:😀', 'http://example.org/\uE000'];
  const randomText = (): string => Array.from({ length: Math.floor(random() * 8) }, () => pick(random, chars)).join('');
  const quads: Quad[] = [];
  for (let i = 0; i < 2000; i++) {
    const kind = Math.floor(random() * 4);
    const object =
      kind === 0 ? namedNode(pick(random, iris))
      : kind === 1 ? literal(randomText(), pick(random, ['en', 'en-us', 'fr', 'zh-hant-tw']))
      : kind === 2 ? literal(randomText(), namedNode(pick(random, [`${XSD}string`, `${XSD}integer`, ...iris])))
      : literal(randomText());
    const graph = random() < 0.5 ? defaultGraph() : namedNode(pick(random, iris));
    quads.push(quad(namedNode(pick(random, iris)), namedNode(pick(random, iris)), object, graph));
  }
  t.is(await canonicalNQuads(quads), await oracle(quads), `seed ${seed}`);
});

test('escapes follow canonical N-Quads', async (t) => {
  t.is(
    await canonicalNQuads([quad(s, p, literal('a"b\\c\nd\re\tf\u0001g\u007fh é'))]),
    `<${EX}s> <${EX}p> "a\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007Fh é" .\n`,
  );
  t.is(await canonicalNQuads([quad(s, p, literal('x', namedNode(`${XSD}string`)))]), `<${EX}s> <${EX}p> "x" .\n`);
  t.is(await canonicalNQuads([quad(s, p, literal('x', 'en-gb'), g)]), `<${EX}s> <${EX}p> "x"@en-gb <${EX}graph/1> .\n`);
});

test('the delta text is "added\\n" + added + "removed\\n" + removed, each part canonical', async (t) => {
  const added = variedSample.slice(0, 10);
  const removed = variedSample.slice(10);
  t.is(await canonicalDelta(added, removed), `added\n${await oracle(added)}removed\n${await oracle(removed)}`);
  t.is(await canonicalDelta([], []), 'added\nremoved\n');
  // The same quad added or removed is a different delta.
  t.not(await deltaHash(added, []), await deltaHash([], added));
  t.regex(await deltaHash(added, removed), /^[0-9a-f]{64}$/);
});

test('order and duplicates do not change the delta or its counts', async (t) => {
  const random = seeded(7);
  const withBlank = [...variedSample, quad(blankNode('x'), p, literal('b')), quad(s, p, blankNode('x'))];
  for (const quads of [variedSample, withBlank]) {
    const messy = shuffle(random, [...quads, ...quads.slice(0, 5)]);
    t.is(await deltaHash(messy, []), await deltaHash(quads, []));
    const digest = await digestDelta(messy, messy.slice(0, 3));
    t.is(digest.added, quads.length);
    t.is(digest.removed, 3);
  }
});

/** A delta of people with blank-node addresses, labelled by `label`. */
function peopleWithAddresses(label: (i: number) => string): Quad[] {
  const quads: Quad[] = [];
  for (let i = 0; i < 20; i++) {
    const person = blankNode(label(i));
    const address = blankNode(label(100 + i));
    quads.push(quad(person, namedNode(`${EX}name`), literal(`person ${i % 5}`)));
    quads.push(quad(person, namedNode(`${EX}address`), address));
    quads.push(quad(address, namedNode(`${EX}city`), literal(i % 2 === 0 ? 'Zürich' : 'Bern')));
    quads.push(quad(namedNode(`${EX}registry`), namedNode(`${EX}member`), person, blankNode(label(999))));
  }
  quads.push(quad(s, p, literal('no blank node here')));
  return quads;
}

test('blank-node deltas canonicalize the same whatever the labels', async (t) => {
  const random = seeded(42);
  const a = peopleWithAddresses((i) => `b${i}`);
  const b = shuffle(random, peopleWithAddresses((i) => `other_${(i * 7919) % 1000}x`));
  const text = await canonicalNQuads(a);
  t.is(await canonicalNQuads(b), text);
  t.is(text, await oracle(a));
  t.notRegex(text, /_:b\d|_:other/);
  t.is(await deltaHash(a, a.slice(0, 4)), await deltaHash(b, peopleWithAddresses((i) => `z${i}`).slice(0, 4)));
});

test('a different blank-node structure has a different hash', async (t) => {
  const one = [quad(blankNode('a'), p, literal('1')), quad(blankNode('a'), p, literal('2'))];
  const two = [quad(blankNode('a'), p, literal('1')), quad(blankNode('b'), p, literal('2'))];
  t.not(await deltaHash(one, []), await deltaHash(two, []));
});

test('a Turtle list of repeated values canonicalizes', async (t) => {
  const rdf = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
  const items = 30;
  const quads: Quad[] = [quad(s, p, blankNode('l0'))];
  for (let i = 0; i < items; i++) {
    quads.push(quad(blankNode(`l${i}`), namedNode(`${rdf}first`), literal('0', namedNode(`${XSD}integer`))));
    quads.push(quad(blankNode(`l${i}`), namedNode(`${rdf}rest`), i + 1 < items ? blankNode(`l${i + 1}`) : namedNode(`${rdf}nil`)));
  }
  const text = await canonicalNQuads(quads);
  t.is(text.split('\n').length - 1, quads.length);
});

test('blank nodes too symmetric to canonicalize are a TOO_LARGE error, as is an abort', async (t) => {
  // A clique of blank nodes: every node looks like every other, the textbook "poison" graph.
  const clique: Quad[] = [];
  for (let i = 0; i < 6; i++) {
    for (let j = 0; j < 6; j++) if (i !== j) clique.push(quad(blankNode(`k${i}`), p, blankNode(`k${j}`)));
  }
  const tooSymmetric = await t.throwsAsync(canonicalNQuads(clique));
  t.true(isKnowdError(tooSymmetric) && tooSymmetric.code === 'TOO_LARGE', String(tooSymmetric));
  const aborted = await t.throwsAsync(canonicalNQuads([quad(blankNode('a'), p, literal('x'))], { signal: AbortSignal.abort() }));
  t.true(isKnowdError(aborted) && aborted.code === 'TOO_LARGE', String(aborted));
});

test('an RDF 1.2 base direction is written @lang--dir on both paths', async (t) => {
  const directional = quad(s, p, DataFactory.literal('שלום', 'he--rtl'));
  const line = `<${EX}s> <${EX}p> "שלום"@he--rtl .\n`;
  t.is(await canonicalNQuads([directional]), line);
  const withBlank = await canonicalNQuads([directional, quad(blankNode('x'), p, literal('b'))]);
  t.true(withBlank.split(/(?<=\n)/).includes(line));
});

test('terms with no canonical form are BAD_TERM errors', async (t) => {
  const nested = quad(s, p, literal('x'));
  const bad: unknown[] = [
    quad(s, p, DataFactory.variable('v')),
    quad(nested as unknown as typeof s, p, literal('y')),
    quad(literal('subject') as unknown as typeof s, p, literal('y')),
    quad(s, blankNode('predicate') as unknown as typeof p, literal('y')),
  ];
  for (const q of bad) {
    const error = await t.throwsAsync(canonicalNQuads([q as Quad]));
    t.true(isKnowdError(error) && error.code === 'BAD_TERM', String(error));
  }
});

test('10 000 quads without blank nodes take the fast path', async (t) => {
  const quads: Quad[] = [];
  for (let i = 0; i < 10_000; i++) {
    quads.push(quad(namedNode(`${EX}item/${i}`), p, literal(`value "${i}"\n`, 'en'), g));
  }
  const fastStartMs = performance.now();
  const fast = await canonicalNQuads(quads);
  const fastMs = performance.now() - fastStartMs;
  const libraryStartMs = performance.now();
  const library = await oracle(quads);
  const libraryMs = performance.now() - libraryStartMs;
  t.is(fast, library);
  t.log(`fast path ${fastMs.toFixed(1)} ms, rdf-canonize ${libraryMs.toFixed(1)} ms`);
  t.true(fastMs < 5000);
});
