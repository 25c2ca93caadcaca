import type { ClusterStatusView } from './node.js';

export interface Check {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface HealthInputs {
  readonly status: ClusterStatusView;
  /** Milliseconds after which silence from the leader (or a majority) means trouble. */
  readonly electionTimeoutMs: number;
  readonly snapshotIntervalMs: number;
  readonly nowMs: number;
  /** The last replication write error, if the most recent write failed. */
  readonly writeError: string | null;
  /** The last snapshot attempt's error, if it failed. */
  readonly snapshotError: string | null;
  readonly applyRate: { readonly appliedLastMinute: number; readonly behindEntries: number };
  readonly single: boolean;
}

/**
 * The per-role liveness checks the seed lists. Pure: the node collects the inputs, this judges them,
 * so each check is testable without a cluster. A follower catching up is alive (healthy) but not
 * ready; health never fails for lag alone, or a probe would kill it into a boot loop.
 */
export function clusterChecks(h: HealthInputs): Record<string, Check> {
  const s = h.status;
  const checks: Record<string, Check> = {};
  checks['wal'] = h.writeError === null ? { ok: true } : { ok: false, detail: `log write failed: ${h.writeError}` };
  if (h.single) return checks;
  const silenceSec = (h.electionTimeoutMs * 2) / 1000;
  if (s.role === 'leader') {
    const voters = s.membership.voters.filter((v) => v !== s.nodeId);
    const reachable = s.peers.filter((p) => p.voter && p.lastContactSec <= silenceSec).length;
    const majority = Math.floor((voters.length + 1) / 2) + 1;
    checks['followers'] = reachable + 1 >= majority
      ? { ok: true, detail: `${reachable} of ${voters.length} followers in contact` }
      : { ok: false, detail: `only ${reachable} of ${voters.length} followers answered within ${silenceSec} s; no majority` };
    const last = s.lastSnapshot;
    const overdueMs = h.snapshotIntervalMs * 3;
    if (h.snapshotError !== null) checks['snapshot'] = { ok: false, detail: `last snapshot failed: ${h.snapshotError}` };
    else if (last !== null && h.nowMs - last.createdAtMs > overdueMs && s.appliedIndex > last.index) {
      checks['snapshot'] = { ok: false, detail: `no snapshot for ${Math.round((h.nowMs - last.createdAtMs) / 1000)} s (interval ${h.snapshotIntervalMs / 1000} s)` };
    } else checks['snapshot'] = { ok: true };
  } else {
    checks['leader'] = s.leader !== null ? { ok: true, detail: `leader ${s.leader}` } : { ok: false, detail: 'no leader known (election in progress or partitioned)' };
    checks['apply'] = h.applyRate.behindEntries === 0 || h.applyRate.appliedLastMinute > 0
      ? { ok: true, detail: `${h.applyRate.behindEntries} entries behind` }
      : { ok: false, detail: `${h.applyRate.behindEntries} committed entries not applied and none applied in the last minute` };
  }
  checks['index'] = s.appliedIndex <= s.commitIndex && s.commitIndex <= s.lastIndex
    ? { ok: true }
    : { ok: false, detail: `inconsistent indexes: applied ${s.appliedIndex}, commit ${s.commitIndex}, last ${s.lastIndex}` };
  return checks;
}

/** Whether this node should take reads now: it knows a leader and has applied what it knows is committed. */
export function readiness(s: ClusterStatusView, behind: number, single: boolean, maxLagEntries: number): Check {
  if (single) return { ok: true };
  if (s.leader === null) return { ok: false, detail: 'no leader known' };
  if (behind > maxLagEntries) return { ok: false, detail: `catching up: ${behind} entries behind` };
  return { ok: true };
}
