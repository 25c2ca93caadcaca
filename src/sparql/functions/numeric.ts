import type { Literal, Term } from '@rdfjs/types';
import {
  type Decimal,
  decimalAbs,
  decimalAdd,
  decimalCeil,
  decimalCompare,
  decimalDivide,
  decimalFloor,
  decimalFromBigInt,
  decimalFromNumber,
  decimalFromNumberExact,
  decimalIsZero,
  decimalMultiply,
  decimalNegate,
  decimalRound,
  decimalSubtract,
  decimalToNumber,
  decimalToString,
  makeDecimal,
  parseDecimal,
} from './decimal.js';
import { ExpressionError } from './errors.js';
import { XSD, XSD_DECIMAL, XSD_DOUBLE, XSD_FLOAT, XSD_INTEGER, integerLiteral, show, typedLiteral } from './vocab.js';

/**
 * A numeric value of one of the four primitive numeric types of the XPath type promotion ladder
 * (integer → decimal → float → double). Values of the derived integer types (xsd:int, xsd:byte,
 * xsd:nonNegativeInteger, ...) are 'integer': XPath arithmetic on them yields xsd:integer.
 * Integers are arbitrary-size, decimals exact; floats are doubles rounded to single precision.
 */
export type Numeric =
  | { readonly kind: 'integer'; readonly value: bigint }
  | { readonly kind: 'decimal'; readonly value: Decimal }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'double'; readonly value: number };
export type NumericKind = Numeric['kind'];

export function integerNumeric(n: bigint | number): Numeric {
  return { kind: 'integer', value: typeof n === 'bigint' ? n : BigInt(Math.trunc(n)) };
}
export function decimalNumeric(d: Decimal): Numeric {
  return { kind: 'decimal', value: d };
}
export function floatNumeric(x: number): Numeric {
  return { kind: 'float', value: Math.fround(x) };
}
export function doubleNumeric(x: number): Numeric {
  return { kind: 'double', value: x };
}

const I64 = 2n ** 63n;
const I32 = 2n ** 31n;
/** The xsd:integer family: datatype → inclusive [min, max] (undefined = unbounded). */
const INTEGER_TYPES: ReadonlyMap<string, readonly [bigint | undefined, bigint | undefined]> = new Map([
  [XSD_INTEGER, [undefined, undefined]],
  [`${XSD}nonPositiveInteger`, [undefined, 0n]],
  [`${XSD}negativeInteger`, [undefined, -1n]],
  [`${XSD}long`, [-I64, I64 - 1n]],
  [`${XSD}int`, [-I32, I32 - 1n]],
  [`${XSD}short`, [-32768n, 32767n]],
  [`${XSD}byte`, [-128n, 127n]],
  [`${XSD}nonNegativeInteger`, [0n, undefined]],
  [`${XSD}unsignedLong`, [0n, 2n ** 64n - 1n]],
  [`${XSD}unsignedInt`, [0n, 2n ** 32n - 1n]],
  [`${XSD}unsignedShort`, [0n, 65535n]],
  [`${XSD}unsignedByte`, [0n, 255n]],
  [`${XSD}positiveInteger`, [1n, undefined]],
] as const);

/** Every datatype IRI whose literals are numeric (§17.1 "numeric"). */
export const NUMERIC_DATATYPES: ReadonlySet<string> = new Set([...INTEGER_TYPES.keys(), XSD_DECIMAL, XSD_FLOAT, XSD_DOUBLE]);
/** The derived integer datatypes (xsd:int, xsd:long, ...), without xsd:integer itself. */
export const DERIVED_INTEGER_DATATYPES: ReadonlySet<string> = new Set([...INTEGER_TYPES.keys()].filter((k) => k !== XSD_INTEGER));

export function isNumericDatatype(iri: string): boolean {
  return NUMERIC_DATATYPES.has(iri);
}

/** Whether n is in the value space of the integer datatype iri (xsd:byte: -128..127, ...). */
export function integerInRange(n: bigint, datatypeIri: string): boolean {
  const range = INTEGER_TYPES.get(datatypeIri);
  if (range === undefined) return false;
  const [min, max] = range;
  return (min === undefined || n >= min) && (max === undefined || n <= max);
}

const INTEGER_LEXICAL = /^[+-]?\d+$/;
export function parseInteger(lex: string): bigint | undefined {
  return INTEGER_LEXICAL.test(lex) ? BigInt(lex) : undefined;
}

const FLOAT_LEXICAL = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN)$/;
/** The xsd:double lexical space (also xsd:float's), as a double; undefined if not in it. */
export function parseDouble(lex: string): number | undefined {
  if (!FLOAT_LEXICAL.test(lex)) return undefined;
  if (lex === 'INF' || lex === '+INF') return Infinity;
  if (lex === '-INF') return -Infinity;
  if (lex === 'NaN') return NaN;
  return Number(lex);
}

