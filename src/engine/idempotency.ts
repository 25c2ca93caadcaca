import type { ReadTxn, WriteTxn } from '../storage/index.js';
import { u64Key } from '../storage/index.js';

/** KNOWD_IDEMPOTENCY_TTL's default: a day, as long as clients are expected to retry a write. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** Remembers which receipt answered an idempotency key, per namespace, with the request's hash. */
export interface IdempotencyRecord {
  readonly requestHash: string;
  readonly receiptId: string;
  readonly added: number;
  readonly removed: number;
  /**
   * Entry time from which the key is forgotten (the proposer's KNOWD_IDEMPOTENCY_TTL after the
   * transaction's time, fixed in the log so every replica forgets it at the same entry). Absent:
   * kept for good (records of older versions, or a TTL of 0).
   */
  readonly expiresAtMs?: number;
}

/**
 * Keys of the 'idem' table:
 *   ns 0x00 key                          → the record (JSON)
 *   0x00 expiresAt(u64) ns 0x00 key      → nothing: records by expiry, for pruning
 * No namespace name is empty, so the two never meet.
 */
function key(ns: string, k: string): Buffer {
  return Buffer.concat([Buffer.from(ns, 'utf8'), Buffer.from([0]), Buffer.from(k, 'utf8')]);
}

const EXPIRY = Buffer.from([0]);

function expiryKey(expiresAtMs: number, recordKey: Buffer): Buffer {
  return Buffer.concat([EXPIRY, u64Key(expiresAtMs), recordKey]);
}

/** The record of a key, also when it has expired (see isLive). */
export function getIdempotency(txn: ReadTxn, ns: string, k: string): IdempotencyRecord | undefined {
  const v = txn.get('idem', key(ns, k));
  return v === undefined ? undefined : (JSON.parse(Buffer.from(v).toString('utf8')) as IdempotencyRecord);
}

/** Whether a record still answers for its key at time `nowMs` (an entry's time when applying). */
export function isLive(rec: IdempotencyRecord, nowMs: number): boolean {
  return rec.expiresAtMs === undefined || nowMs < rec.expiresAtMs;
}

export function putIdempotency(txn: WriteTxn, ns: string, k: string, rec: IdempotencyRecord): void {
  const rk = key(ns, k);
  txn.put('idem', rk, Buffer.from(JSON.stringify(rec), 'utf8'));
  if (rec.expiresAtMs !== undefined) txn.put('idem', expiryKey(rec.expiresAtMs, rk), Buffer.alloc(0));
}

/** Expired records removed per keyed transaction: more than it adds, so a backlog drains. */
const PRUNE_PER_TX = 4;

/**
 * Removes up to PRUNE_PER_TX records that expired by `nowMs` (an entry's time, so every replica
 * removes the same ones at the same entry). A record written again since its index entry was made
 * (a key used anew after it expired) has a later expiry and is kept; only the stale index entry goes.
 */
export function pruneIdempotency(txn: WriteTxn, nowMs: number): number {
  const stale = [...txn.scanKeys('idem', { start: EXPIRY, end: expiryKey(nowMs + 1, Buffer.alloc(0)), limit: PRUNE_PER_TX })].map((k) => Buffer.from(k));
  let removed = 0;
  for (const ek of stale) {
    txn.del('idem', ek);
    const expiresAtMs = Number(ek.readBigUInt64BE(1));
    const rk = ek.subarray(9);
    const v = txn.get('idem', rk);
    if (v !== undefined && (JSON.parse(Buffer.from(v).toString('utf8')) as IdempotencyRecord).expiresAtMs === expiresAtMs) {
      txn.del('idem', rk);
      removed++;
    }
  }
  return removed;
}
