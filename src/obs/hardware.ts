/**
 * What the box is: the facts the LMDB/NUMA tuning, the provisioner (/etc/knowd/hardware.json) and the
 * admin UI's node page share. Detection is an IO edge (systeminformation + /sys); the `Hardware` value is
 * plain data so the tuning function can be tested on fixture topologies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import si from 'systeminformation';
import { z } from 'zod';
import { KnowdError } from '../base/index.js';

/** Where the appliance's provisioner writes the facts (the shared install layout). */
export const DEFAULT_HARDWARE_FILE = '/etc/knowd/hardware.json';

export type DiskKind = 'nvme' | 'ssd' | 'hdd' | 'virtual' | 'unknown';

export interface NumaNode {
  readonly id: number;
  /** Logical CPU numbers of this node, as the kernel lists them. */
  readonly cpus: readonly number[];
  readonly memoryBytes: number;
}

export interface Hardware {
  /** `process.arch` names: x64, arm64. */
  readonly arch: string;
  readonly cpuModel: string;
  /** Logical CPUs the OS schedules on. */
  readonly logicalCpus: number;
  readonly physicalCores: number;
  readonly memoryBytes: number;
  /** One entry per NUMA node; a single entry on a non-NUMA machine. */
  readonly numaNodes: readonly NumaNode[];
  /** The block device holding the data directory, when it could be found. */
  readonly dataDisk: { readonly kind: DiskKind; readonly device: string; readonly sizeBytes: number; readonly freeBytes: number };
  readonly detectedAt: string;
}

/** Parses the kernel's CPU list format ("0-3,8-11"). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) continue;
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** Reads NUMA nodes from sysfs; a machine without it (or a container hiding it) is one node. */
export function readNumaNodes(sysRoot = '/sys/devices/system/node', totalMemoryBytes = os.totalmem(), cpuCount = os.cpus().length): NumaNode[] {
  let names: string[];
  try {
    names = fs.readdirSync(sysRoot).filter((n) => /^node\d+$/.test(n));
  } catch {
    names = [];
  }
  const nodes: NumaNode[] = [];
  for (const name of names.sort((x, y) => Number(x.slice(4)) - Number(y.slice(4)))) {
    const id = Number(name.slice(4));
    let cpus: number[] = [];
    let memoryBytes = 0;
    try {
      cpus = parseCpuList(fs.readFileSync(`${sysRoot}/${name}/cpulist`, 'utf8'));
    } catch { /* a memory-only node has no cpulist on some kernels */ }
    try {
      const m = /MemTotal:\s+(\d+)\s+kB/.exec(fs.readFileSync(`${sysRoot}/${name}/meminfo`, 'utf8'));
      if (m !== null) memoryBytes = Number(m[1]) * 1024;
    } catch { /* keep 0: unknown */ }
    nodes.push({ id, cpus, memoryBytes });
  }
  if (nodes.length === 0) return [{ id: 0, cpus: Array.from({ length: cpuCount }, (_, i) => i), memoryBytes: totalMemoryBytes }];
  return nodes;
}

/** The disk's kind from its layout entry, else from its device name and sysfs (some VMs report no layout). */
function diskKind(d: { type?: string; interfaceType?: string; name?: string; vendor?: string } | undefined, device: string, sysBlock = '/sys/block'): DiskKind {
  // virtio (vda) and Xen (xvda) disks carry no model or interface text; their device names say it.
  if (/^\/dev\/x?vd[a-z]+$/.test(device)) return 'virtual';
  if (/^\/dev\/nvme/.test(device)) return 'nvme';
  if (d !== undefined) {
    const text = `${d.interfaceType ?? ''} ${d.name ?? ''} ${d.vendor ?? ''}`.toLowerCase();
    if (/nvme/.test(text) || d.type === 'NVMe') return 'nvme';
    if (/qemu|virtio|vmware|virtual/.test(text)) return 'virtual';
    if (d.type === 'SSD') return 'ssd';
    if (d.type === 'HD') return 'hdd';
  }
  try {
    const rotational = fs.readFileSync(`${sysBlock}/${device.replace(/^\/dev\//, '')}/queue/rotational`, 'utf8').trim();
    if (rotational === '0') return 'ssd';
    if (rotational === '1') return 'hdd';
  } catch { /* not a whole disk, or no sysfs */ }
  return 'unknown';
}

/** Detects the hardware; `dataDir` picks the disk whose filesystem holds the data. */
export async function detectHardware(dataDir: string): Promise<Hardware> {
  const [cpu, mem, fsSizes, disks, blocks] = await Promise.all([si.cpu(), si.mem(), si.fsSize(), si.diskLayout(), si.blockDevices()]);
  let real = dataDir;
  try {
    real = fs.realpathSync(dataDir);
  } catch { /* not created yet: match by the path as given */ }
  // The filesystem with the longest mount point that prefixes the data dir holds it.
  const fsHit = fsSizes
    .filter((f) => real === f.mount || real.startsWith(f.mount.endsWith('/') ? f.mount : `${f.mount}/`))
    .sort((a, b) => b.mount.length - a.mount.length)[0];
  const partition = fsHit === undefined ? undefined : blocks.find((b) => `/dev/${b.name}` === fsHit.fs || b.mount === fsHit.mount);
  // A partition's disk is the layout entry whose device name prefixes the partition's (sda1 → sda, nvme0n1p2 → nvme0n1).
  const disk = partition === undefined ? undefined : disks.find((d) => d.device !== '' && `/dev/${partition.name}`.startsWith(d.device));
  const device = disk?.device ?? fsHit?.fs ?? 'unknown';
  return {
    arch: process.arch,
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    logicalCpus: os.cpus().length,
    physicalCores: cpu.physicalCores > 0 ? cpu.physicalCores : os.cpus().length,
    memoryBytes: mem.total,
    numaNodes: readNumaNodes('/sys/devices/system/node', mem.total, os.cpus().length),
    dataDisk: {
      kind: diskKind(disk, device),
      device,
      sizeBytes: fsHit?.size ?? 0,
      freeBytes: fsHit?.available ?? 0,
    },
    detectedAt: new Date().toISOString(),
  };
}

