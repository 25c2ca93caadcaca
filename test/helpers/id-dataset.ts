/** A tiny id-encoded triple set over http://e/ names, for evaluator tests that watch what the store is asked. */
import type { Term } from '@rdfjs/types';
import { factory } from '../../src/rdf/index.js';
import type { QueryableDataset, QueryIdQuad } from '../../src/sparql/index.js';

export const EX = 'http://e/';

export interface IdTriples {
  readonly quads: readonly QueryIdQuad[];
  /** The default graph's quads matching the bound positions. */
  match(s?: number, p?: number, o?: number): QueryIdQuad[];
  /** lookup/term/namedGraphs of a QueryableDataset over these triples (match and count are the test's). */
  readonly terms: Pick<QueryableDataset, 'lookup' | 'term' | 'namedGraphs'>;
}

/** Triples of local names (`['a', 'type', 'Student']`), each name an IRI under EX with an id from 1. */
export function idTriples(triples: readonly (readonly [string, string, string])[]): IdTriples {
  const ids = new Map<string, number>();
  const terms: Term[] = [];
  const id = (v: string): number => {
    let i = ids.get(v);
    if (i === undefined) {
      ids.set(v, (i = terms.length + 1));
      terms.push(factory.namedNode(EX + v));
    }
    return i;
  };
  const quads: QueryIdQuad[] = triples.map(([s, p, o]) => [id(s), id(p), id(o), 0]);
  return {
    quads,
    match: (s, p, o) => quads.filter((q) => (s === undefined || q[0] === s) && (p === undefined || q[1] === p) && (o === undefined || q[2] === o)),
    terms: {
      lookup: (t) => (t.termType === 'NamedNode' && t.value.startsWith(EX) ? ids.get(t.value.slice(EX.length)) : undefined),
      term: (i) => terms[i - 1]!,
      namedGraphs: () => [],
    },
  };
}
