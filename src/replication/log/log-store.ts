import { crc32 } from 'node:zlib';
import { KnowdError } from '../../base/index.js';
import type { ReadTxn, WriteTxn } from '../../storage/index.js';
import { readU64, u64Key } from '../../storage/index.js';

/**
 * The replicated log on the Storage port: the source of truth. Each record is
 *   key   = index (u64 BE, from 1)
 *   value = [format u8 = 1][term u64][crc32 of payload u32][payload]
 * and the applied index lives beside it, written in the same transaction as the entry's effects, so
 * after a crash `appliedIndex` says exactly which entries the store holds and the rest are replayed.
 */
export const LOG_FORMAT = 1;
const HEADER_BYTES = 1 + 8 + 4;
const APPLIED_KEY = Buffer.from('appliedIndex');

export interface LogRecord {
  readonly index: number;
  readonly term: number;
  readonly payload: Buffer;
}

export function encodeRecord(term: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  b[0] = LOG_FORMAT;
  b.writeBigUInt64BE(BigInt(term), 1);
  b.writeUInt32BE(crc32(payload), 9);
  payload.copy(b, HEADER_BYTES);
  return b;
}

export function decodeRecord(index: number, raw: Uint8Array): LogRecord {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (b.length < HEADER_BYTES || b[0] !== LOG_FORMAT) {
    throw new KnowdError('STORE_FORMAT', `Log entry ${index} has format ${b[0]}, this version reads ${LOG_FORMAT}`);
  }
  const payload = b.subarray(HEADER_BYTES);
  if (crc32(payload) !== b.readUInt32BE(9)) throw new KnowdError('STORE_CORRUPT', `Log entry ${index} fails its checksum`);
  return { index, term: Number(b.readBigUInt64BE(1)), payload: Buffer.from(payload) };
}

export function lastIndex(txn: ReadTxn): { index: number; term: number } {
  for (const e of txn.scan('log', { reverse: true, limit: 1 })) {
    const r = decodeRecord(readU64(e.key), e.value);
    return { index: r.index, term: r.term };
  }
  return { index: 0, term: 0 };
}

const STATS_KEY = Buffer.from('logStats');

export function appendRecord(txn: WriteTxn, index: number, term: number, payload: Buffer): void {
  const rec = encodeRecord(term, payload);
  txn.put('log', u64Key(index), rec);
  const { entries, bytes } = logSize(txn);
  const stats = Buffer.allocUnsafe(16);
  stats.writeBigUInt64BE(BigInt(entries + 1), 0);
  stats.writeBigUInt64BE(BigInt(bytes + rec.length), 8);
  txn.put('meta', STATS_KEY, stats);
}

export function readRecord(txn: ReadTxn, index: number): LogRecord | undefined {
  const v = txn.get('log', u64Key(index));
  return v === undefined ? undefined : decodeRecord(index, v);
}

export function* readRecords(txn: ReadTxn, fromIndex: number, toIndex = Number.MAX_SAFE_INTEGER): IterableIterator<LogRecord> {
  for (const e of txn.scan('log', { start: u64Key(fromIndex), end: u64Key(toIndex + 1) })) yield decodeRecord(readU64(e.key), e.value);
}

export function appliedIndex(txn: ReadTxn): number {
  const v = txn.get('meta', APPLIED_KEY);
  return v === undefined ? 0 : readU64(v);
}

export function setAppliedIndex(txn: WriteTxn, index: number): void {
  txn.put('meta', APPLIED_KEY, u64Key(index));
}

/** Log size in entries and bytes (metrics, cluster status), kept as a counter beside the log. */
export function logSize(txn: ReadTxn): { entries: number; bytes: number } {
  const v = txn.get('meta', STATS_KEY);
  if (v === undefined) return { entries: 0, bytes: 0 };
  return { entries: readU64(v, 0), bytes: readU64(v, 8) };
}
