import type { Term } from '@rdfjs/types';
import { DEFAULT_GRAPH_ID, type GraphSel, type IdPattern, type QuadStore } from '../dataset/index.js';
import { encodeTerm } from '../rdf/index.js';
import type { QueryableDataset, SimilarSearch } from '../sparql/index.js';
import type { ReadTxn } from '../storage/index.js';

function graphSel(g: number | 'named'): GraphSel {
  if (g === 'named') return { kind: 'named' };
  return g === DEFAULT_GRAPH_ID ? { kind: 'default' } : { kind: 'graph', id: g };
}

function pattern(s: number | undefined, p: number | undefined, o: number | undefined, g: number | 'named'): IdPattern {
  return { graph: graphSel(g), ...(s !== undefined && { s }), ...(p !== undefined && { p }), ...(o !== undefined && { o }) };
}

/** The query evaluator's view of one namespace in one read snapshot. */
export function queryableDataset(quads: QuadStore, txn: ReadTxn, nsId: number, opts: { insideWrite?: boolean; similar?: SimilarSearch } = {}): QueryableDataset {
  // Inside a write, ids may belong to terms this very transaction (or one not yet durable) created
  // and may roll back: those are decoded without the shared cache (memoized for this query only).
  const insideWrite = opts.insideWrite === true;
  const terms = new Map<number, Term>();
  const inWrite = (id: number): Term => {
    let t = terms.get(id);
    if (t === undefined) {
      t = quads.dict.decodedInWrite(txn, nsId, id);
      if (terms.size < 1_000_000) terms.set(id, t);
    }
    return t;
  };
  const term = insideWrite ? inWrite : (id: number): Term => quads.dict.decoded(txn, nsId, id);
  const ids = new Map<string, number | null>();
  return {
    ...(opts.similar !== undefined && { similar: opts.similar }),
    lookup(t: Term): number | undefined {
      if (t.termType === 'Variable' || t.termType === 'DefaultGraph') return undefined;
      const key = encodeTerm(t);
      const hit = ids.get(key);
      if (hit !== undefined) return hit ?? undefined;
      const id = insideWrite ? quads.dict.lookupInWrite(txn, nsId, key) : quads.dict.lookup(txn, nsId, key);
      if (ids.size < 100_000) ids.set(key, id ?? null);
      return id;
    },
    term,
    match(s, p, o, g) {
      return quads.match(txn, nsId, pattern(s, p, o, g));
    },
    seek(s, p, o, g, at, slices) {
      return quads.seek(txn, nsId, pattern(s, p, o, g), at, slices);
    },
    count(s, p, o, g) {
      return quads.count(txn, nsId, pattern(s, p, o, g));
    },
    namedGraphs() {
      return quads.graphIds(txn, nsId);
    },
  };
}
