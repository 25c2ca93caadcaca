import type { ExecutionContext } from 'ava';
import type { Literal, Term } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { ExpressionError, callFunction, type FunctionContext } from '../../../../src/sparql/functions/index.js';

export const XSD = 'http://www.w3.org/2001/XMLSchema#';
export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

/** Marks a table row whose call must throw ExpressionError. */
export const ERR = Symbol('ExpressionError');
export type Expected = string | typeof ERR;

/**
 * A term in a compact Turtle-like notation: <iri>, _:label, "lex" (JSON string escapes), "lex"@en,
 * "lex"^^xsd:type, "lex"^^<iri>, and the Turtle shorthands 1 (integer), 1.5 (decimal), 1e0 (double),
 * true, false.
 */
export function term(s: string): Term {
  if (s.startsWith('<') && s.endsWith('>')) return DataFactory.namedNode(s.slice(1, -1));
  if (s.startsWith('_:')) return DataFactory.blankNode(s.slice(2));
  if (s === 'true' || s === 'false') return DataFactory.literal(s, DataFactory.namedNode(`${XSD}boolean`));
  if (/^[+-]?\d+$/.test(s)) return DataFactory.literal(s, DataFactory.namedNode(`${XSD}integer`));
  if (/^[+-]?\d*\.\d+$/.test(s)) return DataFactory.literal(s, DataFactory.namedNode(`${XSD}decimal`));
  if (/^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$/.test(s)) return DataFactory.literal(s, DataFactory.namedNode(`${XSD}double`));
  const m = /^("(?:[^"\\]|\\.)*")(?:@([A-Za-z0-9-]+)|\^\^(?:xsd:(\w+)|<([^>]*)>))?$/.exec(s);
  if (m === null) throw new Error(`test notation: cannot read ${s}`);
  const lex = JSON.parse(m[1]!) as string;
  if (m[2] !== undefined) return DataFactory.literal(lex, m[2]);
  if (m[3] !== undefined) return DataFactory.literal(lex, DataFactory.namedNode(`${XSD}${m[3]}`));
  if (m[4] !== undefined) return DataFactory.literal(lex, DataFactory.namedNode(m[4]));
  return DataFactory.literal(lex);
}

/** The notation of `term`, canonical: strings as "lex", XSD datatypes as ^^xsd:name. */
export function show(t: Term): string {
  switch (t.termType) {
    case 'NamedNode':
      return `<${t.value}>`;
    case 'BlankNode':
      return `_:${t.value}`;
    case 'Literal': {
      const lex = JSON.stringify(t.value);
      if (t.language !== '') return `${lex}@${t.language}`;
      const dt = t.datatype.value;
      if (dt === `${XSD}string`) return lex;
      return dt.startsWith(XSD) ? `${lex}^^xsd:${dt.slice(XSD.length)}` : `${lex}^^<${dt}>`;
    }
    default:
      return t.termType;
  }
}

export function lit(value: string, datatypeOrLang?: string): Literal {
  if (datatypeOrLang === undefined) return DataFactory.literal(value);
  if (datatypeOrLang.startsWith('xsd:')) return DataFactory.literal(value, DataFactory.namedNode(`${XSD}${datatypeOrLang.slice(4)}`));
  if (datatypeOrLang.includes(':')) return DataFactory.literal(value, DataFactory.namedNode(datatypeOrLang));
  return DataFactory.literal(value, datatypeOrLang);
}

let bnodes = 0;
export function makeContext(overrides: Partial<FunctionContext> = {}): FunctionContext {
  return {
    now: new Date('2024-02-29T13:14:15.250Z'),
    random: () => 0.25,
    uuid: () => 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6',
    bnode: (label?: string) => DataFactory.blankNode(label === undefined ? `fresh${bnodes++}` : `label_${label}`),
    baseIRI: 'http://example.org/base/doc',
    ...overrides,
  };
}

export const ctx = makeContext();

/** Calls a function with arguments in the test notation. */
export function call(name: string, ...args: string[]): Term {
  return callFunction(name, args.map(term), ctx);
}

/** The result in the test notation, or ERR for an ExpressionError (other errors propagate). */
export function outcome(name: string, args: readonly string[], context: FunctionContext = ctx): Expected {
  try {
    return show(callFunction(name, args.map(term), context));
  } catch (e) {
    if (e instanceof ExpressionError) return ERR;
    throw e;
  }
}

export type Case = readonly [name: string, args: readonly string[], expected: Expected];

/** Checks a table of calls, reporting each row by its call. */
export function checkTable(t: ExecutionContext, cases: readonly Case[]): void {
  for (const [name, args, expected] of cases) {
    const got = outcome(name, args);
    const label = `${name}(${args.join(', ')})`;
    if (expected === ERR) t.is(got, ERR, `${label} should be an expression error, got ${String(got === ERR ? 'error' : got)}`);
    else t.is(got === ERR ? 'ExpressionError' : got, expected, label);
  }
}
