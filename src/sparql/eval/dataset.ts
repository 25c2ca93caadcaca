import type { Term } from '@rdfjs/types';

/**
 * What the evaluator needs from storage (the Oxigraph model: the evaluator defines its index
 * interface; the engine adapts the quad store to it, tests use an in-memory twin).
 *
 * Terms the store knows travel as integer ids; graph id 0 is the default graph.
 */
export type IdQuad = readonly [number, number, number, number];

export interface QueryableDataset {
  lookup(term: Term): number | undefined;
  term(id: number): Term;
  /** Quads matching the bound positions; `graph` is 0 (default graph), a graph id, or 'named' (any named graph). */
  match(s: number | undefined, p: number | undefined, o: number | undefined, graph: number | 'named'): Iterable<IdQuad>;
  /** Exact or estimated number of matches (the planner's statistics). */
  count(s: number | undefined, p: number | undefined, o: number | undefined, graph: number | 'named'): number;
  /** Ids of the graph names in the store. */
  namedGraphs(): Iterable<number>;
}
