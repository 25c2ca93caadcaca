/**
 * Where a namespace's shapes live: two keys of the `meta` table, `shapes/<nsId>/hash` and
 * `shapes/<nsId>/text`, keeping the Turtle exactly as PUT. Not a reserved named graph: shapes are not
 * data (a SPARQL query or an export of the namespace must not see them, and a data transaction must
 * not be able to edit them), and the check reads only the 64-byte hash per transaction to find its
 * cached parse. Keyed by namespace id, which is never reused, so a deleted namespace's shapes can
 * never resurface under a new namespace of the same name. Being in the store, shapes are part of
 * snapshots and replicate with the log entry that set them.
 */
import type { ReadTxn, WriteTxn } from '../storage/index.js';
import { shapesHash } from './shapes.js';

const key = (nsId: number, part: 'hash' | 'text'): Buffer => Buffer.from(`shapes/${nsId}/${part}`, 'utf8');

export function shapesHashOf(txn: ReadTxn, nsId: number): string | undefined {
  const v = txn.get('meta', key(nsId, 'hash'));
  return v === undefined ? undefined : Buffer.from(v).toString('utf8');
}

export function shapesTextOf(txn: ReadTxn, nsId: number): string | undefined {
  const v = txn.get('meta', key(nsId, 'text'));
  return v === undefined ? undefined : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
}

/** Replaces the namespace's shapes; an empty (whitespace-only) text removes them. */
export function putShapes(txn: WriteTxn, nsId: number, text: string): void {
  if (text.trim() === '') {
    dropShapes(txn, nsId);
    return;
  }
  txn.put('meta', key(nsId, 'text'), Buffer.from(text, 'utf8'));
  txn.put('meta', key(nsId, 'hash'), Buffer.from(shapesHash(text), 'utf8'));
}

export function dropShapes(txn: WriteTxn, nsId: number): void {
  txn.del('meta', key(nsId, 'text'));
  txn.del('meta', key(nsId, 'hash'));
}
