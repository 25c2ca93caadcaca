import test from 'ava';
import {
  type Numeric,
  type NumericKind,
  doubleToXPathString,
  formatDouble,
  formatFloat,
  integerNumeric,
  numericAdd,
  numericCompare,
  numericDivide,
  numericOrderCompare,
  numericToLiteral,
  numericValue,
} from '../../../../src/sparql/functions/numeric.js';
import { ExpressionError } from '../../../../src/sparql/functions/index.js';
import { show, term } from './helpers.js';

const n = (s: string): Numeric => {
  const v = numericValue(term(s));
  if (v === undefined) throw new Error(`not numeric: ${s}`);
  return v;
};

test('numericValue accepts valid literals of every numeric datatype and rejects ill-typed ones', (t) => {
  const valid: [string, NumericKind][] = [
    ['"01"^^xsd:integer', 'integer'], ['"-0"^^xsd:integer', 'integer'], ['"+5"^^xsd:integer', 'integer'],
    ['"123456789012345678901234567890"^^xsd:integer', 'integer'],
    ['"127"^^xsd:byte', 'integer'], ['"-128"^^xsd:byte', 'integer'], ['"255"^^xsd:unsignedByte', 'integer'],
    ['"32767"^^xsd:short', 'integer'], ['"65535"^^xsd:unsignedShort', 'integer'], ['"2147483647"^^xsd:int', 'integer'],
    ['"4294967295"^^xsd:unsignedInt', 'integer'], ['"-9223372036854775808"^^xsd:long', 'integer'], ['"18446744073709551615"^^xsd:unsignedLong', 'integer'],
    ['"0"^^xsd:nonNegativeInteger', 'integer'], ['"-0"^^xsd:nonNegativeInteger', 'integer'], ['"1"^^xsd:positiveInteger', 'integer'],
    ['"0"^^xsd:nonPositiveInteger', 'integer'], ['"-1"^^xsd:negativeInteger', 'integer'],
    ['"1.5"^^xsd:decimal', 'decimal'], ['".5"^^xsd:decimal', 'decimal'], ['"1."^^xsd:decimal', 'decimal'],
    ['"1e0"^^xsd:double', 'double'], ['"INF"^^xsd:double', 'double'], ['"+INF"^^xsd:double', 'double'], ['"-INF"^^xsd:float', 'float'],
    ['"NaN"^^xsd:double', 'double'], ['"1.5"^^xsd:float', 'float'], ['"-.5E-3"^^xsd:double', 'double'], ['"12"^^xsd:double', 'double'],
  ];
  for (const [s, kind] of valid) t.is(numericValue(term(s))?.kind, kind, s);
  const invalid = [
    '"abc"^^xsd:integer', '"1.0"^^xsd:integer', '"1e0"^^xsd:decimal', '" 1"^^xsd:integer', '""^^xsd:integer',
    '"128"^^xsd:byte', '"-129"^^xsd:byte', '"256"^^xsd:unsignedByte', '"-1"^^xsd:unsignedInt', '"2147483648"^^xsd:int',
    '"9223372036854775808"^^xsd:long', '"-1"^^xsd:nonNegativeInteger', '"0"^^xsd:positiveInteger', '"1"^^xsd:nonPositiveInteger',
    '"0"^^xsd:negativeInteger', '"inf"^^xsd:double', '"nan"^^xsd:double', '"Infinity"^^xsd:double', '"1e"^^xsd:double', '"e1"^^xsd:double',
    '"-NaN"^^xsd:double', '"1"', '"1"@en', '<http://example.org/1>', '_:b1', '"1"^^xsd:boolean', '"1"^^<http://example.org/integer>',
  ];
  for (const s of invalid) t.is(numericValue(term(s)), undefined, s);
});

test('arithmetic promotes integer → decimal → float → double', (t) => {
  const cases: [string, string, string][] = [
    ['1', '2', '"3"^^xsd:integer'],
    ['"1"^^xsd:int', '"1"^^xsd:short', '"2"^^xsd:integer'],
    ['"127"^^xsd:byte', '"1"^^xsd:byte', '"128"^^xsd:integer'],
    ['1.0', '2', '"3.0"^^xsd:decimal'],
    ['0.1', '0.2', '"0.3"^^xsd:decimal'],
    ['1', '"1.5"^^xsd:float', '"2.5E0"^^xsd:float'],
    ['"0.1"^^xsd:float', '"0.2"^^xsd:float', '"3.0E-1"^^xsd:float'],
    ['0.1', '"0.2"^^xsd:float', '"3.0E-1"^^xsd:float'],
    ['1', '1e0', '"2.0E0"^^xsd:double'],
    ['0.1e0', '0.2e0', '"3.0000000000000004E-1"^^xsd:double'],
    ['"1.5"^^xsd:float', '1e0', '"2.5E0"^^xsd:double'],
    ['"9223372036854775807"^^xsd:long', '1', '"9223372036854775808"^^xsd:integer'],
  ];
  for (const [a, b, sum] of cases) t.is(show(numericToLiteral(numericAdd(n(a), n(b)))), sum, `${a} + ${b}`);
});

