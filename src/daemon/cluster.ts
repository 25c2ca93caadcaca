import os from 'node:os';
import path from 'node:path';
import { KnowdError } from '../base/index.js';
import type { Config, HostPort } from '../config/index.js';
import type { Engine } from '../engine/index.js';
import type { AuditLog, Logger, Metrics } from '../obs/index.js';
import { ReplicationNode, timingOf, type NodeEvents, type SnapshotStore } from '../replication/node/index.js';
import { createGrpcTransport } from '../replication/transport/grpc/index.js';
import type { Storage } from '../storage/index.js';
import { fileSnapshotStore } from './snapshot-store.js';
import { keyIdOf, loadOrCreateSnapshotKey } from '../replication/snapshot/index.js';
import { CertRenewer, clusterPaths, readClusterInfo, type CertRenewalStatus } from '../replication/join/index.js';
import { systemClock } from '../base/index.js';

function hostPortText(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** This node's member id: how its peers reach its gRPC (KNOWD_GRPC_ADVERTISE, else derived). */
/** Renewal is decided by date; looking hourly keeps a renewal within an hour of its due time. */
const CERT_CHECK_MS = 60 * 60_000;

export function advertisedId(config: Config): string {
  if (config.grpcAdvertiseAddr !== undefined) return hostPortText(config.grpcAdvertiseAddr);
  const h = config.grpcAddr.host;
  const wildcard = h === '' || h === '0.0.0.0' || h === '::';
  if (!wildcard) return hostPortText(config.grpcAddr);
  // Listening on every interface: the id this node was given at init/join is who its peers know.
  const info = config.store === 'disk' ? readClusterInfo(config.dataDir) : undefined;
  return info?.memberId ?? hostPortText({ host: os.hostname(), port: config.grpcAddr.port });
}

/** The other members' ids as this node's configuration lists them (KNOWD_PEER_ADDRS). */
export function configuredPeers(config: Config): string[] {
  const id = advertisedId(config);
  return config.peerAddrs.map(hostPortText).filter((p) => p !== id);
}

export interface ClusterParts {
  readonly node: ReplicationNode;
  readonly snapshots: SnapshotStore | undefined;
  /** The node certificate's lifetime and renewal, in cluster modes. */
  readonly certificate?: () => CertRenewalStatus;
  stop(): Promise<void>;
}

/**
 * Builds the replication node for any mode: single mode is a cluster of one (no transport), the
 * cluster modes add gRPC with mutual TLS. Snapshots need the disk store.
 */
export async function startCluster(config: Config, deps: { engine: Engine; storage: Storage; metrics: Metrics; log: Logger; audit: AuditLog; signingPub: string; onLeader?: () => void }): Promise<ClusterParts> {
  const single = config.clusterMode === 'single';
  const id = single ? 'local' : advertisedId(config);
  const snapshotKey = config.store === 'disk' ? await loadOrCreateSnapshotKey(config.dataDir, config.snapshotKeyPath) : undefined;
  const snapshots = snapshotKey !== undefined ? await fileSnapshotStore({ dir: path.join(config.dataDir, 'snapshots'), dataDir: config.dataDir, keyPath: config.snapshotKeyPath, chunkBytes: config.replStreamChunkBytes }) : undefined;
  const peers = config.peerAddrs.map(hostPortText).filter((p) => p !== id);
  // A leader alone is a one-voter cluster (the first node after `knowdctl cluster init`); a follower
  // with nobody to follow could never learn anything.
  if (config.clusterMode === 'follower' && peers.length === 0) {
    throw new KnowdError('CONFIG_INVALID', 'KNOWD_CLUSTER_MODE=follower needs KNOWD_PEER_ADDRS (or `knowdctl cluster join`)');
  }
  const transport = single
    ? undefined
    : createGrpcTransport({
        self: id,
        listen: { host: config.grpcAddr.host === '' ? '0.0.0.0' : config.grpcAddr.host, port: config.grpcAddr.port },
        peers,
        tls: { certPath: config.mtlsCertPath!, keyPath: config.mtlsKeyPath!, caPath: config.mtlsCaPath! },
        logger: deps.log.child({ svc: 'grpc' }),
      });
  const { metrics, log, audit } = deps;
  const events: NodeEvents = {
    onApplied: (i) => metrics.commitBatch.observe(i.entries),
    onRoleChange: (i) => {
      metrics.clusterRoleChanges.inc();
      if (i.role === 'leader') metrics.clusterElections.inc();
      log.info({ role: i.role, term: i.term, leader: i.leader }, 'cluster role');
      if (i.role === 'leader') audit.record({ action: 'leadership', actor: 'system', from: id, outcome: 'ok', term: i.term });
      if (i.role === 'leader') deps.onLeader?.();
    },
    onSnapshot: (i) => {
      metrics.clusterSnapshots.inc({ kind: i.kind });
      log.info(i, `snapshot ${i.kind}`);
      audit.record({ action: `snapshot.${i.kind}`, actor: 'system', from: i.peer ?? id, outcome: i.kind === 'rejected' ? 'failed' : 'ok', index: i.index, ...(i.reason !== undefined && { reason: i.reason }) });
    },
    onMembership: (m) => {
      log.info({ voters: m.voters, learners: m.learners }, 'cluster membership');
      audit.record({ action: 'membership', actor: 'system', from: id, outcome: 'ok', voters: m.voters, learners: m.learners });
    },
    onWarn: (msg, info) => log.warn(info ?? {}, msg),
  };
  const node = await ReplicationNode.start({
    id,
    engine: deps.engine,
    storage: deps.storage,
    bootstrap: [id, ...peers],
    ...(transport !== undefined && { transport }),
    ...(snapshots !== undefined && { snapshots }),
    timing: timingOf(config.clusterHeartbeatMs, config.clusterElectionTimeoutMs),
    writeTimeoutMs: config.clusterWriteTimeoutMs,
    readTimeoutMs: config.clusterReadTimeoutMs,
    hint: config.clusterMode,
    snapshotIntervalMs: config.replSnapshotIntervalSec * 1000,
    keys: { signingKey: deps.signingPub, ...(snapshotKey !== undefined && { snapshotKey: keyIdOf(snapshotKey).toString('hex') }) },
    logRetainEntries: config.replLogRetainEntries,
    events,
  });
  const timer = snapshots === undefined ? undefined : setInterval(() => {
    node.snapshotNow().catch((e: unknown) => log.error({ err: e }, 'periodic snapshot failed'));
  }, config.replSnapshotIntervalSec * 1000);
  timer?.unref();
  const renewer = transport === undefined ? undefined : new CertRenewer({
    paths: clusterPaths(config.dataDir),
    certPath: config.mtlsCertPath!,
    keyPath: config.mtlsKeyPath!,
    memberId: id,
    validityDays: config.certValidityDays,
    clock: systemClock,
    checkMs: CERT_CHECK_MS,
    reload: () => transport.reloadTls(),
    onRenewed: ({ from, to }) => {
      log.info({ fingerprint: to.fingerprint, notAfter: new Date(to.notAfterMs).toISOString() }, 'cluster certificate renewed');
      audit.record({ action: 'cert.renew', actor: 'system', from: id, outcome: 'ok', previous: from.fingerprint, fingerprint: to.fingerprint, notAfter: new Date(to.notAfterMs).toISOString() });
    },
    onFailed: (e) => {
      log.error({ err: e }, 'cluster certificate renewal failed; will retry');
      audit.record({ action: 'cert.renew', actor: 'system', from: id, outcome: 'failed', error: e.message });
    },
  });
  renewer?.start();
  return {
    node,
    snapshots,
    ...(renewer !== undefined && { certificate: () => renewer.status() }),
    async stop() {
      renewer?.stop();
      if (timer !== undefined) clearInterval(timer);
      await node.stop();
    },
  };
}
