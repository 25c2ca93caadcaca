import { KnowdError } from '../base/index.js';
import { prefixRange, readU64, type ReadTxn, type WriteTxn } from '../storage/index.js';
import type { IndexOptions } from './types.js';

/**
 * Vectors in the store (table 'vectors'), their source of truth, written by applied log entries:
 *   [0x00][nsId u32]            → namespace meta (JSON: name, index options, next key, version, count)
 *   [0x01][nsId u32][id utf8]   → [key u64][dims × f32 little-endian]
 *   [0x02][nsId u32][key u64]   → id utf8
 * Keys are the integers the HNSW index knows; they are handed out in log order, so every replica
 * gives an id the same key. The version is the log index of the namespace's last vector change:
 * a saved index that reflects another version is stale.
 */
const META = 0x00;
const BY_ID = 0x01;
const BY_KEY = 0x02;

export interface VectorNsMeta {
  readonly ns: string;
  readonly options: IndexOptions;
  readonly nextKey: number;
  readonly version: number;
  readonly count: number;
}

function nsPrefix(tag: number, nsId: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = tag;
  b.writeUInt32BE(nsId, 1);
  return b;
}

function idKey(nsId: number, id: string): Buffer {
  return Buffer.concat([nsPrefix(BY_ID, nsId), Buffer.from(id, 'utf8')]);
}

function keyKey(nsId: number, key: number): Buffer {
  const b = Buffer.allocUnsafe(13);
  b[0] = BY_KEY;
  b.writeUInt32BE(nsId, 1);
  b.writeBigUInt64BE(BigInt(key), 5);
  return b;
}

// Stored bytes are little-endian whatever the host; on the usual little-endian hosts that is a copy.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function encodeF32(v: Float32Array): Buffer {
  if (HOST_LE) return Buffer.from(Float32Array.from(v).buffer);
  const out = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, i * 4);
  return out;
}

export function decodeF32(b: Uint8Array, offset = 0): Float32Array {
  const n = b.byteLength - offset;
  if (n % 4 !== 0) throw new KnowdError('STORE_CORRUPT', `A stored vector has ${n} bytes, not a multiple of 4`);
  const out = new Float32Array(n / 4);
  if (HOST_LE) {
    new Uint8Array(out.buffer).set(b.subarray(offset));
    return out;
  }
  const buf = Buffer.from(b.buffer, b.byteOffset + offset, n);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export function getVectorMeta(r: ReadTxn, nsId: number): VectorNsMeta | undefined {
  const v = r.get('vectors', nsPrefix(META, nsId));
  return v === undefined ? undefined : (JSON.parse(Buffer.from(v).toString('utf8')) as VectorNsMeta);
}

export function putVectorMeta(w: WriteTxn, nsId: number, meta: VectorNsMeta): void {
  w.put('vectors', nsPrefix(META, nsId), Buffer.from(JSON.stringify(meta), 'utf8'));
}

/** Every namespace that has vectors, by namespace id. */
export function listVectorMetas(r: ReadTxn): Map<number, VectorNsMeta> {
  const out = new Map<number, VectorNsMeta>();
  for (const e of r.scan('vectors', prefixRange(Buffer.from([META])))) {
    out.set(Buffer.from(e.key).readUInt32BE(1), JSON.parse(Buffer.from(e.value).toString('utf8')) as VectorNsMeta);
  }
  return out;
}

export function getVector(r: ReadTxn, nsId: number, id: string): { key: number; vector: Float32Array } | undefined {
  const v = r.get('vectors', idKey(nsId, id));
  return v === undefined ? undefined : { key: readU64(v, 0), vector: decodeF32(v, 8) };
}

export function hasVector(r: ReadTxn, nsId: number, id: string): boolean {
  return r.get('vectors', idKey(nsId, id)) !== undefined;
}

export function idOfKey(r: ReadTxn, nsId: number, key: number): string | undefined {
  const v = r.get('vectors', keyKey(nsId, key));
  return v === undefined ? undefined : Buffer.from(v).toString('utf8');
}

/** Stores a vector under its id and key (the caller assigns new keys from the meta's nextKey). */
export function putVector(w: WriteTxn, nsId: number, id: string, key: number, vector: Float32Array): void {
  const head = Buffer.allocUnsafe(8);
  head.writeBigUInt64BE(BigInt(key));
  w.put('vectors', idKey(nsId, id), Buffer.concat([head, encodeF32(vector)]));
  w.put('vectors', keyKey(nsId, key), Buffer.from(id, 'utf8'));
}

export function deleteVector(w: WriteTxn, nsId: number, id: string, key: number): void {
  w.del('vectors', idKey(nsId, id));
  w.del('vectors', keyKey(nsId, key));
}

/** Every stored vector of a namespace, in id order (rebuilds, exact searches). */
export function* scanVectors(r: ReadTxn, nsId: number, after?: string, limit?: number): Generator<{ id: string; key: number; vector: Float32Array }> {
  const prefix = nsPrefix(BY_ID, nsId);
  const range = prefixRange(prefix);
  // The key right after `after`'s is `after` + NUL: start there (inclusive) to resume a scan.
  const start = after === undefined ? range : { ...range, start: Buffer.concat([prefix, Buffer.from(after, 'utf8'), Buffer.from([0])]) };
  for (const e of r.scan('vectors', limit === undefined ? start : { ...start, limit })) {
    yield { id: Buffer.from(e.key).subarray(prefix.length).toString('utf8'), key: readU64(e.value, 0), vector: decodeF32(e.value, 8) };
  }
}

/** Removes a namespace's vectors (the namespace was deleted). */
export function deleteVectorNamespace(w: WriteTxn, nsId: number): void {
  for (const tag of [META, BY_ID, BY_KEY]) w.delRange('vectors', prefixRange(nsPrefix(tag, nsId)));
}
