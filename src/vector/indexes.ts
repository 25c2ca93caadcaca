import type { ReadTxn, Storage } from '../storage/index.js';
import { distance } from './metric.js';
import { ownsKey, shardOfKey, WHOLE, type ShardLayout } from './shard.js';
import { getVectorMeta, listVectorMetas, scanVectors, type VectorNsMeta } from './store.js';
import type { Hit, IndexOptions, VectorBackend, VectorIndex } from './types.js';

/** What one committed vector entry changed in a namespace (carried by the apply outcome). */
export interface VectorChanges {
  readonly nsId: number;
  readonly ns: string;
  /** Log index of the entry: the namespace's vector version after it. */
  readonly version: number;
  readonly options: IndexOptions;
  /** `fresh`: the key is new to the namespace (so it can be inserted in a batch, on every core). */
  readonly upserts: readonly { readonly key: number; readonly vector: Float32Array; readonly fresh: boolean }[];
  readonly deletes: readonly number[];
}

interface Live {
  readonly ns: string;
  readonly index: VectorIndex;
  /** The namespace's vector version the index reflects. */
  version: number;
  /** The version of the saved copy (-1: none, or not this index's). */
  savedVersion: number;
  /**
   * Set while the index is rebuilt in the background: committed changes wait, searches scan the
   * store. `failed`: the library failed on this data; searches scan the store until a restart.
   */
  building?: { readonly pending: VectorChanges[]; readonly expected: number; failed?: boolean } | undefined;
}

export interface OpenReport {
  readonly loaded: readonly string[];
  readonly rebuilt: readonly { readonly ns: string; readonly reason: string }[];
}

const REBUILD_BATCH = 4096;

/**
 * Namespaces with more vectors than this are rebuilt in the background, a chunk per event-loop turn:
 * HNSW inserts cost milliseconds each on random data (500 000 × 384 took 15 minutes on 2 cores), and a
 * node that blocks that long misses heartbeats, health checks and systemd's watchdog. Smaller ones
 * are rebuilt at once (a few seconds at most).
 */
const BACKGROUND_REBUILD_MIN = 20_000;
/**
 * A background rebuild adds about this much work per event-loop turn (chunks are sized from the
 * previous chunk's rate: 256 vectors to start, between 16 and 4096), short next to an election timeout.
 */
const BACKGROUND_TURN_MS = 50;
const BACKGROUND_CHUNK_FIRST = 256;

export interface VectorIndexesOptions {
  /** Rebuild namespaces above this many vectors in the background (default 20 000). */
  readonly backgroundRebuildMin?: number;
  /** Called when a background rebuild finished (tests, logs). */
  readonly onRebuilt?: (ns: string, vectors: number) => void;
  /**
   * Called when updating or rebuilding an index failed (the library threw). The store has the
   * vectors; the index is rebuilt from it, or searches scan the store if the rebuild fails too.
   */
  readonly onFault?: (ns: string, error: unknown, action: 'rebuilding' | 'scanning the store') => void;
  /** Runs the next chunk of a background rebuild (default: setImmediate; tests step it by hand). */
  readonly schedule?: (step: () => void) => void;
}

/**
 * The HNSW indexes of one node, one per namespace with vectors: derived from the store, never a
 * source of truth. Each index is updated after its entry's commit is durable (apply → publish),
 * saved now and then with the version it reflects, loaded at start when that version is the
 * store's, and rebuilt from the store otherwise (a crash between a commit and a save, a snapshot
 * restore, a missing or unreadable file).
 */
export class VectorIndexes {
  private readonly live = new Map<number, Live>();

  constructor(
    private readonly storage: Storage,
    private readonly backend: VectorBackend,
    /** The shard this node indexes (KNOWD_VEC_SHARDING=shard); the whole namespace by default. */
    readonly layout: ShardLayout = WHOLE,
    private readonly opts: VectorIndexesOptions = {},
  ) {}

