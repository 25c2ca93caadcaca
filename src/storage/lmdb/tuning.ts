/**
 * The one place LMDB is sized and tuned, as one pure function of the box (CPUs, memory, NUMA nodes,
 * data disk), the store's current size and the settings. Every value carries a reason an operator can
 * read (GET /v1/store/stats shows them, knowd logs them at start), so "why is the map 4 TiB?" has an
 * answer without reading code.
 *
 * storage/ may not import obs/, so the hardware facts are declared here structurally; obs's
 * `Hardware` value (src/obs/hardware.ts, /etc/knowd/hardware.json) satisfies them as it is.
 */
import { assert, interleaveNodes } from '../../base/index.js';

export type DiskKindFact = 'nvme' | 'ssd' | 'hdd' | 'virtual' | 'unknown';

export interface TuningHardware {
  /** `process.arch` names: x64, arm64. */
  readonly arch: string;
  readonly logicalCpus: number;
  readonly memoryBytes: number;
  readonly numaNodes: readonly { readonly id: number; readonly cpus: readonly number[]; readonly memoryBytes: number }[];
  readonly dataDisk: { readonly kind: DiskKindFact; readonly sizeBytes: number };
}

export interface TuningInput {
  readonly hardware: TuningHardware;
  /** Size of the store file now (0 for a new store). */
  readonly dataBytes: number;
  /** KNOWD_MAP_SIZE; 0 = choose. */
  readonly mapSizeSettingBytes: number;
  /** Query worker threads that open the store beside the writer. */
  readonly queryWorkers: number;
}

export interface Tuned<T> {
  readonly value: T;
  readonly reason: string;
}

export interface NumaPlacement {
  /** `interleave`: spread the map's pages round-robin over `nodes`; `default`: the kernel's local-first policy. */
  readonly policy: 'default' | 'interleave';
  readonly nodes: readonly number[];
  /** Whether worker threads should be pinned to nodes. */
  readonly bindWorkers: boolean;
}

export interface LmdbTuning {
  readonly mapSizeBytes: Tuned<number>;
  readonly maxReaders: Tuned<number>;
  readonly readAhead: Tuned<boolean>;
  readonly pageSizeBytes: Tuned<number>;
  readonly noSync: Tuned<false>;
  readonly noMetaSync: Tuned<false>;
  readonly writeMap: Tuned<false>;
  /** Settings outside Knowd (sysctls, unit options) an operator or the provisioner should apply. */
  readonly pageCacheHints: Tuned<readonly string[]>;
  readonly numa: Tuned<NumaPlacement>;
}

const GiB = 1024 ** 3;
const TiB = 1024 * GiB;

const gib = (n: number): string => `${(n / GiB).toFixed(n >= 10 * GiB ? 0 : 1)} GiB`;

/**
 * The largest map that is safe to reserve. x64 gives user space 128 TiB (47 bits); arm64 kernels may be
 * built with 39-bit addresses (512 GiB of user space, e.g. common on small ARM boards), where a 4 TiB
 * map cannot even be reserved.
 */
function addressBudget(arch: string): { bytes: number; why: string } {
  if (arch === 'x64') return { bytes: 4 * TiB, why: 'x64 has 128 TiB of user address space' };
  return { bytes: 256 * GiB, why: `${arch} kernels may have 39-bit (512 GiB) user address space` };
}

const roundUpGiB = (n: number): number => Math.ceil(n / GiB) * GiB;

function mapSize(i: TuningInput): Tuned<number> {
  const { hardware: hw, dataBytes } = i;
  const budget = addressBudget(hw.arch);
  if (i.mapSizeSettingBytes > 0) {
    // LMDB grows a smaller map to the file's size at open, so a too-small setting cannot lose data.
    const under = i.mapSizeSettingBytes < dataBytes ? `; below the store's ${gib(dataBytes)}, so LMDB uses the file size` : '';
    return { value: i.mapSizeSettingBytes, reason: `KNOWD_MAP_SIZE=${gib(i.mapSizeSettingBytes)}${under}` };
  }
  // The map is address space, not memory: reserve room for the store to fill its disk without a
  // remap (lmdb-js grows the map when full, but growing waits for every reader to finish).
  const disk = hw.dataDisk.sizeBytes;
  const growth = disk > 0 ? disk : hw.memoryBytes * 16;
  const growthWhy = disk > 0 ? `the data disk (${gib(disk)})` : `16× memory (disk size unknown)`;
  // At least 4× the data now, so a store that outgrew its disk estimate (a resized volume) still has headroom.
  const wanted = roundUpGiB(Math.max(64 * GiB, growth, dataBytes * 4));
  if (wanted <= budget.bytes) {
    const floor = wanted === 64 * GiB && growth < 64 * GiB ? '; 64 GiB floor' : '';
    return { value: wanted, reason: `room to grow to ${growthWhy}, ≥ 4× the ${gib(dataBytes)} stored${floor}` };
  }
  // Past the address budget: keep 25 % headroom over the data even then (lmdb-js grows it later).
  const value = Math.max(budget.bytes, roundUpGiB(dataBytes * 1.25));
  return { value, reason: `capped at ${gib(budget.bytes)}: ${budget.why}${value > budget.bytes ? '; raised to 1.25× the data stored' : ''}` };
}

