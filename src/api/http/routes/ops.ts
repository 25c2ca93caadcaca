import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import { logSize } from '../../../replication/log/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps, DiscoveryView, HealthCheck } from '../deps.js';
import { parseWith } from './common.js';

/** Who and from where, for the audit trail. */
export function auditSource(req: FastifyRequest): { actor: string; from: string } {
  return { actor: req.principal.sub, from: req.socket.remoteAddress ?? 'admin-socket' };
}

export function registerOpsRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  /** Liveness checks, and this node's readiness from the same evaluation of the cluster's health. */
  const evaluate = (): { checks: Record<string, HealthCheck>; ready: HealthCheck } => {
    const out: Record<string, HealthCheck> = {};
    try {
      deps.engine.position();
      out['store'] = { ok: true };
    } catch (e) {
      out['store'] = { ok: false, detail: (e as Error).message };
    }
    const health = deps.cluster.health();
    // Hook execution (the seed's leader check): a trivial ASK through the hook evaluator proves the
    // machinery that vetoes and fires works; a user's failing hook is the user's, not a node fault.
    if (deps.config.clusterMode === 'single' || deps.cluster.status().role === 'leader') out['hooks'] = hookSelfTest(deps);
    return { checks: { ...out, ...health.checks }, ready: health.ready };
  };

  app.get('/healthz', async (_req, reply) => {
    const c = evaluate().checks;
    const failing = Object.entries(c).find(([, v]) => !v.ok);
    if (failing !== undefined) return reply.status(503).send({ status: 'failing', failing: failing[0], checks: c });
    return { status: 'ok', checks: c };
  });

  app.get('/readyz', async (_req, reply) => {
    const e = evaluate();
    const c: Record<string, HealthCheck> = {
      started: deps.ready() ? { ok: true } : { ok: false, detail: 'starting or shutting down' },
      ...e.checks,
      replication: e.ready,
      namespace: deps.engine.namespaces().some((n) => n.name === deps.config.defaultNamespace)
        ? { ok: true }
        : { ok: false, detail: `the default namespace "${deps.config.defaultNamespace}" is not created yet (it is, through the leader, once there is one)` },
      ...(deps.federation !== undefined && { queries: queueCheck(deps.federation.participant) }),
    };
    const failing = Object.entries(c).find(([, v]) => !v.ok);
    if (failing !== undefined) return reply.status(503).send({ status: 'not ready', failing: failing[0], checks: c });
    return { status: 'ready', checks: c };
  });

  app.get('/metrics', async (req, reply) => {
    can(req, 'reader');
    refreshGauges(deps);
    void reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  app.get('/v1/store/stats', async (req) => {
    can(req, 'reader');
    const p = req.principal;
    const info = deps.engine.storage.info();
    return deps.engine.read((r) => {
      const namespaces = deps.engine
        .namespaces()
        .filter((n) => p.ns === '*' || p.ns.includes(n.name))
        .map((n) => ({ name: n.name, ...deps.engine.quads.stats(r, n.id), predicates: deps.engine.quads.predicateCounts(r, n.id).length }));
      return { store: info.kind, path: info.path, usedBytes: info.usedBytes, mapSizeBytes: info.mapSizeBytes, log: logSize(r), position: deps.engine.position(), namespaces, ...(deps.tuning !== undefined && { tuning: deps.tuning }) };
    });
  });

  app.get('/v1/cluster/status', async (req) => {
    can(req, 'reader');
    const s = deps.cluster.status();
    const single = deps.config.clusterMode === 'single';
    return {
      // The role decides, not the start-up hint: a node started as "leader" that lost an election is a follower.
      mode: single ? 'single' : s.role === 'leader' ? 'leader' : s.role === 'follower' ? 'follower' : 'candidate',
      // Single mode names itself by its data directory's id; a cluster member by its gRPC address.
      nodeId: single ? deps.nodeId : s.nodeId,
      nodeUuid: deps.nodeId,
      term: s.term,
      leader: single ? deps.nodeId : s.leader,
      followers: s.role === 'leader' ? s.peers.map((p) => p.id) : [],
      lagSec: s.lagSec,
      lastSnapshot: s.lastSnapshot === null ? null : { ...s.lastSnapshot, createdAt: new Date(s.lastSnapshot.createdAtMs).toISOString() },
      walSize: s.walBytes,
      walEntries: s.walEntries,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      lastIndex: s.lastIndex,
      voters: s.membership.voters,
      learners: s.membership.learners,
      peers: s.peers,
      elections: s.elections,
      keys: s.keys,
      warnings: s.warnings,
      certificate: deps.certificate?.() ?? null,
      // Candidates on the LAN, not members: a listed peer may be dead (mDNS "down" is only a hint) or a stranger.
      discovery: discoveryStatus(deps.discovery),
      version: deps.version,
      uptimeSec: Math.round((Date.now() - deps.startedMs) / 1000),
    };
  });

  app.post('/v1/admin/promote-follower', async (req) => {
    can(req, 'admin');
    const body = parseWith(z.object({ barrier: z.literal('latest').optional() }).strict(), req.body ?? {}, 'promotion');
    const before = deps.cluster.status();
    const src = auditSource(req);
    if (deps.config.clusterMode === 'single') throw new KnowdError('CONFLICT', 'This node runs in single mode; there is nothing to promote');
    try {
      await deps.cluster.promoteSelf();
    } catch (e) {
      deps.audit.record({ action: 'promote', ...src, outcome: 'failed', previousLeader: before.leader, error: (e as Error).message });
      throw e;
    }
    const after = deps.cluster.status();
    deps.audit.record({ action: 'promote', ...src, outcome: 'ok', barrier: body.barrier ?? 'latest', previousLeader: before.leader, term: after.term });
    return { leader: after.leader, term: after.term, commitIndex: after.commitIndex, previousLeader: before.leader };
  });

  app.post('/v1/admin/snapshot', async (req, reply) => {
    can(req, 'admin');
    const src = auditSource(req);
    try {
      const snap = await deps.cluster.snapshotNow();
      if (snap === undefined) throw new KnowdError('NOT_SUPPORTED', 'This node keeps no snapshots (memory store)');
      deps.audit.record({ action: 'snapshot', ...src, outcome: 'ok', index: snap.meta.index, sizeBytes: snap.sizeBytes });
      void reply.status(201);
      return snapshotView(snap);
    } catch (e) {
      deps.audit.record({ action: 'snapshot', ...src, outcome: 'failed', error: (e as Error).message });
      throw e;
    }
  });

  const MemberBody = z.object({ id: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, 'a member id is host:port'), action: z.enum(['add', 'add-learner', 'promote', 'remove']).optional() }).strict();

  const changeMembers = async (req: FastifyRequest, action: 'add' | 'add-learner' | 'promote' | 'remove', id: string): Promise<Record<string, unknown>> => {
    const src = auditSource(req);
    if (deps.config.clusterMode === 'single') throw new KnowdError('CONFLICT', 'This node runs in single mode; start it as leader or follower to form a cluster');
    try {
      await deps.cluster.changeMembership(action, id);
    } catch (e) {
      deps.audit.record({ action: 'membership.change', ...src, outcome: 'failed', change: action, member: id, error: (e as Error).message });
      throw e;
    }
    const s = deps.cluster.status();
    deps.audit.record({ action: 'membership.change', ...src, outcome: 'ok', change: action, member: id, voters: s.membership.voters, learners: s.membership.learners });
    return { voters: s.membership.voters, learners: s.membership.learners };
  };

  app.post('/v1/admin/members', async (req) => {
    can(req, 'admin');
    const body = parseWith(MemberBody, req.body, 'member');
    return changeMembers(req, body.action ?? 'add', body.id);
  });

  app.delete<{ Params: { id: string } }>('/v1/admin/members/:id', async (req) => {
    can(req, 'admin');
    const body = parseWith(MemberBody, { id: req.params.id }, 'member');
    return changeMembers(req, 'remove', body.id);
  });

  app.get('/v1/admin/snapshots', async (req) => {
    can(req, 'admin');
    return { snapshots: deps.cluster.snapshots().map(snapshotView) };
  });
}

