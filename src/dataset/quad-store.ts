import type { Quad, Term } from '@rdfjs/types';
import { checkQuad, decodeTerm, encodeTerm, factory } from '../rdf/index.js';
import type { ReadTxn, WriteTxn } from '../storage/index.js';
import { prefixRange } from '../storage/index.js';
import { CountDeltas, CountKind, countKey, readCount } from './counts.js';
import { Dictionary, type DictionaryWriter } from './dictionary.js';
import {
  DEFAULT_GRAPH_ID,
  DEFAULT_ORDERS,
  NAMED_ORDERS,
  ORDER_COMPONENTS,
  MAX_TERM_ID,
  Order,
  decodeQuadKey,
  nsPrefix,
  quadKey,
  scanPrefix,
  type IdQuad,
} from './layout.js';
import { seeksBy, sliceRange, type IdSlice } from './slice-range.js';

/** Which graphs a pattern ranges over (SPARQL's default graph, GRAPH ?g, both, or one graph). */
export type GraphSel = { kind: 'default' } | { kind: 'named' } | { kind: 'all' } | { kind: 'graph'; id: number };

export interface IdPattern {
  readonly s?: number;
  readonly p?: number;
  readonly o?: number;
  readonly graph: GraphSel;
}

interface Scan {
  order: Order;
  bound: number[];
}

/** The index and prefix that answer a pattern with one range scan. */
export function chooseScan(p: IdPattern, family: 'default' | 'named' | 'graph'): Scan {
  const [spo, pos, osp] =
    family === 'default' ? [Order.DSPO, Order.DPOS, Order.DOSP] : family === 'named' ? [Order.SPOG, Order.POSG, Order.OSPG] : [Order.GSPO, Order.GPOS, Order.GOSP];
  const g = family === 'graph' ? [(p.graph as { id: number }).id] : [];
  const { s, p: pr, o } = p;
  if (s !== undefined) {
    if (pr !== undefined) return { order: spo, bound: o !== undefined ? [...g, s, pr, o] : [...g, s, pr] };
    if (o !== undefined) return { order: osp, bound: [...g, o, s] };
    return { order: spo, bound: [...g, s] };
  }
  if (pr !== undefined) return { order: pos, bound: o !== undefined ? [...g, pr, o] : [...g, pr] };
  if (o !== undefined) return { order: osp, bound: [...g, o] };
  return { order: spo, bound: g };
}

export interface NamespaceStats {
  quads: number;
  defaultGraphQuads: number;
  namedGraphQuads: number;
  graphs: number;
  terms: number;
}

export class QuadStore {
  constructor(readonly dict: Dictionary) {}

  private families(p: IdPattern): ('default' | 'named' | 'graph')[] {
    switch (p.graph.kind) {
      case 'default':
        return ['default'];
      case 'named':
        return ['named'];
      case 'all':
        return ['default', 'named'];
      case 'graph':
        return p.graph.id === DEFAULT_GRAPH_ID ? ['default'] : ['graph'];
    }
  }

  /** Every quad matching the pattern, as ids; lazy, in index order. */
  *match(txn: ReadTxn, nsId: number, p: IdPattern): IterableIterator<IdQuad> {
    // A fully bound pattern in one graph is an existence check: one B-tree lookup, no cursor.
    if (p.s !== undefined && p.p !== undefined && p.o !== undefined && (p.graph.kind === 'default' || p.graph.kind === 'graph')) {
      const g = p.graph.kind === 'default' ? DEFAULT_GRAPH_ID : p.graph.id;
      const q: IdQuad = [p.s, p.p, p.o, g];
      if (txn.get('quads', quadKey(nsId, g === DEFAULT_GRAPH_ID ? Order.DSPO : Order.SPOG, q)) !== undefined) yield q;
      return;
    }
    for (const family of this.families(p)) {
      const { order, bound } = chooseScan(p, family);
      for (const key of txn.scanKeys('quads', prefixRange(scanPrefix(nsId, order, bound)))) yield decodeQuadKey(order, key);
    }
  }