const count = z.number().int().nonnegative();
const bytes = z.number().nonnegative();
const hardwareSchema = z.object({
  arch: z.string().min(1),
  cpuModel: z.string(),
  logicalCpus: count.min(1),
  physicalCores: count.min(1),
  memoryBytes: bytes.min(1),
  numaNodes: z.array(z.object({ id: count, cpus: z.array(count), memoryBytes: bytes })).min(1),
  dataDisk: z.object({ kind: z.enum(['nvme', 'ssd', 'hdd', 'virtual', 'unknown']), device: z.string(), sizeBytes: bytes, freeBytes: bytes }),
  detectedAt: z.string(),
});

/** Checks a hardware.json value; the message names the first bad field. */
export function parseHardware(value: unknown, source: string): Hardware {
  const r = hardwareSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    throw new KnowdError('CONFIG_INVALID', `${source} is not a hardware description${where}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

export function readHardwareFile(file: string): Hardware {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new KnowdError('CONFIG_INVALID', `Cannot read hardware file "${file}": ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new KnowdError('CONFIG_INVALID', `Hardware file "${file}" is not JSON: ${(e as Error).message}`);
  }
  return parseHardware(json, `Hardware file "${file}"`);
}

/** The mount holding `dir` (the longest mount point that prefixes it) and its source device, from /proc/self/mountinfo text. */
export function mountOf(mountinfo: string, dir: string): { mount: string; source: string } | undefined {
  let best: { mount: string; source: string } | undefined;
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    const mount = pre?.split(' ')[4]?.replace(/\\040/g, ' ');
    const source = post?.split(' ')[1];
    if (mount === undefined || source === undefined) continue;
    const inside = dir === mount || dir.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
    if (inside && (best === undefined || mount.length >= best.mount.length)) best = { mount, source };
  }
  return best;
}

/** A partition's whole disk (vda1 → vda, nvme0n1p2 → nvme0n1) through sysfs; the name itself otherwise. */
function wholeDisk(name: string, sysClassBlock: string): string {
  try {
    if (!fs.existsSync(`${sysClassBlock}/${name}/partition`)) return name;
    const real = fs.realpathSync(`${sysClassBlock}/${name}`);
    return real.split('/').at(-2) ?? name;
  } catch {
    return name;
  }
}

function physicalCoresOf(cpuinfo: string, fallback: number): number {
  const cores = new Set<string>();
  let phys = '';
  for (const line of cpuinfo.split('\n')) {
    const [k, v] = line.split(':').map((s) => s.trim());
    if (k === 'physical id') phys = v ?? '';
    if (k === 'core id') cores.add(`${phys}/${v ?? ''}`);
  }
  return cores.size > 0 ? cores.size : fallback;
}

/**
 * The same facts from /proc, /sys and statfs alone, without starting any process: what knowd uses at
 * start when there is no hardware file (systeminformation runs lsblk, lscpu and shells, which cost
 * seconds on a loaded box and may be blocked by the unit's sandbox). The provisioner keeps using
 * detectHardware for /etc/knowd/hardware.json.
 */
export function detectHardwareLocal(dataDir: string, roots: { proc?: string; sys?: string } = {}): Hardware {
  const proc = roots.proc ?? '/proc';
  const sys = roots.sys ?? '/sys';
  const read = (f: string): string => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  let existing = dataDir;
  // The data directory may not exist yet: its nearest existing parent is on the same filesystem.
  for (let i = 0; i < 64 && !fs.existsSync(existing); i++) existing = path.dirname(existing);
  let real = existing;
  try {
    real = fs.realpathSync(existing);
  } catch { /* keep the path as given */ }
  const logical = os.availableParallelism();
  const memoryBytes = os.totalmem();
  const m = mountOf(read(`${proc}/self/mountinfo`), real);
  const devName = m?.source.startsWith('/dev/') === true ? wholeDisk(m.source.slice(5), `${sys}/class/block`) : undefined;
  const device = devName === undefined ? (m?.source ?? 'unknown') : `/dev/${devName}`;
  let sizeBytes = 0;
  let freeBytes = 0;
  try {
    const st = fs.statfsSync(real);
    sizeBytes = st.blocks * st.bsize;
    freeBytes = st.bavail * st.bsize;
  } catch { /* unknown */ }
  return {
    arch: process.arch,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    logicalCpus: logical,
    physicalCores: physicalCoresOf(read(`${proc}/cpuinfo`), logical),
    memoryBytes,
    numaNodes: readNumaNodes(`${sys}/devices/system/node`, memoryBytes, logical),
    dataDisk: { kind: devName === undefined ? 'unknown' : diskKind(undefined, device, `${sys}/block`), device, sizeBytes, freeBytes },
    detectedAt: new Date().toISOString(),
  };
}
