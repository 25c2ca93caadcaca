import type { Config } from '../../config/index.js';
import type { Engine, QueryExecutor } from '../../engine/index.js';
import type { AuditLog, Logger, Metrics } from '../../obs/index.js';
import type { ClusterStatusView, LocalSnapshot } from '../../replication/node/index.js';

export interface HealthCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

/** What the HTTP edge needs from the replication node. */
export interface ClusterApi {
  status(): ClusterStatusView;
  health(): { readonly checks: Record<string, HealthCheck>; readonly ready: HealthCheck };
  /** Waits until this node applied `index` (X-Knowd-Min-Index); INDEX_NOT_REACHED after the read timeout. */
  waitForApplied(index: number): Promise<void>;
  /** Leadership transfer to this node, after it has every committed write. */
  promoteSelf(): Promise<void>;
  snapshotNow(): Promise<LocalSnapshot | undefined>;
  /** 'add' = learner, catch up, voter; one change at a time. */
  changeMembership(change: 'add' | 'add-learner' | 'promote' | 'remove', id: string): Promise<void>;
  snapshots(): readonly LocalSnapshot[];
}

/** What the HTTP edge needs from the rest of the node (wired by daemon/). */
export interface ApiDeps {
  readonly engine: Engine;
  readonly cluster: ClusterApi;
  readonly audit: AuditLog;
  readonly config: Config;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly version: string;
  readonly nodeId: string;
  readonly startedMs: number;
  /** Where queries run (worker threads on LMDB); default: on the calling thread. */
  readonly queries?: QueryExecutor;
  /** False while starting or draining: /readyz answers 503 and writes get NOT_READY. */
  ready(): boolean;
}