  /**
   * The quads of match() whose free component `at` lies in one of `slices` (sorted, disjoint);
   * undefined when an index the pattern reads does not order its keys by `at` right after the bound
   * prefix (the caller then filters match()).
   */
  seek(txn: ReadTxn, nsId: number, p: IdPattern, at: 0 | 1 | 2, slices: readonly IdSlice[]): IterableIterator<IdQuad> | undefined {
    const scans = this.families(p).map((family) => chooseScan(p, family));
    if (!scans.every((s) => seeksBy(s.order, s.bound, at))) return undefined;
    return seekAll(txn, nsId, scans, at, slices);
  }

  /** Exact number of matching quads: O(1) for the kept counters, else a range count over one index. */
  count(txn: ReadTxn, nsId: number, p: IdPattern): number {
    const onlyP = p.s === undefined && p.o === undefined;
    const none = onlyP && p.p === undefined;
    if (none && p.graph.kind === 'default') return readCount(txn, countKey(nsId, CountKind.TotalDefault));
    if (none && p.graph.kind === 'named') return readCount(txn, countKey(nsId, CountKind.TotalNamed));
    if (none && p.graph.kind === 'all') return readCount(txn, countKey(nsId, CountKind.TotalDefault)) + readCount(txn, countKey(nsId, CountKind.TotalNamed));
    if (none && p.graph.kind === 'graph' && p.graph.id !== DEFAULT_GRAPH_ID) return readCount(txn, countKey(nsId, CountKind.Graph, p.graph.id));
    if (onlyP && p.p !== undefined && p.graph.kind !== 'graph') {
      const d = p.graph.kind === 'named' ? 0 : readCount(txn, countKey(nsId, CountKind.PredicateDefault, p.p));
      const n = p.graph.kind === 'default' ? 0 : readCount(txn, countKey(nsId, CountKind.PredicateNamed, p.p));
      return d + n;
    }
    let n = 0;
    for (const family of this.families(p)) {
      const { order, bound } = chooseScan(p, family);
      n += txn.count('quads', prefixRange(scanPrefix(nsId, order, bound)));
    }
    return n;
  }

  /** Term-level match for callers outside the query engine (Graph Store, export, tests). */
  *matchTerms(txn: ReadTxn, nsId: number, s: Term | null, p: Term | null, o: Term | null, g: Term | null | 'all'): IterableIterator<Quad> {
    const id = (t: Term | null): number | undefined | null => {
      if (t === null) return undefined;
      const found = this.dict.lookup(txn, nsId, encodeTerm(t));
      return found === undefined ? null : found;
    };
    const [si, pi, oi] = [id(s), id(p), id(o)];
    if (si === null || pi === null || oi === null) return;
    let graph: GraphSel;
    if (g === 'all') graph = { kind: 'all' };
    else if (g === null) graph = { kind: 'named' };
    else if (g.termType === 'DefaultGraph') graph = { kind: 'default' };
    else {
      const gi = id(g);
      if (gi === null || gi === undefined) return;
      graph = { kind: 'graph', id: gi };
    }
    const pattern: IdPattern = { graph, ...(si !== undefined && { s: si }), ...(pi !== undefined && { p: pi }), ...(oi !== undefined && { o: oi }) };
    for (const q of this.match(txn, nsId, pattern)) yield this.decode(txn, nsId, q);
  }

  decode(txn: ReadTxn, nsId: number, q: IdQuad): Quad {
    const t = (id: number): Term => decodeTerm(this.dict.term(txn, nsId, id));
    const g = q[3] === DEFAULT_GRAPH_ID ? factory.defaultGraph() : t(q[3]);
    return factory.quad(t(q[0]) as Quad['subject'], t(q[1]) as Quad['predicate'], t(q[2]) as Quad['object'], g as Quad['graph']);
  }

