import type { Readable } from 'node:stream';
import type { Config } from '../../config/index.js';
import type { BackendName, PeerEntry } from '../../discovery/index.js';
import type { Engine, PacksLoadResult, QueryExecutor, VectorService } from '../../engine/index.js';
import type { Clock } from '../../base/index.js';
import type { Coordinator, Participant } from '../../federation/index.js';
import type { PackProblem, PackRecord } from '../../packs/index.js';
import type { AuditLog, Logger, Metrics, TelemetrySource } from '../../obs/index.js';
import type { ClusterStatusView, LocalSnapshot } from '../../replication/node/index.js';
import type { CertRenewalStatus, JoinService } from '../../replication/join/index.js';
import type { LmdbTuning } from '../../storage/lmdb/index.js';

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
  /** Leadership transfer to member `to`, from any member (a follower asks the leader). */
  transferLeadership(to: string): Promise<void>;
  /** Another member's own status over the cluster transport; rejects when unreachable in time. */
  peerStatus(id: string, timeoutMs: number): Promise<ClusterStatusView>;
  /** Full check of a snapshot this node holds, by log index. */
  verifySnapshot(index: number): Promise<{ ok: true } | { ok: false; reason: string }>;
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

/** The store's tuning as chosen at start (GET /v1/store/stats `tuning`); absent on the memory store. */
export interface TuningView {
  readonly hardware: Readonly<Record<string, unknown>>;
  readonly dataBytesAtStart: number;
  readonly settings: LmdbTuning;
}

/** A whole-node backup as a tar stream (daemon/backup.ts); offered on the admin socket only. */
export interface BackupView {
  readonly stream: Readable;
  readonly manifest: { readonly nodeId: string; readonly snapshot: { readonly index: number; readonly term: number } };
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
  /** The node certificate's lifetime and automatic renewal (cluster modes). */
  readonly certificate?: () => CertRenewalStatus;
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
  /** Federated queries (coordinator and this node's participant); absent: every query runs locally. */
  readonly federation?: { readonly coordinator: Coordinator; readonly participant: Participant };
  /** LAN discovery; absent in tests that build the app without it (shown as backend 'off'). */
  readonly discovery?: DiscoveryView;
  readonly tuning?: TuningView;
  /** True on the app that listens on the admin socket: its clients need no token (see app.ts). */
  readonly adminSocket?: boolean;
  /** Set only on the admin-socket app: the archive holds private keys, so no TCP client may fetch it. */
  readonly backup?: () => Promise<BackupView>;
  /** Hardware and OS telemetry for the admin UI's node page; absent: the page says it is not available. */
  readonly telemetry?: TelemetrySource;
  /** Time for sessions and the sign-in rate limit (tests move it); default: the system clock. */
  readonly clock?: Clock;
  /** Built admin UI assets (default: dist/ui of the package). */
  readonly uiDir?: string;
  /** Policy packs; absent in tests that build the app without them (reload answers 501). */
  readonly packs?: PacksApi;
  /** False while starting or draining: /readyz answers 503 and writes get NOT_READY. */
  ready(): boolean;
}
