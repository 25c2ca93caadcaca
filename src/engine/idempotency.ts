import type { ReadTxn, WriteTxn } from '../storage/index.js';

/** Remembers which receipt answered an idempotency key, per namespace, with the request's hash. */
export interface IdempotencyRecord {
  readonly requestHash: string;
  readonly receiptId: string;
  readonly added: number;
  readonly removed: number;
}

function key(ns: string, k: string): Buffer {
  return Buffer.concat([Buffer.from(ns, 'utf8'), Buffer.from([0]), Buffer.from(k, 'utf8')]);
}

export function getIdempotency(txn: ReadTxn, ns: string, k: string): IdempotencyRecord | undefined {
  const v = txn.get('idem', key(ns, k));
  return v === undefined ? undefined : (JSON.parse(Buffer.from(v).toString('utf8')) as IdempotencyRecord);
}

export function putIdempotency(txn: WriteTxn, ns: string, k: string, rec: IdempotencyRecord): void {
  txn.put('idem', key(ns, k), Buffer.from(JSON.stringify(rec), 'utf8'));
}
