/**
 * Which (focus node, shape) pairs a transaction's delta can affect — the rule that makes validation
 * cost follow the size of the change, not of the store:
 *
 * 1. Touched nodes: the subjects of every added and removed triple, and its object when the predicate
 *    is one some sh:path follows backwards (sh:inversePath) or a sh:targetObjectsOf names. A triple
 *    `s p o` changes s's outgoing edges and o's incoming ones; a shape reads incoming edges only
 *    through sh:inversePath (every other path, sh:class and the comparisons read outgoing edges),
 *    so otherwise o's validation and that of whoever reaches o are unchanged. This matters: the
 *    object is often a hub (a department with thousands of members), the subject rarely is.
 * 2. Nodes that reach a touched node along the shapes' paths: from each touched node, back along every
 *    predicate some sh:path uses (forwards: subjects of `?x p n`; under sh:inversePath: objects of
 *    `n p ?x`), for up to `reach - 1` hops, where reach is how many edges the shapes look from a focus
 *    node (path length plus nested sh:node/sh:property/…, +1 for sh:class; capped at MAX_REACH_HOPS).
 * 3. Each candidate is validated against the shapes that target it in the post-state: sh:targetNode,
 *    sh:targetClass (its rdf:type, with rdfs:subClassOf in the data), implicit class targets,
 *    sh:targetSubjectsOf / sh:targetObjectsOf.
 *
 * Limits (README "SHACL"): at most MAX_CANDIDATES nodes found by walking back per transaction and MAX_FANOUT
 * back-links per node and predicate; paths longer than MAX_REACH_HOPS (e.g. sh:zeroOrMorePath) are
 * followed back only that far; a change to rdfs:subClassOf does not revalidate existing instances;
 * SPARQL-based targets are not used. Full validation (POST /v1/validate) has none of these limits.
 */
import type { Term } from '@rdfjs/types';
import type { ShapesIndex } from './shapes.js';
import type { MatchFn } from './view.js';

export const MAX_CANDIDATES = 10_000;
export const MAX_FANOUT = 10_000;
const MAX_SUPERCLASSES = 256;

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const SUBCLASS_OF = 'http://www.w3.org/2000/01/rdf-schema#subClassOf';

export interface DeltaTerms {
  readonly added: readonly { readonly subject: Term; readonly predicate: Term; readonly object: Term }[];
  readonly removed: readonly { readonly subject: Term; readonly predicate: Term; readonly object: Term }[];
}

export interface FocusPlan {
  /** Encoded shape → encoded focus nodes to validate against it. */
  readonly pairs: { readonly shape: string; readonly focus: readonly string[] }[];
  /** Distinct focus nodes validated (the cost measure). */
  readonly focusNodes: number;
}

const isLiteral = (encoded: string): boolean => encoded.startsWith('"');

export function planFocus(shapes: ShapesIndex, match: MatchFn, delta: DeltaTerms, encode: (t: Term) => string): FocusPlan {
  const touched = new Set<string>();
  const inverse = new Set(shapes.inversePreds);
  for (const q of [...delta.added, ...delta.removed]) {
    touched.add(encode(q.subject));
    const p = encode(q.predicate);
    if (inverse.has(p) || shapes.byObjectsOf.has(p)) touched.add(encode(q.object));
  }
  // Touched nodes are all validated (their number is bounded by the transaction's size); only the
  // nodes found by walking back are capped.
  const candidates = new Set(touched);
  let expanded = 0;
  let frontier = [...touched].filter((n) => !isLiteral(n));
  for (let hop = 1; hop < shapes.reach && frontier.length > 0 && expanded < MAX_CANDIDATES; hop++) {
    const next: string[] = [];
    const reached = (n: string): void => {
      if (expanded >= MAX_CANDIDATES || candidates.has(n) || isLiteral(n)) return;
      candidates.add(n);
      expanded++;
      next.push(n);
    };
    for (const n of frontier) {
      for (const p of shapes.forwardPreds) for (const [s] of match(null, p, n, MAX_FANOUT)) reached(s);
      for (const p of shapes.inversePreds) for (const [, , o] of match(n, p, null, MAX_FANOUT)) reached(o);
    }
    frontier = next;
  }

  const pairs = new Map<string, Set<string>>();
  const target = (shapeList: readonly Term[] | undefined, node: string): void => {
    for (const shape of shapeList ?? []) {
      const k = encode(shape);
      let set = pairs.get(k);
      if (set === undefined) pairs.set(k, (set = new Set()));
      set.add(node);
    }
  };
  const classSeen = new Map<string, string[]>();
  const superclasses = (cls: string): string[] => {
    const hit = classSeen.get(cls);
    if (hit !== undefined) return hit;
    const out = [cls];
    const seen = new Set(out);
    for (let i = 0; i < out.length && out.length < MAX_SUPERCLASSES; i++) {
      for (const [, , sup] of match(out[i] ?? '', SUBCLASS_OF, null, MAX_SUPERCLASSES)) {
        if (seen.has(sup)) continue;
        seen.add(sup);
        out.push(sup);
      }
    }
    classSeen.set(cls, out);
    return out;
  };
  for (const c of candidates) {
    target(shapes.byTargetNode.get(c), c);
    if (isLiteral(c)) continue;
    if (shapes.byClass.size > 0) for (const [, , t] of match(c, RDF_TYPE, null, MAX_SUPERCLASSES)) for (const k of superclasses(t)) target(shapes.byClass.get(k), c);
    for (const [p, list] of shapes.bySubjectsOf) if (match(c, p, null, 1).length > 0) target(list, c);
    for (const [p, list] of shapes.byObjectsOf) if (match(null, p, c, 1).length > 0) target(list, c);
  }
  const focus = new Set<string>();
  const out = [...pairs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([shape, nodes]) => {
    for (const n of nodes) focus.add(n);
    return { shape, focus: [...nodes].sort() };
  });
  return { pairs: out, focusNodes: focus.size };
}