  /** Loads or rebuilds every namespace's index from the store's current state. */
  open(): OpenReport {
    this.live.clear();
    const loaded: string[] = [];
    const rebuilt: { ns: string; reason: string }[] = [];
    this.storage.read((r) => {
      for (const [nsId, meta] of listVectorMetas(r)) {
        // A shard's saved copy does not say which layout it had: a sharded node rebuilds its shard.
        const saved = this.layout.count > 1 ? undefined : this.backend.load(meta.ns);
        const reason =
          this.layout.count > 1 ? `shard ${this.layout.index + 1} of ${this.layout.count} (KNOWD_VEC_SHARDING=shard)`
          : saved === undefined ? 'no saved index'
          : saved.meta.nsId !== nsId ? 'the saved index belongs to an earlier namespace of this name'
          : saved.meta.version !== meta.version ? `the saved index reflects version ${saved.meta.version}, the store ${meta.version}`
          : saved.meta.size !== meta.count ? `the saved index holds ${saved.meta.size} vectors, the store ${meta.count}`
          : JSON.stringify(saved.meta.options) !== JSON.stringify(meta.options) ? 'the saved index has other options'
          : undefined;
        if (reason === undefined && saved !== undefined) {
          this.live.set(nsId, { ns: meta.ns, index: saved.index, version: meta.version, savedVersion: meta.version });
          loaded.push(meta.ns);
        } else if (meta.count > (this.opts.backgroundRebuildMin ?? BACKGROUND_REBUILD_MIN)) {
          this.live.set(nsId, this.buildInBackground(nsId, meta));
          rebuilt.push({ ns: meta.ns, reason: `${reason ?? 'unknown'}; ${meta.count} vectors, rebuilt in the background (searches scan the store meanwhile)` });
        } else {
          try {
            this.live.set(nsId, this.build(r, nsId, meta));
            rebuilt.push({ ns: meta.ns, reason: reason ?? 'unknown' });
          } catch (e) {
            this.opts.onFault?.(meta.ns, e, 'scanning the store');
            this.live.set(nsId, { ns: meta.ns, index: this.backend.create(meta.options), version: meta.version, savedVersion: -1, building: { pending: [], expected: meta.count, failed: true } });
            rebuilt.push({ ns: meta.ns, reason: `${reason ?? 'unknown'}; the rebuild failed, searches scan the store` });
          }
        }
      }
    });
    return { loaded, rebuilt };
  }

  private build(r: ReadTxn, nsId: number, meta: VectorNsMeta): Live {
    const index = this.backend.create(meta.options);
    let keys: number[] = [];
    let flat = new Float32Array(REBUILD_BATCH * meta.options.dims);
    for (const v of scanVectors(r, nsId)) {
      if (!ownsKey(this.layout, v.key)) continue;
      flat.set(v.vector, keys.length * meta.options.dims);
      keys.push(v.key);
      if (keys.length === REBUILD_BATCH) {
        index.addMany(keys, flat);
        keys = [];
        flat = new Float32Array(REBUILD_BATCH * meta.options.dims);
      }
    }
    index.addMany(keys, flat.subarray(0, keys.length * meta.options.dims));
    return { ns: meta.ns, index, version: meta.version, savedVersion: -1 };
  }

  /**
   * A rebuild that yields between chunks. Each chunk is read in its own snapshot, so later chunks may
   * already hold changes committed meanwhile; those changes also wait in `pending` and are replayed
   * at the end with replace semantics (remove, then add), which leaves the index exactly as the store.
   */
  private buildInBackground(nsId: number, meta: VectorNsMeta): Live {
    const l: Live = { ns: meta.ns, index: this.backend.create(meta.options), version: meta.version, savedVersion: -1, building: { pending: [], expected: meta.count } };
    let after: string | undefined;
    const schedule = this.opts.schedule ?? ((f: () => void): void => void setImmediate(f));
    let size = BACKGROUND_CHUNK_FIRST;
    const step = (): void => {
      // Superseded (namespace dropped, store replaced and reopened): this build is abandoned.
      if (this.live.get(nsId) !== l || l.building === undefined) return;
      try {
        chunkStep();
      } catch (e) {
        // The library failed on this data: searches keep scanning the store (exact, slower, never
        // wrong) rather than the process ending or answering from a partial index.
        l.building.failed = true;
        this.opts.onFault?.(l.ns, e, 'scanning the store');
      }
    };
    const chunkStep = (): void => {
      if (l.building === undefined) return;
      const started = performance.now();
      const chunk = this.storage.read((r) => [...scanVectors(r, nsId, after, size)]);
      const own = chunk.filter((v) => ownsKey(this.layout, v.key));
      if (own.length > 0) {
        const flat = new Float32Array(own.length * meta.options.dims);
        own.forEach((v, i) => flat.set(v.vector, i * meta.options.dims));
        // The scan visits each id (and so each key) once; changes wait in `pending` until the end.
        l.index.addMany(own.map((v) => v.key), flat);
      }
      after = chunk.at(-1)?.id;
      if (chunk.length === size) {
        const perVectorMs = (performance.now() - started) / chunk.length;
        size = Math.max(16, Math.min(4096, Math.round(BACKGROUND_TURN_MS / Math.max(perVectorMs, 1e-3))));
        schedule(step);
        return;
      }
      const pending = l.building.pending;
      l.building = undefined;
      for (const c of pending) this.replay(l, c);
      this.opts.onRebuilt?.(l.ns, l.index.size());
    };
    schedule(step);
    return l;
  }

  /** A committed change after a background rebuild, with replace semantics (the key may be in already). */
  private replay(l: Live, c: VectorChanges): void {
    if (c.version <= l.version) return;
    for (const key of c.deletes) l.index.remove(key);
    for (const u of c.upserts) if (ownsKey(this.layout, u.key)) l.index.add(u.key, u.vector);
    l.version = c.version;
  }

