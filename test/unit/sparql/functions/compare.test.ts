import test from 'ava';
import type { Term } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { ExpressionError, compareCodepoints, effectiveBooleanValue, orderCompare, rdfTermEqual, sameTerm } from '../../../../src/sparql/functions/index.js';
import { show, term } from './helpers.js';

test('effective boolean value (§17.2.2)', (t) => {
  const cases: [string, boolean][] = [
    ['true', true], ['false', false], ['"1"^^xsd:boolean', true], ['"0"^^xsd:boolean', false], ['"TRUE"^^xsd:boolean', false],
    ['1', true], ['0', false], ['-0', false], ['0.0', false], ['0.000001', true], ['0e0', false], ['"-0"^^xsd:double', false],
    ['"NaN"^^xsd:double', false], ['"NaN"^^xsd:float', false], ['"INF"^^xsd:double', true], ['"1"^^xsd:byte', true],
    ['"abc"^^xsd:integer', false], ['"1000"^^xsd:byte', false],
    ['""', false], ['"a"', true], ['"false"', true], ['"0"', true], ['""^^xsd:string', false], ['""@en', false], ['"x"@en', true],
  ];
  for (const [s, v] of cases) t.is(effectiveBooleanValue(term(s)), v, s);
  for (const s of ['<http://example.org/a>', '_:b', '"2010-01-01T00:00:00Z"^^xsd:dateTime', '"x"^^<http://example.org/t>', '"P1D"^^xsd:duration']) {
    t.throws(() => effectiveBooleanValue(term(s)), { instanceOf: ExpressionError }, s);
  }
});

test('rdfTermEqual is symmetric on a mixed sample and agrees with sameTerm for non-literals', (t) => {
  const sample = ['1', '1.0', '1e0', '"1"', '"1"@en', 'true', '"a"', '"a"@en', '"abc"^^xsd:integer', '"x"^^<http://e/t>', '<http://e/a>', '_:b', '"2010-01-01T00:00:00Z"^^xsd:dateTime', '"2010-01-01T00:00:00"^^xsd:dateTime'].map(term);
  const eq = (a: Term, b: Term): boolean | 'error' => {
    try {
      return rdfTermEqual(a, b);
    } catch (e) {
      if (e instanceof ExpressionError) return 'error';
      throw e;
    }
  };
  for (const a of sample) {
    t.true(eq(a, a) === true, `${show(a)} = itself`);
    for (const b of sample) {
      t.is(eq(a, b), eq(b, a), `${show(a)} = ${show(b)}`);
      if (a.termType !== 'Literal' || b.termType !== 'Literal') t.is(eq(a, b), sameTerm(a, b));
    }
  }
});

test('code point order differs from UTF-16 order above the BMP', (t) => {
  t.is(compareCodepoints('a', 'b'), -1);
  t.is(compareCodepoints('ab', 'a'), 1);
  t.is(compareCodepoints('', ''), 0);
  t.true('\uFFFD' > '😀'); // JS compares code units: U+FFFD > U+D83D
  t.is(compareCodepoints('\uFFFD', '😀'), -1);
  t.is(compareCodepoints('😀', '\uE000'), 1);
  t.is(compareCodepoints('😀', '😁'), -1);
});

test('ORDER BY puts unbound, blank nodes, IRIs and literals in that order, literals grouped and by value', (t) => {
  const expected = [
    undefined,
    '_:a', '_:b',
    '<http://example.org/a>', '<http://example.org/b>', '<http://example.org/é>',
    '"NaN"^^xsd:double', '"-INF"^^xsd:double', '-5', '-1.5', '"-0"^^xsd:double', '0',
    // By exact value: the double nearest 0.1 is a little above it, the float further still.
    '0.1', '0.1e0', '"0.1"^^xsd:float',
    // Equal values by datatype IRI (byte < decimal < integer), then lexical form.
    '"1"^^xsd:byte', '1.0', '"01"^^xsd:integer', '1',
    '2', '10', '123456789012345678901234567890', '"INF"^^xsd:float',
    '"0"^^xsd:boolean', 'false', 'true', // equal values: by lexical form
    // Without timezone as if UTC, then the one without first; -05:00 is five hours later.
    '"2010-01-01T00:00:00"^^xsd:dateTime', '"2010-01-01T00:00:00Z"^^xsd:dateTime', '"2010-01-01T01:00:00Z"^^xsd:dateTime', '"2009-12-31T23:00:00-05:00"^^xsd:dateTime',
    '"2010-01-01"^^xsd:date', '"12:00:00"^^xsd:time',
    '""', '"A"', '"B"', '"a"', '"a"@de', '"a"@en', '"b"', '"b"@en', '"é"', '"\uFFFD"', '"😀"',
    // Others by datatype IRI, then lexical form.
    '"x"^^<http://example.org/t>', '"y"^^<http://example.org/t>', '"P1D"^^xsd:duration', '"abc"^^xsd:integer',
  ].map((s) => (s === undefined ? undefined : term(s)));
  // Array.prototype.sort never passes undefined to the comparator, so sort boxes, as the evaluator does with rows.
  const label = (x: Term | undefined): string => (x === undefined ? 'UNBOUND' : show(x));
  for (let seed = 1; seed <= 5; seed++) {
    const boxes = expected.map((v) => ({ v }));
    let r = seed;
    for (let i = boxes.length - 1; i > 0; i--) {
      r = (r * 1103515245 + 12345) % 2147483648;
      const j = r % (i + 1);
      [boxes[i], boxes[j]] = [boxes[j]!, boxes[i]!];
    }
    boxes.sort((a, b) => orderCompare(a.v, b.v));
    t.deepEqual(boxes.map((b) => label(b.v)), expected.map(label), `seed ${seed}`);
  }
});

test('orderCompare is a total order: antisymmetric, transitive, 0 only for the same term', (t) => {
  const sample: (Term | undefined)[] = [
    undefined, '_:x', '<http://a>', '1', '1.0', '1e0', '"1"^^xsd:float', '"01"^^xsd:integer', '"NaN"^^xsd:double', '"NaN"^^xsd:float', '"-0"^^xsd:double', '0',
    '9007199254740993', '9007199254740992e0', 'true', '"1"^^xsd:boolean', '"2010-01-01T00:00:00"^^xsd:dateTime', '"2010-01-01T00:00:00Z"^^xsd:dateTime',
    '"2010-01-01T05:00:00+05:00"^^xsd:dateTime', '"2010-01-01T10:00:00Z"^^xsd:dateTime', '"a"', '"a"@en', '"a"@EN', '"abc"^^xsd:integer', '"x"^^<http://t>',
  ].map((s) => (s === undefined ? undefined : term(s)));
  sample.push(DataFactory.quad(DataFactory.namedNode('http://s'), DataFactory.namedNode('http://p'), DataFactory.literal('o')) as unknown as Term);
  for (const a of sample) {
    for (const b of sample) {
      const ab = orderCompare(a, b);
      t.is(Math.sign(ab), -Math.sign(orderCompare(b, a)) || 0);
      const same = a === undefined || b === undefined ? a === b : sameTerm(a, b);
      t.is(ab === 0, same, `${a === undefined ? '-' : show(a)} vs ${b === undefined ? '-' : show(b)}`);
      for (const c of sample) if (ab <= 0 && orderCompare(b, c) <= 0) t.true(orderCompare(a, c) <= 0);
    }
  }
});
