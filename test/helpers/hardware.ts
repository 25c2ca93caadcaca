/** Fixture topologies as `Hardware` values (what /etc/knowd/hardware.json holds), for the tuning tests and the bench. */
import type { DiskKind, Hardware, NumaNode } from '../../src/obs/index.js';

const GiB = 1024 ** 3;
const TB = 1e12;
const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
const nodes = (count: number, cpusEach: number, memEach: number): NumaNode[] =>
  Array.from({ length: count }, (_, id) => ({ id, cpus: range(id * cpusEach, cpusEach), memoryBytes: memEach }));

interface Box {
  arch: string;
  cpuModel: string;
  /** NUMA nodes × threads per node. */
  nodes: number;
  threadsPerNode: number;
  cores: number;
  memPerNodeGiB: number;
  disk: [DiskKind, string, number];
}

const box = (b: Box): Hardware => ({
  arch: b.arch, cpuModel: b.cpuModel, logicalCpus: b.nodes * b.threadsPerNode, physicalCores: b.cores, memoryBytes: b.nodes * b.memPerNodeGiB * GiB,
  numaNodes: nodes(b.nodes, b.threadsPerNode, b.memPerNodeGiB * GiB),
  dataDisk: { kind: b.disk[0], device: b.disk[1], sizeBytes: b.disk[2], freeBytes: b.disk[2] * 0.8 },
  detectedAt: '2026-11-01T00:00:00.000Z',
});

/** A one-node laptop: 8 threads, 16 GiB, a 512 GB NVMe disk. */
export const LAPTOP = box({ arch: 'x64', cpuModel: 'Intel Core i7-1260P', nodes: 1, threadsPerNode: 8, cores: 4, memPerNodeGiB: 16, disk: ['nvme', '/dev/nvme0n1', 0.5 * TB] });
/** A 2-socket server: 2 × 20 cores / 40 threads, 2 × 128 GiB, a 3.84 TB SATA SSD. */
export const TWO_SOCKET = box({ arch: 'x64', cpuModel: 'Intel Xeon Gold 6230', nodes: 2, threadsPerNode: 40, cores: 40, memPerNodeGiB: 128, disk: ['ssd', '/dev/sda', 3.84 * TB] });
/** A 4-node EPYC (NPS4): 64 cores / 128 threads, 4 × 128 GiB, a 15.36 TB NVMe disk. */
export const EPYC_4NODE = box({ arch: 'x64', cpuModel: 'AMD EPYC 7713', nodes: 4, threadsPerNode: 32, cores: 64, memPerNodeGiB: 128, disk: ['nvme', '/dev/nvme0n1', 15.36 * TB] });
/** An 8 GiB ARM box: 4 cores, one node, a 128 GB SSD. */
export const ARM_8G = box({ arch: 'arm64', cpuModel: 'ARM Cortex-A76', nodes: 1, threadsPerNode: 4, cores: 4, memPerNodeGiB: 8, disk: ['ssd', '/dev/sda', 128e9] });

export const FIXTURES = { LAPTOP, TWO_SOCKET, EPYC_4NODE, ARM_8G } as const;