test('division: integers give decimals, zero divisors are errors for integer/decimal and IEEE for float/double', (t) => {
  t.is(show(numericToLiteral(numericDivide(n('1'), n('2')))), '"0.5"^^xsd:decimal');
  t.is(show(numericToLiteral(numericDivide(n('4'), n('2')))), '"2.0"^^xsd:decimal');
  t.throws(() => numericDivide(n('1'), n('0')), { instanceOf: ExpressionError });
  t.throws(() => numericDivide(n('1.5'), n('0.0')), { instanceOf: ExpressionError });
  t.throws(() => numericDivide(n('0'), n('0')), { instanceOf: ExpressionError });
  t.is(show(numericToLiteral(numericDivide(n('1e0'), n('0')))), '"INF"^^xsd:double');
  t.is(show(numericToLiteral(numericDivide(n('-1'), n('0e0')))), '"-INF"^^xsd:double');
  t.is(show(numericToLiteral(numericDivide(n('0e0'), n('0')))), '"NaN"^^xsd:double');
  t.is(show(numericToLiteral(numericDivide(n('"1"^^xsd:float'), n('0')))), '"INF"^^xsd:float');
  t.is(show(numericToLiteral(numericDivide(n('"1"^^xsd:float'), n('3')))), '"3.3333334E-1"^^xsd:float');
});

test('canonical double and float forms', (t) => {
  const doubles: [number, string][] = [
    [1, '1.0E0'], [3.5, '3.5E0'], [-10200, '-1.02E4'], [33.33, '3.333E1'], [0, '0.0E0'], [-0, '-0.0E0'], [1e20, '1.0E20'],
    [1e-7, '1.0E-7'], [0.1, '1.0E-1'], [123456789.125, '1.23456789125E8'], [Infinity, 'INF'], [-Infinity, '-INF'], [NaN, 'NaN'],
    [Number.MAX_VALUE, '1.7976931348623157E308'], [5e-324, '5.0E-324'],
  ];
  for (const [x, s] of doubles) t.is(formatDouble(x), s, String(x));
  const floats: [number, string][] = [[0.1, '1.0E-1'], [1 / 3, '3.3333334E-1'], [16777217, '1.6777216E7'], [3.4028234663852886e38, '3.4028235E38'], [1e40, 'INF'], [-7.875, '-7.875E0']];
  for (const [x, s] of floats) t.is(formatFloat(x), s, String(x));
});

test('XPath casts of floats and doubles to strings use plain notation between 1e-6 and 1e6', (t) => {
  const cases: [number, boolean, string][] = [
    [1, false, '1'], [1.25, false, '1.25'], [0, false, '0'], [-0, false, '-0'], [-7.875, true, '-7.875'], [0.1, true, '0.1'],
    [1e-6, false, '0.000001'], [999999.5, false, '999999.5'], [1e6, false, '1.0E6'], [1e-7, false, '1.0E-7'], [1e20, false, '1.0E20'],
    [Infinity, false, 'INF'], [NaN, true, 'NaN'], [1 / 3, false, '0.3333333333333333'], [1 / 3, true, '0.33333334'],
  ];
  for (const [x, float, s] of cases) t.is(doubleToXPathString(x, float), s, `${x} ${float ? 'float' : 'double'}`);
});

test('numericCompare promotes like XPath; NaN is unordered', (t) => {
  t.is(numericCompare(n('1'), n('1.0')), 0);
  t.is(numericCompare(n('1'), n('1e0')), 0);
  t.is(numericCompare(n('"0.1"^^xsd:float'), n('0.1')), 0); // 0.1 promoted to float
  t.is(numericCompare(n('"0.1"^^xsd:float'), n('0.1e0')), 1);
  t.is(numericCompare(n('2'), n('10')), -1);
  t.is(numericCompare(n('"NaN"^^xsd:double'), n('"NaN"^^xsd:double')), undefined);
  t.is(numericCompare(n('"NaN"^^xsd:double'), n('1')), undefined);
  t.is(numericCompare(n('"-0"^^xsd:double'), n('0')), 0);
  t.is(numericCompare(n('"INF"^^xsd:double'), n('123456789012345678901234567890')), 1);
});

test('numericOrderCompare is exact and total: NaN first, then by mathematical value', (t) => {
  t.is(numericOrderCompare(n('9007199254740993'), n('9007199254740992e0')), 1); // XPath promotion would say equal
  t.is(numericCompare(n('9007199254740993'), n('9007199254740992e0')), 0);
  t.true(numericOrderCompare(n('"NaN"^^xsd:double'), n('"-INF"^^xsd:double')) < 0);
  t.true(numericOrderCompare(n('"-INF"^^xsd:double'), n('-123456789012345678901234567890')) < 0);
  t.is(numericOrderCompare(n('0.1e0'), n('0.1')), 1); // the double nearest 0.1 is slightly above it
  t.is(numericOrderCompare(n('0.5e0'), n('0.5')), 0);
  t.is(numericOrderCompare(integerNumeric(3), n('"3"^^xsd:float')), 0);
  // Antisymmetric and transitive on a mixed sample.
  const sample = ['1', '1.0', '1e0', '"1"^^xsd:float', '0.1', '0.1e0', '"0.1"^^xsd:float', '"NaN"^^xsd:double', '"INF"^^xsd:float', '-5', '-5.5', '"-0"^^xsd:double', '0'].map(n);
  for (const a of sample) {
    for (const b of sample) {
      t.is(Math.sign(numericOrderCompare(a, b)), -Math.sign(numericOrderCompare(b, a)) || 0);
      for (const c of sample) if (numericOrderCompare(a, b) <= 0 && numericOrderCompare(b, c) <= 0) t.true(numericOrderCompare(a, c) <= 0);
    }
  }
});
