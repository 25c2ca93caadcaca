/**
 * An ordered map of byte-string keys for the in-memory twin. Keys live in sorted chunks of bounded
 * size, so an insert moves at most one chunk's worth of pointers instead of the whole key set (a
 * single sorted array made LUBM-sized loads quadratic). No npm ordered map keys by bytes with range
 * scans and stays dependency-free, hence this small one.
 */
import { compareBytes } from '../keys.js';

const CHUNK_MAX = 512;

interface Chunk {
  keys: Buffer[];
  values: Buffer[];
}

export class SortedBytesMap {
  private chunks: Chunk[] = [{ keys: [], values: [] }];
  private sizeCount = 0;
  private byteCount = 0;

  get size(): number {
    return this.sizeCount;
  }

  /** Key and value bytes held, kept on every change so info() is O(1). */
  get bytes(): number {
    return this.byteCount;
  }

  /**
   * A copy that later changes to either side do not affect (the twin's snapshot for an async reader).
   * Buffers are shared: the map never mutates a stored key or value in place.
   */
  clone(): SortedBytesMap {
    const copy = new SortedBytesMap();
    copy.chunks = this.chunks.map((c) => ({ keys: c.keys.slice(), values: c.values.slice() }));
    copy.sizeCount = this.sizeCount;
    copy.byteCount = this.byteCount;
    return copy;
  }

  /** Index of the chunk that holds (or would hold) `key`. */
  private chunkFor(key: Uint8Array): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const first = this.chunks[mid]!.keys[0];
      if (first !== undefined && compareBytes(first, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private static lowerBound(keys: Buffer[], key: Uint8Array): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareBytes(keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(key: Uint8Array): Buffer | undefined {
    const c = this.chunks[this.chunkFor(key)]!;
    const i = SortedBytesMap.lowerBound(c.keys, key);
    const k = c.keys[i];
    return k !== undefined && compareBytes(k, key) === 0 ? c.values[i] : undefined;
  }

  /** Returns the previous value (for undo logs). */
  set(key: Uint8Array, value: Uint8Array): Buffer | undefined {
    const ci = this.chunkFor(key);
    const c = this.chunks[ci]!;
    const i = SortedBytesMap.lowerBound(c.keys, key);
    const k = c.keys[i];
    const v = Buffer.from(value);
    if (k !== undefined && compareBytes(k, key) === 0) {
      const prev = c.values[i];
      c.values[i] = v;
      this.byteCount += v.length - (prev?.length ?? 0);
      return prev;
    }
    c.keys.splice(i, 0, Buffer.from(key));
    c.values.splice(i, 0, v);
    this.sizeCount++;
    this.byteCount += key.length + v.length;
    if (c.keys.length > CHUNK_MAX) {
      const half = c.keys.length >> 1;
      this.chunks.splice(ci + 1, 0, { keys: c.keys.splice(half), values: c.values.splice(half) });
    }
    return undefined;
  }

  delete(key: Uint8Array): Buffer | undefined {
    const ci = this.chunkFor(key);
    const c = this.chunks[ci]!;
    const i = SortedBytesMap.lowerBound(c.keys, key);
    const k = c.keys[i];
    if (k === undefined || compareBytes(k, key) !== 0) return undefined;
    const prev = c.values[i];
    c.keys.splice(i, 1);
    c.values.splice(i, 1);
    this.sizeCount--;
    this.byteCount -= k.length + (prev?.length ?? 0);
    if (c.keys.length === 0 && this.chunks.length > 1) this.chunks.splice(ci, 1);
    return prev;
  }

  /** Entries with start ≤ key < end, ascending (or descending when reverse). */
  *range(start: Uint8Array | undefined, end: Uint8Array | undefined, reverse: boolean): IterableIterator<[Buffer, Buffer]> {
    // Snapshot the matching entries first: callers may write while iterating (delRange) and the
    // twin must behave like LMDB, whose cursors see a stable view.
    const out: [Buffer, Buffer][] = [];
    let ci = start === undefined ? 0 : this.chunkFor(start);
    let i = start === undefined ? 0 : SortedBytesMap.lowerBound(this.chunks[ci]!.keys, start);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const c = this.chunks[ci]!;
      for (; i < c.keys.length; i++) {
        const k = c.keys[i]!;
        if (end !== undefined && compareBytes(k, end) >= 0) {
          ci = this.chunks.length;
          break;
        }
        out.push([k, c.values[i]!]);
      }
    }
    if (reverse) out.reverse();
    yield* out;
  }
}
