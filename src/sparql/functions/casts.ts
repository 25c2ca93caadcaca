import type { Literal, Term } from '@rdfjs/types';
import { parseBoolean } from './compare.js';
import { decimalToString, decimalTrunc, parseDecimal } from './decimal.js';
import { type Temporal, convertTemporal, formatTemporal, parseDate, parseDateTime, temporalValue } from './datetime.js';
import { ExpressionError } from './errors.js';
import {
  DERIVED_INTEGER_DATATYPES,
  type Numeric,
  doubleToXPathString,
  formatDouble,
  formatFloat,
  integerInRange,
  isNumericDatatype,
  numericIsNaN,
  numericIsZero,
  numericToDecimal,
  numericToNumber,
  numericValue,
  parseDouble,
  parseInteger,
  numericToLiteral,
} from './numeric.js';
import {
  XSD_BOOLEAN,
  XSD_DATE,
  XSD_DATE_TIME,
  XSD_DECIMAL,
  XSD_DOUBLE,
  XSD_FLOAT,
  XSD_INTEGER,
  XSD_STRING,
  booleanLiteral,
  isSimpleString,
  show,
  simpleLiteral,
  typedLiteral,
} from './vocab.js';

/** The datatypes a constructor function (cast) exists for: §17.5's table plus xsd:date and the derived integer types. */
export const CAST_DATATYPES: ReadonlySet<string> = new Set([
  XSD_STRING, XSD_BOOLEAN, XSD_INTEGER, XSD_DECIMAL, XSD_FLOAT, XSD_DOUBLE, XSD_DATE_TIME, XSD_DATE, ...DERIVED_INTEGER_DATATYPES,
]);

function fail(target: string, t: Term, why?: string): ExpressionError {
  const name = target.replace('http://www.w3.org/2001/XMLSchema#', 'xsd:');
  return new ExpressionError(`cannot cast ${show(t)} to ${name}${why === undefined ? '' : `: ${why}`}`);
}

/** XSD whiteSpace="collapse": casting from a string ignores leading and trailing whitespace. */
function collapse(s: string): string {
  return s.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
}

/** What a cast reads from its argument: a string, or a typed value of a known type. */
type Source =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'numeric'; readonly value: Numeric }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'temporal'; readonly value: Temporal };

function source(target: string, t: Term): Source {
  if (t.termType !== 'Literal' || t.language !== '') throw fail(target, t);
  if (isSimpleString(t)) return { kind: 'string', value: t.value };
  const dt = t.datatype.value;
  if (isNumericDatatype(dt)) {
    const n = numericValue(t);
    if (n === undefined) throw fail(target, t, 'it is ill-typed');
    return { kind: 'numeric', value: n };
  }
  if (dt === XSD_BOOLEAN) {
    const b = parseBoolean(t.value);
    if (b === undefined) throw fail(target, t, 'it is ill-typed');
    return { kind: 'boolean', value: b };
  }
  const v = temporalValue(t);
  if (v !== undefined) return { kind: 'temporal', value: v };
  throw fail(target, t);
}

function castToString(t: Term): Literal {
  if (t.termType === 'NamedNode') return simpleLiteral(t.value);
  if (t.termType !== 'Literal') throw fail(XSD_STRING, t);
  // Language-tagged strings, unknown datatypes and ill-typed literals keep their lexical form.
  if (t.language !== '' || t.datatype.value === XSD_STRING) return simpleLiteral(t.value);
  const dt = t.datatype.value;
  if (isNumericDatatype(dt)) {
    const n = numericValue(t);
    if (n === undefined) return simpleLiteral(t.value);
    switch (n.kind) {
      case 'integer':
        return simpleLiteral(n.value.toString());
      case 'decimal':
        return simpleLiteral(decimalToString(n.value));
      default:
        return simpleLiteral(doubleToXPathString(n.value, n.kind === 'float'));
    }
  }
  if (dt === XSD_BOOLEAN) {
    const b = parseBoolean(t.value);
    return simpleLiteral(b === undefined ? t.value : String(b));
  }
  const v = temporalValue(t);
  return simpleLiteral(v === undefined ? t.value : formatTemporal(v));
}

