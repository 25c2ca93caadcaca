import { DataFactory, termFromId, termToId } from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';

/**
 * Terms are stored by their n3 id string (IRIs raw, `_:label`, `"lex"@lang`, `"lex"^^datatype`): it
 * keeps literals exactly as written ("01"^^xsd:integer stays "01") and round-trips through n3.
 */
export function encodeTerm(t: Term): string {
  return termToId(t as Parameters<typeof termToId>[0]);
}

export function decodeTerm(s: string): Term {
  return termFromId(s) as Term;
}

export const factory = DataFactory;

/** Rejects quads that RDF does not allow, which some parsers let through (literal subjects, etc.). */
export function checkQuad(q: Quad): void {
  if (q.subject.termType !== 'NamedNode' && q.subject.termType !== 'BlankNode') {
    throw new KnowdError('BAD_TERM', `A ${q.subject.termType} cannot be a subject: ${encodeTerm(q.subject)}`);
  }
  if (q.predicate.termType !== 'NamedNode') throw new KnowdError('BAD_TERM', `A ${q.predicate.termType} cannot be a predicate: ${encodeTerm(q.predicate)}`);
  if (q.object.termType === 'Variable' || q.object.termType === 'Quad') throw new KnowdError('BAD_TERM', `A ${q.object.termType} cannot be an object`);
  if (q.graph.termType !== 'DefaultGraph' && q.graph.termType !== 'NamedNode' && q.graph.termType !== 'BlankNode') {
    throw new KnowdError('BAD_TERM', `A ${q.graph.termType} cannot name a graph`);
  }
}
