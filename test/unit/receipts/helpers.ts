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

/** mulberry32: a small seeded PRNG, so a failing random sample can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export function shuffle<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
