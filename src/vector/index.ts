export type { Hit, IndexOptions, Metric, Quantization, SavedMeta, VectorBackend, VectorIndex } from './types.js';
export { METRICS, QUANTIZATIONS } from './types.js';
export { distance, scoreOf } from './metric.js';
export { BruteForceIndex, memoryBackend } from './brute.js';
export { VectorIndexes } from './indexes.js';
export type { OpenReport, VectorChanges } from './indexes.js';
export {
  deleteVector,
  deleteVectorNamespace,
  getVector,
  getVectorMeta,
  hasVector,
  idOfKey,
  listVectorMetas,
  putVector,
  putVectorMeta,
  scanVectors,
} from './store.js';
export type { VectorNsMeta } from './store.js';
export { MAX_DIMS, isZero, toVector, vectorFromBase64, vectorToBase64 } from './validate.js';
export { HASHING_DIMS_DEFAULT, hashingEmbedder, httpEmbedder } from './embed.js';
export type { Embedder } from './embed.js';
export { WHOLE, ownsKey, shardOfKey } from './shard.js';
export type { ShardLayout } from './shard.js';
