/**
 * Whether an iterable yields anything. Through for-of, which closes the iterator when it stops
 * early: a store scan left open (`.next()` and dropped) keeps its cursor and pins its read
 * transaction, and LMDB runs out of reader slots.
 */
export function hasAny(items: Iterable<unknown>): boolean {
  for (const _ of items) return true;
  return false;
}