/** The numeric value of a lexical form under a numeric datatype; undefined if it is not valid for it. */
export function numericFromLexical(lex: string, datatypeIri: string): Numeric | undefined {
  switch (datatypeIri) {
    case XSD_DECIMAL: {
      const d = parseDecimal(lex);
      return d === undefined ? undefined : { kind: 'decimal', value: d };
    }
    case XSD_DOUBLE: {
      const x = parseDouble(lex);
      return x === undefined ? undefined : { kind: 'double', value: x };
    }
    case XSD_FLOAT: {
      const x = parseDouble(lex);
      return x === undefined ? undefined : { kind: 'float', value: Math.fround(x) };
    }
    default: {
      if (!INTEGER_TYPES.has(datatypeIri)) return undefined;
      const n = parseInteger(lex);
      return n === undefined || !integerInRange(n, datatypeIri) ? undefined : { kind: 'integer', value: n };
    }
  }
}

const cache = new WeakMap<Term, Numeric | null>();
/**
 * The value of a numeric literal, or undefined for anything else, including ill-typed numeric
 * literals ("abc"^^xsd:integer, "300"^^xsd:byte). Results are memoized per term object.
 */
export function numericValue(t: Term): Numeric | undefined {
  if (t.termType !== 'Literal' || !NUMERIC_DATATYPES.has(t.datatype.value)) return undefined;
  const hit = cache.get(t);
  if (hit !== undefined) return hit ?? undefined;
  const n = numericFromLexical(t.value, t.datatype.value);
  cache.set(t, n ?? null);
  return n;
}

