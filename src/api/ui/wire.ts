/**
 * The shapes the admin UI receives from GET /v1/admin/cluster and the /v1/admin/events stream.
 * Types only, shared by the server (src/api/http/cluster-view.ts builds them) and the browser code,
 * so the two cannot drift apart.
 */
export type NodeState = 'leader' | 'in sync' | 'catching up' | 'receiving snapshot' | 'unreachable' | 'no leader' | 'learner';

export interface NodeView {
  readonly id: string;
  readonly self: boolean;
  readonly voter: boolean;
  readonly role: string;
  readonly state: NodeState;
  /** One sentence for the page: what the state means right now. */
  readonly detail: string;
  readonly term: number | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  readonly lagEntries: number | null;
  readonly lagSec: number | null;
  readonly lastContactSec: number | null;
  readonly lastSnapshot: { readonly index: number; readonly createdAt: string; readonly sizeBytes: number } | null;
  readonly walBytes: number | null;
  readonly walEntries: number | null;
}

export interface ChartSample {
  readonly t: number;
  /** Largest follower lag in entries (0 when all are in sync or none is known). */
  readonly lagEntries: number;
  /** Entries committed per second since the previous sample. */
  readonly commitsPerSec: number;
}

export interface ClusterView {
  readonly at: string;
  readonly servedBy: string;
  readonly leader: string | null;
  readonly term: number;
  readonly nodes: readonly NodeView[];
  /** Newest commit index known (the leader's when reachable): the chart's throughput source. */
  readonly commitIndex: number;
  readonly warnings: readonly string[];
}
