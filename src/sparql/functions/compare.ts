import type { Literal, Term } from '@rdfjs/types';
import { type Temporal, compareTemporal, orderTemporal, temporalValue } from './datetime.js';
import { ExpressionError } from './errors.js';
import { type Numeric, isNumericDatatype, numericCompare, numericIsNaN, numericIsZero, numericOrderCompare, numericValue } from './numeric.js';
import { XSD_BOOLEAN, XSD_STRING, show } from './vocab.js';

/** The xsd:boolean lexical space: true, false, 1, 0. */
export function parseBoolean(lex: string): boolean | undefined {
  return lex === 'true' || lex === '1' ? true : lex === 'false' || lex === '0' ? false : undefined;
}

/**
 * A literal sorted into the value spaces this library knows. 'other' is everything else: unknown
 * datatypes and ill-typed literals of known ones ("abc"^^xsd:integer), compared only as terms.
 */
type Classified =
  | { readonly cls: 'numeric'; readonly value: Numeric }
  | { readonly cls: 'boolean'; readonly value: boolean }
  | { readonly cls: 'dateTime' | 'date' | 'time'; readonly value: Temporal }
  | { readonly cls: 'string' | 'langString' | 'other' };

function classify(l: Literal): Classified {
  if (l.language !== '') return { cls: 'langString' };
  const dt = l.datatype.value;
  if (dt === XSD_STRING) return { cls: 'string' };
  if (isNumericDatatype(dt)) {
    const n = numericValue(l);
    return n === undefined ? { cls: 'other' } : { cls: 'numeric', value: n };
  }
  if (dt === XSD_BOOLEAN) {
    const b = parseBoolean(l.value);
    return b === undefined ? { cls: 'other' } : { cls: 'boolean', value: b };
  }
  const t = temporalValue(l);
  return t === undefined ? { cls: 'other' } : { cls: t.kind, value: t };
}

function direction(l: Literal): string {
  return l.direction ?? '';
}

/** sameTerm (§17.4.2.8): the same RDF term. Language tags compare case-insensitively, as RDF says they do. */
export function sameTerm(a: Term, b: Term): boolean {
  if (a === b) return true;
  if (a.termType !== b.termType || a.value !== b.value) return false;
  switch (a.termType) {
    case 'Literal': {
      const l = b as Literal;
      return a.datatype.value === l.datatype.value && a.language.toLowerCase() === l.language.toLowerCase() && direction(a) === direction(l);
    }
    case 'Quad': {
      const q = b as typeof a;
      return sameTerm(a.subject, q.subject) && sameTerm(a.predicate, q.predicate) && sameTerm(a.object, q.object) && sameTerm(a.graph, q.graph);
    }
    default:
      return true;
  }
}

/**
 * Compares two UTF-16 strings in code point order (XPath's codepoint collation). Plain `<` on JS
 * strings compares code units, which puts U+E000..U+FFFF after astral characters; this does not.
 */
export function compareCodepoints(a: string, b: string): -1 | 0 | 1 {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800..U+DFFF) move above U+E000..U+FFFF, which is then code point order.
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function incomparable(op: string, a: Term, b: Term): ExpressionError {
  return new ExpressionError(`cannot apply ${op} to ${show(a)} and ${show(b)}`);
}

function temporalCompareOrError(op: string, a: Literal, b: Literal, x: Temporal, y: Temporal): -1 | 0 | 1 {
  const c = compareTemporal(x, y);
  if (c === undefined) throw new ExpressionError(`${op}: the order of ${show(a)} and ${show(b)} depends on the missing timezone`);
  return c;
}

/**
 * The '=' operator (§17.3 operator mapping, §17.4.1.7 RDFterm-equal): value equality for numerics,
 * strings, language-tagged strings, booleans, dateTimes, dates and times (NaN = NaN is false); for
 * other pairs of literals, true if they are the same term and otherwise an ExpressionError, because
 * without knowing the datatype we cannot say the values differ. This includes literals of two different
 * known types (1 = "1", "a" = "a"@en), as the spec says. IRIs and blank nodes compare as terms.
 */
export function rdfTermEqual(a: Term, b: Term): boolean {
  if (a.termType !== 'Literal' || b.termType !== 'Literal') return sameTerm(a, b);
  const x = classify(a);
  const y = classify(b);
  if (x.cls === y.cls) {
    switch (x.cls) {
      case 'numeric':
        return numericCompare(x.value, (y as typeof x).value) === 0;
      case 'boolean':
        return x.value === (y as typeof x).value;
      case 'dateTime':
      case 'date':
      case 'time':
        return temporalCompareOrError('=', a, b, x.value, (y as typeof x).value) === 0;
      case 'string':
        return a.value === b.value;
      case 'langString':
        return a.value === b.value && a.language.toLowerCase() === b.language.toLowerCase() && direction(a) === direction(b);
      case 'other':
        break;
    }
  }
  if (sameTerm(a, b)) return true;
  throw incomparable('=', a, b);
}

/**
 * The ordering operators <, <=, >, >= (§17.3): -1, 0 or 1 for two numerics, two simple/xsd:string
 * literals (code point order), two booleans, two dateTimes (or dates, or times); undefined when a
 * NaN makes the numerics unordered (every comparison is then false). Anything else is an
 * ExpressionError: other types, language-tagged strings, IRIs, blank nodes, and dateTimes whose
 * order depends on a missing timezone.
 */