function hookSelfTest(deps: ApiDeps): HealthCheck {
  if (!deps.engine.namespaces().some((n) => n.name === deps.config.defaultNamespace)) return { ok: true, detail: 'no namespace yet' };
  try {
    const r = deps.engine.evaluateHook({ id: 'health', namespace: deps.config.defaultNamespace, phase: 'pre', condition: { ask: 'ASK {}' } }, 0);
    return r.fired ? { ok: true } : { ok: false, detail: 'the hook evaluator answered ASK {} with false' };
  } catch (e) {
    return { ok: false, detail: `hook evaluation failed: ${(e as Error).message}` };
  }
}

function snapshotView(s: { meta: { index: number; term: number }; path: string; sha256: string; sizeBytes: number; createdAtMs: number }): Record<string, unknown> {
  return { index: s.meta.index, term: s.meta.term, file: s.path, sha256: s.sha256, sizeBytes: s.sizeBytes, createdAt: new Date(s.createdAtMs).toISOString() };
}

function discoveryStatus(view: DiscoveryView | undefined): Record<string, unknown> {
  const s = view?.status() ?? { backend: 'off', peers: [] };
  return {
    backend: s.backend,
    peers: s.peers.map((p) => ({
      nodeId: p.txt.nodeId,
      clusterId: p.txt.clusterId,
      provisioned: p.txt.provisioned,
      addresses: p.addresses,
      host: p.host,
      httpPort: p.httpPort,
      grpcPort: p.txt.grpcPort,
      version: p.txt.version,
      lastSeen: new Date(p.lastSeenMs).toISOString(),
    })),
  };
}

