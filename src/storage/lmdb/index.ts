export { openLmdbStorage } from './lmdb-storage.js';
export type { LmdbOptions } from './lmdb-storage.js';
export { lmdbTuning, tuningValues } from './tuning.js';
export type { LmdbTuning, NumaPlacement, Tuned, TuningHardware, TuningInput } from './tuning.js';
export { hostHardware, storeFileBytes } from './host.js';
