/**
 * Term syntax shared by the result writers: N-Triples term forms (also used by TSV), and the escaping
 * rules of XML, CSV and JSON. Written by hand on purpose: the formats are small and exactly specified,
 * and per-row string building is the hot path of a streamed result (no library call per term).
 */
import type { Literal, Term } from '@rdfjs/types';
import { AssertionError } from '../../base/index.js';

export const XSD = 'http://www.w3.org/2001/XMLSchema#';
export const XSD_STRING = `${XSD}string`;
export const XSD_INTEGER = `${XSD}integer`;
export const XSD_DECIMAL = `${XSD}decimal`;
export const XSD_DOUBLE = `${XSD}double`;
export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
export const RDF_TYPE = `${RDF}type`;
export const RDF_LANG_STRING = `${RDF}langString`;
export const RDF_DIR_LANG_STRING = `${RDF}dirLangString`;

/** Programmer error: the evaluator handed a writer a term that no solution or triple can contain. */
export function badTerm(t: Term, where: string): never {
  throw new AssertionError(`a ${t.termType} cannot appear in ${where}`);
}

/**
 * How a literal is written: with a language (and RDF 1.2 base direction), with a datatype, or plain.
 * Plain means xsd:string; a language-tagged string never carries its (implied) datatype.
 */
export type LiteralShape =
  | { readonly kind: 'plain' }
  | { readonly kind: 'lang'; readonly language: string; readonly direction: 'ltr' | 'rtl' | undefined }
  | { readonly kind: 'typed'; readonly datatype: string };

const PLAIN: LiteralShape = { kind: 'plain' };

export function literalShape(l: Literal): LiteralShape {
  if (l.language !== '') {
    const d = l.direction;
    return { kind: 'lang', language: l.language, direction: d === 'ltr' || d === 'rtl' ? d : undefined };
  }
  const dt = l.datatype.value;
  return dt === XSD_STRING || dt === '' ? PLAIN : { kind: 'typed', datatype: dt };
}

// ---------------------------------------------------------------------------------------------
// N-Triples (canonical form of RDF 1.2 N-Triples; TSV and N-Quads use the same term syntax)

