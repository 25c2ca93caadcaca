import type { Term } from '@rdfjs/types';

/**
 * What the evaluator needs from storage (the Oxigraph model: the evaluator defines its index
 * interface; the engine adapts the quad store to it, tests use an in-memory twin).
 *
 * Terms the store knows travel as integer ids; graph id 0 is the default graph.
 */
export type IdQuad = readonly [number, number, number, number];

/** A [lo, hi) range of dictionary ids. */
export interface IdSlice {
  readonly lo: number;
  readonly hi: number;
}

export interface QueryableDataset {
  lookup(term: Term): number | undefined;
  term(id: number): Term;
  /** Quads matching the bound positions; `graph` is 0 (default graph), a graph id, or 'named' (any named graph). */
  match(s: number | undefined, p: number | undefined, o: number | undefined, graph: number | 'named'): Iterable<IdQuad>;
  /**
   * The quads of match() whose position `at` (0 s, 1 p, 2 o; free in the call) holds an id in one of
   * `slices` (sorted, disjoint [lo, hi) id ranges), read by seeking to each slice: only where the
   * index that answers the pattern orders its keys by `at` right after the bound positions. Else
   * undefined (the caller filters a full match instead). Absent: never seeks.
   */
  seek?(s: number | undefined, p: number | undefined, o: number | undefined, graph: number | 'named', at: 0 | 1 | 2, slices: readonly IdSlice[]): Iterable<IdQuad> | undefined;
  /** Exact or estimated number of matches (the planner's statistics). */
  count(s: number | undefined, p: number | undefined, o: number | undefined, graph: number | 'named'): number;
  /** Ids of the graph names in the store. */
  namedGraphs(): Iterable<number>;
  /** Vector search (knowd:similarTo); absent where the node has none, or inside updates. */
  readonly similar?: SimilarSearch;
}

/** What knowd:similarTo searches for: text (embedded by the node), a vector, or a stored item's vector. */
export type SimilarTarget =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'vector'; readonly values: readonly number[] }
  | { readonly kind: 'id'; readonly id: string };

export interface SimilarRequest {
  readonly target: SimilarTarget;
  /** Undefined: the node's KNOWD_VEC_TOPK_DEFAULT. */
  readonly topK?: number;
  readonly ef?: number;
}

export interface SimilarHit {
  readonly id: string;
  /** Larger is more similar (cos: cosine similarity, ip: inner product, l2: negated squared distance). */
  readonly score: number;
}

/** Vector search for the SPARQL extension (eval/similar.ts); synchronous, like the evaluator. */
export type SimilarSearch = (req: SimilarRequest) => readonly SimilarHit[];
