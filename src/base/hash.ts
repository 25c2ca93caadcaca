/**
 * murmur3's 32-bit finalizer over an integer (a safe integer: its high bits are folded in): a
 * well-mixed, stable hash of ids and keys that are assigned consecutively. Used to partition work
 * (federated query ranges, vector shards) identically on every node; not a security boundary.
 */
export function mix32(n: number): number {
  let h = (n ^ Math.floor(n / 2 ** 32)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
