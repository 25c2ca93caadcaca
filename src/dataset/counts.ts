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
  // Keyed by kind × 2^40 + id (a safe integer): no key Buffer or string per quad in bulk loads.
  private readonly deltas = new Map<number, number>();

  constructor(private readonly nsId: number) {}

  add(kind: CountKind, id: number | undefined, delta: number): void {
    const k = kind * 2 ** 40 + (id ?? 0);
    this.deltas.set(k, (this.deltas.get(k) ?? 0) + delta);
  }

  flush(txn: WriteTxn): void {
    for (const [k, d] of this.deltas) {
      if (d === 0) continue;
      const kind = Math.floor(k / 2 ** 40) as CountKind;
      const id = k % 2 ** 40;
      const withId = kind === CountKind.PredicateDefault || kind === CountKind.PredicateNamed || kind === CountKind.Graph;
      const key = countKey(this.nsId, kind, withId ? id : undefined);
      const next = readCount(txn, key) + d;
      if (next <= 0) txn.del('counts', key);
      else txn.put('counts', key, u64Key(next));
    }
    this.deltas.clear();
  }
}
