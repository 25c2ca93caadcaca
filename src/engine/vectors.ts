import type { Receipt } from '../receipts/index.js';
import { KnowdError, type Clock } from '../base/index.js';
import { requireNamespace } from '../dataset/index.js';
import { parseQuery, type SimilarHit, type SimilarRequest, type SimilarSearch, type SimilarTarget } from '../sparql/index.js';
import type { ReadTxn } from '../storage/index.js';
import {
  distance,
  getVector,
  getVectorMeta,
  hasVector,
  idOfKey,
  isZero,
  scoreOf,
  toVector,
  vectorToBase64,
  WHOLE,
  type Embedder,
  type Hit,
  type Metric,
  type Quantization,
  type ShardLayout,
  type VectorIndexes,
} from '../vector/index.js';

/** Searches every shard of a sharded namespace (federation/, over the cluster) and merges the hits. */
export type ShardScatter = (ns: string, query: Float32Array, topK: number, ef: number | undefined) => Promise<SimilarHit[]>;
import type { VectorIndexSpec } from './commands.js';
import type { Engine } from './engine.js';
import { checkId } from './vector-apply.js';

export interface VectorServiceOptions {
  readonly engine: Engine;
  readonly indexes: VectorIndexes;
  readonly embedder: Embedder;
  readonly clock: Clock;
  /** KNOWD_VEC_TOPK_DEFAULT, KNOWD_VEC_HNSW_M, KNOWD_VEC_HNSW_EFC. */
  readonly topKDefault: number;
  readonly m: number;
  readonly efConstruction: number;
  /** Time limit of a search's SPARQL filter. */
  readonly filterTimeoutMs: number;
  /** Most items in one upsert (default 10 000: one log entry must stay a few MB). */
  readonly maxBatch?: number;
}

export interface UpsertItem {
  readonly id: string;
  readonly vector?: readonly unknown[];
  readonly text?: string;
}

export interface SimilarQuery {
  readonly target: SimilarTarget;
  readonly topK?: number;
  readonly ef?: number;
  /** A SPARQL group graph pattern over ?id, optionally after PREFIX lines: only ids it matches. */
  readonly filter?: string;
}

export const TOPK_MAX = 1000;
/** A filter matching at most this many ids is searched exactly over them (no HNSW, no misses). */
const EXACT_FILTER_MAX = 2000;
const FILTER_IDS_MAX = 1_000_000;

/**
 * Vector requests of one node: checks and commits upserts and deletes through the log (so they
 * replicate and snapshot like triples), and searches this node's HNSW index, optionally restricted
 * to the ids a SPARQL pattern matches.
 */
export class VectorService {
  private readonly maxBatch: number;
  private scatter: ShardScatter | undefined;

  constructor(private readonly opts: VectorServiceOptions) {
    this.maxBatch = opts.maxBatch ?? 10_000;
  }

  get topKDefault(): number {
    return this.opts.topKDefault;
  }

  /** The shard this node indexes (KNOWD_VEC_SHARDING). */
  get layout(): ShardLayout {
    return this.opts.indexes.layout;
  }

  private get sharded(): boolean {
    return this.opts.indexes.layout.count > 1;
  }

  /** How searches reach the other shards (set by the daemon when the index is sharded). */
  setScatter(fn: ShardScatter): void {
    this.scatter = fn;
  }

  /**
   * One shard's nearest neighbours (a part of a scattered search): from this node's HNSW index when
   * it indexes that shard, else exactly from the store (every node stores every vector).
   */
  searchShard(ns: string, values: readonly number[], topK: number, ef: number | undefined, shard: ShardLayout): SimilarHit[] {
    const nsId = this.opts.engine.namespace(ns).id;
    const idx = this.opts.indexes.get(nsId);
    if (idx === undefined) return [];
    const query = toVector(values, idx.options.dims, 'vector');
    const k = this.topKOf(topK);
    if (ef !== undefined && (!Number.isInteger(ef) || ef < 1 || ef > 4096)) throw new KnowdError('BAD_REQUEST', `ef must be an integer from 1 to 4096, not ${ef}`);
    const own = this.layout;
    const hits = own.index === shard.index && own.count === shard.count ? this.opts.indexes.search(nsId, query, k, ef) : this.opts.indexes.exactSearch(nsId, query, k, shard);
    return this.opts.engine.read((r) => hits.flatMap((h) => {
      const id = idOfKey(r, nsId, h.key);
      return id === undefined ? [] : [{ id, score: scoreOf(idx.options.metric, h.distance) }];
    }));
  }