/** numericValue, or an ExpressionError naming the function. */
export function numericArg(fn: string, t: Term): Numeric {
  const n = numericValue(t);
  if (n === undefined) throw new ExpressionError(`${fn}: expected a numeric literal, got ${show(t)}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Lexical forms

interface Digits {
  readonly neg: boolean;
  /** Significant digits, the first non-zero. */
  readonly digits: string;
  /** value = d.ddd × 10^exp */
  readonly exp: number;
}

/** The shortest digits that round-trip: for doubles, JS's own; for floats, the shortest that Math.fround maps back. */
function shortestDigits(x: number, float: boolean): Digits {
  const neg = x < 0;
  const a = Math.abs(x);
  let s = a.toExponential();
  if (float) {
    for (let p = 1; p <= 9; p++) {
      const candidate = a.toExponential(p - 1);
      if (Math.fround(Number(candidate)) === a) {
        s = candidate;
        break;
      }
    }
  }
  const [mant, e] = s.split('e') as [string, string];
  return { neg, digits: mant.replace('.', '').replace(/0+$/, '') || '0', exp: Number(e) };
}

function specialFloat(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'INF';
  if (x === -Infinity) return '-INF';
  return undefined;
}

function scientific(x: number, float: boolean): string {
  const special = specialFloat(x);
  if (special !== undefined) return special;
  if (x === 0) return Object.is(x, -0) ? '-0.0E0' : '0.0E0';
  const { neg, digits, exp } = shortestDigits(x, float);
  return `${neg ? '-' : ''}${digits[0]}.${digits.length > 1 ? digits.slice(1) : '0'}E${exp}`;
}

/** The XSD canonical form of an xsd:double: "1.0E0", "3.5E0", "-1.02E4", "0.0E0", "INF", "NaN". */
export function formatDouble(x: number): string {
  return scientific(x, false);
}

/** The XSD canonical form of an xsd:float, with the shortest digits that identify the float ("1.0E-1" for 0.1f). */
export function formatFloat(x: number): string {
  return scientific(Math.fround(x), true);
}

/**
 * XPath's cast of a float or double to xsd:string (F&O 3.1 §19.1.2.1): plain decimal notation when
 * 1e-6 ≤ |x| < 1e6 ("1", "1.25", "0.000001"), the canonical scientific form otherwise ("1.0E6"),
 * "0" / "-0" for zeros.
 */
export function doubleToXPathString(x: number, float: boolean): string {
  const v = float ? Math.fround(x) : x;
  const special = specialFloat(v);
  if (special !== undefined) return special;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const a = Math.abs(v);
  if (a >= 1e-6 && a < 1e6) {
    const { neg, digits, exp } = shortestDigits(v, float);
    const d = makeDecimal(BigInt(digits), digits.length - 1 - exp);
    return `${neg ? '-' : ''}${decimalToString(d)}`;
  }
  return scientific(v, float);
}

/**
 * The literal of a numeric value ("3", "3.0", "3.5E0"). Decimals keep one fractional digit ("3.0",
 * the XSD 1.0 canonical form the W3C SPARQL results use for arithmetic, AVG and casts) unless
 * `integralDecimal` is set: CEIL/FLOOR/ROUND results print without it ("3"), as those tests expect.
 */
export function numericToLiteral(n: Numeric, integralDecimal = false): Literal {
  switch (n.kind) {
    case 'integer':
      return integerLiteral(n.value);
    case 'decimal': {
      const text = decimalToString(n.value);
      return typedLiteral(integralDecimal || text.includes('.') ? text : `${text}.0`, XSD_DECIMAL);
    }
    case 'float':
      return typedLiteral(formatFloat(n.value), XSD_FLOAT);
    case 'double':
      return typedLiteral(formatDouble(n.value), XSD_DOUBLE);
  }
}

/** The datatype IRI of the primitive type of a numeric value. */
export function numericDatatype(kind: NumericKind): string {
  switch (kind) {
    case 'integer':
      return XSD_INTEGER;
    case 'decimal':
      return XSD_DECIMAL;
    case 'float':
      return XSD_FLOAT;
    case 'double':
      return XSD_DOUBLE;
  }
}

// ---------------------------------------------------------------------------------------------
// Promotion and arithmetic (XPath F&O §4.2, type promotion B.1)

const RANK: Readonly<Record<NumericKind, number>> = { integer: 0, decimal: 1, float: 2, double: 3 };

function commonKind(a: Numeric, b: Numeric): NumericKind {
  return RANK[a.kind] >= RANK[b.kind] ? a.kind : b.kind;
}

export function numericToDecimal(n: Numeric): Decimal {
  switch (n.kind) {
    case 'integer':
      return decimalFromBigInt(n.value);
    case 'decimal':
      return n.value;
    default:
      return floatingToDecimal(n.value, n.kind === 'float');
  }
}

/**
 * The decimal written with the shortest digits that identify the float or double (0.1f → 0.1, not
 * 0.100000001490116...), as Saxon and Oxigraph cast; an ExpressionError for INF and NaN.
 */
export function floatingToDecimal(x: number, float: boolean): Decimal {
  if (!Number.isFinite(x)) throw new ExpressionError(`cannot convert ${x} to xsd:decimal`);
  if (!float) return decimalFromNumber(x);
  if (x === 0) return makeDecimal(0n);
  const { neg, digits, exp } = shortestDigits(x, true);
  const u = BigInt(digits);
  return makeDecimal(neg ? -u : u, digits.length - 1 - exp);
}

/** The value as a double (integers and decimals correctly rounded). */
export function numericToNumber(n: Numeric): number {
  switch (n.kind) {
    case 'integer':
      return Number(n.value);
    case 'decimal':
      return decimalToNumber(n.value);
    default:
      return n.value;
  }
}

function toFloat(n: Numeric): number {
  return n.kind === 'float' ? n.value : Math.fround(numericToNumber(n));
}

type Op = 'add' | 'subtract' | 'multiply';

function arith(op: Op, a: Numeric, b: Numeric): Numeric {
  switch (commonKind(a, b)) {
    case 'integer': {
      const x = a.value as bigint;
      const y = b.value as bigint;
      return { kind: 'integer', value: op === 'add' ? x + y : op === 'subtract' ? x - y : x * y };
    }
    case 'decimal': {
      const x = numericToDecimal(a);
      const y = numericToDecimal(b);
      return { kind: 'decimal', value: op === 'add' ? decimalAdd(x, y) : op === 'subtract' ? decimalSubtract(x, y) : decimalMultiply(x, y) };
    }
    case 'float': {
      const x = toFloat(a);
      const y = toFloat(b);
      return { kind: 'float', value: Math.fround(op === 'add' ? x + y : op === 'subtract' ? x - y : x * y) };
    }
    case 'double': {
      const x = numericToNumber(a);
      const y = numericToNumber(b);
      return { kind: 'double', value: op === 'add' ? x + y : op === 'subtract' ? x - y : x * y };
    }
  }
}

export function numericAdd(a: Numeric, b: Numeric): Numeric {
  return arith('add', a, b);
}
export function numericSubtract(a: Numeric, b: Numeric): Numeric {
  return arith('subtract', a, b);
}
export function numericMultiply(a: Numeric, b: Numeric): Numeric {
  return arith('multiply', a, b);
}

/**
 * a ÷ b. integer ÷ integer is an xsd:decimal (op:numeric-divide); an integer or decimal division
 * by zero is an ExpressionError; float and double follow IEEE 754 (INF, -INF, NaN).
 */
export function numericDivide(a: Numeric, b: Numeric): Numeric {
  const kind = commonKind(a, b);
  switch (kind) {
    case 'integer':
    case 'decimal': {
      const y = numericToDecimal(b);
      if (decimalIsZero(y)) throw new ExpressionError('division by zero');
      return { kind: 'decimal', value: decimalDivide(numericToDecimal(a), y) };
    }
    case 'float':
      return { kind: 'float', value: Math.fround(toFloat(a) / toFloat(b)) };
    case 'double':
      return { kind: 'double', value: numericToNumber(a) / numericToNumber(b) };
  }
}

export function numericNegate(a: Numeric): Numeric {
  switch (a.kind) {
    case 'integer':
      return { kind: 'integer', value: -a.value };
    case 'decimal':
      return { kind: 'decimal', value: decimalNegate(a.value) };
    default:
      return { kind: a.kind, value: -a.value };
  }
}

type Rounding = 'abs' | 'ceil' | 'floor' | 'round';
const DOUBLE_ROUNDING: Readonly<Record<Rounding, (x: number) => number>> = { abs: Math.abs, ceil: Math.ceil, floor: Math.floor, round: Math.round };
const DECIMAL_ROUNDING: Readonly<Record<Rounding, (x: Decimal) => Decimal>> = { abs: decimalAbs, ceil: decimalCeil, floor: decimalFloor, round: decimalRound };

/**
 * fn:abs, fn:ceiling, fn:floor, fn:round: the result has the primitive type of the argument. round is
 * half toward positive infinity (-2.5 → -2), and keeps negative zero for doubles (-0.4 → -0).
 */
export function numericRounding(fn: Rounding, a: Numeric): Numeric {
  switch (a.kind) {
    case 'integer':
      return fn === 'abs' && a.value < 0n ? { kind: 'integer', value: -a.value } : a;
    case 'decimal':
      return { kind: 'decimal', value: DECIMAL_ROUNDING[fn](a.value) };
    default:
      // Math.round is floor(x + 0.5) without the double-rounding error, and keeps -0 as XPath does.
      return { kind: a.kind, value: DOUBLE_ROUNDING[fn](a.value) };
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison

function sign(x: number): -1 | 0 | 1 {
  return x < 0 ? -1 : x > 0 ? 1 : 0;
}

/**
 * XPath value comparison after type promotion (op:numeric-less-than / -equal): -1, 0 or 1, and
 * undefined when a NaN makes the values unordered (every comparison with NaN is false).
 */
export function numericCompare(a: Numeric, b: Numeric): -1 | 0 | 1 | undefined {
  switch (commonKind(a, b)) {
    case 'integer': {
      const x = a.value as bigint;
      const y = b.value as bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'decimal':
      return decimalCompare(numericToDecimal(a), numericToDecimal(b));
    case 'float': {
      const x = toFloat(a);
      const y = toFloat(b);
      return Number.isNaN(x) || Number.isNaN(y) ? undefined : sign(x - y);
    }
    case 'double': {
      const x = numericToNumber(a);
      const y = numericToNumber(b);
      if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

export function numericIsNaN(a: Numeric): boolean {
  return (a.kind === 'float' || a.kind === 'double') && Number.isNaN(a.value);
}

export function numericIsZero(a: Numeric): boolean {
  switch (a.kind) {
    case 'integer':
      return a.value === 0n;
    case 'decimal':
      return decimalIsZero(a.value);
    default:
      return a.value === 0;
  }
}

/**
 * A total order on numeric values by their exact mathematical value (no promotion rounding), NaN
 * lowest, -0 = 0. It refines numericCompare (whenever that says <, so does this), so it is what
 * ORDER BY, MIN and MAX use.
 */
export function numericOrderCompare(a: Numeric, b: Numeric): number {
  const aFloat = a.kind === 'float' || a.kind === 'double';
  const bFloat = b.kind === 'float' || b.kind === 'double';
  if (aFloat && bFloat) {
    const x = a.value as number;
    const y = b.value as number;
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
    if (Number.isNaN(y)) return 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (!aFloat && !bFloat) return decimalCompare(numericToDecimal(a), numericToDecimal(b));
  // One side is a float or double, the other an integer or decimal.
  const [f, other, flip] = aFloat ? [a.value as number, b, 1] : [b.value as number, a, -1];
  if (Number.isNaN(f)) return -flip;
  if (f === Infinity) return flip;
  if (f === -Infinity) return -flip;
  const c = decimalCompare(decimalFromNumberExact(f), numericToDecimal(other));
  return c === 0 ? 0 : flip * c;
}
