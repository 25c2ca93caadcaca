import type { BlankNode, Term } from '@rdfjs/types';
import { KnowdError } from '../../base/index.js';
import { CAST_DATATYPES, castTo } from './casts.js';
import { effectiveBooleanValue, rdfTermEqual, sameTerm, valueCompare } from './compare.js';
import { decimalToString } from './decimal.js';
import { type Temporal, type TemporalKind, formatTemporal, formatTz, temporalFromDate, temporalValue, timezoneDuration } from './datetime.js';
import { ExpressionError } from './errors.js';
import { hasForbiddenIriChars, isAbsoluteIri, resolveIri } from './iri.js';
import {
  type Numeric,
  formatDouble,
  numericAdd,
  numericArg,
  numericDivide,
  numericMultiply,
  numericNegate,
  numericRounding,
  numericSubtract,
  numericToLiteral,
  numericValue,
} from './numeric.js';
import {
  concat,
  contains,
  encodeForUri,
  hash,
  langMatches,
  lcase,
  regex,
  replace,
  simpleArg,
  strafter,
  strbefore,
  strends,
  strlen,
  strstarts,
  substr,
  ucase,
} from './strings.js';
import {
  RDF_DIR_LANG_STRING,
  RDF_LANG_STRING,
  XSD_DATE_TIME,
  XSD_DAY_TIME_DURATION,
  XSD_DECIMAL,
  XSD_DOUBLE,
  booleanLiteral,
  formatIri,
  integerLiteral,
  langLiteral,
  namedNode,
  show,
  simpleLiteral,
  typeError,
  typedLiteral,
} from './vocab.js';

/** What a function call may depend on besides its arguments; fixed for one query (or one solution for bnode). */
export interface FunctionContext {
  /** NOW(): the same instant for every call in a query. */
  readonly now: Date;
  /** The query's base IRI, for IRI()/URI() of a relative reference. */
  readonly baseIRI?: string;
  /** RAND(): a number in [0, 1). */
  readonly random: () => number;
  /** UUID()/STRUUID(): an RFC 4122 version 4 UUID, lowercase, without "urn:uuid:". */
  readonly uuid: () => string;
  /** BNODE() and BNODE(label): the evaluator scopes labels to one solution. */
  readonly bnode: (label?: string) => BlankNode;
}

type Impl = (args: readonly Term[], ctx: FunctionContext) => Term;
interface Entry {
  readonly min: number;
  readonly max: number;
  readonly impl: Impl;
}

const a0 = (args: readonly Term[]): Term => args[0]!;
const a1 = (args: readonly Term[]): Term => args[1]!;

function fixed(n: number, impl: Impl): Entry {
  return { min: n, max: n, impl };
}

function numericBinary(op: (x: Numeric, y: Numeric) => Numeric, name: string): Entry {
  return fixed(2, (args) => numericToLiteral(op(numericArg(name, a0(args)), numericArg(name, a1(args)))));
}

function ordering(op: string, test: (c: -1 | 0 | 1) => boolean): Entry {
  return fixed(2, (args) => {
    const c = valueCompare(op, a0(args), a1(args));
    return booleanLiteral(c !== undefined && test(c));
  });
}

function temporalArg(fn: string, t: Term, kinds: readonly TemporalKind[]): Temporal {
  const v = temporalValue(t);
  if (v === undefined || !kinds.includes(v.kind)) throw typeError(fn, `an ${kinds.map((k) => `xsd:${k}`).join(' or ')}`, t);
  return v;
}

const DATE_KINDS: readonly TemporalKind[] = ['dateTime', 'date'];
const TIME_KINDS: readonly TemporalKind[] = ['dateTime', 'time'];
const ALL_KINDS: readonly TemporalKind[] = ['dateTime', 'date', 'time'];
const LANGUAGE_TAG = /^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*$/;

