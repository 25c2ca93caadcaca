import { distance } from './metric.js';
import type { Hit, IndexOptions, SavedMeta, VectorBackend, VectorIndex } from './types.js';

/**
 * Exact nearest neighbours by scanning every vector: the test oracle for the HNSW index (recall),
 * and the backend of tests that need no native code. Ties break by key, so results are stable.
 */
export class BruteForceIndex implements VectorIndex {
  private readonly vectors = new Map<number, Float32Array>();

  constructor(readonly options: IndexOptions) {}

  add(key: number, vector: Float32Array): void {
    this.vectors.set(key, Float32Array.from(vector));
  }

  addMany(keys: readonly number[], vectors: Float32Array): void {
    const d = this.options.dims;
    keys.forEach((k, i) => this.vectors.set(k, vectors.slice(i * d, (i + 1) * d)));
  }

  remove(key: number): boolean {
    return this.vectors.delete(key);
  }

  search(query: Float32Array, k: number): Hit[] {
    const top: Hit[] = [];
    for (const [key, v] of this.vectors) {
      const d = distance(this.options.metric, query, v);
      if (top.length === k && !closer(d, key, top[k - 1]!)) continue;
      // Insertion into a sorted list of at most k: k is small (topK), the scan dominates.
      let i = top.length;
      while (i > 0 && closer(d, key, top[i - 1]!)) i--;
      top.splice(i, 0, { key, distance: d });
      if (top.length > k) top.pop();
    }
    return top;
  }

  size(): number {
    return this.vectors.size;
  }

  memoryBytes(): number {
    return this.vectors.size * (this.options.dims * 4 + 64);
  }

  entries(): IterableIterator<[number, Float32Array]> {
    return this.vectors.entries();
  }
}

function closer(d: number, key: number, than: Hit): boolean {
  return d < than.distance || (d === than.distance && key < than.key);
}

/** Brute-force indexes whose saved copies live in a map: the deterministic twin of the file backend. */
export function memoryBackend(): VectorBackend & { readonly saved: Map<string, { entries: [number, Float32Array][]; meta: SavedMeta }> } {
  const saved = new Map<string, { entries: [number, Float32Array][]; meta: SavedMeta }>();
  return {
    name: 'memory',
    saved,
    create: (options) => new BruteForceIndex(options),
    save(ns, index, meta) {
      if (!(index instanceof BruteForceIndex)) throw new TypeError('the memory backend saves only its own indexes');
      saved.set(ns, { entries: [...index.entries()].map(([k, v]) => [k, Float32Array.from(v)]), meta });
    },
    load(ns) {
      const s = saved.get(ns);
      if (s === undefined) return undefined;
      const index = new BruteForceIndex(s.meta.options);
      for (const [k, v] of s.entries) index.add(k, v);
      return { index, meta: s.meta };
    },
    remove(ns) {
      saved.delete(ns);
    },
  };
}
