import type { ReadTxn, WriteTxn } from '../storage/index.js';
import { readU64, u64Key } from '../storage/index.js';
import { idBytes, nsPrefix } from './layout.js';

/**
 * Exact counters kept on every write for the query planner: quads per namespace (default and named
 * graphs apart), per predicate (default and named apart) and per named graph. Other pattern counts are
 * exact range counts over the indexes (see QuadStore.count).
 */
export const enum CountKind {
  TotalDefault = 0x44, // 'D'
  TotalNamed = 0x4e, // 'N'
  PredicateDefault = 0x70, // 'p'
  PredicateNamed = 0x71, // 'q'
  Graph = 0x67, // 'g'
}

export function countKey(nsId: number, kind: CountKind, id?: number): Buffer {
  const parts = [nsPrefix(nsId), Buffer.from([kind])];
  if (id !== undefined) parts.push(idBytes(id));
  return Buffer.concat(parts);
}

export function readCount(txn: ReadTxn, key: Buffer): number {
  const v = txn.get('counts', key);
  return v === undefined ? 0 : readU64(v);
}

/** Accumulates counter changes of one transaction and writes each counter once at the end. */
export class CountDeltas {
  private readonly deltas = new Map<string, number>();

  add(key: Buffer, delta: number): void {
    const k = key.toString('latin1');
    this.deltas.set(k, (this.deltas.get(k) ?? 0) + delta);
  }

  flush(txn: WriteTxn): void {
    for (const [k, d] of this.deltas) {
      if (d === 0) continue;
      const key = Buffer.from(k, 'latin1');
      const next = readCount(txn, key) + d;
      if (next <= 0) txn.del('counts', key);
      else txn.put('counts', key, u64Key(next));
    }
    this.deltas.clear();
  }
}
