import test from 'ava';
import { DataFactory } from 'n3';
import { callFunction, type FunctionContext } from '../../../../src/sparql/functions/index.js';
import { ERR, RDF, XSD, checkTable, ctx, makeContext, outcome, show, term } from './helpers.js';

const T = '"true"^^xsd:boolean';
const F = '"false"^^xsd:boolean';

test('STR, LANG and DATATYPE', (t) => {
  checkTable(t, [
    ['str', ['<http://example.org/a>'], '"http://example.org/a"'],
    ['str', ['"abc"'], '"abc"'],
    ['str', ['"abc"@en'], '"abc"'],
    ['str', ['"01"^^xsd:integer'], '"01"'], // the lexical form as stored, not canonicalized
    ['str', ['"abc"^^xsd:integer'], '"abc"'],
    ['str', ['"x"^^<http://example.org/t>'], '"x"'],
    ['str', ['_:b'], ERR],
    ['lang', ['"abc"@en-GB'], '"en-gb"'],
    ['lang', ['"abc"'], '""'],
    ['lang', ['1'], '""'],
    ['lang', ['<http://example.org/a>'], ERR],
    ['lang', ['_:b'], ERR],
    ['datatype', ['"abc"'], `<${XSD}string>`],
    ['datatype', ['"abc"^^xsd:string'], `<${XSD}string>`],
    ['datatype', ['"abc"@en'], `<${RDF}langString>`],
    ['datatype', ['1'], `<${XSD}integer>`],
    ['datatype', ['"1"^^xsd:byte'], `<${XSD}byte>`],
    ['datatype', ['"abc"^^xsd:integer'], `<${XSD}integer>`],
    ['datatype', ['"x"^^<http://example.org/t>'], '<http://example.org/t>'],
    ['datatype', ['<http://example.org/a>'], ERR],
    ['datatype', ['_:b'], ERR],
  ]);
});

test('isIRI, isURI, isBlank, isLiteral, isNumeric, sameTerm', (t) => {
  checkTable(t, [
    ['isiri', ['<http://example.org/a>'], T], ['isiri', ['"a"'], F], ['isiri', ['_:b'], F],
    ['isuri', ['<urn:x>'], T], ['isURI', ['1'], F],
    ['isblank', ['_:b'], T], ['isBlank', ['<http://example.org/a>'], F], ['isblank', ['"_:b"'], F],
    ['isliteral', ['"a"'], T], ['isliteral', ['"a"@en'], T], ['isliteral', ['1'], T], ['isLiteral', ['_:b'], F], ['isliteral', ['<http://a>'], F],
    ['isnumeric', ['1'], T], ['isnumeric', ['1.5'], T], ['isnumeric', ['1e0'], T], ['isnumeric', ['"NaN"^^xsd:double'], T],
    ['isnumeric', ['"1"^^xsd:nonNegativeInteger'], T], ['isnumeric', ['"-1"^^xsd:nonNegativeInteger'], F], ['isnumeric', ['"1200"^^xsd:byte'], F],
    ['isnumeric', ['"abc"^^xsd:integer'], F], ['isnumeric', ['"1"'], F], ['isnumeric', ['<http://a>'], F], ['isnumeric', ['true'], F],
    ['sameterm', ['1', '1'], T], ['sameTerm', ['1', '1.0'], F], ['sameterm', ['"01"^^xsd:integer', '1'], F],
    ['sameterm', ['"a"', '"a"^^xsd:string'], T], ['sameterm', ['"a"@en', '"a"@EN'], T], ['sameterm', ['"a"@en', '"a"'], F],
    ['sameterm', ['"abc"^^xsd:integer', '"abc"^^xsd:integer'], T], ['sameterm', ['_:a', '_:a'], T], ['sameterm', ['_:a', '_:b'], F],
    ['sameterm', ['<http://a>', '"http://a"'], F],
  ]);
});

test('IRI/URI resolve against the base IRI', (t) => {
  checkTable(t, [
    ['iri', ['<http://example.org/x>'], '<http://example.org/x>'],
    ['iri', ['"http://example.org/x"'], '<http://example.org/x>'],
    ['uri', ['"http://example.org/x"^^xsd:string'], '<http://example.org/x>'],
    ['iri', ['"urn:isbn:0451450523"'], '<urn:isbn:0451450523>'],
    ['iri', ['"x"'], '<http://example.org/base/x>'],
    ['iri', ['"../up"'], '<http://example.org/up>'],
    ['iri', ['"/root"'], '<http://example.org/root>'],
    ['iri', ['"?q=1"'], '<http://example.org/base/doc?q=1>'],
    ['iri', ['"#frag"'], '<http://example.org/base/doc#frag>'],
    ['iri', ['""'], '<http://example.org/base/doc>'],
    ['iri', ['"//other.org/p"'], '<http://other.org/p>'],
    ['iri', ['"a/./b/../c"'], '<http://example.org/base/a/c>'],
    ['iri', ['"http://example.org/a b"'], ERR],
    ['iri', ['"<x>"'], ERR],
    ['iri', ['"x"@en'], ERR],
    ['iri', ['1'], ERR],
    ['iri', ['_:b'], ERR],
  ]);
  const noBase: FunctionContext = { now: ctx.now, random: ctx.random, uuid: ctx.uuid, bnode: ctx.bnode };
  t.is(outcome('iri', ['"relative"'], noBase), ERR);
  t.is(outcome('iri', ['"http://example.org/abs"'], noBase), '<http://example.org/abs>');
  const w3c = makeContext({ baseIRI: 'http://example.org/' });
  t.is(outcome('uri', ['"uri"'], w3c), '<http://example.org/uri>');
  t.is(outcome('iri', ['"iri"'], w3c), '<http://example.org/iri>');
});

