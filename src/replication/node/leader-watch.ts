import type { NodeId } from '../raft/types.js';
import type { Transport } from '../transport/types.js';

/** A minute of history at one sample a second. */
const HISTORY_SAMPLES = 61;

/**
 * What a follower learns by asking its leader about once a second (Status RPC): how far the leader
 * has committed (readiness and lag are measured against it) and whether the leader uses the same
 * keys. Also keeps a minute of this node's applied index, for the health check's apply rate.
 */
export class LeaderWatch {
  private commit = 0;
  private known = false;
  private polling = false;
  private warnings: string[] = [];
  private readonly history: { atMs: number; applied: number }[] = [];

  constructor(
    private readonly keys: Readonly<Record<string, string>>,
    private readonly onWarn: (msg: string, info: Record<string, unknown>) => void,
  ) {}

  /** The leader's commit index as last heard; undefined until the first answer. */
  get leaderCommit(): number | undefined {
    return this.known ? this.commit : undefined;
  }

  get keyWarnings(): readonly string[] {
    return this.warnings;
  }

  sample(applied: number, nowMs: number): void {
    this.history.push({ atMs: nowMs, applied });
    while (this.history.length > HISTORY_SAMPLES) this.history.shift();
  }

  appliedLastMinute(applied: number): number {
    const oldest = this.history[0];
    return oldest === undefined ? 0 : applied - oldest.applied;
  }

  async poll(transport: Transport, leader: NodeId, timeoutMs: number): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const res = await transport.status(leader, timeoutMs);
      const body = JSON.parse(res.body) as { commitIndex?: unknown; keys?: Record<string, unknown> };
      this.compareKeys(leader, body.keys ?? {});
      if (typeof body.commitIndex === 'number' && Number.isSafeInteger(body.commitIndex)) {
        this.commit = body.commitIndex;
        this.known = true;
      }
    } catch {
      // An unreachable leader shows up in the leader check; the last known commit stays.
    } finally {
      this.polling = false;
    }
  }

  private compareKeys(leader: NodeId, theirs: Record<string, unknown>): void {
    const warnings: string[] = [];
    for (const [name, mine] of Object.entries(this.keys)) {
      const other = theirs[name];
      if (typeof other === 'string' && other !== mine) warnings.push(`${name} differs from the leader ${leader}'s: every member needs the same one`);
    }
    for (const w of warnings) if (!this.warnings.includes(w)) this.onWarn(w, { leader });
    this.warnings = warnings;
  }
}
