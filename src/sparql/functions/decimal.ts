/**
 * Exact xsd:decimal arithmetic on BigInt: a value is `unscaled × 10^-scale`. Values are kept
 * normalized (scale ≥ 0, no trailing zero digit in `unscaled` when scale > 0), so structural equality
 * is value equality and the canonical lexical form falls out directly.
 */
export interface Decimal {
  readonly unscaled: bigint;
  readonly scale: number;
}

/**
 * Fractional digits kept by a division whose quotient does not terminate (XPath leaves the precision
 * to the implementation; 18 is the minimum XSD 1.1 requires for xsd:decimal and what Oxigraph uses).
 * Small quotients get more digits so that about this many significant digits survive.
 */
export const DIVISION_DIGITS = 18;

const pow10Cache: bigint[] = [1n];
export function pow10(n: number): bigint {
  if (n < 128) {
    while (pow10Cache.length <= n) pow10Cache.push(pow10Cache[pow10Cache.length - 1]! * 10n);
    return pow10Cache[n]!;
  }
  return 10n ** BigInt(n);
}

export const DECIMAL_ZERO: Decimal = { unscaled: 0n, scale: 0 };
export const DECIMAL_ONE: Decimal = { unscaled: 1n, scale: 0 };
const HALF: Decimal = { unscaled: 5n, scale: 1 };

/** Builds a normalized decimal `unscaled × 10^-scale` (scale may be negative). */
export function makeDecimal(unscaled: bigint, scale = 0): Decimal {
  if (unscaled === 0n) return DECIMAL_ZERO;
  if (scale <= 0) return { unscaled: scale === 0 ? unscaled : unscaled * pow10(-scale), scale: 0 };
  let u = unscaled;
  let s = scale;
  // Strip trailing zeros, several digits at a time first.
  while (s >= 8 && u % 100000000n === 0n) {
    u /= 100000000n;
    s -= 8;
  }
  while (s > 0 && u % 10n === 0n) {
    u /= 10n;
    s--;
  }
  return { unscaled: u, scale: s };
}

export function decimalFromBigInt(n: bigint): Decimal {
  return n === 0n ? DECIMAL_ZERO : { unscaled: n, scale: 0 };
}

const DECIMAL_LEXICAL = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))$/;

/** Parses the xsd:decimal lexical space: `[+-]? (digits ('.' digits?)? | '.' digits)`. No exponent, no spaces. */
export function parseDecimal(lex: string): Decimal | undefined {
  const m = DECIMAL_LEXICAL.exec(lex);
  if (m === null) return undefined;
  const int = m[2] ?? '';
  const frac = m[3] ?? m[4] ?? '';
  const digits = `${int}${frac}`;
  const u = BigInt(digits === '' ? '0' : digits);
  return makeDecimal(m[1] === '-' ? -u : u, frac.length);
}

/** Parses a decimal number that may carry an exponent (`1.5e-7`), as JS prints numbers. */
export function parseScientific(s: string): Decimal | undefined {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:[eE]([+-]?\d+))?$/.exec(s);
  if (m === null) return undefined;
  const base = parseDecimal(m[1]!);
  if (base === undefined) return undefined;
  const exp = m[2] === undefined ? 0 : Number(m[2]);
  return makeDecimal(base.unscaled, base.scale - exp);
}

