import { KnowdError } from '../base/index.js';
import type { WriteTxn } from '../storage/index.js';
import { prefixRange } from '../storage/index.js';

/**
 * Batch order of a bulk import. A load keeps two batches in flight (one commits while the next is
 * applied), yet "a failed batch stops the load" must hold on every replica: a batch applies only if
 * the batch before it did, which the store itself answers, deterministically.
 */
const nsPrefix = (ns: string): Buffer => Buffer.from(`importseq/${ns}\0`, 'utf8');
const markerKey = (ns: string, importId: string): Buffer => Buffer.concat([nsPrefix(ns), Buffer.from(importId, 'utf8')]);

export function followImportBatch(txn: WriteTxn, ns: string, importId: string, seq: number): void {
  const key = markerKey(ns, importId);
  const v = txn.get('meta', key);
  const last = v === undefined ? -1 : Buffer.from(v.buffer, v.byteOffset, v.byteLength).readUInt32BE();
  if (last !== seq - 1) {
    throw new KnowdError('CONFLICT', `Import batch ${seq + 1} was not applied because the batch before it was not (it failed); nothing of it changed the store`, { batch: seq + 1 });
  }
  const next = Buffer.alloc(4);
  next.writeUInt32BE(seq);
  txn.put('meta', key, next);
}

/** A deleted namespace takes its imports' markers with it. */
export function forgetImportBatches(txn: WriteTxn, ns: string): void {
  txn.delRange('meta', prefixRange(nsPrefix(ns)));
}