  /**
   * Applies what a committed entry changed (called after the commit is durable, in log order). It
   * never throws: the change is durable in the store whatever the index does, and the index is
   * derived from it. If the library fails, the namespace's index is rebuilt from the store in the
   * background (searches scan the store meanwhile).
   */
  apply(c: VectorChanges): void {
    try {
      this.applyToIndex(c);
    } catch (e) {
      this.opts.onFault?.(c.ns, e, 'rebuilding');
      this.rebuild(c.nsId);
    }
  }

  /** The namespace's index from the store's current state, in the background. */
  private rebuild(nsId: number): void {
    const meta = this.storage.read((r) => getVectorMeta(r, nsId));
    if (meta === undefined) this.live.delete(nsId);
    else this.live.set(nsId, this.buildInBackground(nsId, meta));
  }

  private applyToIndex(c: VectorChanges): void {
    let l = this.live.get(c.nsId);
    if (l === undefined) this.live.set(c.nsId, (l = { ns: c.ns, index: this.backend.create(c.options), version: 0, savedVersion: -1 }));
    // Already reflected: the index was loaded or rebuilt at a state that includes this entry.
    if (c.version <= l.version) return;
    if (l.building !== undefined) {
      if (!l.building.failed) l.building.pending.push(c);
      return;
    }
    for (const key of c.deletes) l.index.remove(key);
    const upserts = this.layout.count === 1 ? c.upserts : c.upserts.filter((u) => ownsKey(this.layout, u.key));
    const fresh = upserts.filter((u) => u.fresh);
    if (fresh.length > 1) {
      const flat = new Float32Array(fresh.length * c.options.dims);
      fresh.forEach((u, i) => flat.set(u.vector, i * c.options.dims));
      l.index.addMany(fresh.map((u) => u.key), flat);
    } else for (const u of fresh) l.index.add(u.key, u.vector);
    for (const u of upserts) if (!u.fresh) l.index.add(u.key, u.vector);
    l.version = c.version;
  }

  /** The namespace was deleted: its index and saved copy go. */
  drop(nsId: number, ns: string): void {
    this.live.delete(nsId);
    this.backend.remove(ns);
  }

  /** The store was replaced (snapshot restore): every index is rebuilt from it. */
  rebuildAll(): OpenReport {
    return this.open();
  }

  get(nsId: number): { readonly options: IndexOptions; readonly size: number; readonly version: number; readonly building: boolean } | undefined {
    const l = this.live.get(nsId);
    if (l === undefined) return undefined;
    return { options: l.index.options, size: l.building?.expected ?? l.index.size(), version: l.version, building: l.building !== undefined };
  }

  search(nsId: number, query: Float32Array, k: number, ef?: number): Hit[] {
    const l = this.live.get(nsId);
    if (l === undefined) return [];
    // Half-built: the store answers, exactly (slower, never wrong).
    if (l.building !== undefined) return this.exactSearch(nsId, query, k, this.layout);
    return l.index.search(query, k, ef);
  }

  /**
   * The exact nearest neighbours of shard `shard` of `count`, scanned from the store: how a node
   * answers for a shard it does not index (its node is down), and the synchronous SPARQL search on a
   * sharded node. Ties break by key, as in the brute-force index.
   */
  exactSearch(nsId: number, query: Float32Array, k: number, shard: ShardLayout): Hit[] {
    return this.storage.read((r) => {
      const meta = getVectorMeta(r, nsId);
      if (meta === undefined) return [];
      const all: Hit[] = [];
      for (const v of scanVectors(r, nsId)) {
        if (shard.count > 1 && shardOfKey(v.key, shard.count) !== shard.index) continue;
        all.push({ key: v.key, distance: distance(meta.options.metric, query, v.vector) });
      }
      return all.sort((a, b) => a.distance - b.distance || a.key - b.key).slice(0, k);
    });
  }

  /** Saves the indexes that changed since their last save; returns the namespaces saved. */
  saveChanged(): string[] {
    const saved: string[] = [];
    for (const [nsId, l] of this.live) {
      if (l.version === l.savedVersion || l.building !== undefined) continue;
      this.backend.save(l.ns, l.index, { nsId, version: l.version, options: l.index.options, size: l.index.size() });
      l.savedVersion = l.version;
      saved.push(l.ns);
    }
    return saved;
  }

  stats(): { ns: string; size: number; version: number; memoryBytes: number; options: IndexOptions; building: boolean }[] {
    return [...this.live.values()].map((l) => ({ ns: l.ns, size: l.index.size(), version: l.version, memoryBytes: l.index.memoryBytes(), options: l.index.options, building: l.building !== undefined }));
  }
}
