import type { Clock } from '../../base/index.js';
import type { ClusterStatusView } from '../../replication/node/index.js';
import type { ChartSample } from '../ui/wire.js';
import { buildClusterView, type ClusterView, type PeerAnswer } from './cluster-view.js';

/** Five minutes at one sample a second: the overview chart's window. */
const HISTORY_SAMPLES = 300;

export interface WatchSource {
  self(): ClusterStatusView;
  /** Undefined in single mode (no peers to ask). */
  readonly peer?: (id: string, timeoutMs: number) => Promise<ClusterStatusView>;
}

/**
 * Polls the cluster once a second from the first watcher on (the admin UI's event streams share
 * one poll) and keeps the last minutes for the chart, so a page opened later has history at once.
 */
export class ClusterWatch {
  private readonly listeners = new Set<(v: ClusterView, s: ChartSample) => void>();
  private readonly samples: ChartSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private latest: ClusterView | undefined;
  private polling = false;

  constructor(
    private readonly source: WatchSource,
    private readonly clock: Clock,
    private readonly intervalMs = 1000,
  ) {}

  history(): readonly ChartSample[] {
    return this.samples;
  }

  /** The view now (polls the peers once when nobody is watching). */
  async current(): Promise<ClusterView> {
    if (this.latest !== undefined && this.timer !== undefined) return this.latest;
    return this.poll();
  }

  subscribe(fn: (v: ClusterView, s: ChartSample) => void): () => void {
    this.listeners.add(fn);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.poll().catch(() => undefined), this.intervalMs);
      this.timer.unref();
    }
    // Polling goes on after the last page closes, so the chart has history when one opens again.
    return () => {
      this.listeners.delete(fn);
    };
  }

  stop(): void {
    this.listeners.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<ClusterView> {
    // One poll at a time: a slow peer must not pile up RPCs.
    if (this.polling && this.latest !== undefined) return this.latest;
    this.polling = true;
    try {
      const self = this.source.self();
      const others = [...new Set([...self.membership.voters, ...self.membership.learners])].filter((id) => id !== self.nodeId);
      // Under a second, so each tick's answers arrive before the next tick asks again.
      const timeoutMs = Math.max(200, Math.floor(this.intervalMs * 0.8));
      const answers = await Promise.all(others.map(async (id): Promise<[string, PeerAnswer]> => {
        if (this.source.peer === undefined) return [id, { ok: false, error: 'no transport' }];
        try {
          return [id, { ok: true, status: await this.source.peer(id, timeoutMs) }];
        } catch (e) {
          return [id, { ok: false, error: shortError(e) }];
        }
      }));
      const now = this.clock.nowMs();
      const view = buildClusterView(self, new Map(answers), now);
      const sample = this.sample(view, now);
      this.latest = view;
      for (const fn of this.listeners) fn(view, sample);
      return view;
    } finally {
      this.polling = false;
    }
  }

  private sample(view: ClusterView, nowMs: number): ChartSample {
    const prev = this.samples[this.samples.length - 1];
    const prevCommit = this.lastCommit ?? view.commitIndex;
    const dtSec = prev === undefined ? 1 : Math.max(0.001, (nowMs - prev.t) / 1000);
    const s: ChartSample = {
      t: nowMs,
      // An unreachable member is shown as such; its frozen lag would only flatten the chart's scale.
      lagEntries: Math.max(0, ...view.nodes.map((n) => (n.state === 'leader' || n.state === 'unreachable' ? 0 : (n.lagEntries ?? 0)))),
      commitsPerSec: Math.max(0, Math.round(((view.commitIndex - prevCommit) / dtSec) * 10) / 10),
    };
    this.lastCommit = view.commitIndex;
    this.samples.push(s);
    while (this.samples.length > HISTORY_SAMPLES) this.samples.shift();
    return s;
  }

  private lastCommit: number | undefined;
}

function shortError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // gRPC messages go on with the last connection error and resolution notes; the first clause is what a person needs.
  return msg.split(/\n|\.\s+Last error/)[0]!.slice(0, 160);
}
