/** Content negotiation (RFC 9110 Accept) and explicit format names. */
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { formatFromName, negotiateResults, offeredFormats, parseAccept, RESULT_FORMATS, type ResultFormatName, type ResultKind } from '../../../../src/sparql/results/index.js';

const JSON_T = 'application/sparql-results+json';
const XML_T = 'application/sparql-results+xml';

/** [Accept, kind, chosen format name] */
const TABLE: readonly (readonly [string | undefined, ResultKind, ResultFormatName])[] = [
  // defaults
  [undefined, 'bindings', 'json'],
  ['', 'bindings', 'json'],
  ['   ', 'boolean', 'json'],
  [undefined, 'graph', 'turtle'],
  ['*/*', 'bindings', 'json'],
  ['*/*', 'boolean', 'json'],
  ['*/*', 'graph', 'turtle'],
  ['*', 'bindings', 'json'], // old Java clients
  // exact types
  [JSON_T, 'bindings', 'json'],
  [XML_T, 'bindings', 'xml'],
  ['text/csv', 'bindings', 'csv'],
  ['text/tab-separated-values', 'bindings', 'tsv'],
  [XML_T, 'boolean', 'xml'],
  ['text/turtle', 'graph', 'turtle'],
  ['application/n-triples', 'graph', 'n-triples'],
  ['application/n-quads', 'graph', 'n-quads'],
  ['application/trig', 'graph', 'trig'],
  ['application/ld+json', 'graph', 'json-ld'],
  // aliases
  ['application/json', 'bindings', 'json'],
  ['application/json', 'boolean', 'json'],
  ['application/xml', 'bindings', 'xml'],
  ['application/xml', 'boolean', 'xml'],
  ['application/json', 'graph', 'json-ld'],
  ['text/plain', 'graph', 'n-triples'],
  ['application/x-turtle', 'graph', 'turtle'],
  ['text/x-nquads', 'graph', 'n-quads'],
  // case and parameters are ignored
  ['TEXT/CSV', 'bindings', 'csv'],
  ['text/csv; charset=utf-8; header=present', 'bindings', 'csv'],
  ['application/sparql-results+xml;charset="utf-8, or so"', 'bindings', 'xml'],
  ['application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"', 'graph', 'json-ld'],
  // q-values
  [`${JSON_T};q=0.5, ${XML_T}`, 'bindings', 'xml'],
  [`${JSON_T};q=0.5, ${XML_T};q=0.9`, 'bindings', 'xml'],
  [`${XML_T};q=0.1, text/csv;q=0.2, ${JSON_T};q=0.05`, 'bindings', 'csv'],
  ['text/turtle;q=0.3, application/n-triples;q=0.7', 'graph', 'n-triples'],
  ['text/csv;q=1.000, text/tab-separated-values;q=0.999', 'bindings', 'csv'],
  ['text/tab-separated-values;q=.5, */*;q=.1', 'bindings', 'tsv'],
  ['text/csv;q=0.5;foo=bar, text/tab-separated-values;q=0.4', 'bindings', 'csv'],
  // ties: a more specific range wins, then the client's order, then ours
  [`*/*, ${XML_T}`, 'bindings', 'xml'],
  ['text/tab-separated-values, text/csv', 'bindings', 'tsv'],
  ['text/csv, text/tab-separated-values', 'bindings', 'csv'],
  ['text/*', 'bindings', 'csv'],
  ['application/*', 'bindings', 'json'],
  ['text/*', 'graph', 'turtle'],
  ['application/*', 'graph', 'n-triples'],
  ['text/*;q=0.9, application/*;q=0.8', 'bindings', 'csv'],
  // more specific ranges override less specific ones
  [`*/*, ${JSON_T};q=0`, 'bindings', 'xml'],
  ['application/*;q=0.2, text/*;q=0.1, application/n-triples;q=0', 'graph', 'n-quads'],
  ['text/*;q=0, */*', 'bindings', 'json'],
  // browsers
  ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'bindings', 'xml'],
  ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'graph', 'turtle'],
  // what we cannot make is skipped, what we can is taken
  ['text/html, text/csv;q=0.1', 'bindings', 'csv'],
  ['text/csv, application/sparql-results+json;q=0.1', 'boolean', 'json'],
  // sloppy headers: malformed ranges skipped; nothing readable at all counts as no header
  ['garbage', 'bindings', 'json'],
  ['text/csv;q=abc', 'bindings', 'csv'],
  [',,text/csv,,', 'bindings', 'csv'],
  ['text/csv;q=7', 'bindings', 'csv'],
  ['foo/bar/baz, text/tab-separated-values', 'bindings', 'tsv'],
];

for (const [accept, kind, expected] of TABLE) {
  test(`Accept ${JSON.stringify(accept)} for ${kind} → ${expected}`, (t) => {
    const f = negotiateResults(accept, kind);
    t.is(f.name, expected);
    t.is(f, RESULT_FORMATS[f.name]);
  });
}

