import type { Config } from '../../config/index.js';
import type { BackendName, PeerEntry } from '../../discovery/index.js';
import type { Engine, PacksLoadResult, QueryExecutor, VectorService } from '../../engine/index.js';
import type { PackProblem, PackRecord } from '../../packs/index.js';
import type { AuditLog, Logger, Metrics } from '../../obs/index.js';
import type { ClusterStatusView, LocalSnapshot } from '../../replication/node/index.js';
import type { JoinService } from '../../replication/join/index.js';

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

/** LAN discovery as the status route shows it: the backend in use ('off' when none, 'starting' while it is chosen) and the peers it lists. */
export interface DiscoveryView {
  status(): { readonly backend: BackendName | 'off' | 'starting'; readonly peers: readonly PeerEntry[] };
  /** Advertise a new cluster id / provisioning state (after cluster init). */
  update?(txt: { clusterId?: string; provisioned?: boolean }): Promise<void>;
}

/** Policy packs (KNOWD_PACKS): the daemon reads the directory, the engine checks and logs it. */
export interface PacksApi {
  reload(actor: string): Promise<PacksLoadResult>;
  status(): {
    readonly dir: string | null;
    readonly packs: readonly PackRecord[];
    readonly lastLoad: { readonly atMs: number; readonly ok: boolean; readonly changed?: boolean; readonly message?: string; readonly problems?: readonly PackProblem[] } | null;
  };
}

/** What the HTTP edge needs from the rest of the node (wired by daemon/). */
export interface ApiDeps {
  readonly engine: Engine;
  readonly cluster: ClusterApi;
  readonly audit: AuditLog;
  /** Cluster provisioning (init, tokens, joins); absent on the memory store. */
  readonly join?: JoinService;
  readonly config: Config;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly version: string;
  readonly nodeId: string;
  readonly startedMs: number;
  /** Vector upserts and searches; absent when KNOWD_VEC_ENABLED=false. */
  readonly vectors?: VectorService;
  /** Where queries run (worker threads on LMDB); default: on the calling thread. */
  readonly queries?: QueryExecutor;
  /** LAN discovery; absent in tests that build the app without it (shown as backend 'off'). */
  readonly discovery?: DiscoveryView;
  /** Policy packs; absent in tests that build the app without them (reload answers 501). */
  readonly packs?: PacksApi;
  /** False while starting or draining: /readyz answers 503 and writes get NOT_READY. */
  ready(): boolean;
}
