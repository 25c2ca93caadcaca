import { Writer } from 'n3';
import type { Quad } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import type { ChainedReceipt, StoredReceipt } from '../receipts/index.js';
import { GENESIS_PREV_HASH } from '../receipts/index.js';
import type { ReadTxn, WriteTxn } from '../storage/index.js';
import { prefixRange, u64Key } from '../storage/index.js';

/**
 * Receipts by id, the per-namespace chain head, and secondary indexes:
 *   't' + timeMs(u64) + id        — time ranges
 *   'a' + actor + 0x00 + timeMs + id — one actor's receipts in time order
 *   'w' + namespace + 0x00 + time(u64) + id → ordinal(u64) — a namespace's data writes (kind tx
 *                                    or import): what a hook's WINDOW counts
 * The 'w' index is newer than the others: meta `winidx/since` holds the entry time of the first
 * receipt written with it, and a window reaching further back is counted the old way.
 *
 * A WINDOW is evaluated for every transaction while such a hook exists, and its span (KNOWD_WINDOW_SEC,
 * 300 s by default) can hold hundreds of thousands of writes: counting the range key by key cost
 * milliseconds per transaction, more the faster the namespace was written. So each 'w' entry carries
 * its ordinal (its rank in key order: the namespace's data writes up to it, itself included), and a
 * count is the difference of two ordinals, two one-key reads. Entries are stamped when proposed and
 * may reach the log a few milliseconds out of time order: such an entry lands before the last ones
 * and renumbers those after it (a few), so counts stay exactly those of the range, as every
 * replica, of any version, counts them. Entries written before ordinals (empty values) are counted
 * natively.
 */
function chainKey(ns: string): Buffer {
  return Buffer.from(`chain/${ns}`, 'utf8');
}

export function chainHead(txn: ReadTxn, ns: string): string {
  const v = txn.get('meta', chainKey(ns));
  return v === undefined ? GENESIS_PREV_HASH : Buffer.from(v).toString('utf8');
}

export function putReceipt(txn: WriteTxn, r: ChainedReceipt): void {
  const id = Buffer.from(r.id, 'utf8');
  txn.put('receipts', id, Buffer.from(JSON.stringify(r), 'utf8'));
  txn.put('meta', chainKey(r.namespace), Buffer.from(r.hash, 'utf8'));
  const empty = Buffer.alloc(0);
  txn.put('receiptIdx', Buffer.concat([Buffer.from('t'), u64Key(r.timeMs), id]), empty);
  txn.put('receiptIdx', Buffer.concat([Buffer.from('a'), Buffer.from(r.actor, 'utf8'), Buffer.from([0]), u64Key(r.timeMs), id]), empty);
  // The tail record holds only while this node's code wrote every receipt of the chain since it.
  const stored = readWindowTail(txn, r.namespace);
  const tail = stored !== undefined && stored.hash === r.prevHash ? stored : undefined;
  if (r.kind === 'tx' || r.kind === 'import') writeWindowTail(txn, r.namespace, r.hash, putWindowEntry(txn, r.namespace, r.timeMs, id, tail));
  else if (tail !== undefined) writeWindowTail(txn, r.namespace, r.hash, tail);
  if (txn.get('meta', WINDOW_SINCE) === undefined) {
    // A store with no receipts before this one has the index complete from the start.
    const older = [...txn.scanKeys('receiptIdx', { start: Buffer.from('t'), end: Buffer.from('u'), limit: 2 })].length > 1;
    txn.put('meta', WINDOW_SINCE, u64Key(older ? r.timeMs : 0));
  }
}

/**
 * The namespace's last 'w' entry (key and ordinal), kept in meta so that the next data write knows
 * its predecessor from one B-tree get: the reverse range read it replaced cost a follower ~20 % of
 * applying a small transaction (lmdb-js sets up a cursor and an iterator for it). The record names
 * the receipt hash it is current for; a chain that moved on without it (a receipt written by an
 * older version of Knowd, which does not keep the record) makes it stale, and the next write falls
 * back to reading the index.
 */
interface WindowTail {
  readonly key: Buffer;
  readonly ordinal: number | undefined;
}

const windowTailKey = (ns: string): Buffer => Buffer.from(`wintail/${ns}`, 'utf8');

/** Layout: u16 hash length, hash (UTF-8), u64 ordinal + 1 (0: an entry without ordinal), key. */
function readWindowTail(txn: ReadTxn, ns: string): (WindowTail & { readonly hash: string }) | undefined {
  const v = txn.get('meta', windowTailKey(ns));
  if (v === undefined) return undefined;
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const hashEnd = 2 + b.readUInt16BE(0);
  const ord = Number(b.readBigUInt64BE(hashEnd));
  return { hash: b.toString('utf8', 2, hashEnd), ordinal: ord === 0 ? undefined : ord - 1, key: Buffer.from(b.subarray(hashEnd + 8)) };
}