function iri(args: readonly Term[], ctx: FunctionContext): Term {
  const t = a0(args);
  if (t.termType === 'NamedNode') return t;
  const ref = simpleArg('IRI', t);
  if (hasForbiddenIriChars(ref)) throw new ExpressionError(`IRI: ${JSON.stringify(ref)} contains characters not allowed in an IRI`);
  if (isAbsoluteIri(ref)) return namedNode(ref);
  if (ctx.baseIRI === undefined) throw new ExpressionError(`IRI: ${JSON.stringify(ref)} is relative and the query has no base IRI`);
  const resolved = resolveIri(ref, ctx.baseIRI);
  if (!isAbsoluteIri(resolved)) throw new ExpressionError(`IRI: ${JSON.stringify(ref)} does not resolve to an absolute IRI against <${ctx.baseIRI}>`);
  return namedNode(resolved);
}

const BUILTINS: ReadonlyMap<string, Entry> = new Map<string, Entry>([
  // Operators (§17.3). sparqlalgebrajs names: '!', 'UMINUS', 'UPLUS', '+', '-', '*', '/', '=', '!=', '<', '>', '<=', '>='.
  ['!', fixed(1, (args) => booleanLiteral(!effectiveBooleanValue(a0(args))))],
  ['uplus', fixed(1, (args) => numericToLiteral(numericArg('unary +', a0(args))))],
  ['uminus', fixed(1, (args) => numericToLiteral(numericNegate(numericArg('unary -', a0(args)))))],
  ['+', numericBinary(numericAdd, '+')],
  ['-', { min: 1, max: 2, impl: (args, ctx) => (args.length === 1 ? BUILTINS.get('uminus')!.impl(args, ctx) : numericToLiteral(numericSubtract(numericArg('-', a0(args)), numericArg('-', a1(args))))) }],
  ['*', numericBinary(numericMultiply, '*')],
  ['/', numericBinary(numericDivide, '/')],
  ['=', fixed(2, (args) => booleanLiteral(rdfTermEqual(a0(args), a1(args))))],
  ['!=', fixed(2, (args) => booleanLiteral(!rdfTermEqual(a0(args), a1(args))))],
  ['<', ordering('<', (c) => c < 0)],
  ['>', ordering('>', (c) => c > 0)],
  ['<=', ordering('<=', (c) => c <= 0)],
  ['>=', ordering('>=', (c) => c >= 0)],

  // §17.4.2 Functions on RDF terms
  ['isiri', fixed(1, (args) => booleanLiteral(a0(args).termType === 'NamedNode'))],
  ['isuri', fixed(1, (args) => booleanLiteral(a0(args).termType === 'NamedNode'))],
  ['isblank', fixed(1, (args) => booleanLiteral(a0(args).termType === 'BlankNode'))],
  ['isliteral', fixed(1, (args) => booleanLiteral(a0(args).termType === 'Literal'))],
  ['isnumeric', fixed(1, (args) => booleanLiteral(numericValue(a0(args)) !== undefined))],
  ['sameterm', fixed(2, (args) => booleanLiteral(sameTerm(a0(args), a1(args))))],
  [
    'str',
    fixed(1, (args) => {
      const t = a0(args);
      if (t.termType !== 'NamedNode' && t.termType !== 'Literal') throw typeError('STR', 'an IRI or a literal', t);
      return simpleLiteral(t.value);
    }),
  ],
  [
    'lang',
    fixed(1, (args) => {
      const t = a0(args);
      if (t.termType !== 'Literal') throw typeError('LANG', 'a literal', t);
      return simpleLiteral(t.language);
    }),
  ],
  [
    'datatype',
    fixed(1, (args) => {
      const t = a0(args);
      if (t.termType !== 'Literal') throw typeError('DATATYPE', 'a literal', t);
      if (t.language !== '') return namedNode((t.direction ?? '') !== '' ? RDF_DIR_LANG_STRING : RDF_LANG_STRING);
      return t.datatype;
    }),
  ],
  ['iri', fixed(1, iri)],
  ['uri', fixed(1, iri)],
  ['bnode', { min: 0, max: 1, impl: (args, ctx) => (args.length === 0 ? ctx.bnode() : ctx.bnode(simpleArg('BNODE', a0(args)))) }],
  [
    'strdt',
    fixed(2, (args) => {
      const lex = simpleArg('STRDT', a0(args));
      const dt = a1(args);
      if (dt.termType !== 'NamedNode') throw typeError('STRDT', 'a datatype IRI', dt);
      if (dt.value === RDF_LANG_STRING || dt.value === RDF_DIR_LANG_STRING) throw new ExpressionError(`STRDT: cannot make a ${formatIri(dt.value)} literal without a language tag (use STRLANG)`);
      return typedLiteral(lex, dt.value);
    }),
  ],
  [
    'strlang',
    fixed(2, (args) => {
      const lex = simpleArg('STRLANG', a0(args));
      const tag = simpleArg('STRLANG', a1(args));
      if (!LANGUAGE_TAG.test(tag)) throw new ExpressionError(`STRLANG: ${JSON.stringify(tag)} is not a language tag`);
      return langLiteral(lex, tag);
    }),
  ],
  ['uuid', fixed(0, (_args, ctx) => namedNode(`urn:uuid:${ctx.uuid()}`))],
  ['struuid', fixed(0, (_args, ctx) => simpleLiteral(ctx.uuid()))],

  // §17.4.3 Functions on strings
  ['strlen', fixed(1, (args) => strlen(a0(args)))],
  ['substr', { min: 2, max: 3, impl: (args) => substr(a0(args), a1(args), args[2]) }],
  ['ucase', fixed(1, (args) => ucase(a0(args)))],
  ['lcase', fixed(1, (args) => lcase(a0(args)))],
  ['strstarts', fixed(2, (args) => strstarts(a0(args), a1(args)))],
  ['strends', fixed(2, (args) => strends(a0(args), a1(args)))],
  ['contains', fixed(2, (args) => contains(a0(args), a1(args)))],
  ['strbefore', fixed(2, (args) => strbefore(a0(args), a1(args)))],
  ['strafter', fixed(2, (args) => strafter(a0(args), a1(args)))],
  ['encode_for_uri', fixed(1, (args) => encodeForUri(a0(args)))],
  ['concat', { min: 0, max: Infinity, impl: (args) => concat(args) }],
  ['langmatches', fixed(2, (args) => langMatches(a0(args), a1(args)))],
  ['regex', { min: 2, max: 3, impl: (args) => regex(a0(args), a1(args), args[2]) }],
  ['replace', { min: 3, max: 4, impl: (args) => replace(a0(args), a1(args), args[2]!, args[3]) }],

  // §17.4.4 Functions on numerics
  ['abs', fixed(1, (args) => numericToLiteral(numericRounding('abs', numericArg('ABS', a0(args)))))],
  ['ceil', fixed(1, (args) => numericToLiteral(numericRounding('ceil', numericArg('CEIL', a0(args))), true))],
  ['floor', fixed(1, (args) => numericToLiteral(numericRounding('floor', numericArg('FLOOR', a0(args))), true))],
  ['round', fixed(1, (args) => numericToLiteral(numericRounding('round', numericArg('ROUND', a0(args))), true))],
  ['rand', fixed(0, (_args, ctx) => typedLiteral(formatDouble(ctx.random()), XSD_DOUBLE))],

  // §17.4.5 Functions on dates and times (YEAR..DAY also take xsd:date, HOURS..SECONDS xsd:time)
  ['now', fixed(0, (_args, ctx) => typedLiteral(formatTemporal(temporalFromDate(ctx.now)), XSD_DATE_TIME))],
  ['year', fixed(1, (args) => integerLiteral(temporalArg('YEAR', a0(args), DATE_KINDS).year))],
  ['month', fixed(1, (args) => integerLiteral(temporalArg('MONTH', a0(args), DATE_KINDS).month))],
  ['day', fixed(1, (args) => integerLiteral(temporalArg('DAY', a0(args), DATE_KINDS).day))],
  ['hours', fixed(1, (args) => integerLiteral(temporalArg('HOURS', a0(args), TIME_KINDS).hour))],
  ['minutes', fixed(1, (args) => integerLiteral(temporalArg('MINUTES', a0(args), TIME_KINDS).minute))],
  ['seconds', fixed(1, (args) => typedLiteral(decimalToString(temporalArg('SECONDS', a0(args), TIME_KINDS).second), XSD_DECIMAL))],
  [
    'timezone',
    fixed(1, (args) => {
      const v = temporalArg('TIMEZONE', a0(args), ALL_KINDS);
      if (v.tz === undefined) throw new ExpressionError(`TIMEZONE: ${show(a0(args))} has no timezone`);
      return typedLiteral(timezoneDuration(v.tz), XSD_DAY_TIME_DURATION);
    }),
  ],
  ['tz', fixed(1, (args) => simpleLiteral(formatTz(temporalArg('TZ', a0(args), ALL_KINDS).tz)))],

  // §17.4.6 Hash functions
  ['md5', fixed(1, (args) => hash('md5', a0(args)))],
  ['sha1', fixed(1, (args) => hash('sha1', a0(args)))],
  ['sha256', fixed(1, (args) => hash('sha256', a0(args)))],
  ['sha384', fixed(1, (args) => hash('sha384', a0(args)))],
  ['sha512', fixed(1, (args) => hash('sha512', a0(args)))],
]);

