import { crc32 } from 'node:zlib';
import { KnowdError } from '../../base/index.js';
import type { EntryKind } from '../raft/types.js';
import type { ReadTxn, WriteTxn } from '../../storage/index.js';
import { readU64, u64Key } from '../../storage/index.js';

/**
 * The replicated log on the Storage port: the source of truth. Each record is
 *   key   = index (u64 BE, from 1)
 *   value = [format u8 = 2][kind u8][term u64][crc32 of payload u32][payload]
 * Format 1 (written before the cluster existed) had no kind byte; it reads as kind 'normal'.
 * The applied index lives beside it, written in the same transaction as the entry's effects, so
 * after a crash `appliedIndex` says exactly which entries the store holds.
 */
export const LOG_FORMAT = 2;
const V1_HEADER_BYTES = 1 + 8 + 4;
const HEADER_BYTES = 1 + 1 + 8 + 4;
const APPLIED_KEY = Buffer.from('appliedIndex');
const STATS_KEY = Buffer.from('logStats');
const KINDS: readonly EntryKind[] = ['normal', 'noop', 'config'];

export interface LogRecord {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly payload: Buffer;
}

export function encodeRecord(term: number, payload: Uint8Array, kind: EntryKind = 'normal'): Buffer {
  const b = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  b[0] = LOG_FORMAT;
  b[1] = KINDS.indexOf(kind);
  b.writeBigUInt64BE(BigInt(term), 2);
  b.writeUInt32BE(crc32(payload), 10);
  b.set(payload, HEADER_BYTES);
  return b;
}

function asBuffer(raw: Uint8Array): Buffer {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

function header(index: number, b: Buffer): { term: number; kind: EntryKind; crcAt: number; payloadAt: number } {
  if (b[0] === 1 && b.length >= V1_HEADER_BYTES) return { term: Number(b.readBigUInt64BE(1)), kind: 'normal', crcAt: 9, payloadAt: V1_HEADER_BYTES };
  const kind = KINDS[b[1] ?? 255];
  if (b[0] !== LOG_FORMAT || b.length < HEADER_BYTES || kind === undefined) {
    throw new KnowdError('STORE_FORMAT', `Log entry ${index} has format ${b[0]}, this version reads ${LOG_FORMAT}`);
  }
  return { term: Number(b.readBigUInt64BE(2)), kind, crcAt: 10, payloadAt: HEADER_BYTES };
}

export function decodeRecord(index: number, raw: Uint8Array): LogRecord {
  const b = asBuffer(raw);
  const h = header(index, b);
  const payload = b.subarray(h.payloadAt);
  if (crc32(payload) !== b.readUInt32BE(h.crcAt)) throw new KnowdError('STORE_CORRUPT', `Log entry ${index} fails its checksum`);
  return { index, term: h.term, kind: h.kind, payload: Buffer.from(payload) };
}

/** The term alone, without copying or checksumming the payload: raft asks for terms constantly. */
export function readTerm(txn: ReadTxn, index: number): number | undefined {
  const v = txn.get('log', u64Key(index));
  return v === undefined ? undefined : header(index, asBuffer(v)).term;
}

export function lastIndex(txn: ReadTxn): { index: number; term: number } {
  for (const e of txn.scan('log', { reverse: true, limit: 1 })) {
    const index = readU64(e.key);
    return { index, term: header(index, asBuffer(e.value)).term };
  }
  return { index: 0, term: 0 };
}

export function firstLogIndex(txn: ReadTxn): number | undefined {
  for (const k of txn.scanKeys('log', { limit: 1 })) return readU64(k);
  return undefined;
}

export function appendRecord(txn: WriteTxn, index: number, term: number, payload: Uint8Array, kind: EntryKind = 'normal'): void {
  const rec = encodeRecord(term, payload, kind);
  txn.put('log', u64Key(index), rec);
  bumpStats(txn, 1, rec.length);
}

function bumpStats(txn: WriteTxn, entries: number, bytes: number): void {
  const now = logSize(txn);
  const stats = Buffer.allocUnsafe(16);
  stats.writeBigUInt64BE(BigInt(Math.max(0, now.entries + entries)), 0);
  stats.writeBigUInt64BE(BigInt(Math.max(0, now.bytes + bytes)), 8);
  txn.put('meta', STATS_KEY, stats);
}

/** Removes entries [from, ∞): a new leader overwrote this node's unconfirmed suffix (Raft §5.3). */
export function truncateFrom(txn: WriteTxn, from: number): void {
  let entries = 0;
  let bytes = 0;
  for (const e of txn.scan('log', { start: u64Key(from) })) {
    entries++;
    bytes += e.value.length;
  }
  if (entries === 0) return;
  txn.delRange('log', { start: u64Key(from) });
  bumpStats(txn, -entries, -bytes);
}

/**
 * Drops entries [first, upTo] from the log. A transaction's logged text is the evidence its receipt
 * is verified against; apply keeps it in the `evidence` table (part of the state and of every
 * snapshot). Entries applied before that table existed move there now, so no receipt loses it.
 */
export function compactTo(txn: WriteTxn, upTo: number): number {
  let entries = 0;
  let bytes = 0;
  const end = u64Key(upTo + 1);
  for (const e of txn.scan('log', { end })) {
    entries++;
    bytes += e.value.length;
    if (txn.get('evidence', e.key) !== undefined) continue;
    const rec = decodeRecord(readU64(e.key), e.value);
    if (rec.kind === 'normal') txn.put('evidence', e.key, rec.payload);
  }
  if (entries === 0) return 0;
  txn.delRange('log', { end });
  bumpStats(txn, -entries, -bytes);
  return entries;
}

/** Clears the log (a snapshot replaced the state; the log restarts after it). */
export function clearLog(txn: WriteTxn): void {
  txn.delRange('log', {});
  txn.put('meta', STATS_KEY, Buffer.alloc(16));
}

export function readRecord(txn: ReadTxn, index: number): LogRecord | undefined {
  const v = txn.get('log', u64Key(index));
  return v === undefined ? undefined : decodeRecord(index, v);
}

/** The payload of a normal entry, from the log or, once compacted, from the evidence table. */
export function readPayload(txn: ReadTxn, index: number): Buffer | undefined {
  const rec = readRecord(txn, index);
  if (rec !== undefined) return rec.kind === 'normal' ? rec.payload : undefined;
  const ev = txn.get('evidence', u64Key(index));
  return ev === undefined ? undefined : Buffer.from(ev);
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
