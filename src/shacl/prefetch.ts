/**
 * Read-ahead for the check worker. Each read the validator makes is a round trip between the worker
 * and the applying thread (two thread wake-ups, which on a busy machine cost far more than the read);
 * most of what it reads is predictable: the outgoing triples of the focus nodes, of the nodes they
 * reach along the shapes' paths, and of those nodes' classes (sh:class, rdfs:subClassOf). Those are
 * read here, in one go, and sent with the request; the worker still asks for anything else (inverse
 * paths, hubs skipped below), so read-ahead changes the cost, never the answer.
 */
import type { ShapesIndex } from './shapes.js';
import type { EncodedTriple, MatchFn } from './view.js';

/** A subject with more outgoing triples than this is read on demand (it is a hub, not a record). */
const MAX_PER_SUBJECT = 256;
/** Bound on what one request carries. */
const MAX_TRIPLES = 4096;

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const isLiteral = (encoded: string): boolean => encoded.startsWith('"');

export interface Known {
  readonly subjects: readonly string[];
  readonly triples: readonly EncodedTriple[];
}

export function prefetch(shapes: ShapesIndex, match: MatchFn, focus: readonly string[]): Known {
  const forward = new Set(shapes.forwardPreds);
  const subjects = new Set<string>();
  const skipped = new Set<string>();
  const triples: EncodedTriple[] = [];
  let frontier = focus.filter((n) => !isLiteral(n));
  // Hops 0..reach: the focus nodes, what their paths reach, and (one more) the classes of those.
  for (let hop = 0; hop <= shapes.reach && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const n of frontier) {
      if (subjects.has(n) || skipped.has(n)) continue;
      const out = match(n, null, null, MAX_PER_SUBJECT + 1);
      if (out.length > MAX_PER_SUBJECT || triples.length + out.length > MAX_TRIPLES) {
        skipped.add(n);
        continue;
      }
      subjects.add(n);
      for (const t of out) {
        triples.push(t);
        if (!isLiteral(t[2]) && (forward.has(t[1]) || t[1] === RDF_TYPE)) next.push(t[2]);
      }
    }
    frontier = next;
  }
  return { subjects: [...subjects], triples };
}

/** The worker's side: answers reads of known subjects locally, the rest through `remote`. */
export function knownMatcher(known: Known | undefined, remote: (s: string | null, p: string | null, o: string | null) => EncodedTriple[]): (s: string | null, p: string | null, o: string | null) => EncodedTriple[] {
  if (known === undefined || known.subjects.length === 0) return remote;
  const bySubject = new Map<string, EncodedTriple[]>(known.subjects.map((s) => [s, []]));
  for (const t of known.triples) bySubject.get(t[0])?.push(t);
  return (s, p, o) => {
    const mine = s === null ? undefined : bySubject.get(s);
    if (mine === undefined) return remote(s, p, o);
    return mine.filter((t) => (p === null || t[1] === p) && (o === null || t[2] === o));
  };
}
