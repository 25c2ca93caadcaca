import { u64Key, type ReadTxn, type WriteTxn } from '../storage/index.js';

/**
 * The logged bytes of every applied transaction, by log index: what a receipt's delta hash is
 * checked against. Part of the state (and so of snapshots), unlike the raft log, which is compacted.
 */
export function putEvidence(w: WriteTxn, index: number, payload: Uint8Array): void {
  w.put('evidence', u64Key(index), payload);
}

export function getEvidence(r: ReadTxn, index: number): Buffer | undefined {
  const v = r.get('evidence', u64Key(index));
  return v === undefined ? undefined : Buffer.from(v);
}