/** The XSD 1.1 canonical form: no exponent, no leading '+', no trailing zeros, no '.0' for integers ("3", "-0.5"). */
export function decimalToString(d: Decimal): string {
  const neg = d.unscaled < 0n;
  let digits = (neg ? -d.unscaled : d.unscaled).toString();
  if (d.scale > 0) {
    if (digits.length <= d.scale) digits = '0'.repeat(d.scale - digits.length + 1) + digits;
    digits = `${digits.slice(0, digits.length - d.scale)}.${digits.slice(digits.length - d.scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  if (a.scale === b.scale) return [a.unscaled, b.unscaled, a.scale];
  if (a.scale > b.scale) return [a.unscaled, b.unscaled * pow10(a.scale - b.scale), a.scale];
  return [a.unscaled * pow10(b.scale - a.scale), b.unscaled, b.scale];
}

export function decimalAdd(a: Decimal, b: Decimal): Decimal {
  const [x, y, s] = align(a, b);
  return makeDecimal(x + y, s);
}

export function decimalSubtract(a: Decimal, b: Decimal): Decimal {
  const [x, y, s] = align(a, b);
  return makeDecimal(x - y, s);
}

export function decimalMultiply(a: Decimal, b: Decimal): Decimal {
  return makeDecimal(a.unscaled * b.unscaled, a.scale + b.scale);
}

function digitCount(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

/**
 * a ÷ b, exact when the quotient terminates within the precision, otherwise truncated toward zero
 * after max(18, 18 - magnitude) fractional digits (1/3 → 0.333333333333333333).
 * The caller must rule out b = 0.
 */
export function decimalDivide(a: Decimal, b: Decimal): Decimal {
  if (b.unscaled === 0n) throw new RangeError('decimalDivide: division by zero');
  if (a.unscaled === 0n) return DECIMAL_ZERO;
  // a/b = (a.u × 10^b.s) / (b.u × 10^a.s)
  const num = a.unscaled * pow10(b.scale);
  const den = b.unscaled * pow10(a.scale);
  const magnitude = digitCount(num) - digitCount(den);
  const scale = Math.max(DIVISION_DIGITS, DIVISION_DIGITS - magnitude);
  return makeDecimal((num * pow10(scale)) / den, scale);
}

export function decimalCompare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function decimalNegate(a: Decimal): Decimal {
  return a.unscaled === 0n ? a : { unscaled: -a.unscaled, scale: a.scale };
}

export function decimalAbs(a: Decimal): Decimal {
  return a.unscaled < 0n ? decimalNegate(a) : a;
}

export function decimalIsZero(a: Decimal): boolean {
  return a.unscaled === 0n;
}

/** Truncation toward zero. */
export function decimalTrunc(a: Decimal): bigint {
  return a.scale === 0 ? a.unscaled : a.unscaled / pow10(a.scale);
}

export function decimalFloor(a: Decimal): Decimal {
  if (a.scale === 0) return a;
  const q = a.unscaled / pow10(a.scale);
  return decimalFromBigInt(a.unscaled < 0n ? q - 1n : q);
}

export function decimalCeil(a: Decimal): Decimal {
  if (a.scale === 0) return a;
  const q = a.unscaled / pow10(a.scale);
  return decimalFromBigInt(a.unscaled > 0n ? q + 1n : q);
}

/** fn:round: half rounds toward positive infinity (2.5 → 3, -2.5 → -2). */
export function decimalRound(a: Decimal): Decimal {
  return a.scale === 0 ? a : decimalFloor(decimalAdd(a, HALF));
}

/** The nearest double (correctly rounded, via the JS string-to-number conversion). */
export function decimalToNumber(a: Decimal): number {
  return a.scale === 0 ? Number(a.unscaled) : Number(decimalToString(a));
}

/** The decimal of the shortest digits that round-trip to the finite double x (0.1 → 0.1). */
export function decimalFromNumber(x: number): Decimal {
  if (!Number.isFinite(x)) throw new RangeError(`decimalFromNumber: ${x} is not finite`);
  const d = parseScientific(String(x));
  if (d === undefined) throw new RangeError(`decimalFromNumber: cannot read ${x}`);
  return d;
}

/** The exact binary value of the finite double x as a decimal (0.1 → 0.1000000000000000055511151231257827...). */
export function decimalFromNumberExact(x: number): Decimal {
  if (!Number.isFinite(x)) throw new RangeError(`decimalFromNumberExact: ${x} is not finite`);
  if (Number.isInteger(x)) return decimalFromBigInt(BigInt(x));
  let y = x;
  let k = 0;
  // Doubling is exact; a finite non-integer double becomes an integer after at most 1074 doublings.
  while (!Number.isInteger(y)) {
    y *= 2;
    k++;
  }
  return makeDecimal(BigInt(y) * 5n ** BigInt(k), k);
}
