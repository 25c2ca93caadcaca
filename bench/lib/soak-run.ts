// One soak over a running knowd: set-up, the clients, a sample every `sampleMs`, and the judgement.
// Used by bench/soak.ts (minutes, by hand) and test/e2e/soak.test.ts (a minute, in the suite).
import fs from 'node:fs';
import { judge, Sampler, type JudgeOptions, type Sample, type Trend } from './soak-sampler.js';
import { Recorder, runWorkload, setUp } from './soak-workload.js';

export interface SoakTarget {
  readonly pid: number;
  readonly port: number;
  readonly dataDir: string;
}

export interface SoakOptions extends Omit<JudgeOptions, 'clients'> {
  readonly seed: number;
  readonly clients: number;
  readonly durationMs: number;
  readonly sampleMs: number;
  readonly snapshots: boolean;
  readonly onSample?: (s: Sample) => void;
}

export interface SoakReport {
  readonly samples: readonly Sample[];
  readonly trends: readonly Trend[];
  readonly recorder: Recorder;
  readonly failures: readonly string[];
  /** Metric series that appeared after the warm-up and were still there at the end. */
  readonly seriesAdded: readonly string[];
}

export async function runSoak(target: SoakTarget, o: SoakOptions): Promise<SoakReport> {
  const rec = new Recorder();
  await setUp(target.port, rec);
  const sampler = new Sampler(target.pid, target.port, target.dataDir, () => ({ requests: rec.requests, writes: rec.writesCommitted }));
  const samples: Sample[] = [];
  let seriesAdded: string[] = [];
  const take = async (): Promise<void> => {
    const s = await sampler.sample();
    samples.push(s);
    o.onSample?.(s);
  };
  try {
    await take();
    const untilMs = Date.now() + o.durationMs;
    const gone = (): boolean => !fs.existsSync(`/proc/${target.pid}`);
    const work = runWorkload({ port: target.port, seed: o.seed, clients: o.clients, untilMs, snapshots: o.snapshots, stop: gone }, rec);
    let working = true;
    void work.finally(() => (working = false)).catch(() => undefined);
    while (working) {
      await Promise.race([work, new Promise((r) => setTimeout(r, o.sampleMs))]);
      if (working) await take();
    }
    await work;
    // Once the clients are done every slot, descriptor and timer they caused should be let go.
    await new Promise((r) => setTimeout(r, 2000));
    await take();
    seriesAdded = sampler.seriesAdded(o.warmupMs);
  } finally {
    await sampler.close();
  }
  const trends = judge(samples, { ...o, clients: o.clients });
  const failures = [
    ...(fs.existsSync(`/proc/${target.pid}`) ? [] : ['the server exited during the soak']),
    ...(rec.unexpectedTotal > 0 ? [`${rec.unexpectedTotal} requests got an unexpected answer`] : []),
    ...trends.filter((t) => t.failed).map((t) => `${t.name}: first ${t.first.toFixed(1)}, last ${t.last.toFixed(1)}, max ${t.max.toFixed(1)} (rule: ${t.rule})`),
  ];
  return { samples, trends, recorder: rec, failures, seriesAdded };
}