/** Built-ins are looked up case-insensitively (sparqlalgebrajs lowercases most, but not UMINUS/UPLUS); IRIs exactly. */
function lookup(name: string): Entry | undefined {
  if (name.includes(':')) return CAST_DATATYPES.has(name) ? CASTS.get(name) : undefined;
  return BUILTINS.get(name.toLowerCase());
}

const CASTS: ReadonlyMap<string, Entry> = new Map([...CAST_DATATYPES].map((dt) => [dt, fixed(1, (args) => castTo(dt, a0(args)))]));

/** The special forms the evaluator implements itself, because they do not evaluate all their arguments first. */
export const SPECIAL_FORMS: ReadonlySet<string> = new Set(['&&', '||', 'if', 'coalesce', 'bound', 'in', 'notin', 'exists', 'notexists']);

/** Whether callFunction implements `name` (a sparqlalgebrajs operator name or a function IRI). */
export function isKnownFunction(name: string): boolean {
  return lookup(name) !== undefined;
}

/**
 * Calls a built-in operator or function by its sparqlalgebrajs name ('str', 'regex', '+', '=', '!',
 * 'UMINUS', 'UPLUS', 'sameterm', ...; case-insensitive) or a cast by its XSD datatype IRI, with
 * already-evaluated arguments. Throws ExpressionError for a SPARQL expression error, and
 * KnowdError('BAD_REQUEST') for an unknown function or a wrong number of arguments (a mistake in the
 * query, not in the data).
 */
export function callFunction(name: string, args: readonly Term[], ctx: FunctionContext): Term {
  const entry = lookup(name);
  if (entry === undefined) {
    const hint = SPECIAL_FORMS.has(name.toLowerCase()) ? ' (a special form: the evaluator handles it)' : '';
    throw new KnowdError('BAD_REQUEST', `Unknown function ${name.includes(':') ? `<${name}>` : name}${hint}`, { function: name });
  }
  if (args.length < entry.min || args.length > entry.max) {
    const arity = entry.min === entry.max ? `${entry.min}` : entry.max === Infinity ? `at least ${entry.min}` : `${entry.min} to ${entry.max}`;
    throw new KnowdError('BAD_REQUEST', `${name} takes ${arity} argument${entry.max === 1 ? '' : 's'}, not ${args.length}`, { function: name });
  }
  return entry.impl(args, ctx);
}