function castToBoolean(t: Term): Literal {
  const s = source(XSD_BOOLEAN, t);
  switch (s.kind) {
    case 'string': {
      const b = parseBoolean(collapse(s.value));
      if (b === undefined) throw fail(XSD_BOOLEAN, t);
      return booleanLiteral(b);
    }
    case 'boolean':
      return booleanLiteral(s.value);
    case 'numeric':
      return booleanLiteral(!numericIsZero(s.value) && !numericIsNaN(s.value));
    default:
      throw fail(XSD_BOOLEAN, t);
  }
}

function castToInteger(target: string, t: Term): Literal {
  const s = source(target, t);
  let n: bigint;
  switch (s.kind) {
    case 'string': {
      const v = parseInteger(collapse(s.value));
      if (v === undefined) throw fail(target, t);
      n = v;
      break;
    }
    case 'boolean':
      n = s.value ? 1n : 0n;
      break;
    case 'numeric': {
      const v = s.value;
      if (v.kind === 'integer') n = v.value;
      else if (v.kind === 'decimal') n = decimalTrunc(v.value);
      else if (!Number.isFinite(v.value)) throw fail(target, t, 'it is not finite');
      else n = BigInt(Math.trunc(v.value));
      break;
    }
    default:
      throw fail(target, t);
  }
  if (!integerInRange(n, target)) throw fail(target, t, 'out of range');
  return typedLiteral(n.toString(), target);
}

function castToDecimal(t: Term): Literal {
  const s = source(XSD_DECIMAL, t);
  switch (s.kind) {
    case 'string': {
      const d = parseDecimal(collapse(s.value));
      if (d === undefined) throw fail(XSD_DECIMAL, t);
      return numericToLiteral({ kind: 'decimal', value: d });
    }
    case 'boolean':
      return typedLiteral(s.value ? '1.0' : '0.0', XSD_DECIMAL);
    case 'numeric': {
      const v = s.value;
      if ((v.kind === 'float' || v.kind === 'double') && !Number.isFinite(v.value)) throw fail(XSD_DECIMAL, t, 'it is not finite');
      return numericToLiteral({ kind: 'decimal', value: numericToDecimal(v) });
    }
    default:
      throw fail(XSD_DECIMAL, t);
  }
}

function castToFloating(target: string, t: Term): Literal {
  const float = target === XSD_FLOAT;
  const s = source(target, t);
  let x: number;
  switch (s.kind) {
    case 'string': {
      const v = parseDouble(collapse(s.value));
      if (v === undefined) throw fail(target, t);
      x = v;
      break;
    }
    case 'boolean':
      x = s.value ? 1 : 0;
      break;
    case 'numeric':
      x = numericToNumber(s.value);
      break;
    default:
      throw fail(target, t);
  }
  return float ? typedLiteral(formatFloat(x), XSD_FLOAT) : typedLiteral(formatDouble(x), XSD_DOUBLE);
}

function castToTemporal(target: typeof XSD_DATE_TIME | typeof XSD_DATE, t: Term): Literal {
  const kind = target === XSD_DATE_TIME ? 'dateTime' : 'date';
  const s = source(target, t);
  let v: Temporal | undefined;
  if (s.kind === 'string') v = kind === 'dateTime' ? parseDateTime(collapse(s.value)) : parseDate(collapse(s.value));
  else if (s.kind === 'temporal' && s.value.kind !== 'time') v = convertTemporal(s.value, kind);
  if (v === undefined) throw fail(target, t);
  return typedLiteral(formatTemporal(v), target);
}

/**
 * XSD constructor functions / casts (§17.5, XPath F&O §19): `xsd:T(term)`. Results use the canonical
 * lexical form of T; casting a string applies T's whitespace collapsing; an invalid lexical form, an
 * out-of-range value (xsd:byte(300)), INF/NaN to integer or decimal, or a disallowed source type is
 * an ExpressionError. Casting to xsd:string takes an IRI or any literal (canonical form for known
 * types, lexical form otherwise); floats and doubles become "1", "1.25", "1.0E6" as XPath writes them.
 */
export function castTo(target: string, t: Term): Literal {
  if (target === XSD_STRING) return castToString(t);
  if (target === XSD_BOOLEAN) return castToBoolean(t);
  if (target === XSD_DECIMAL) return castToDecimal(t);
  if (target === XSD_FLOAT || target === XSD_DOUBLE) return castToFloating(target, t);
  if (target === XSD_DATE_TIME || target === XSD_DATE) return castToTemporal(target, t);
  if (target === XSD_INTEGER || DERIVED_INTEGER_DATATYPES.has(target)) return castToInteger(target, t);
  throw new ExpressionError(`no cast to <${target}>`);
}