  stats(txn: ReadTxn, nsId: number): NamespaceStats {
    const d = readCount(txn, countKey(nsId, CountKind.TotalDefault));
    const n = readCount(txn, countKey(nsId, CountKind.TotalNamed));
    const graphs = txn.count('counts', prefixRange(Buffer.concat([nsPrefix(nsId), Buffer.from([CountKind.Graph])])));
    const terms = Dictionary.allocated(txn, nsId);
    return { quads: d + n, defaultGraphQuads: d, namedGraphQuads: n, graphs, terms };
  }

  /** Ids of the named graphs that hold at least one quad. */
  *graphIds(txn: ReadTxn, nsId: number): IterableIterator<number> {
    const prefix = Buffer.concat([nsPrefix(nsId), Buffer.from([CountKind.Graph])]);
    for (const key of txn.scanKeys('counts', prefixRange(prefix))) yield Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUIntBE(prefix.length, 5);
  }

  /** Per-predicate counts (planner statistics, /v1/store/stats). */
  predicateCounts(txn: ReadTxn, nsId: number): { predicate: string; default: number; named: number }[] {
    const out = new Map<number, { default: number; named: number }>();
    for (const kind of [CountKind.PredicateDefault, CountKind.PredicateNamed]) {
      for (const { key, value } of txn.scan('counts', prefixRange(Buffer.concat([nsPrefix(nsId), Buffer.from([kind])])))) {
        const pid = Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUIntBE(5, 5);
        const e = out.get(pid) ?? { default: 0, named: 0 };
        const c = Number(Buffer.from(value.buffer, value.byteOffset, value.byteLength).readBigUInt64BE());
        if (kind === CountKind.PredicateDefault) e.default = c;
        else e.named = c;
        out.set(pid, e);
      }
    }
    return [...out].map(([pid, c]) => ({ predicate: this.dict.term(txn, nsId, pid), ...c }));
  }

  writer(txn: WriteTxn, nsId: number): QuadWriter {
    return new QuadWriter(txn, nsId, this.dict.writer(txn, nsId));
  }

  /** Removes every quad, term and counter of a namespace. */
  deleteNamespaceData(txn: WriteTxn, nsId: number): void {
    const range = prefixRange(nsPrefix(nsId));
    for (const table of ['quads', 'terms', 'ids', 'counts'] as const) txn.delRange(table, range);
    Dictionary.deleteNamespace(txn, nsId);
    this.dict.forgetNamespace(nsId);
  }
}

/**
 * The keys of one prefix whose next component (`at`) lies in the slices, as a skip scan: read on
 * while keys fall in a slice, and seek past a gap only when a key lands in one. A range scan costs
 * about as much as a dozen keys (probe.ts), so a seek per slice would cost a small scan more than
 * reading it whole (bench/federation.ts's 15-row probe: 64 slices a part); this way the seeks are
 * at most one per slice, and one per gap actually met.
 */
function* skipScan(txn: ReadTxn, nsId: number, order: Order, bound: readonly number[], at: 0 | 1 | 2, slices: readonly IdSlice[]): Generator<IdQuad> {
  let i = 0;
  while (i < slices.length) {
    let gap = false;
    for (const key of txn.scanKeys('quads', sliceRange(nsId, order, bound, { lo: slices[i]!.lo, hi: MAX_TERM_ID + 1 }))) {
      const q = decodeQuadKey(order, key);
      const id = q[at];
      while (i < slices.length && id >= slices[i]!.hi) i++;
      if (i === slices.length) return;
      if (id < slices[i]!.lo) {
        gap = true;
        break;
      }
      yield q;
    }
    if (!gap) return;
  }
}

/** Adds and removes quads within one write transaction (set semantics), keeping counters exact. */
export class QuadWriter {
  private readonly counts: CountDeltas;