function maxReaders(i: TuningInput): Tuned<number> {
  // A reader slot is held per thread with an open read transaction per environment: the writer's
  // threads (HTTP, replication, SHACL worker) and every query worker, plus slots that crashed
  // processes leave until LMDB's stale-reader check frees them. Slots are 64 bytes in the lock file.
  const threads = i.queryWorkers + 8;
  const value = Math.max(126, threads * 8, i.hardware.logicalCpus * 16);
  return { value, reason: `${i.queryWorkers} query workers + the writer's threads, 8 slots each, at least 16 per CPU (${i.hardware.logicalCpus}) and LMDB's 126` };
}

function readAhead(i: TuningInput): Tuned<boolean> {
  const mem = i.hardware.memoryBytes;
  // Past ~3/4 of memory the page cache cannot hold the store next to knowd's heap: index lookups
  // become random reads, and read-ahead would evict hot pages for neighbours nobody asked for.
  const limit = mem * 0.75;
  if (i.dataBytes > limit) return { value: false, reason: `off: the store (${gib(i.dataBytes)}) outgrows the page cache (~${gib(limit)} of ${gib(mem)} memory), so reads are random` };
  const disk = i.hardware.dataDisk.kind === 'hdd' ? '; a rotating disk makes cold scans seek-bound, where read-ahead helps most' : '';
  return { value: true, reason: `on: the store (${gib(i.dataBytes)}) fits in memory (${gib(mem)}), read-ahead only warms the cache faster${disk}` };
}

function numa(hw: TuningHardware): Tuned<NumaPlacement> {
  const ids = interleaveNodes(hw.numaNodes);
  if (ids.length === 0) {
    return { value: { policy: 'default', nodes: hw.numaNodes.filter((n) => n.memoryBytes > 0).map((n) => n.id), bindWorkers: false }, reason: 'one NUMA node: all memory is local, nothing to place or bind' };
  }
  return {
    value: { policy: 'interleave', nodes: ids, bindWorkers: false },
    reason:
      `${ids.length} NUMA nodes: interleave the map's pages over nodes ${ids.join(',')} so no one node's memory fills with the store ` +
      'and every thread sees the same average latency (NUMAPolicy=interleave in knowd.service; Node cannot set its own memory policy). ' +
      'Workers are not bound: with the pages interleaved no node is local to the data, a query worker reads ' +
      'the whole store, and Node offers no per-thread CPU affinity; pinning the process to one node would halve its memory bandwidth and cores',
  };
}

function pageCacheHints(i: TuningInput): Tuned<readonly string[]> {
  const hints: string[] = [];
  const why: string[] = [];
  if (i.hardware.numaNodes.filter((n) => n.memoryBytes > 0).length > 1) {
    hints.push('vm.zone_reclaim_mode=0');
    why.push('on NUMA, reclaiming a node\'s own page cache before using another node\'s memory evicts hot store pages');
  }
  hints.push('vm.swappiness=10');
  why.push('prefer dropping clean map pages (re-read from disk) to swapping knowd\'s heap');
  if (i.hardware.dataDisk.kind === 'virtual') {
    hints.push('hypervisor disk cache mode: none or writethrough');
    why.push('a virtual disk is only as durable as its host cache mode lets fsync be');
  }
  return { value: hints, reason: why.join('; ') };
}

export function lmdbTuning(i: TuningInput): LmdbTuning {
  assert(i.dataBytes >= 0 && i.mapSizeSettingBytes >= 0 && i.queryWorkers >= 0, 'tuning input sizes are non-negative');
  assert(i.hardware.numaNodes.length >= 1, 'the hardware lists at least one NUMA node');
  const tuning: LmdbTuning = {
    mapSizeBytes: mapSize(i),
    maxReaders: maxReaders(i),
    readAhead: readAhead(i),
    // Fixed when the store is created (an existing store keeps its own). LMDB's own default: 8 KiB
    // pages showed no gain beyond the noise on LUBM(10) (bench/lmdb-tuning.ts, bench/README.md), so
    // nothing justifies leaving it.
    pageSizeBytes: { value: 4096, reason: '4 KiB, LMDB\'s default (the OS page size): 8 KiB pages measured no better on LUBM(10) (bench/lmdb-tuning.ts); set when the store is created' },
    noSync: { value: false, reason: 'never: every commit is fsync\'d before it is acknowledged, so a power cut loses nothing acknowledged' },
    noMetaSync: { value: false, reason: 'never: the meta page is synced with every commit, so recovery needs no log replay from an older root' },
    writeMap: { value: false, reason: 'off: writes go through pwrite, so a stray write into the map cannot corrupt the store' },
    pageCacheHints: pageCacheHints(i),
    numa: numa(i.hardware),
  };
  // Production durability is not a knob (issue 9): a future change that makes these settable must fail here.
  assert(tuning.noSync.value === false && tuning.noMetaSync.value === false, 'noSync/noMetaSync are never on');
  return tuning;
}

/** The values alone, for logs and the stats route's compact line. */
export function tuningValues(t: LmdbTuning): Record<keyof LmdbTuning, unknown> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, (v as Tuned<unknown>).value])) as Record<keyof LmdbTuning, unknown>;
}
