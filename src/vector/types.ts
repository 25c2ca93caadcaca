/**
 * The vector index port. An index maps integer keys to vectors of one fixed dimension and answers
 * approximate (HNSW, usearch/) or exact (brute.ts, the test oracle) nearest-neighbour searches.
 * Indexes are derived data: the vectors' source of truth is the store (store.ts).
 */
export const METRICS = ['cos', 'l2', 'ip'] as const;
export type Metric = (typeof METRICS)[number];
export const QUANTIZATIONS = ['f32', 'f16', 'i8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/** Fixed when a namespace's index is created (its first upsert); kept in the store with the vectors. */
export interface IndexOptions {
  readonly dims: number;
  readonly metric: Metric;
  readonly quantization: Quantization;
  /** HNSW graph degree (KNOWD_VEC_HNSW_M). */
  readonly m: number;
  /** HNSW construction breadth (KNOWD_VEC_HNSW_EFC). */
  readonly efConstruction: number;
}

export interface Hit {
  readonly key: number;
  /** The metric's distance: smaller is closer (cos: 1 - cosine, ip: 1 - dot, l2: squared Euclidean). */
  readonly distance: number;
}

export interface VectorIndex {
  readonly options: IndexOptions;
  /** Adds or replaces the vector of `key`. */
  add(key: number, vector: Float32Array): void;
  /** Adds keys the index does not hold yet, `vectors` being their rows end to end (rebuilds; may use every core). */
  addMany(keys: readonly number[], vectors: Float32Array): void;
  /** True when the key was there. */
  remove(key: number): boolean;
  /** The `k` nearest keys, closest first; `ef` widens the HNSW search (ignored by exact indexes). */
  search(query: Float32Array, k: number, ef?: number): Hit[];
  size(): number;
  /** Bytes of memory the index holds (approximate; for status and benches). */
  memoryBytes(): number;
}

/** What a saved index reflects: the store's vector version of its namespace when it was saved. */
export interface SavedMeta {
  readonly nsId: number;
  /** Log index of the namespace's last vector change the index contains. */
  readonly version: number;
  readonly options: IndexOptions;
  readonly size: number;
}

/**
 * Makes indexes and keeps their saved copies. The usearch backend saves files under
 * `<dataDir>/vectors/`; the memory backend keeps "files" in a map (tests, KNOWD_STORE=mem).
 */
export interface VectorBackend {
  readonly name: string;
  create(options: IndexOptions): VectorIndex;
  /** Saves so that a crash at any point leaves either the old or the new copy, never a mix. */
  save(ns: string, index: VectorIndex, meta: SavedMeta): void;
  /** The saved copy, or undefined when there is none or it cannot be read (the caller rebuilds). */
  load(ns: string): { readonly index: VectorIndex; readonly meta: SavedMeta } | undefined;
  remove(ns: string): void;
}
