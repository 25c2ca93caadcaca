/**
 * The hooks of one transaction read the same few patterns over and over (?this's advisor, courses,
 * department: one scan per hook and per query, plus the planner's counts of each), all in one state
 * that does not change while they run. This view reads each small pattern once: a scan read to its
 * end is kept (up to MAX_QUADS quads) and replayed to the next hook that asks; counts likewise.
 * Replayed quads are the same quads in the same order, so answers, budgets (a hook still counts every
 * quad it reads) and evidence are unchanged; only the storage reads and their garbage go.
 */
import type { QueryIdQuad as IdQuad, QueryableDataset } from '../sparql/index.js';

/** A pattern matching more than this is read from the store each time (it is not a per-entity read). */
const MAX_QUADS = 64;
/** Bound on the patterns kept for one transaction. */
const MAX_PATTERNS = 4096;

type Graph = number | 'named';
const keyOf = (s: number | undefined, p: number | undefined, o: number | undefined, g: Graph): string => `${s ?? ''} ${p ?? ''} ${o ?? ''} ${g}`;

export function memoDataset(ds: QueryableDataset): QueryableDataset {
  const scans = new Map<string, readonly IdQuad[]>();
  const counts = new Map<string, number>();
  return {
    ...(ds.similar !== undefined && { similar: ds.similar }),
    lookup: (t) => ds.lookup(t),
    term: (id) => ds.term(id),
    namedGraphs: () => ds.namedGraphs(),
    count(s, p, o, g) {
      const k = keyOf(s, p, o, g);
      let n = counts.get(k);
      if (n === undefined) {
        n = ds.count(s, p, o, g);
        if (counts.size < MAX_PATTERNS) counts.set(k, n);
      }
      return n;
    },
    match(s, p, o, g) {
      const k = keyOf(s, p, o, g);
      return scans.get(k) ?? readThrough(ds.match(s, p, o, g), (all) => {
        if (scans.size < MAX_PATTERNS) scans.set(k, all);
      });
    },
  };
}

/** Yields `quads`; once they are read to the end, hands them to `keep` if there were few enough. */
function* readThrough(quads: Iterable<IdQuad>, keep: (all: readonly IdQuad[]) => void): Generator<IdQuad> {
  let seen: IdQuad[] | undefined = [];
  for (const q of quads) {
    if (seen !== undefined) {
      if (seen.length < MAX_QUADS) seen.push(q);
      else seen = undefined;
    }
    yield q;
  }
  if (seen !== undefined) keep(seen);
}
