/**
 * The one place LMDB is sized and tuned. The appliance issue extends it with NUMA placement; keep every
 * knob here so an operator reading one function knows how the store is opened.
 */
import os from 'node:os';

export interface LmdbTuning {
  readonly mapSizeBytes: number;
  readonly maxReaders: number;
  readonly noReadAhead: boolean;
  readonly pageSize: number;
}

export interface TuningInput {
  /** 0 = auto. */
  readonly mapSizeBytes: number;
  readonly totalMemoryBytes?: number;
  readonly cpuCount?: number;
}

const GiB = 1024 ** 3;

export function lmdbTuning(input: TuningInput): LmdbTuning {
  const totalMemoryBytes = input.totalMemoryBytes ?? os.totalmem();
  const cpuCount = input.cpuCount ?? os.cpus().length;
  // The map is address space, not memory: reserve far more than RAM so the store can grow past
  // memory without a remap, but stay well inside the 47-bit user address space.
  const autoMap = Math.min(Math.max(64 * GiB, totalMemoryBytes * 16), 4096 * GiB);
  const mapSizeBytes = input.mapSizeBytes > 0 ? input.mapSizeBytes : autoMap;
  return {
    mapSizeBytes,
    // Readers are per OS thread holding a snapshot: query workers + HTTP + replication, with headroom.
    maxReaders: Math.max(126, cpuCount * 32),
    // Read-ahead helps sequential scans while the data set fits in RAM and hurts random index lookups
    // once it does not: turn it off when the map can exceed memory by far (the common appliance case).
    noReadAhead: mapSizeBytes > totalMemoryBytes * 2,
    // 8 KiB pages suit data sets larger than memory with range scans (lmdb-js documentation).
    pageSize: 8192,
  };
}
