export { openLmdbStorage } from './lmdb-storage.js';
export type { LmdbOptions } from './lmdb-storage.js';
export { lmdbTuning } from './tuning.js';
export type { LmdbTuning } from './tuning.js';
