/**
 * Facts for the tuning when the daemon gives none (tests, tools, query workers of older callers):
 * what node:os knows. The daemon passes the full picture (NUMA nodes, data disk) from src/obs/hardware.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TuningHardware } from './tuning.js';

export function hostHardware(): TuningHardware {
  const cpus = os.availableParallelism();
  const memoryBytes = os.totalmem();
  return {
    arch: process.arch,
    logicalCpus: cpus,
    memoryBytes,
    numaNodes: [{ id: 0, cpus: Array.from({ length: cpus }, (_, i) => i), memoryBytes }],
    dataDisk: { kind: 'unknown', sizeBytes: 0 },
  };
}

/** Size of the LMDB data file in a store directory (0 when it does not exist yet). */
export function storeFileBytes(storeDir: string): number {
  try {
    return fs.statSync(path.join(storeDir, 'data.mdb')).size;
  } catch {
    return 0;
  }
}