  async upsert(ns: string, items: readonly UpsertItem[], actor: string, want: { metric?: Metric; quantization?: Quantization } = {}): Promise<{ upserted: number; logIndex: number; receipt: Receipt }> {
    const { engine } = this.opts;
    const info = engine.namespace(ns);
    if (items.length === 0) throw new KnowdError('BAD_REQUEST', 'Nothing to upsert: give "id" with "vector" or "text", or "items"');
    if (items.length > this.maxBatch) throw new KnowdError('TOO_LARGE', `${items.length} items in one upsert; at most ${this.maxBatch}. Split the batch.`);
    const meta = engine.read((r) => getVectorMeta(r, info.id));
    if (meta !== undefined) {
      if (want.metric !== undefined && want.metric !== meta.options.metric) throw new KnowdError('BAD_REQUEST', `Namespace "${ns}" has a ${meta.options.metric} index; its metric is fixed at creation`);
      if (want.quantization !== undefined && want.quantization !== meta.options.quantization) throw new KnowdError('BAD_REQUEST', `Namespace "${ns}" has a ${meta.options.quantization} index; its quantization is fixed at creation`);
    }
    const seen = new Set<string>();
    items.forEach((it, i) => {
      checkId(it.id, `items[${i}].id`);
      if (seen.has(it.id)) throw new KnowdError('BAD_REQUEST', `items[${i}].id: "${it.id}" appears twice in the batch`);
      seen.add(it.id);
      if ((it.vector === undefined) === (it.text === undefined)) throw new KnowdError('BAD_REQUEST', `items[${i}]: give exactly one of "vector" and "text"`);
    });
    const firstVector = items.find((it) => it.vector !== undefined)?.vector;
    const dims = meta?.options.dims ?? firstVector?.length;
    const vectors: Float32Array[] = items.map((it, i) => (it.vector === undefined ? new Float32Array(0) : toVector(it.vector, dims, `items[${i}].vector`)));
    const textAt = items.flatMap((it, i) => (it.text === undefined ? [] : [i]));
    if (textAt.length > 0) {
      const embedded = await this.opts.embedder.embed(textAt.map((i) => items[i]!.text!), dims);
      textAt.forEach((i, j) => (vectors[i] = toVector([...embedded[j]!], dims ?? embedded[0]!.length, `items[${i}].text (embedded)`)));
    }
    const metric = meta?.options.metric ?? want.metric ?? 'cos';
    if (metric === 'cos') vectors.forEach((v, i) => {
      if (isZero(v)) throw new KnowdError('BAD_REQUEST', `items[${i}]: a zero vector has no direction, so it has no cosine similarity`);
    });
    const index: VectorIndexSpec = meta?.options ?? { dims: vectors[0]!.length, metric, quantization: want.quantization ?? 'f32', m: this.opts.m, efConstruction: this.opts.efConstruction };
    const out = await engine.commitVectors({ type: 'vec-upsert', ns, actor, timeMs: this.opts.clock.nowMs(), index, items: items.map((it, i) => ({ id: it.id, v: vectorToBase64(vectors[i]!) })) });
    return { upserted: out.upserted, logIndex: out.version, receipt: out.receipt };
  }

  async remove(ns: string, ids: readonly string[], actor: string): Promise<{ deleted: number; logIndex: number; receipt: Receipt }> {
    const { engine } = this.opts;
    const info = engine.namespace(ns);
    ids.forEach((id, i) => checkId(id, `ids[${i}]`));
    const missing = engine.read((r) => ids.filter((id) => !hasVector(r, info.id, id)));
    if (missing.length === ids.length) throw new KnowdError('VECTOR_NOT_FOUND', `Namespace "${ns}" has no vector with id ${JSON.stringify(ids[0])}`, { id: ids[0], namespace: ns });
    const out = await engine.commitVectors({ type: 'vec-delete', ns, actor, timeMs: this.opts.clock.nowMs(), ids });
    return { deleted: out.deleted, logIndex: out.version, receipt: out.receipt };
  }