test('BNODE asks the context, with the label for BNODE(str)', (t) => {
  const seen: (string | undefined)[] = [];
  const c = makeContext({ bnode: (label?: string) => (seen.push(label), DataFactory.blankNode(`n${seen.length}`)) });
  t.is(show(callFunction('bnode', [], c)), '_:n1');
  t.is(show(callFunction('bnode', [term('"foo"')], c)), '_:n2');
  t.is(show(callFunction('bnode', [term('"bar"^^xsd:string')], c)), '_:n3');
  t.deepEqual(seen, [undefined, 'foo', 'bar']);
  t.is(outcome('bnode', ['"foo"@en']), ERR);
  t.is(outcome('bnode', ['1']), ERR);
});

test('STRDT and STRLANG build literals from simple literals', (t) => {
  checkTable(t, [
    ['strdt', ['"123"', `<${XSD}integer>`], '"123"^^xsd:integer'],
    ['strdt', ['"iiii"', '<http://example/romanNumeral>'], '"iiii"^^<http://example/romanNumeral>'],
    ['strdt', ['"abc"^^xsd:string', `<${XSD}string>`], '"abc"'],
    ['strdt', ['"abc"', `<${XSD}integer>`], '"abc"^^xsd:integer'], // ill-typed, as asked
    ['strdt', ['"bar"@en', `<${XSD}string>`], ERR],
    ['strdt', ['1', `<${XSD}string>`], ERR],
    ['strdt', ['"abc"', '"http://example.org/t"'], ERR],
    ['strdt', ['"abc"', `<${RDF}langString>`], ERR],
    ['strlang', ['"chat"', '"fr"'], '"chat"@fr'],
    ['strlang', ['"bar"', '"en-US"'], '"bar"@en-us'],
    ['strlang', ['"abc"^^xsd:string', '"en"'], '"abc"@en'],
    ['strlang', ['"bar"@en', '"en-US"'], ERR],
    ['strlang', ['1', '"en"'], ERR],
    ['strlang', ['"abc"', '"not a tag"'], ERR],
    ['strlang', ['"abc"', '""'], ERR],
    ['strlang', ['"abc"', '"en"@en'], ERR],
  ]);
});

test('UUID, STRUUID and RAND use the context', (t) => {
  t.is(show(callFunction('uuid', [], ctx)), '<urn:uuid:f81d4fae-7dec-41d0-a765-00a0c91e6bf6>');
  t.is(show(callFunction('struuid', [], ctx)), '"f81d4fae-7dec-41d0-a765-00a0c91e6bf6"');
  t.is(show(callFunction('rand', [], ctx)), '"2.5E-1"^^xsd:double');
  t.is(show(callFunction('rand', [], makeContext({ random: () => 0 }))), '"0.0E0"^^xsd:double');
});

test('ABS, CEIL, FLOOR, ROUND keep the primitive numeric type (W3C functions/ceil01 floor01 round01 abs01)', (t) => {
  checkTable(t, [
    ['abs', ['-2'], '"2"^^xsd:integer'], ['abs', ['-1.6'], '"1.6"^^xsd:decimal'], ['abs', ['2.5'], '"2.5"^^xsd:decimal'],
    ['abs', ['"-1"^^xsd:int'], '"1"^^xsd:integer'], ['abs', ['"-1.5"^^xsd:float'], '"1.5E0"^^xsd:float'], ['abs', ['"-INF"^^xsd:double'], '"INF"^^xsd:double'],
    ['ceil', ['-1'], '"-1"^^xsd:integer'], ['ceil', ['2.5'], '"3"^^xsd:decimal'], ['ceil', ['1.1'], '"2"^^xsd:decimal'], ['ceil', ['-1.6'], '"-1"^^xsd:decimal'],
    ['ceil', ['-0.5e0'], '"-0.0E0"^^xsd:double'], ['ceil', ['"1.2"^^xsd:float'], '"2.0E0"^^xsd:float'],
    ['floor', ['-1'], '"-1"^^xsd:integer'], ['floor', ['2.5'], '"2"^^xsd:decimal'], ['floor', ['1.1'], '"1"^^xsd:decimal'], ['floor', ['-1.6'], '"-2"^^xsd:decimal'],
    ['floor', ['-0.5e0'], '"-1.0E0"^^xsd:double'],
    ['round', ['-1'], '"-1"^^xsd:integer'], ['round', ['2.5'], '"3"^^xsd:decimal'], ['round', ['1.1'], '"1"^^xsd:decimal'], ['round', ['-1.6'], '"-2"^^xsd:decimal'],
    ['round', ['-2.5'], '"-2"^^xsd:decimal'], ['round', ['-2.5e0'], '"-2.0E0"^^xsd:double'], ['round', ['2.5e0'], '"3.0E0"^^xsd:double'],
    ['round', ['-0.4e0'], '"-0.0E0"^^xsd:double'], ['round', ['0.49999999999999994e0'], '"0.0E0"^^xsd:double'], ['round', ['"NaN"^^xsd:double'], '"NaN"^^xsd:double'],
    ['round', ['"2.5"^^xsd:float'], '"3.0E0"^^xsd:float'],
    ['abs', ['"-1"'], ERR], ['ceil', ['"abc"^^xsd:decimal'], ERR], ['floor', ['<http://a>'], ERR], ['round', ['true'], ERR],
  ]);
});
