import { mix32 } from '../base/index.js';

/**
 * Which vectors this node's HNSW index holds (KNOWD_VEC_SHARDING=shard): shard `index` of `count`,
 * by a hash of the vector's key. Keys are assigned from a counter in the store as entries are
 * applied (store.ts), identically on every replica, so every node agrees which shard a vector is in.
 * Every node still stores every vector (the log replicates them): a shard is only what is indexed,
 * so any node can search any shard exactly from its store when the shard's node is down.
 */
export interface ShardLayout {
  readonly index: number;
  readonly count: number;
}

export const WHOLE: ShardLayout = { index: 0, count: 1 };

export function shardOfKey(key: number, count: number): number {
  return Math.floor((mix32(key) * count) / 2 ** 32);
}

export function ownsKey(layout: ShardLayout, key: number): boolean {
  return layout.count === 1 || shardOfKey(key, layout.count) === layout.index;
}