function writeWindowTail(txn: WriteTxn, ns: string, hash: string, tail: WindowTail): void {
  const h = Buffer.from(hash, 'utf8');
  const head = Buffer.allocUnsafe(2);
  head.writeUInt16BE(h.length, 0);
  txn.put('meta', windowTailKey(ns), Buffer.concat([head, h, u64Key(tail.ordinal === undefined ? 0 : tail.ordinal + 1), tail.key]));
}

const WINDOW_SINCE = Buffer.from('winidx/since', 'utf8');
const windowPrefix = (ns: string): Buffer => Buffer.concat([Buffer.from('w'), Buffer.from(ns, 'utf8'), Buffer.from([0])]);

/** The namespace's last 'w' entry before `end` (a key bound, exclusive; the last of all without it). */
function lastWindowEntry(txn: ReadTxn, base: Buffer, end?: Buffer): WindowTail | undefined {
  const range = end === undefined ? { ...prefixRange(base), reverse: true, limit: 1 } : { start: base, end, reverse: true, limit: 1 };
  for (const { key, value } of txn.scan('receiptIdx', range)) return { key: Buffer.from(key), ordinal: ordinalOf(value) };
  return undefined;
}

const ordinalOf = (value: Uint8Array): number | undefined => (value.length === 8 ? Number(Buffer.from(value.buffer, value.byteOffset, 8).readBigUInt64BE(0)) : undefined);

/** The key bound just past every entry of time `ms` (undefined before time 0: nothing is there). */
const pastTime = (base: Buffer, ms: number): Buffer | undefined => (ms < 0 ? undefined : Buffer.concat([base, u64Key(ms + 1)]));

/** Adds the data write's 'w' entry with its ordinal; returns the namespace's last entry after it. */
function putWindowEntry(txn: WriteTxn, ns: string, timeMs: number, id: Buffer, tail: WindowTail | undefined): WindowTail {
  const base = windowPrefix(ns);
  const key = Buffer.concat([base, u64Key(timeMs), id]);
  // Usually the entry goes last, after the tail; without a tail, one read of the namespace's last entry tells.
  const last = tail ?? lastWindowEntry(txn, base);
  if (last === undefined || Buffer.compare(last.key, key) < 0) {
    const ordinal = (last === undefined ? 0 : (last.ordinal ?? txn.count('receiptIdx', { start: base, end: key }))) + 1;
    txn.put('receiptIdx', key, u64Key(ordinal));
    return { key, ordinal };
  }
  const prev = lastWindowEntry(txn, base, key);
  // After an upgrade, the first entry counts the older ones (no ordinals) once.
  const before = prev === undefined ? 0 : (prev.ordinal ?? txn.count('receiptIdx', { start: base, end: key }));
  txn.put('receiptIdx', key, u64Key(before + 1));
  // A write logged out of time order moves the later ones up by one (the last among them stays last).
  const after = [...txn.scan('receiptIdx', { ...prefixRange(base), start: Buffer.concat([key, Buffer.from([0])]) })];
  for (const { key: k, value } of after) {
    const n = ordinalOf(value);
    if (n !== undefined) txn.put('receiptIdx', k, u64Key(n + 1));
  }
  return { key: last.key, ordinal: last.ordinal === undefined ? undefined : last.ordinal + 1 };
}

/** Data writes of the namespace with sinceMs < time <= untilMs from two ordinals, or undefined where an end lies before ordinals. */
function windowByOrdinals(txn: ReadTxn, base: Buffer, sinceMs: number, untilMs: number): number | undefined {
  const untilEnd = pastTime(base, untilMs);
  const hi = untilEnd === undefined ? undefined : lastWindowEntry(txn, base, untilEnd);
  if (hi === undefined) return 0;
  const sinceEnd = pastTime(base, sinceMs);
  const lo = sinceEnd === undefined ? undefined : lastWindowEntry(txn, base, sinceEnd);
  if (hi.ordinal === undefined || (lo !== undefined && lo.ordinal === undefined)) return undefined;
  return Math.max(0, hi.ordinal - (lo?.ordinal ?? 0));
}

export function getReceipt(txn: ReadTxn, id: string): StoredReceipt | undefined {
  const v = txn.get('receipts', Buffer.from(id, 'utf8'));
  return v === undefined ? undefined : (JSON.parse(Buffer.from(v).toString('utf8')) as StoredReceipt);
}

export function requireReceipt(txn: ReadTxn, id: string): StoredReceipt {
  const r = getReceipt(txn, id);
  if (r === undefined) throw new KnowdError('RECEIPT_NOT_FOUND', `No receipt with id "${id}"`, { id });
  return r;
}

export interface ReceiptQuery {
  readonly actor?: string;
  readonly sinceMs?: number;
  readonly untilMs?: number;
  readonly namespace?: string;
  /** Only receipts of these namespaces (a token's grant); filtered before the limit applies. */
  readonly allowed?: readonly string[];
  readonly limit: number;
}