  constructor(
    private readonly txn: WriteTxn,
    private readonly nsId: number,
    readonly dict: DictionaryWriter,
  ) {
    this.counts = new CountDeltas(nsId);
  }

  private static readonly EMPTY = Buffer.alloc(0);

  /** Returns true when the quad was not there before. */
  add(q: Quad): boolean {
    checkQuad(q);
    const isDefault = q.graph.termType === 'DefaultGraph';
    const ids: IdQuad = [
      this.dict.intern(encodeTerm(q.subject)),
      this.dict.intern(encodeTerm(q.predicate)),
      this.dict.intern(encodeTerm(q.object)),
      isDefault ? DEFAULT_GRAPH_ID : this.dict.intern(encodeTerm(q.graph)),
    ];
    return this.addIds(ids);
  }

  // One scratch key per order: bulk loads would otherwise allocate several Buffers per quad.
  private readonly scratch = new Map<Order, Buffer>();
  private key(order: Order, ids: IdQuad): Buffer {
    let b = this.scratch.get(order);
    if (b === undefined) this.scratch.set(order, (b = Buffer.allocUnsafe(4 + 1 + ORDER_COMPONENTS[order].length * 5)));
    return quadKey(this.nsId, order, ids, b);
  }

  addIds(ids: IdQuad): boolean {
    const isDefault = ids[3] === DEFAULT_GRAPH_ID;
    const orders = isDefault ? DEFAULT_ORDERS : NAMED_ORDERS;
    if (!this.txn.putIfAbsent('quads', this.key(orders[0], ids), QuadWriter.EMPTY)) return false;
    for (let i = 1; i < orders.length; i++) this.txn.put('quads', this.key(orders[i]!, ids), QuadWriter.EMPTY);
    this.bump(ids, 1);
    return true;
  }

  /** Returns true when the quad was there. Never allocates term ids. */
  remove(q: Quad): boolean {
    const ids: number[] = [];
    const isDefault = q.graph.termType === 'DefaultGraph';
    for (const t of isDefault ? [q.subject, q.predicate, q.object] : [q.subject, q.predicate, q.object, q.graph]) {
      const id = this.dict.find(encodeTerm(t));
      if (id === undefined) return false;
      ids.push(id);
    }
    const idq: IdQuad = [ids[0]!, ids[1]!, ids[2]!, isDefault ? DEFAULT_GRAPH_ID : ids[3]!];
    return this.removeIds(idq);
  }

  removeIds(ids: IdQuad): boolean {
    const orders = ids[3] === DEFAULT_GRAPH_ID ? DEFAULT_ORDERS : NAMED_ORDERS;
    if (this.txn.get('quads', this.key(orders[0], ids)) === undefined) return false;
    for (const order of orders) this.txn.del('quads', this.key(order, ids));
    this.bump(ids, -1);
    return true;
  }

  private bump(ids: IdQuad, d: number): void {
    if (ids[3] === DEFAULT_GRAPH_ID) {
      this.counts.add(CountKind.TotalDefault, undefined, d);
      this.counts.add(CountKind.PredicateDefault, ids[1], d);
    } else {
      this.counts.add(CountKind.TotalNamed, undefined, d);
      this.counts.add(CountKind.PredicateNamed, ids[1], d);
      this.counts.add(CountKind.Graph, ids[3], d);
    }
  }

  /** Writes counters and the id allocator; call once before the transaction commits. */
  finish(): void {
    this.counts.flush(this.txn);
    this.dict.finish();
  }
}

// A module-level generator, not an inline one: see sparql/query.ts on per-call generator functions.
function* seekAll(txn: ReadTxn, nsId: number, scans: readonly Scan[], at: 0 | 1 | 2, slices: readonly IdSlice[]): Generator<IdQuad> {
  for (const { order, bound } of scans) yield* skipScan(txn, nsId, order, bound, at, slices);
}
