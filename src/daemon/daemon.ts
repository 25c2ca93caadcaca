import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/http/index.js';
import { systemClock } from '../base/index.js';
import { redactedConfig, type Config } from '../config/index.js';
import { Engine, inlineQueryExecutor } from '../engine/index.js';
import { startFederation } from './federation.js';
import { Metrics, createAuditLog, createTelemetry, type Logger } from '../obs/index.js';
import { NODE_KEY_FILE, createEd25519Signer, generateSigningKeyPem, loadOrCreateSigningKey } from '../receipts/index.js';
import { openLmdbStorage } from '../storage/lmdb/index.js';
import { openMemoryStorage, type Storage } from '../storage/index.js';
import type { ReplicationNode } from '../replication/node/index.js';
import { advertisedId, configuredPeers, startCluster } from './cluster.js';
import { JoinService } from '../replication/join/index.js';
import { KEYS_DIR, SNAPSHOT_KEY_FILE } from '../replication/snapshot/index.js';
import { secureAdminSocket } from './admin-socket.js';
import { createBackup, removeStaleBackups } from './backup.js';
import { lockDataDir } from './data-dir-lock.js';
import { NodeDiscovery } from './discovery.js';
import { createQueryPool, defaultQueryWorkers } from './query-pool.js';
import { createImportPreparer } from './import-pool.js';
import { createSigningPool } from './sign-pool.js';
import { logTuning, resolveHardware, tuneStore, type TuningReport } from './tuning.js';
import { createVectorService, layoutOf, openVectorIndexes, shardOwners, startVectorSaver } from './vectors.js';
import { nodeIdOfDataDir } from './node-id.js';
import { PackService } from './packs.js';
import { VERSION } from './version.js';

export interface Daemon {
  readonly engine: Engine;
  readonly node: ReplicationNode;
  readonly http: FastifyInstance;
  /** The bound HTTP address (useful with port 0). */
  readonly url: string;
  readonly nodeId: string;
  /** LAN discovery (init/join call update() when the cluster id or provisioning changes). */
  readonly discovery: NodeDiscovery;
  stop(reason?: string): Promise<void>;
}

function nodeIdOf(config: Config): string {
  if (config.store === 'mem') return randomUUID();
  return nodeIdOfDataDir(config.dataDir);
}


/**
 * The composition root: builds the concrete adapters, wires them, and owns start/stop order.
 * Start: data dir → store → signing key → engine (replays the log) → HTTP → admin socket → ready.
 * Stop: not ready → stop accepting requests and finish in-flight ones → drain writes → close store.
 */
/** Join tokens are short-lived: an hour to rack and power a box. */
const JOIN_TOKEN_TTL_MS = 60 * 60_000;

/** How long SIGTERM waits for in-flight requests before cutting their connections. */
const SHUTDOWN_GRACE_MS = 3_000;

