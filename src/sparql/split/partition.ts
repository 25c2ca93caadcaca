import type { Term } from '@rdfjs/types';
import { mix32 } from '../../base/index.js';
import { encodeTerm } from '../../rdf/index.js';

/**
 * The hash-range filter of a split query. Every node holds the same data, so a split partitions the
 * work: participant i sees only solutions whose driving variable's value hashes into its range.
 *
 * What is hashed: a stored term's dictionary id, a computed term's canonical encoding. Relying on
 * ids is sound because they are the same on every node of a cluster: the dictionary assigns them from
 * a counter in the store while entries are applied, in log order, identically on every replica
 * (a rejected entry is undone identically too), and a snapshot carries the store, counter included.
 * Hashing the id costs a multiply; hashing the term would cost a dictionary read per value (a
 * third of a scan-bound query's time in bench/federation.ts). A computed value that the store also
 * knows is always its id (Context.canon), so one value never hashes two ways.
 */
export const HASH_SPACE = 2 ** 32;

export interface PartitionRange {
  /** Inclusive lower bound in [0, 2^32). */
  readonly lo: number;
  /** Exclusive upper bound in (0, 2^32]. */
  readonly hi: number;
}

export interface PartitionFilter extends PartitionRange {
  readonly variable: string;
  /** The pattern / path objects (by identity) at which the range is checked. */
  readonly points: ReadonlySet<object>;
}

/**
 * FNV-1a (32 bit) over UTF-16 code units: a few lines, no dependency, and stable across Node versions
 * and machines, which is all a partition hash needs (it is not a security boundary).
 */
export function termHash(t: Term): number {
  const s = encodeTerm(t);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The partition hash of a dictionary id. */
export function idHash(id: number): number {
  return mix32(id);
}

/** k disjoint ranges covering the hash space, in order. */
export function splitRanges(k: number): PartitionRange[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`split count must be a positive integer, got ${k}`);
  const out: PartitionRange[] = [];
  for (let i = 0; i < k; i++) out.push({ lo: Math.floor((HASH_SPACE * i) / k), hi: Math.floor((HASH_SPACE * (i + 1)) / k) });
  return out;
}

export function inRange(h: number, r: PartitionRange): boolean {
  return h >= r.lo && h < r.hi;
}

export function rangeLabel(r: PartitionRange): string {
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  return `[0x${hex(r.lo)}, 0x${r.hi === HASH_SPACE ? '100000000' : hex(r.hi)})`;
}