  /** A search from the API: text may be embedded by a remote service, and a filter restricts the ids. */
  async similar(ns: string, q: SimilarQuery): Promise<SimilarHit[]> {
    const nsId = this.opts.engine.namespace(ns).id;
    const idx = this.opts.indexes.get(nsId);
    const topK = this.topKOf(q.topK);
    if (idx === undefined) {
      // No vectors yet: nothing is similar, but a malformed query is still an error.
      if (q.target.kind === 'vector') toVector(q.target.values, undefined, 'vector');
      if (q.target.kind === 'id') throw this.notFound(ns, q.target.id);
      return [];
    }
    const query =
      q.target.kind === 'text' ? toVector([...((await this.opts.embedder.embed([q.target.text], idx.options.dims))[0] ?? [])], idx.options.dims, 'text (embedded)') : this.resolve(ns, nsId, q.target, idx.options.dims);
    const allowed = q.filter === undefined ? undefined : await this.filterIds(ns, q.filter);
    if (allowed === undefined && this.sharded && this.scatter !== undefined) return this.scatter(ns, query, topK, q.ef);
    return this.search(nsId, query, topK, q.ef, allowed);
  }

  /** The SPARQL extension's search on this thread (synchronous: text needs a local embedder). */
  sparqlSearch(ns: string): SimilarSearch {
    return (req: SimilarRequest) => {
      const nsId = this.opts.engine.namespace(ns).id;
      const idx = this.opts.indexes.get(nsId);
      if (idx === undefined) return [];
      let query: Float32Array;
      if (req.target.kind === 'text') {
        const sync = this.opts.embedder.embedSync;
        if (sync === undefined) throw new KnowdError('NOT_SUPPORTED', 'Text in knowd:similarTo needs the query worker pool with KNOWD_EMBED_URL (the memory store runs queries inline); give a vector or an item IRI');
        query = toVector([...sync([req.target.text], idx.options.dims)[0]!], idx.options.dims, 'text (embedded)');
      } else query = this.resolve(ns, nsId, req.target, idx.options.dims);
      return this.search(nsId, query, this.topKOf(req.topK), req.ef, undefined);
    };
  }

  /** The same search for a query worker (asynchronous: it may embed through KNOWD_EMBED_URL). */
  async remoteSearch(ns: string, req: SimilarRequest): Promise<SimilarHit[]> {
    return this.similar(ns, { target: req.target, ...(req.topK !== undefined && { topK: req.topK }), ...(req.ef !== undefined && { ef: req.ef }) });
  }

  private topKOf(topK: number | undefined): number {
    const k = topK ?? this.opts.topKDefault;
    if (!Number.isInteger(k) || k < 1 || k > TOPK_MAX) throw new KnowdError('BAD_REQUEST', `topK must be an integer from 1 to ${TOPK_MAX}, not ${k}`);
    return k;
  }

  private notFound(ns: string, id: string): KnowdError {
    return new KnowdError('VECTOR_NOT_FOUND', `Namespace "${ns}" has no vector with id ${JSON.stringify(id)}`, { id, namespace: ns });
  }

  private resolve(ns: string, nsId: number, target: Exclude<SimilarTarget, { kind: 'text' }>, dims: number): Float32Array {
    if (target.kind === 'vector') return toVector(target.values, dims, 'vector');
    const stored = this.opts.engine.read((r) => getVector(r, nsId, target.id));
    if (stored === undefined) throw this.notFound(ns, target.id);
    return stored.vector;
  }

