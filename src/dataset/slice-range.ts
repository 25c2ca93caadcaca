import { prefixRange, type Range } from '../storage/index.js';
import { MAX_TERM_ID, ORDER_COMPONENTS, scanPrefix, type Order } from './layout.js';

/** A [lo, hi) range of term ids (a federated query part's share: sparql/split/partition.ts). */
export interface IdSlice {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Whether a scan of `order` with `bound` components fixed reads its keys in order of component
 * `at` (0 s, 1 p, 2 o): then the keys whose `at` lies in an id slice are one contiguous range.
 */
export function seeksBy(order: Order, bound: readonly number[], at: 0 | 1 | 2): boolean {
  return ORDER_COMPONENTS[order][bound.length] === at;
}

/**
 * The keys of a scan of `order` with `bound` fixed whose next component lies in [lo, hi): from the
 * prefix followed by lo up to the prefix followed by hi, or to the prefix's end when hi is past the
 * largest id (the open-ended last slice).
 */
export function sliceRange(nsId: number, order: Order, bound: readonly number[], slice: IdSlice): Range {
  const start = scanPrefix(nsId, order, [...bound, Math.max(0, slice.lo)]);
  if (slice.hi > MAX_TERM_ID) {
    const end = prefixRange(scanPrefix(nsId, order, bound)).end;
    return end === undefined ? { start } : { start, end };
  }
  return { start, end: scanPrefix(nsId, order, [...bound, slice.hi]) };
}
