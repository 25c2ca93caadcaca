import { createRequire } from 'node:module';
import type { Quad, Term } from '@rdfjs/types';
import { DataFactory } from 'n3';

export const { namedNode, blankNode, literal, quad, defaultGraph } = DataFactory;
export const XSD = 'http://www.w3.org/2001/XMLSchema#';
export const EX = 'http://example.org/';

interface RdfCanonize {
  canonize(dataset: readonly Quad[], options: { algorithm: 'RDFC-1.0' }): Promise<string>;
}
const rdfCanonize = createRequire(import.meta.url)('rdf-canonize') as RdfCanonize;

/** The oracle: rdf-canonize itself, fed the n3 quads as they are, without duplicates. */
export function oracle(quads: readonly Quad[]): Promise<string> {
  return rdfCanonize.canonize(unique(quads), { algorithm: 'RDFC-1.0' });
}

export function unique(quads: readonly Quad[]): Quad[] {
  const seen = new Map<string, Quad>();
  for (const q of quads) seen.set(JSON.stringify([q.subject, q.predicate, q.object, q.graph].map(termKey)), q);
  return [...seen.values()];
}

function termKey(t: Term): unknown {
  return t.termType === 'Literal' ? [t.termType, t.value, t.language, t.datatype.value] : [t.termType, t.value];
}

// The shared seeded helpers, under the names these tests use.
export { seededRandom as seeded, pickOne as pick, shuffled as shuffle } from '../../helpers/random.js';