export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o750 });
  const unlock = config.store === 'mem' ? () => undefined : lockDataDir(config.dataDir);
  if (config.store === 'disk') removeStaleBackups(config.dataDir);
  const queryWorkers = defaultQueryWorkers();
  let tuning: TuningReport | undefined;
  let storage: Storage;
  try {
    tuning = config.store === 'mem' ? undefined : tuneStore(config, await resolveHardware(config, log), queryWorkers);
    if (tuning !== undefined) logTuning(log, tuning);
    storage = tuning === undefined ? openMemoryStorage() : openLmdbStorage({ path: config.dataDir, tuning: tuning.settings });
  } catch (e) {
    unlock();
    throw e;
  }
  const signer = config.store === 'mem' && config.signingKeyPath === undefined ? createEd25519Signer(generateSigningKeyPem()) : await loadOrCreateSigningKey(config.dataDir, config.signingKeyPath);
  const metrics = new Metrics();
  const audit = createAuditLog(path.join(config.dataDir, 'audit.log'));
  audit.record({ action: 'start', actor: 'system', from: 'local', outcome: 'ok', config: redactedConfig(config), version: VERSION });
  // Vector indexes load (or rebuild) before the engine replays the log, so replayed entries land on top.
  const owners = shardOwners(config, advertisedId(config), configuredPeers(config));
  const vec = openVectorIndexes(config, storage, layoutOf(owners, advertisedId(config)), log.child({ svc: 'vectors' }));
  if (vec !== undefined) log.info({ loaded: vec.report.loaded, rebuilt: vec.report.rebuilt }, 'vector indexes ready');
  const importPreparer = createImportPreparer(log.child({ svc: 'import' }));
  const batchSigner = createSigningPool(signer, log.child({ svc: 'sign' }));
  const engine = await Engine.open({ storage, signer, batchSigner, clock: systemClock, maxTxQuads: config.maxTxQuads, shacl: config.shaclEnabled, windowSec: config.windowSec, idempotencyTtlMs: config.idempotencyTtlMs, importPreparer, ...(vec !== undefined && { vectors: vec.indexes }) });
  const vectors = vec === undefined ? undefined : createVectorService(config, engine, vec.indexes, systemClock);
  const vectorSaver = vec === undefined ? undefined : startVectorSaver(vec.indexes, log);
  const packs = new PackService(config.packsDir, engine, log.child({ svc: 'packs' }));
  let ready = false;
  let stopped = false;
  // The leader loads the packs (at start-up, and whenever a node becomes leader: its directory is
  // the cluster's truth from then on); followers get them through the log. Unchanged packs log nothing.
  let packsLoading: Promise<void> = Promise.resolve();
  let packsArmed = false; // set once start-up got this far: a role change before that is handled by start-up itself
  const loadPacks = (): void => {
    if (!packs.configured || stopped || !packsArmed) return;
    packsLoading = packsLoading.then(async () => {
      if (stopped || cluster.node.raftStatus().role !== 'leader') return;
      await packs.reload('system').catch(() => undefined); // logged by the service; the old packs stay
    });
  };
  const cluster = await startCluster(config, { engine, storage, metrics, log, audit, signingPub: signer.publicKey(), onLeader: () => loadPacks() });
  const nodeId = nodeIdOf(config);
  // In a cluster the default namespace is created by the leader once there is one (followers wait for
  // it to replicate, so the log holds one creation, not one rejected attempt per node); start-up does
  // not wait for that (a node must come up to help elect a leader in the first place).
  const ensureDefault = (async () => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        if (config.clusterMode !== 'single' && cluster.node.raftStatus().role !== 'leader') {
          if (engine.namespaces().some((n) => n.name === config.defaultNamespace)) return;
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        await engine.ensureNamespace(config.defaultNamespace);
        return;
      } catch (e) {
        if (stopped) return;
        if (attempt % 10 === 0) log.warn({ err: e }, 'cannot create the default namespace yet; retrying');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  if (config.clusterMode === 'single') await ensureDefault;
  packsArmed = true;
  if (config.clusterMode === 'single') {
    loadPacks();
    await packsLoading;
  } else {
    // The leader may not be known yet: whoever leads loads then, or on becoming leader (onLeader above).
    void ensureDefault.then(() => loadPacks());
  }
  // LMDB queries run in worker threads; the memory store is only visible to this thread.
  const queries = config.store === 'disk' ? createQueryPool({ dataDir: config.dataDir, mapSizeBytes: config.lmdbMapSizeBytes, size: queryWorkers, ...(tuning !== undefined && { tuning: tuning.settings }), log, ...(vectors !== undefined && { similar: (ns, req) => vectors.remoteSearch(ns, req) }) }) : undefined;
  const join = config.store === 'disk' ? new JoinService({
    dataDir: config.dataDir,
    memberId: advertisedId(config),
    signingKeyPath: config.signingKeyPath ?? path.join(config.dataDir, KEYS_DIR, NODE_KEY_FILE),
    snapshotKeyPath: config.snapshotKeyPath ?? path.join(config.dataDir, KEYS_DIR, SNAPSHOT_KEY_FILE),
    clock: systemClock,
    tokenTtlMs: JOIN_TOKEN_TTL_MS,
    certValidityDays: config.certValidityDays,
  }) : undefined;
  const discovery = new NodeDiscovery(config, { log, metrics, nodeId, version: VERSION });
  const federation = startFederation(config, {
    engine,
    node: cluster.node,
    executor: queries ?? inlineQueryExecutor(engine.storage, engine.quads, vectors === undefined ? undefined : (ns) => vectors.sparqlSearch(ns)),
    metrics,
    log: log.child({ svc: 'federation' }),
    ...(vectors !== undefined && { vectors, shardOwners: owners }),
  });
  const deps = { discovery, engine, federation, packs, cluster: cluster.node, ...(join !== undefined && { join }), ...(cluster.certificate !== undefined && { certificate: cluster.certificate }), audit, config, metrics, log, version: VERSION, nodeId, startedMs: Date.now(), telemetry: createTelemetry(config.dataDir), ready: () => ready, ...(tuning !== undefined && { tuning }), ...(queries !== undefined && { queries }), ...(vectors !== undefined && { vectors }) };

  if (config.tokenSecret === undefined) log.warn('KNOWD_TOKEN_SECRET is not set: serving loopback clients only, without authentication');

  const http = buildApp(deps);
  const host = config.addr.host === '' ? '::' : config.addr.host;
  const url = await http.listen({ host, port: config.addr.port });

  const admin = buildApp({ ...deps, adminSocket: true, backup: () => createBackup({ config, nodeId, version: VERSION, env: process.env, snapshotNow: () => cluster.node.snapshotNow() }) });
  try {
    fs.rmSync(config.adminSocketPath, { force: true });
  } catch {
    // A stale socket that cannot be removed makes listen() fail below with a clear message.
  }
  await admin.listen({ path: config.adminSocketPath });
  secureAdminSocket(config.adminSocketPath, log);

  ready = true;
  const addr = http.server.address();
  const boundUrl = typeof addr === 'object' && addr !== null ? `http://${addr.family === 'IPv6' && host === '::' ? '127.0.0.1' : host}:${addr.port}` : url;
  log.info({ url: boundUrl, adminSocket: config.adminSocketPath, dataDir: config.dataDir, store: config.store, mode: config.clusterMode, nodeId, memberId: cluster.node.id, version: VERSION }, 'knowd ready');
  // In the background: probing for avahi must not delay readiness.
  const discoveryStarted = discovery.start(typeof addr === 'object' && addr !== null ? addr.port : config.addr.port);

  let stopping: Promise<void> | null = null;
  return {
    engine,
    node: cluster.node,
    http,
    url: boundUrl,
    nodeId,
    discovery,
    stop(reason = 'stop') {
      stopping ??= (async () => {
        log.info({ reason }, 'knowd stopping');
        ready = false;
        // Goodbyes first, so peers drop this node from their lists at once.
        await discoveryStarted;
        await discovery.stop();
        // In-flight requests get a grace period; then their connections are cut (an import keeps
        // its committed batches, as after a crash, and the client sees the connection drop).
        const grace = setTimeout(() => {
          log.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'closing connections still open after the grace period');
          http.server.closeAllConnections();
          admin.server.closeAllConnections();
        }, SHUTDOWN_GRACE_MS);
        await Promise.all([http.close(), admin.close()]);
        clearTimeout(grace);
        await queries?.close();
        await importPreparer.close();
        await engine.drain();
        await batchSigner.close();
        stopped = true;
        await cluster.stop();
        // Nothing applies any more: the saved indexes reflect the store exactly, so the next start loads them.
        vectorSaver?.stop();
        await ensureDefault;
        await packsLoading;
        await storage.close();
        audit.record({ action: 'stop', actor: 'system', from: 'local', outcome: 'ok', reason });
        audit.close();
        fs.rmSync(config.adminSocketPath, { force: true });
        unlock();
        log.info('knowd stopped');
      })();
      return stopping;
    },
  };
}