  private search(nsId: number, query: Float32Array, topK: number, ef: number | undefined, allowed: ReadonlySet<string> | undefined): SimilarHit[] {
    const idx = this.opts.indexes.get(nsId);
    if (idx === undefined) return [];
    if (ef !== undefined && (!Number.isInteger(ef) || ef < 1 || ef > 4096)) throw new KnowdError('BAD_REQUEST', `ef must be an integer from 1 to 4096, not ${ef}`);
    const metric = idx.options.metric;
    const named = (r: ReadTxn, hits: readonly Hit[]): SimilarHit[] =>
      hits.flatMap((h) => {
        const id = idOfKey(r, nsId, h.key);
        return id === undefined ? [] : [{ id, score: scoreOf(metric, h.distance) }];
      });
    if (allowed === undefined) {
      // A shard alone is not the namespace: without the cluster, search the store exactly.
      const hits = this.sharded ? this.opts.indexes.exactSearch(nsId, query, topK, WHOLE) : this.opts.indexes.search(nsId, query, topK, ef);
      return this.opts.engine.read((r) => named(r, hits));
    }
    if (allowed.size <= EXACT_FILTER_MAX || this.sharded) {
      // Few candidates: score them all exactly from the store; HNSW could miss them entirely.
      return this.opts.engine.read((r) => {
        const scored: SimilarHit[] = [];
        for (const id of allowed) {
          const v = getVector(r, nsId, id);
          if (v !== undefined) scored.push({ id, score: scoreOf(metric, distance(metric, query, v.vector)) });
        }
        return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, topK);
      });
    }
    // Many candidates: widen the HNSW search until enough of its hits pass the filter.
    for (let k = Math.min(idx.size, topK * 4); ; k = Math.min(idx.size, k * 4)) {
      const hits = this.opts.indexes.search(nsId, query, k, ef);
      const passed = this.opts.engine.read((r) => named(r, hits)).filter((h) => allowed.has(h.id));
      if (passed.length >= topK || k >= idx.size) return passed.slice(0, topK);
    }
  }

  /** Ids matching the filter pattern, by a SELECT DISTINCT ?id over it on this node. */
  private async filterIds(ns: string, filter: string): Promise<Set<string>> {
    const brace = filter.indexOf('{');
    const prologue = brace < 0 ? '' : filter.slice(0, brace);
    const group = brace < 0 ? `{ ${filter} }` : filter.slice(brace);
    // Checked on the text: the projection names ?id whether the pattern binds it or not.
    if (!/[?$]id(?![\p{L}\p{N}_])/u.test(group)) throw new KnowdError('BAD_REQUEST', 'filter: the pattern must use ?id (the ids it may return)');
    const parsed = parseQuery(`${prologue}\nSELECT DISTINCT ?id WHERE ${group}`);
    if (!parsed.variables.includes('id')) throw new KnowdError('BAD_REQUEST', 'filter: the pattern must use ?id (the ids it may return)');
    const now = Date.now();
    const opts = { deadlineMs: now + this.opts.filterTimeoutMs, timeoutMs: this.opts.filterTimeoutMs, maxHeldValues: FILTER_IDS_MAX, nowMs: Date.now };
    return this.opts.engine.query(ns, parsed, opts, (res) => {
      const ids = new Set<string>();
      if (res.kind !== 'bindings') return ids;
      for (const row of res.rows) {
        const t = row['id'];
        if (t !== undefined && (t.termType === 'NamedNode' || t.termType === 'Literal')) ids.add(t.value);
        if (ids.size > FILTER_IDS_MAX) throw new KnowdError('TOO_LARGE', `filter matches more than ${FILTER_IDS_MAX} ids; narrow it`);
      }
      return ids;
    });
  }

  /** Every namespace's index on this node: its settings and how many vectors it holds. */
  indexes(): { namespace: string; dims: number; metric: Metric; quantization: Quantization; size: number }[] {
    return this.opts.engine.namespaces().flatMap((n) => {
      const idx = this.opts.indexes.get(n.id);
      return idx === undefined ? [] : [{ namespace: n.name, dims: idx.options.dims, metric: idx.options.metric, quantization: idx.options.quantization, size: idx.size }];
    });
  }

  /** Whether a namespace exists and has vectors (for status). */
  info(ns: string): { dims: number; metric: Metric; quantization: Quantization; size: number } | undefined {
    const nsId = this.opts.engine.read((r) => requireNamespace(r, ns).id);
    const idx = this.opts.indexes.get(nsId);
    return idx === undefined ? undefined : { dims: idx.options.dims, metric: idx.options.metric, quantization: idx.options.quantization, size: idx.size };
  }
}
