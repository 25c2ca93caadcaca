/**
 * The data graph a validator sees: one namespace in one storage transaction, read on demand, pattern
 * by pattern, never copied as a whole. SHACL validates one graph; Knowd's data graph is the union of
 * the namespace's default and named graphs (a triple in several graphs counts once).
 */
import type { DatasetCore, Quad, Term } from '@rdfjs/types';
import { Store } from 'n3';
import { KnowdError } from '../base/index.js';
import type { QuadStore } from '../dataset/index.js';
import { decodeTerm, encodeTerm, factory } from '../rdf/index.js';
import type { ReadTxn } from '../storage/index.js';

/** An encoded triple (terms as the dictionary writes them). */
export type EncodedTriple = readonly [string, string, string];

/**
 * Answers a triple pattern (encoded terms, null = any) with the matching triples. With `limit`, at
 * most that many, silently; without, more than ViewOptions.maxTriplesPerMatch fail (TOO_LARGE).
 */
export type MatchFn = (s: string | null, p: string | null, o: string | null, limit?: number) => EncodedTriple[];

export interface ViewOptions {
  /** Inside a write: only terms known durable go through the shared term cache (the write may roll back). */
  readonly insideWrite: boolean;
  /** A pattern matching more triples than this fails the validation (TOO_LARGE) instead of reading on. */
  readonly maxTriplesPerMatch: number;
}

/** Bound on the terms one matcher keeps (a runaway validation fails on its own limits first). */
const MAX_CACHED = 100_000;
/** A node with at most this many triples (out, or in) is read whole once per matcher (see txnMatcher). */
const NODE_MEMO_MAX = 64;

export function txnMatcher(quads: QuadStore, txn: ReadTxn, nsId: number, opts: ViewOptions): MatchFn {
  // One check reads the same terms again and again (rdf:type, the shapes' predicates, the focus
  // node): within one transaction an id and its term never change, so each is read once here.
  const terms = new Map<number, string>();
  const ids = new Map<string, number | undefined>();
  const decode = (id: number): string => {
    let t = terms.get(id);
    if (t === undefined) {
      t = opts.insideWrite ? quads.dict.termInWrite(txn, nsId, id) : quads.dict.term(txn, nsId, id);
      if (terms.size < MAX_CACHED) terms.set(id, t);
    }
    return t;
  };
  const idOf = (t: string | null): number | undefined | null => {
    if (t === null) return undefined;
    if (ids.has(t)) return ids.get(t) ?? null;
    const id = opts.insideWrite ? quads.dict.lookupInWrite(txn, nsId, t) : quads.dict.lookup(txn, nsId, t);
    if (ids.size < MAX_CACHED) ids.set(t, id);
    return id ?? null;
  };
  const direct: MatchFn = (s, p, o, limit) => {
    const si = idOf(s);
    const pi = idOf(p);
    const oi = idOf(o);
    if (si === null || pi === null || oi === null) return [];
    const seen = new Set<string>();
    const out: EncodedTriple[] = [];
    const pattern = { graph: { kind: 'all' as const }, ...(si !== undefined && { s: si }), ...(pi !== undefined && { p: pi }), ...(oi !== undefined && { o: oi }) };
    for (const q of quads.match(txn, nsId, pattern)) {
      const k = `${q[0]} ${q[1]} ${q[2]}`;
      if (seen.has(k)) continue;
      seen.add(k);
      if (limit !== undefined && out.length >= limit) break;
      if (out.length >= opts.maxTriplesPerMatch) {
        throw new KnowdError('TOO_LARGE', `SHACL validation would read more than ${opts.maxTriplesPerMatch} triples for one pattern; narrow the shapes' targets or paths`);
      }
      out.push([s ?? decode(q[0]), p ?? decode(q[1]), o ?? decode(q[2])]);
    }
    return out;
  };
  // A check asks about the same few nodes pattern after pattern (focus planning: a node's types and
  // the edges into it; read-ahead: everything it has; the validator: one path at a time), and each
  // pattern is a range scan. A node with few triples is read whole once, into `whole`, and every
  // pattern on it is answered from there; a hub (more than NODE_MEMO_MAX) is read pattern by pattern.
  const outgoing = new Map<string, readonly EncodedTriple[] | null>();
  const incoming = new Map<string, readonly EncodedTriple[] | null>();
  const whole = (memo: Map<string, readonly EncodedTriple[] | null>, node: string, read: () => EncodedTriple[]): readonly EncodedTriple[] | null => {
    let w = memo.get(node);
    if (w === undefined) {
      const all = read();
      w = all.length > NODE_MEMO_MAX ? null : all;
      if (memo.size < MAX_CACHED) memo.set(node, w);
    }
    return w;
  };
  return (s, p, o, limit) => {
    const w = s !== null ? whole(outgoing, s, () => direct(s, null, null, NODE_MEMO_MAX + 1)) : o !== null && p !== null ? whole(incoming, o, () => direct(null, null, o, NODE_MEMO_MAX + 1)) : null;
    if (w === null) return direct(s, p, o, limit);
    const out = w.filter((t) => (p === null || t[1] === p) && (o === null || t[2] === o) && (s === null || t[0] === s));
    return limit !== undefined && out.length > limit ? out.slice(0, limit) : out;
  };
}

const isDefault = (g: Term | null | undefined): boolean => g === null || g === undefined || g.termType === 'DefaultGraph';

/** An RDF/JS DatasetCore over a MatchFn: what the SHACL library reads the data graph through. */
export class MatchDataset implements DatasetCore {
  private readonly memo = new Map<string, Store>();
  constructor(
    private readonly matchFn: MatchFn,
    /** The library skips an empty data graph; only zero versus non-zero matters. */
    readonly size: number,
  ) {}

  match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): DatasetCore {
    if (!isDefault(g)) return new Store();
    const enc = (t: Term | null | undefined): string | null => (t === null || t === undefined || t.termType === 'Variable' ? null : encodeTerm(t));
    const key = `${enc(s)}\u0001${enc(p)}\u0001${enc(o)}`;
    let hit = this.memo.get(key);
    if (hit === undefined) {
      const triples = this.matchFn(enc(s), enc(p), enc(o));
      hit = new Store(triples.map(([a, b, c]) => factory.quad(decodeTerm(a) as Quad['subject'], decodeTerm(b) as Quad['predicate'], decodeTerm(c) as Quad['object'])));
      this.memo.set(key, hit);
    }
    return hit;
  }

  has(q: Quad): boolean {
    return this.match(q.subject, q.predicate, q.object, q.graph).size > 0;
  }

  add(): this {
    throw new Error('the SHACL data view is read-only');
  }

  delete(): this {
    throw new Error('the SHACL data view is read-only');
  }

  [Symbol.iterator](): Iterator<Quad> {
    return this.match(null, null, null)[Symbol.iterator]();
  }
}