const REFUSED: readonly (readonly [string, ResultKind])[] = [
  ['text/html', 'bindings'],
  ['text/csv', 'boolean'],
  ['text/tab-separated-values', 'boolean'],
  ['text/turtle', 'bindings'],
  ['application/sparql-results+json', 'graph'],
  ['application/rdf+xml', 'graph'],
  ['*/*;q=0', 'bindings'],
  ['text/csv;q=0, application/*;q=0', 'bindings'],
  ['image/*', 'graph'],
  ['text/plain', 'bindings'],
];

for (const [accept, kind] of REFUSED) {
  test(`Accept ${JSON.stringify(accept)} for ${kind} → 406 listing what is offered`, (t) => {
    const e = t.throws(() => negotiateResults(accept, kind), { instanceOf: KnowdError });
    t.is(e?.code, 'NOT_ACCEPTABLE');
    t.is(e?.status, 406);
    for (const f of offeredFormats(kind)) t.true(e?.message.includes(f.mediaType), f.mediaType);
    t.true(e?.message.includes(accept));
    t.deepEqual(e?.details['offered'], offeredFormats(kind).map((f) => f.mediaType));
  });
}

test('offered formats per kind, the default first', (t) => {
  t.deepEqual(offeredFormats('bindings').map((f) => f.mediaType), [JSON_T, XML_T, 'text/csv', 'text/tab-separated-values']);
  t.deepEqual(offeredFormats('boolean').map((f) => f.mediaType), [JSON_T, XML_T]);
  t.deepEqual(offeredFormats('graph').map((f) => f.mediaType), ['text/turtle', 'application/n-triples', 'application/n-quads', 'application/trig', 'application/ld+json']);
  t.is(RESULT_FORMATS.csv.contentType, 'text/csv; charset=utf-8');
});

test('parseAccept: weights, order, quoted commas, limits', (t) => {
  t.deepEqual(parseAccept('text/csv;q=0.5;ext=1, */*, a/b;x="1,2";q=0'), [
    { type: 'text', subtype: 'csv', q: 0.5, index: 0 },
    { type: '*', subtype: '*', q: 1, index: 1 },
    { type: 'a', subtype: 'b', q: 0, index: 2 },
  ]);
  t.deepEqual(parseAccept('*/csv, text, /x, text/'), [], 'malformed ranges are skipped');
  t.is(parseAccept(Array.from({ length: 1000 }, () => 'text/csv').join(',')).length, 64);
});

const NAMES: readonly (readonly [string, ResultKind | undefined, ResultFormatName])[] = [
  ['json', 'bindings', 'json'],
  ['JSON', 'boolean', 'json'],
  ['srj', undefined, 'json'],
  ['xml', 'bindings', 'xml'],
  ['srx', 'boolean', 'xml'],
  ['csv', 'bindings', 'csv'],
  ['tsv', undefined, 'tsv'],
  ['turtle', 'graph', 'turtle'],
  ['ttl', 'graph', 'turtle'],
  ['nt', 'graph', 'n-triples'],
  ['ntriples', 'graph', 'n-triples'],
  ['n_triples', 'graph', 'n-triples'],
  ['nquads', 'graph', 'n-quads'],
  ['nq', undefined, 'n-quads'],
  ['trig', 'graph', 'trig'],
  ['jsonld', 'graph', 'json-ld'],
  ['json-ld', undefined, 'json-ld'],
  ['json', 'graph', 'json-ld'],
  ['json', undefined, 'json'],
  ['application/sparql-results+json', 'bindings', 'json'],
  ['text/csv; charset=utf-8', 'bindings', 'csv'],
  ['application/json', 'graph', 'json-ld'],
  ['application/json', 'bindings', 'json'],
  ['text/turtle', 'graph', 'turtle'],
  [' Turtle ', 'graph', 'turtle'],
];

for (const [name, kind, expected] of NAMES) {
  test(`formatFromName(${JSON.stringify(name)}, ${kind ?? 'any'}) → ${expected}`, (t) => {
    t.is(formatFromName(name, kind).name, expected);
  });
}

test('formatFromName: unknown names are BAD_FORMAT, wrong kinds NOT_ACCEPTABLE', (t) => {
  const unknown = t.throws(() => formatFromName('yaml', 'bindings'), { instanceOf: KnowdError });
  t.is(unknown?.code, 'BAD_FORMAT');
  t.true(unknown?.message.includes('json, xml, csv, tsv, turtle, n-triples, n-quads, trig, json-ld'));
  t.is(t.throws(() => formatFromName('text/html'), { instanceOf: KnowdError })?.code, 'BAD_FORMAT');
  t.is(t.throws(() => formatFromName('csv', 'boolean'), { instanceOf: KnowdError })?.code, 'NOT_ACCEPTABLE');
  t.is(t.throws(() => formatFromName('turtle', 'bindings'), { instanceOf: KnowdError })?.code, 'NOT_ACCEPTABLE');
  t.is(t.throws(() => formatFromName('xml', 'graph'), { instanceOf: KnowdError })?.code, 'NOT_ACCEPTABLE');
});
