/**
 * Canonical N-Quads lines, byte for byte as rdf-canonize 5 writes them in RDFC-1.0 output.
 *
 * The escapes follow the canonical form of RDF 1.2 N-Quads, which RDFC-1.0 and rdf-canonize 5 use,
 * not the older RDF 1.1 one (which escaped only \" \\ \n \r): ECHARs for \b \t \n \f \r \" \\ and
 * \u00XX (upper-case hex) for every other C0 control and U+007F. Any difference from rdf-canonize here
 * would make a delta's hash depend on whether it happened to contain a blank node, so the test suite
 * checks this module against the library.
 */
import type { Literal, Quad, Term } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';

const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';
const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';

/* eslint-disable no-control-regex -- escaping control characters is what these are for */
const LITERAL_NEEDS_ESCAPE = /[\u0000-\u001F\u007F"\\]/;
// Characters that cannot appear in an IRIREF; a valid IRI has none, but rdf-canonize escapes them, and
// matching it keeps the two paths identical even for a malformed IRI that slipped through.
const IRI_NEEDS_ESCAPE = /[\u0000-\u0020<>"{}|^`\\]/;
/* eslint-enable no-control-regex */

function uchar(code: number): string {
  return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Escape of each ASCII code that needs one in a literal, else undefined. */
const LITERAL_ESCAPE_OF: readonly (string | undefined)[] = Array.from({ length: 128 }, (_, code) => {
  const echar: Readonly<Record<number, string>> = {
    0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\',
  };
  return echar[code] ?? (code < 0x20 || code === 0x7f ? uchar(code) : undefined);
});
const IRI_ESCAPE_OF: readonly (string | undefined)[] = Array.from({ length: 128 }, (_, code) =>
  IRI_NEEDS_ESCAPE.test(String.fromCharCode(code)) ? uchar(code) : undefined,
);

/** A copy of s with each code in table escaped; a loop, as a replace() callback costs more per match. */
function escapeWith(s: string, table: readonly (string | undefined)[]): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const escape = code < 128 ? table[code] : undefined;
    if (escape !== undefined) {
      out += s.slice(start, i) + escape;
      start = i + 1;
    }
  }
  return out + s.slice(start);
}

// The regex tests first keep the common case, nothing to escape, in native code and allocation-free.
function escapeLiteral(s: string): string {
  return LITERAL_NEEDS_ESCAPE.test(s) ? escapeWith(s, LITERAL_ESCAPE_OF) : s;
}

function escapeIri(s: string): string {
  return IRI_NEEDS_ESCAPE.test(s) ? escapeWith(s, IRI_ESCAPE_OF) : s;
}

/**
 * The language part of a literal, '' for none. An RDF 1.2 base direction is written `@lang--dir`, its
 * canonical N-Quads form; rdf-canonize 5 knows nothing of directions, so the blank-node path hands it
 * the same `lang--dir` as the language tag and both paths agree.
 */
export function languageTag(term: Literal): string {
  // RDF/JS: language is '' unless the datatype is rdf:langString or rdf:dirLangString. Reading it
  // first spares the datatype lookup, which allocates a term in n3.
  const language = term.language;
  if (language === '') return '';
  const direction = term.direction ?? '';
  return direction === '' ? language : `${language}--${direction}`;
}

function literal(term: Literal): string {
  const lexical = `"${escapeLiteral(term.value)}"`;
  const tag = languageTag(term);
  if (tag !== '') return `${lexical}@${tag}`;
  const datatype = term.datatype.value;
  // A langString without a language is malformed; rdf-canonize writes it as a plain string, so do we.
  return datatype === XSD_STRING || datatype === RDF_LANG_STRING ? lexical : `${lexical}^^<${escapeIri(datatype)}>`;
}

function badTerm(term: Term, position: string): KnowdError {
  return new KnowdError('BAD_TERM', `A ${term.termType} cannot be the ${position} of a quad in a transaction`, {
    termType: term.termType,
    position,
  });
}

/** A subject, object or graph name: the positions where a blank node may be relabelled by RDFC-1.0. */
function node(term: Term, position: 'subject' | 'object' | 'graph'): string {
  switch (term.termType) {
    case 'NamedNode':
      return `<${escapeIri(term.value)}>`;
    case 'BlankNode':
      return `_:${term.value}`;
    case 'Literal':
      if (position === 'object') return literal(term);
      throw badTerm(term, position);
    case 'DefaultGraph':
      if (position === 'graph') return '';
      throw badTerm(term, position);
    // Triple terms and variables have no RDFC-1.0 form (rdf-canonize 5 does not support them).
    case 'Quad':
    case 'Variable':
      throw badTerm(term, position);
  }
}

/** One quad as a canonical N-Quads line, blank node labels as given, ending in " .\n". */
export function nquadLine(quad: Quad): string {
  // A blank-node predicate is generalized RDF; RDFC-1.0 would not relabel it, so its label would leak
  // into the hash.
  if (quad.predicate.termType !== 'NamedNode') throw badTerm(quad.predicate, 'predicate');
  const graph = node(quad.graph, 'graph');
  const head = `${node(quad.subject, 'subject')} <${escapeIri(quad.predicate.value)}> ${node(quad.object, 'object')}`;
  return graph === '' ? `${head} .\n` : `${head} ${graph} .\n`;
}

export function hasBlankNode(quad: Quad): boolean {
  return (
    quad.subject.termType === 'BlankNode' || quad.object.termType === 'BlankNode' || quad.graph.termType === 'BlankNode'
  );
}