/** Characters a canonical N-Triples string escapes: C0 controls, `"`, `\`, DEL, U+FFFE, U+FFFF. */
const NT_STRING_ESCAPE = /[^ !#-[\]-~\u0080-\uFFFD]/;
const NT_STRING_ESCAPE_ALL = /[^ !#-[\]-~\u0080-\uFFFD]/g;
const ECHAR: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\b': '\\b', '\f': '\\f' };

function uchar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The body of a `"..."` string literal in N-Triples/Turtle, escaped canonically. */
export function ntStringBody(s: string): string {
  return NT_STRING_ESCAPE.test(s) ? s.replace(NT_STRING_ESCAPE_ALL, (c) => ECHAR[c] ?? uchar(c)) : s;
}

/** Characters IRIREF does not allow as such (written as \u escapes; stored IRIs should never have them). */
// eslint-disable-next-line no-control-regex -- escaping control characters is the point
const IRI_ESCAPE = /[\u0000-\u0020<>"{}|^`\\]/;
// eslint-disable-next-line no-control-regex -- escaping control characters is the point
const IRI_ESCAPE_ALL = /[\u0000-\u0020<>"{}|^`\\]/g;

export function ntIri(iri: string): string {
  return `<${IRI_ESCAPE.test(iri) ? iri.replace(IRI_ESCAPE_ALL, uchar) : iri}>`;
}

export function ntLiteral(l: Literal): string {
  const body = `"${ntStringBody(l.value)}"`;
  const shape = literalShape(l);
  switch (shape.kind) {
    case 'plain':
      return body;
    case 'lang':
      return shape.direction === undefined ? `${body}@${shape.language}` : `${body}@${shape.language}--${shape.direction}`;
    case 'typed':
      return `${body}^^${ntIri(shape.datatype)}`;
  }
}

/**
 * A term in N-Triples syntax. Blank nodes are written `_:` + their label as given (see writers.ts on
 * label stability); triple terms (RDF 1.2) as `<<( s p o )>>`.
 */
export function ntTerm(t: Term): string {
  switch (t.termType) {
    case 'NamedNode':
      return ntIri(t.value);
    case 'BlankNode':
      return `_:${t.value}`;
    case 'Literal':
      return ntLiteral(t);
    case 'Quad':
      return `<<( ${ntTerm(t.subject)} ${ntTerm(t.predicate)} ${ntTerm(t.object)} )>>`;
    case 'Variable':
    case 'DefaultGraph':
      return badTerm(t, 'RDF data');
  }
}

// Turtle's numeric tokens (INTEGER, DECIMAL, DOUBLE): a literal whose lexical form is one of these may
// be written bare in TSV, as the W3C csv-tsv-res tests do.
const TURTLE_INTEGER = /^[+-]?[0-9]+$/;
const TURTLE_DECIMAL = /^[+-]?[0-9]*\.[0-9]+$/;
const TURTLE_DOUBLE = /^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+$/;

/**
 * The abbreviated (bare) form of an xsd:integer/decimal/double literal, or undefined if it has none.
 * Doubles are written with a lower-case `e`: that is byte for byte what the W3C test csvtsv03.tsv
 * expects for "1.0E6"^^xsd:double (`1.0e6`). It denotes the same value; only the lexical form's case
 * of the exponent marker changes.
 */
export function turtleNumber(l: Literal): string | undefined {
  if (l.language !== '') return undefined;
  const v = l.value;
  switch (l.datatype.value) {
    case XSD_INTEGER:
      return TURTLE_INTEGER.test(v) ? v : undefined;
    case XSD_DECIMAL:
      return TURTLE_DECIMAL.test(v) ? v : undefined;
    case XSD_DOUBLE:
      return TURTLE_DOUBLE.test(v) ? v.replace('E', 'e') : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// XML 1.0

/**
 * Characters XML 1.0 cannot carry at all, not even as character references: C0 controls other than
 * tab/LF/CR, U+FFFE/U+FFFF and unpaired surrogates. They are replaced by U+FFFD so that the document
 * stays well-formed (the alternative, failing in the middle of a streamed response, helps nobody).
 */
const XML_INVALID_SOURCE = '[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';
const XML_INVALID = new RegExp(XML_INVALID_SOURCE);
const XML_INVALID_ALL = new RegExp(XML_INVALID_SOURCE, 'g');
const XML_TEXT_SPECIAL = /[&<>\r]/;
const XML_TEXT_SPECIAL_ALL = /[&<>\r]/g;
const XML_ATTR_SPECIAL = /[&<>"\t\n\r]/;
const XML_ATTR_SPECIAL_ALL = /[&<>"\t\n\r]/g;
const XML_ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
const xmlEntity = (c: string): string => XML_ENTITY[c] ?? c;

function xmlValid(s: string): string {
  return XML_INVALID.test(s) ? s.replace(XML_INVALID_ALL, '\uFFFD') : s;
}

/** Character data: `&`, `<`, `>` as entities and CR as `&#13;` (a raw CR would be read back as LF). */
export function xmlText(s: string): string {
  const v = xmlValid(s);
  return XML_TEXT_SPECIAL.test(v) ? v.replace(XML_TEXT_SPECIAL_ALL, xmlEntity) : v;
}

/** A double-quoted attribute value: also `"`, and tab/LF/CR as references (attribute normalization). */
export function xmlAttr(s: string): string {
  const v = xmlValid(s);
  return XML_ATTR_SPECIAL.test(v) ? v.replace(XML_ATTR_SPECIAL_ALL, xmlEntity) : v;
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180)

const CSV_QUOTE_NEEDED = /[",\r\n]/;

/** A field, quoted (with `"` doubled) when it holds a quote, comma, CR or LF. */
export function csvField(s: string): string {
  return CSV_QUOTE_NEEDED.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// ---------------------------------------------------------------------------------------------
// JSON

/** A JSON string; JSON.stringify escapes quotes, backslashes, controls and lone surrogates correctly. */
export function jsonString(s: string): string {
  return JSON.stringify(s);
}