export function searchReceipts(txn: ReadTxn, q: ReceiptQuery): StoredReceipt[] {
  const since = u64Key(q.sinceMs ?? 0);
  const until = u64Key(q.untilMs === undefined ? Number.MAX_SAFE_INTEGER : q.untilMs + 1);
  const base = q.actor === undefined ? Buffer.from('t') : Buffer.concat([Buffer.from('a'), Buffer.from(q.actor, 'utf8'), Buffer.from([0])]);
  const out: StoredReceipt[] = [];
  const range = { ...prefixRange(base), start: Buffer.concat([base, since]), end: Buffer.concat([base, until]) };
  for (const key of txn.scanKeys('receiptIdx', range)) {
    const id = Buffer.from(key.subarray(base.length + 8)).toString('utf8');
    const r = getReceipt(txn, id);
    if (r === undefined || (q.namespace !== undefined && r.namespace !== q.namespace)) continue;
    if (q.allowed !== undefined && !q.allowed.includes(r.namespace)) continue;
    out.push(r);
    if (out.length >= q.limit) break;
  }
  return out;
}

const TX_KINDS = [Buffer.from('"kind":"tx"'), Buffer.from('"kind":"import"')];

/**
 * How many data writes (receipts of kind tx or import) of `ns` have sinceMs < time <= untilMs: a
 * WINDOW condition's count, run for every transaction while such a hook exists. From the 'w'
 * index's ordinals (two reads), or a native count of its range where the window reaches entries
 * written before ordinals; for a window that starts before that index existed (a store written by
 * an older version), the time index is scanned instead.
 */
export function countDataReceipts(txn: ReadTxn, ns: string, sinceMs: number, untilMs: number): number {
  const since = txn.get('meta', WINDOW_SINCE);
  if (since !== undefined && Buffer.from(since.buffer, since.byteOffset, since.byteLength).readBigUInt64BE() <= BigInt(sinceMs + 1)) {
    const base = windowPrefix(ns);
    return windowByOrdinals(txn, base, sinceMs, untilMs) ?? txn.count('receiptIdx', { start: Buffer.concat([base, u64Key(Math.max(0, sinceMs + 1))]), end: Buffer.concat([base, u64Key(Math.max(0, untilMs + 1))]) });
  }
  return scanDataReceipts(txn, ns, sinceMs, untilMs);
}

/**
 * The same count from the time index: keys of other namespaces and hook firings are skipped by id
 * (`<ns>-<index>`), and the kind is found in the stored JSON without parsing it (a string value
 * cannot hold an unescaped `"kind":"tx"`, so the member is the only match).
 */
function scanDataReceipts(txn: ReadTxn, ns: string, sinceMs: number, untilMs: number): number {
  const base = Buffer.from('t');
  const range = { ...prefixRange(base), start: Buffer.concat([base, u64Key(sinceMs + 1)]), end: Buffer.concat([base, u64Key(untilMs + 1)]) };
  const prefix = Buffer.from(`${ns}-`, 'utf8');
  let n = 0;
  for (const key of txn.scanKeys('receiptIdx', range)) {
    const id = key.subarray(base.length + 8);
    if (id.length <= prefix.length || Buffer.compare(id.subarray(0, prefix.length), prefix) !== 0) continue;
    // `<ns>-<digits>`: not `<ns>-x/hooks/…` of another namespace that starts with "<ns>-".
    let digits = true;
    for (let i = prefix.length; i < id.length && digits; i++) digits = id[i]! >= 0x30 && id[i]! <= 0x39;
    if (!digits) continue;
    const v = txn.get('receipts', id);
    if (v === undefined) continue;
    const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (TX_KINDS.some((k) => b.indexOf(k) >= 0)) n++;
  }
  return n;
}

/** Every receipt of a namespace in log order (export for offline verification). */
export function* receiptsOf(txn: ReadTxn, ns: string): IterableIterator<StoredReceipt> {
  const rs: StoredReceipt[] = [];
  for (const e of txn.scan('receipts', prefixRange(Buffer.from(`${ns}-`, 'utf8')))) {
    const r = JSON.parse(Buffer.from(e.value).toString('utf8')) as StoredReceipt;
    if (r.namespace === ns) rs.push(r);
  }
  rs.sort((a, b) => a.logIndex - b.logIndex);
  yield* rs;
}

/** The effective delta of a SPARQL update entry, as N-Quads, kept for receipt verification. */
export interface StoredDelta {
  readonly add: string;
  readonly remove: string;
}

function deltaKey(receiptId: string): Buffer {
  return Buffer.from(`updelta/${receiptId}`, 'utf8');
}

export function putUpdateDelta(txn: WriteTxn, receiptId: string, added: readonly Quad[], removed: readonly Quad[]): void {
  const w = new Writer({ format: 'N-Quads' });
  const text = (qs: readonly Quad[]): string => w.quadsToString(qs as Parameters<Writer['quadsToString']>[0]);
  const d: StoredDelta = { add: text(added), remove: text(removed) };
  txn.put('meta', deltaKey(receiptId), Buffer.from(JSON.stringify(d), 'utf8'));
}

export function getUpdateDelta(txn: ReadTxn, receiptId: string): StoredDelta | undefined {
  const v = txn.get('meta', deltaKey(receiptId));
  return v === undefined ? undefined : (JSON.parse(Buffer.from(v).toString('utf8')) as StoredDelta);
}
