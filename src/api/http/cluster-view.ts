import type { ClusterStatusView } from '../../replication/node/index.js';
import type { ClusterView, NodeView } from '../ui/wire.js';

/**
 * The admin UI's picture of the cluster, as the serving node sees it: its own status, each other
 * member's own status (Status RPC over the cluster's mTLS) and the leader's progress view of every
 * follower. Pure, so each state a person reads is decided in one tested place.
 */
export type { ClusterView, NodeState, NodeView } from '../ui/wire.js';

export type PeerAnswer = { readonly ok: true; readonly status: ClusterStatusView } | { readonly ok: false; readonly error: string };

export function buildClusterView(self: ClusterStatusView, peers: ReadonlyMap<string, PeerAnswer>, nowMs: number): ClusterView {
  const members = [...new Set([...self.membership.voters, ...self.membership.learners, self.nodeId])].sort();
  const statusOf = (id: string): ClusterStatusView | undefined => {
    if (id === self.nodeId) return self;
    const a = peers.get(id);
    return a?.ok === true ? a.status : undefined;
  };
  // The serving node's idea of the leader, unless a reachable member claims it in a newer term.
  let leader = self.leader;
  let term = self.term;
  for (const id of members) {
    const s = statusOf(id);
    if (s !== undefined && s.role === 'leader' && s.term >= term) {
      leader = id;
      term = s.term;
    }
  }
  const leaderStatus = leader === null ? undefined : statusOf(leader);
  const nodes = members.map((id): NodeView => {
    const s = statusOf(id);
    const voter = self.membership.voters.includes(id);
    const progress = leaderStatus?.peers.find((p) => p.id === id);
    const base = {
      id,
      self: id === self.nodeId,
      voter,
      term: s?.term ?? null,
      commitIndex: s?.commitIndex ?? null,
      appliedIndex: s?.appliedIndex ?? null,
      lastContactSec: id === leader ? 0 : (progress?.lastContactSec ?? null),
      lastSnapshot: s?.lastSnapshot == null ? null : { index: s.lastSnapshot.index, createdAt: new Date(s.lastSnapshot.createdAtMs).toISOString(), sizeBytes: s.lastSnapshot.sizeBytes },
      walBytes: s?.walBytes ?? null,
      walEntries: s?.walEntries ?? null,
    };
    if (s === undefined) {
      const a = peers.get(id);
      const why = a === undefined ? 'not asked yet' : a.ok ? '' : a.error;
      return { ...base, role: 'unknown', state: 'unreachable', detail: `${self.nodeId} cannot reach it${why === '' ? '' : ` (${why})`}`, lagEntries: progress?.lagEntries ?? null, lagSec: null };
    }
    if (id === leader && s.role === 'leader') return { ...base, role: 'leader', state: 'leader', detail: `leads term ${s.term}`, lagEntries: 0, lagSec: 0 };
    if (leader === null || leaderStatus === undefined) {
      return { ...base, role: s.role, state: 'no leader', detail: leader === null ? 'no leader elected yet (election in progress or no majority)' : `the leader ${leader} cannot be reached from ${self.nodeId}`, lagEntries: null, lagSec: s.lagSec };
    }
    const lagEntries = progress?.lagEntries ?? Math.max(0, leaderStatus.lastIndex - s.appliedIndex);
    if (progress?.state === 'snapshot') return { ...base, role: s.role, state: 'receiving snapshot', detail: `receiving a snapshot from ${leader}`, lagEntries, lagSec: s.lagSec };
    if (lagEntries === 0) return { ...base, role: s.role, state: voter ? 'in sync' : 'learner', detail: voter ? 'has every entry the leader has' : 'learner, in sync (not yet a voter)', lagEntries: 0, lagSec: 0 };
    return { ...base, role: s.role, state: 'catching up', detail: `${lagEntries} entries behind the leader${s.lagSec > 0 ? `, ${s.lagSec} s` : ''}`, lagEntries, lagSec: s.lagSec };
  });
  return {
    at: new Date(nowMs).toISOString(),
    servedBy: self.nodeId,
    leader,
    term,
    nodes,
    commitIndex: leaderStatus?.commitIndex ?? self.commitIndex,
    warnings: self.warnings,
  };
}