export function valueCompare(op: string, a: Term, b: Term): -1 | 0 | 1 | undefined {
  if (a.termType !== 'Literal' || b.termType !== 'Literal') throw incomparable(op, a, b);
  const x = classify(a);
  const y = classify(b);
  if (x.cls !== y.cls) throw incomparable(op, a, b);
  switch (x.cls) {
    case 'numeric':
      return numericCompare(x.value, (y as typeof x).value);
    case 'boolean': {
      const v = (y as typeof x).value;
      return x.value === v ? 0 : x.value ? 1 : -1;
    }
    case 'dateTime':
    case 'date':
    case 'time':
      return temporalCompareOrError(op, a, b, x.value, (y as typeof x).value);
    case 'string':
      return compareCodepoints(a.value, b.value);
    default:
      throw incomparable(op, a, b);
  }
}

/**
 * Effective boolean value (§17.2.2): booleans by value, numerics false when zero or NaN, strings
 * (simple, xsd:string and — SPARQL 1.1 says "plain literal" — language-tagged) false when empty;
 * ill-typed booleans and numerics are false. Anything else is an ExpressionError.
 */
export function effectiveBooleanValue(t: Term): boolean {
  if (t.termType === 'Literal') {
    if (t.language !== '') return t.value.length > 0;
    const dt = t.datatype.value;
    if (dt === XSD_STRING) return t.value.length > 0;
    if (dt === XSD_BOOLEAN) return parseBoolean(t.value) ?? false;
    if (isNumericDatatype(dt)) {
      const n = numericValue(t);
      return n !== undefined && !numericIsNaN(n) && !numericIsZero(n);
    }
  }
  throw new ExpressionError(`no effective boolean value for ${show(t)}`);
}

// ---------------------------------------------------------------------------------------------
// ORDER BY

const TERM_RANK: Readonly<Record<Term['termType'], number>> = { BlankNode: 1, NamedNode: 2, Literal: 3, Quad: 4, Variable: 5, DefaultGraph: 6 };
const LITERAL_RANK: Readonly<Record<Classified['cls'], number>> = { numeric: 0, boolean: 1, dateTime: 2, date: 3, time: 4, string: 5, langString: 5, other: 6 };

function orderLiterals(a: Literal, b: Literal, tiebreak: boolean): number {
  const x = classify(a);
  const y = classify(b);
  const rank = LITERAL_RANK[x.cls] - LITERAL_RANK[y.cls];
  if (rank !== 0) return rank;
  let c = 0;
  switch (x.cls) {
    case 'numeric':
      c = numericOrderCompare(x.value, (y as typeof x).value);
      break;
    case 'boolean':
      c = Number(x.value) - Number((y as typeof x).value);
      break;
    case 'dateTime':
    case 'date':
    case 'time':
      c = orderTemporal(x.value, (y as typeof x).value);
      break;
    case 'string':
    case 'langString':
      c = compareCodepoints(a.value, b.value);
      if (c !== 0) return c;
      // A simple literal before language-tagged ones with the same text, then by tag.
      c = compareCodepoints(a.language.toLowerCase(), b.language.toLowerCase()) || compareCodepoints(direction(a), direction(b));
      if (c !== 0) return c;
      break;
    case 'other':
      break;
  }
  if (c !== 0 || !tiebreak) return c;
  // Equal values (1 and 1.0, "1"^^xsd:int and "01"^^xsd:int, ...) still get a stable order.
  return compareCodepoints(a.datatype.value, b.datatype.value) || compareCodepoints(a.value, b.value) || compareCodepoints(a.language, b.language);
}

/**
 * The ORDER BY order (§15.1), total and deterministic: unbound < blank nodes < IRIs < literals (<
 * quoted triples). IRIs by code point order; literals grouped numerics < booleans < dateTimes <
 * dates < times < strings (simple and language-tagged together: by text, then untagged first, then
 * by tag) < others (by datatype IRI, then lexical form). Inside a group by value as '<' orders them;
 * numerics by exact value with NaN first, dateTimes without timezone as if UTC; equal values by
 * datatype and lexical form. Returns 0 only for the same term. MIN and MAX use this order too.
 */
export function orderCompare(a: Term | undefined, b: Term | undefined): number {
  return orderKeyCompare(a, b, true);
}

/**
 * The ORDER BY order of one sort key: like orderCompare, but 0 for literals of equal value (1 and
 * 1.0E0, the same instant in two timezones). §15.1 orders by the next key when '<' does not tell
 * two solutions apart, so the tie must reach it; orderCompare's tiebreak applies only after the last key.
 */
export function orderValueCompare(a: Term | undefined, b: Term | undefined): number {
  return orderKeyCompare(a, b, false);
}

function orderKeyCompare(a: Term | undefined, b: Term | undefined, tiebreak: boolean): number {
  if (a === undefined || b === undefined) return a === undefined ? (b === undefined ? 0 : -1) : 1;
  const rank = TERM_RANK[a.termType] - TERM_RANK[b.termType];
  if (rank !== 0) return rank;
  switch (a.termType) {
    case 'Literal':
      return orderLiterals(a, b as Literal, tiebreak);
    case 'Quad': {
      const q = b as typeof a;
      return orderCompare(a.subject, q.subject) || orderCompare(a.predicate, q.predicate) || orderCompare(a.object, q.object) || orderCompare(a.graph, q.graph);
    }
    default:
      return compareCodepoints(a.value, b.value);
  }
}
