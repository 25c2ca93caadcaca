import type { Literal, NamedNode, Term } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { ExpressionError } from './errors.js';

export const XSD = 'http://www.w3.org/2001/XMLSchema#';
export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

export const XSD_STRING = `${XSD}string`;
export const XSD_BOOLEAN = `${XSD}boolean`;
export const XSD_INTEGER = `${XSD}integer`;
export const XSD_DECIMAL = `${XSD}decimal`;
export const XSD_FLOAT = `${XSD}float`;
export const XSD_DOUBLE = `${XSD}double`;
export const XSD_DATE_TIME = `${XSD}dateTime`;
export const XSD_DATE = `${XSD}date`;
export const XSD_TIME = `${XSD}time`;
export const XSD_DAY_TIME_DURATION = `${XSD}dayTimeDuration`;
export const RDF_LANG_STRING = `${RDF}langString`;
export const RDF_DIR_LANG_STRING = `${RDF}dirLangString`;

const datatypeNodes = new Map<string, NamedNode>();
/** One NamedNode per datatype IRI, so results do not allocate a datatype each. */
export function datatype(iri: string): NamedNode {
  let n = datatypeNodes.get(iri);
  if (n === undefined) {
    n = DataFactory.namedNode(iri);
    if (datatypeNodes.size < 1024) datatypeNodes.set(iri, n);
  }
  return n;
}

export function namedNode(iri: string): NamedNode {
  return DataFactory.namedNode(iri);
}

/** A simple literal (RDF 1.1: datatype xsd:string). */
export function simpleLiteral(value: string): Literal {
  return DataFactory.literal(value);
}

export function langLiteral(value: string, language: string): Literal {
  return DataFactory.literal(value, language);
}

export function typedLiteral(value: string, datatypeIri: string): Literal {
  return DataFactory.literal(value, datatype(datatypeIri));
}

export const TRUE = typedLiteral('true', XSD_BOOLEAN);
export const FALSE = typedLiteral('false', XSD_BOOLEAN);
export function booleanLiteral(b: boolean): Literal {
  return b ? TRUE : FALSE;
}

export function integerLiteral(n: bigint | number): Literal {
  return typedLiteral(typeof n === 'bigint' ? n.toString() : String(Math.trunc(n)), XSD_INTEGER);
}

export function isLiteral(t: Term): t is Literal {
  return t.termType === 'Literal';
}

/** A language-tagged literal (rdf:langString or, in RDF 1.2, rdf:dirLangString). */
export function isLangString(t: Term): boolean {
  return t.termType === 'Literal' && t.language !== '';
}

/** A simple literal or an xsd:string literal (the same thing in RDF 1.1). */
export function isSimpleString(t: Term): boolean {
  return t.termType === 'Literal' && t.language === '' && t.datatype.value === XSD_STRING;
}

/** §17.4.3.1.1 "string literal": a simple literal, an xsd:string literal or a language-tagged literal. */
export function isStringLiteral(t: Term): boolean {
  return t.termType === 'Literal' && (t.language !== '' || t.datatype.value === XSD_STRING);
}

/** Renders a term for error messages, the way SPARQL writes it. */
export function show(t: Term): string {
  switch (t.termType) {
    case 'NamedNode':
      return `<${t.value}>`;
    case 'BlankNode':
      return `_:${t.value}`;
    case 'Literal': {
      const lex = JSON.stringify(t.value.length > 60 ? `${t.value.slice(0, 57)}...` : t.value);
      if (t.language !== '') return `${lex}@${t.language}`;
      if (t.datatype.value === XSD_STRING) return lex;
      if (t.datatype.value.startsWith(XSD)) return `${lex}^^xsd:${t.datatype.value.slice(XSD.length)}`;
      return `${lex}^^<${t.datatype.value}>`;
    }
    case 'Variable':
      return `?${t.value}`;
    default:
      return t.termType;
  }
}

export function typeError(fn: string, what: string, t: Term): ExpressionError {
  return new ExpressionError(`${fn}: expected ${what}, got ${show(t)}`);
}

/** An IRI for messages, with the xsd: and rdf: prefixes. */
export function formatIri(iri: string): string {
  if (iri.startsWith(XSD)) return `xsd:${iri.slice(XSD.length)}`;
  if (iri.startsWith(RDF)) return `rdf:${iri.slice(RDF.length)}`;
  return `<${iri}>`;
}
