/**
 * Live hardware and OS telemetry for the admin UI's node page: node-os-utils for CPU per core, load,
 * memory and uptime; systeminformation for temperatures, network interfaces and disk I/O; the
 * static facts (CPU model, NUMA nodes, data disk) from detectHardware, detected once.
 * An IO edge; every part that the machine does not report is null rather than an error.
 */
import os from 'node:os';
import { OSUtils } from 'node-os-utils';
import si from 'systeminformation';
import { detectHardware, type Hardware } from './hardware.js';

export interface NodeTelemetry {
  readonly hostname: string;
  readonly platform: string;
  readonly release: string;
  readonly osUptimeSec: number;
  readonly processUptimeSec: number;
  readonly hardware: Hardware;
  readonly cpu: { readonly usagePercentPerCore: readonly number[] | null; readonly load: readonly [number, number, number] };
  readonly memory: { readonly totalBytes: number; readonly usedBytes: number; readonly availableBytes: number };
  /** Degrees Celsius; null where the hardware (or a VM) reports none. */
  readonly temperatures: { readonly mainC: number | null; readonly maxC: number | null; readonly coresC: readonly number[] } | null;
  /** Reads/writes per second of all block devices (null on the first sample: rates need two). */
  readonly diskIo: { readonly readsPerSec: number | null; readonly writesPerSec: number | null; readonly readBytesPerSec: number | null; readonly writeBytesPerSec: number | null } | null;
  readonly network: readonly { readonly iface: string; readonly addresses: readonly string[]; readonly up: boolean; readonly speedMbps: number | null; readonly internal: boolean }[];
}

export type TelemetrySource = () => Promise<NodeTelemetry>;

async function settle<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

export function createTelemetry(dataDir: string): TelemetrySource {
  // Nothing runs until the node page first asks: systeminformation spawns lsblk pipelines, and a
  // node that nobody looks at should not pay for them at start-up.
  let osu: OSUtils | undefined;
  let hardware: Promise<Hardware> | undefined;
  return async () => {
    osu ??= new OSUtils();
    hardware ??= detectHardware(dataDir).catch((e: unknown) => {
      hardware = undefined; // try again on the next look rather than failing forever
      throw e;
    });
    // Disk I/O rates need two readings, so the first look shows none; the page refreshes every few seconds.
    const [hw, perCore, mem, temp, nets, dio, fss] = await Promise.all([
      hardware,
      settle(osu.cpu.usageByCore()),
      settle(osu.memory.info()),
      settle(si.cpuTemperature()),
      settle(si.networkInterfaces()),
      settle(si.disksIO()),
      settle(si.fsStats()),
    ]);
    const load = os.loadavg();
    const memData = mem?.success === true ? mem.data : undefined;
    const netList = nets === undefined ? [] : Array.isArray(nets) ? nets : [nets];
    return {
      hostname: os.hostname(),
      platform: `${os.type()} ${process.arch}`,
      release: os.release(),
      osUptimeSec: Math.round(os.uptime()),
      processUptimeSec: Math.round(process.uptime()),
      hardware: hw,
      cpu: { usagePercentPerCore: perCore?.success === true ? perCore.data.map((x) => Math.round(x * 10) / 10) : null, load: [load[0] ?? 0, load[1] ?? 0, load[2] ?? 0] },
      memory: memData === undefined
        ? { totalBytes: os.totalmem(), usedBytes: os.totalmem() - os.freemem(), availableBytes: os.freemem() }
        : { totalBytes: Number(memData.total.bytes), usedBytes: Number(memData.used.bytes), availableBytes: Number(memData.available.bytes) },
      temperatures: temp === undefined || (temp.main === null && temp.cores.length === 0) ? null : { mainC: temp.main, maxC: temp.max, coresC: temp.cores },
      diskIo: dio === undefined && fss === undefined ? null : {
        readsPerSec: round(dio?.rIO_sec), writesPerSec: round(dio?.wIO_sec), readBytesPerSec: round(fss?.rx_sec), writeBytesPerSec: round(fss?.wx_sec),
      },
      network: netList.map((n) => ({
        iface: n.iface,
        addresses: [n.ip4, n.ip6].filter((a) => a !== ''),
        up: n.operstate === 'up' || (n.internal && n.operstate === 'unknown'),
        speedMbps: typeof n.speed === 'number' && n.speed > 0 ? n.speed : null,
        internal: n.internal,
      })),
    };
  };
}

function round(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 10) / 10;
}
