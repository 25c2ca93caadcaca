import test from 'ava';
import {
  DECIMAL_ZERO,
  type Decimal,
  decimalAdd,
  decimalCeil,
  decimalCompare,
  decimalDivide,
  decimalFloor,
  decimalFromNumber,
  decimalFromNumberExact,
  decimalMultiply,
  decimalRound,
  decimalSubtract,
  decimalToNumber,
  decimalToString,
  decimalTrunc,
  makeDecimal,
  parseDecimal,
  parseScientific,
} from '../../../../src/sparql/functions/decimal.js';

const d = (s: string): Decimal => {
  const v = parseDecimal(s);
  if (v === undefined) throw new Error(`not a decimal: ${s}`);
  return v;
};

test('parseDecimal reads the xsd:decimal lexical space and nothing else', (t) => {
  const valid: [string, string][] = [
    ['0', '0'], ['-0', '0'], ['+0.000', '0'], ['1', '1'], ['01', '1'], ['1.', '1'], ['.5', '0.5'], ['-.5', '-0.5'],
    ['+33.3300', '33.33'], ['-1.0', '-1'], ['100', '100'], ['100.00100', '100.001'], ['0.000000000000000000000000001', '0.000000000000000000000000001'],
    ['123456789012345678901234567890.123456789', '123456789012345678901234567890.123456789'],
  ];
  for (const [lex, canonical] of valid) t.is(decimalToString(d(lex)), canonical, lex);
  for (const lex of ['', '.', '-', '+', '1e0', '1E5', ' 1', '1 ', '1,5', 'INF', 'NaN', '0x10', '1.2.3', '--1', '١']) t.is(parseDecimal(lex), undefined, JSON.stringify(lex));
});

test('decimals are normalized, so equal values are structurally equal', (t) => {
  t.deepEqual(d('1.500'), d('1.5'));
  t.deepEqual(makeDecimal(1500n, 3), { unscaled: 15n, scale: 1 });
  t.deepEqual(makeDecimal(15n, -2), { unscaled: 1500n, scale: 0 });
  t.deepEqual(makeDecimal(0n, 7), DECIMAL_ZERO);
  t.deepEqual(makeDecimal(1000000000000n, 12), { unscaled: 1n, scale: 0 });
});

test('addition, subtraction and multiplication are exact', (t) => {
  t.is(decimalToString(decimalAdd(d('0.1'), d('0.2'))), '0.3');
  t.is(decimalToString(decimalAdd(d('1.0'), d('2'))), '3');
  t.is(decimalToString(decimalSubtract(d('1'), d('0.0000000000000000000001'))), '0.9999999999999999999999');
  t.is(decimalToString(decimalMultiply(d('1.5'), d('2'))), '3');
  t.is(decimalToString(decimalMultiply(d('-0.001'), d('0.001'))), '-0.000001');
  t.is(decimalToString(decimalMultiply(d('99999999999999999999.9'), d('99999999999999999999.9'))), '9999999999999999999980000000000000000000.01');
  t.is(decimalToString(decimalAdd(d('1.1'), d('-1.1'))), '0');
});

test('division is exact when the quotient terminates and truncated after 18 digits otherwise', (t) => {
  const cases: [string, string, string][] = [
    ['1', '2', '0.5'], ['4', '2', '2'], ['1', '8', '0.125'], ['1', '3', '0.333333333333333333'], ['2', '3', '0.666666666666666666'],
    ['-2', '3', '-0.666666666666666666'], ['2', '-3', '-0.666666666666666666'], ['11.1', '5', '2.22'], ['6.7', '3', '2.233333333333333333'],
    ['1', '1024', '0.0009765625'], ['10', '0.1', '100'], ['1', '0.3', '3.333333333333333333'],
    // Small quotients keep about 18 significant digits.
    ['1', '30', '0.0333333333333333333'], ['0.000000000000000000001', '3', '0.000000000000000000000333333333333333333'],
    ['123456789012345678901234567890', '10', '12345678901234567890123456789'],
  ];
  for (const [a, b, q] of cases) t.is(decimalToString(decimalDivide(d(a), d(b))), q, `${a} / ${b}`);
  t.throws(() => decimalDivide(d('1'), d('0.0')), { instanceOf: RangeError });
});

test('floor, ceiling, round (half toward positive infinity) and truncation', (t) => {
  const cases: [string, string, string, string, bigint][] = [
    // x, floor, ceil, round, trunc
    ['2.5', '2', '3', '3', 2n], ['-2.5', '-3', '-2', '-2', -2n], ['1.1', '1', '2', '1', 1n], ['-1.6', '-2', '-1', '-2', -1n],
    ['-1.5', '-2', '-1', '-1', -1n], ['0.5', '0', '1', '1', 0n], ['-0.5', '-1', '0', '0', 0n], ['-0.4', '-1', '0', '0', 0n],
    ['7', '7', '7', '7', 7n], ['-7', '-7', '-7', '-7', -7n], ['2.4999999999999999999', '2', '3', '2', 2n],
  ];
  for (const [x, floor, ceil, round, trunc] of cases) {
    t.is(decimalToString(decimalFloor(d(x))), floor, `floor(${x})`);
    t.is(decimalToString(decimalCeil(d(x))), ceil, `ceil(${x})`);
    t.is(decimalToString(decimalRound(d(x))), round, `round(${x})`);
    t.is(decimalTrunc(d(x)), trunc, `trunc(${x})`);
  }
});

test('comparison is by value', (t) => {
  t.is(decimalCompare(d('1.0'), d('1')), 0);
  t.is(decimalCompare(d('0.1'), d('0.10000000000000000000001')), -1);
  t.is(decimalCompare(d('-1'), d('-1.5')), 1);
});

test('conversions to and from doubles', (t) => {
  t.is(decimalToNumber(d('0.1')), 0.1);
  t.is(decimalToNumber(d('123456789012345678901234567890')), 1.2345678901234568e29);
  t.is(decimalToString(decimalFromNumber(0.1)), '0.1');
  t.is(decimalToString(decimalFromNumber(1e21)), '1000000000000000000000');
  t.is(decimalToString(decimalFromNumber(-1.5e-7)), '-0.00000015');
  t.is(decimalToString(decimalFromNumberExact(0.5)), '0.5');
  t.is(decimalToString(decimalFromNumberExact(0.1)), '0.1000000000000000055511151231257827021181583404541015625');
  t.is(decimalToString(decimalFromNumberExact(-3)), '-3');
  t.throws(() => decimalFromNumber(Infinity), { instanceOf: RangeError });
  t.is(decimalToString(parseScientific('1.25e2')!), '125');
  t.is(decimalToString(parseScientific('5e-324')!), `0.${'0'.repeat(323)}5`);
});