function refreshGauges(deps: ApiDeps): void {
  const info = deps.engine.storage.info();
  deps.metrics.storeBytes.set(info.usedBytes);
  deps.engine.read((r) => {
    const log = logSize(r);
    deps.metrics.logEntries.set(log.entries);
    deps.metrics.logBytes.set(log.bytes);
    // Reset first: a deleted namespace's series would otherwise stay for good (one per namespace ever made).
    deps.metrics.storeQuads.reset();
    for (const n of deps.engine.namespaces()) deps.metrics.storeQuads.set({ namespace: n.name }, deps.engine.quads.stats(r, n.id).quads);
  });
  deps.metrics.vectorItems.reset();
  for (const v of deps.vectors?.indexes() ?? []) deps.metrics.vectorItems.set({ namespace: v.namespace }, v.size);
  const s = deps.cluster.status();
  deps.metrics.appliedIndex.set(s.appliedIndex);
  deps.metrics.commitIndex.set(s.commitIndex);
  deps.metrics.clusterTerm.set(s.term);
  for (const role of ['follower', 'pre-candidate', 'candidate', 'leader'] as const) deps.metrics.clusterRole.set({ role }, s.role === role ? 1 : 0);
  deps.metrics.clusterLag.set(s.lagSec);
  if (s.transport !== null) {
    deps.metrics.clusterBytesReplicated.set(s.transport.bytesSent);
    deps.metrics.clusterMessagesDropped.set(s.transport.messagesDropped);
  }
  deps.metrics.clusterPeerLag.reset();
  deps.metrics.clusterPeerContact.reset();
  for (const p of s.peers) {
    deps.metrics.clusterPeerLag.set({ peer: p.id }, p.lagEntries);
    deps.metrics.clusterPeerContact.set({ peer: p.id }, p.lastContactSec);
  }
}

/** Reads: a node running as many federated query parts as it takes is busy (coordinators pass it over). */
function queueCheck(p: { readonly inflight: number; readonly overloaded: boolean }): HealthCheck {
  return p.overloaded ? { ok: false, detail: `busy: ${p.inflight} federated query parts in flight (KNOWD_FEDERATION_MAX_INFLIGHT)` } : { ok: true, detail: `${p.inflight} federated query parts in flight` };
}
