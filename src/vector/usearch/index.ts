/**
 * The usearch edge (the only importer of `usearch`): HNSW indexes in native memory, saved to and
 * loaded from `<dir>/<ns>.usearch` with a `<ns>.json` beside it saying what the file reflects.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Index, MetricKind, ScalarKind } from 'usearch';
import type { Hit, IndexOptions, Metric, Quantization, SavedMeta, VectorBackend, VectorIndex } from '../types.js';

/**
 * Search breadth when a query names no `ef`. usearch fixes expansion_search when an index is made
 * (its beam is max(expansion_search, results asked for)), so the index is made with a narrow one
 * and a query's breadth is had by asking for max(k, ef) neighbours and keeping the first k.
 */
export const EF_SEARCH_DEFAULT = 128;
const EXPANSION_SEARCH_FLOOR = 16;

const METRIC: Record<Metric, MetricKind> = { cos: MetricKind.Cos, ip: MetricKind.IP, l2: MetricKind.L2sq };
const SCALAR: Record<Quantization, ScalarKind> = { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 };
const SCALAR_BYTES: Record<Quantization, number> = { f32: 4, f16: 2, i8: 1 };

export class UsearchIndex implements VectorIndex {
  readonly native: Index;

  constructor(readonly options: IndexOptions) {
    this.native = new Index({
      dimensions: options.dims,
      metric: METRIC[options.metric],
      quantization: SCALAR[options.quantization],
      connectivity: options.m,
      expansion_add: options.efConstruction,
      expansion_search: EXPANSION_SEARCH_FLOOR,
      multi: false,
    });
  }

  add(key: number, vector: Float32Array): void {
    const k = BigInt(key);
    // One vector per key: a replaced vector is removed first (usearch would keep both otherwise).
    if (this.native.contains(k)) this.native.remove(k);
    this.native.add(k, vector, 1);
  }

  addMany(keys: readonly number[], vectors: Float32Array): void {
    // One at a time, on this thread. usearch's batch add on several threads fails ("Reserve capacity
    // ahead of insertions!", thrown after the commit) when the binding last grew the index for
    // fewer threads (a single add grows it for one), and it sized the index from its live count
    // while removed vectors still held slots. Single adds grow it as needed. A rebuild from the
    // store loses the other cores; a wrong index or a stopped server would be worse.
    const dims = this.options.dims;
    for (let i = 0; i < keys.length; i++) this.native.add(BigInt(keys[i]!), vectors.subarray(i * dims, (i + 1) * dims), 1);
  }

  remove(key: number): boolean {
    return (this.native.remove(BigInt(key)) as number) > 0;
  }

  search(query: Float32Array, k: number, ef?: number): Hit[] {
    const size = this.native.size();
    if (size === 0 || k <= 0) return [];
    const wanted = Math.min(size, Math.max(k, ef ?? EF_SEARCH_DEFAULT));
    const m = this.native.search(query, wanted, 1);
    const n = Math.min(k, m.keys.length);
    const out: Hit[] = new Array<Hit>(n);
    for (let i = 0; i < n; i++) out[i] = { key: Number(m.keys[i]!), distance: m.distances[i]! };
    return out;
  }

  size(): number {
    return this.native.size();
  }

  memoryBytes(): number {
    // Vectors plus the base layer's neighbour lists (2M slots of 4-byte ids) and per-node headers.
    const o = this.options;
    return this.native.size() * (o.dims * SCALAR_BYTES[o.quantization] + 2 * o.m * 4 + 32);
  }
}

function writeFileDurably(file: string, data: string): void {
  const fd = fs.openSync(file, 'w', 0o640);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

interface MetaFile extends SavedMeta {
  readonly file: string;
  readonly bytes: number;
}

/**
 * usearch indexes; with `dir`, saved there. A save writes the index file, then the meta file, each
 * through a temporary name and rename: a crash between the two leaves a new index with the old meta,
 * whose version (and byte count) disagrees with the store, so the index is rebuilt, never trusted.
 */
export function usearchBackend(dir: string | undefined): VectorBackend {
  const files = (ns: string) => ({ index: path.join(dir!, `${ns}.usearch`), meta: path.join(dir!, `${ns}.json`) });
  return {
    name: 'usearch',
    create: (options) => new UsearchIndex(options),
    save(ns, index, meta) {
      if (dir === undefined) return;
      if (!(index instanceof UsearchIndex)) throw new TypeError('the usearch backend saves only usearch indexes');
      fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
      const f = files(ns);
      index.native.save(`${f.index}.tmp`);
      fsyncFile(`${f.index}.tmp`);
      fs.renameSync(`${f.index}.tmp`, f.index);
      const body: MetaFile = { ...meta, file: path.basename(f.index), bytes: fs.statSync(f.index).size };
      writeFileDurably(`${f.meta}.tmp`, `${JSON.stringify(body)}\n`);
      fs.renameSync(`${f.meta}.tmp`, f.meta);
    },
    load(ns) {
      if (dir === undefined) return undefined;
      const f = files(ns);
      let meta: MetaFile;
      try {
        meta = JSON.parse(fs.readFileSync(f.meta, 'utf8')) as MetaFile;
        if (fs.statSync(f.index).size !== meta.bytes) return undefined;
      } catch {
        return undefined;
      }
      const index = new UsearchIndex(meta.options);
      try {
        // Not view(): a memory-mapped index is read-only, and committed entries keep arriving.
        index.native.load(f.index);
      } catch {
        return undefined;
      }
      // usearch's load reports no errors of its own: a file it could not read shows as a size mismatch.
      if (index.size() !== meta.size || index.native.dimensions() !== meta.options.dims) return undefined;
      return { index, meta };
    },
    remove(ns) {
      if (dir === undefined) return;
      const f = files(ns);
      for (const file of [f.meta, f.index, `${f.meta}.tmp`, `${f.index}.tmp`]) fs.rmSync(file, { force: true });
    },
  };
}
