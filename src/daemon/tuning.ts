/**
 * The store's tuning at start: hardware facts from KNOWD_HARDWARE_FILE, else the appliance's
 * /etc/knowd/hardware.json when it exists, else detected now; then the pure tuning function.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { DEFAULT_HARDWARE_FILE, detectHardwareLocal, readHardwareFile, type Hardware, type Logger } from '../obs/index.js';
import { lmdbTuning, storeFileBytes, tuningValues, type LmdbTuning } from '../storage/lmdb/index.js';

export interface HardwareSource {
  readonly hardware: Hardware;
  /** 'file' (a hardware.json) or 'detected' (at this start). */
  readonly source: 'file' | 'detected';
  readonly file?: string;
}

/** What GET /v1/store/stats shows as `tuning`: the facts it came from and every value with its reason. */
export interface TuningReport {
  readonly hardware: { readonly source: 'file' | 'detected'; readonly file?: string; readonly arch: string; readonly logicalCpus: number; readonly memoryBytes: number; readonly numaNodes: number; readonly dataDisk: string };
  readonly dataBytesAtStart: number;
  readonly settings: LmdbTuning;
}

/**
 * An explicitly set file must be good (a bad one stops start-up, exit 2); the default file is the
 * provisioner's, and a damaged one falls back to detection with a warning so the node still comes up.
 */
export async function resolveHardware(config: Config, log: Logger, defaultFile = DEFAULT_HARDWARE_FILE): Promise<HardwareSource> {
  if (config.hardwareFile !== undefined) return { hardware: readHardwareFile(config.hardwareFile), source: 'file', file: config.hardwareFile };
  if (fs.existsSync(defaultFile)) {
    try {
      return { hardware: readHardwareFile(defaultFile), source: 'file', file: defaultFile };
    } catch (e) {
      log.warn({ err: e, file: defaultFile }, 'ignoring a damaged hardware file; detecting the hardware instead');
    }
  }
  return { hardware: detectHardwareLocal(config.dataDir), source: 'detected' };
}

export function tuneStore(config: Config, hw: HardwareSource, queryWorkers: number): TuningReport {
  const dataBytes = storeFileBytes(path.join(config.dataDir, 'store'));
  const settings = lmdbTuning({ hardware: hw.hardware, dataBytes, mapSizeSettingBytes: config.lmdbMapSizeBytes, queryWorkers });
  const h = hw.hardware;
  return {
    hardware: { source: hw.source, ...(hw.file !== undefined && { file: hw.file }), arch: h.arch, logicalCpus: h.logicalCpus, memoryBytes: h.memoryBytes, numaNodes: h.numaNodes.length, dataDisk: `${h.dataDisk.kind} ${h.dataDisk.device}` },
    dataBytesAtStart: dataBytes,
    settings,
  };
}

export function logTuning(log: Logger, report: TuningReport): void {
  const reasons = Object.fromEntries(Object.entries(report.settings).map(([k, v]) => [k, (v as { reason: string }).reason]));
  log.info({ hardware: report.hardware, dataBytes: report.dataBytesAtStart, tuning: tuningValues(report.settings), reasons }, 'store tuned for this hardware');
}
