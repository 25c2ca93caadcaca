import { logSize } from '../../../replication/log/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';

export function registerOpsRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  const checks = (): Record<string, { ok: boolean; detail?: string }> => {
    const out: Record<string, { ok: boolean; detail?: string }> = {};
    try {
      deps.engine.position();
      out['store'] = { ok: true };
    } catch (e) {
      out['store'] = { ok: false, detail: (e as Error).message };
    }
    out['ready'] = deps.ready() ? { ok: true } : { ok: false, detail: 'starting or shutting down' };
    return out;
  };

  app.get('/healthz', async (_req, reply) => {
    const c = checks();
    const store = c['store']!;
    if (!store.ok) return reply.status(503).send({ status: 'failing', failing: 'store', checks: c });
    return { status: 'ok', checks: c };
  });

  app.get('/readyz', async (_req, reply) => {
    const c = checks();
    const failing = Object.entries(c).find(([, v]) => !v.ok);
    if (failing !== undefined) return reply.status(503).send({ status: 'not ready', failing: failing[0], checks: c });
    return { status: 'ready' };
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
      return { store: info.kind, path: info.path, usedBytes: info.usedBytes, mapSizeBytes: info.mapSizeBytes, log: logSize(r), position: deps.engine.position(), namespaces };
    });
  });

  app.get('/v1/cluster/status', async (req) => {
    can(req, 'reader');
    const pos = deps.engine.position();
    const log = deps.engine.read((r) => logSize(r));
    return {
      mode: deps.config.clusterMode,
      nodeId: deps.nodeId,
      term: pos.lastTerm,
      leader: deps.config.clusterMode === 'single' ? deps.nodeId : null,
      followers: [],
      lagSec: 0,
      lastSnapshot: null,
      walSize: log.bytes,
      walEntries: log.entries,
      commitIndex: pos.lastIndex,
      appliedIndex: pos.appliedIndex,
      peers: [],
      version: deps.version,
      uptimeSec: Math.round((Date.now() - deps.startedMs) / 1000),
    };
  });
}

function refreshGauges(deps: ApiDeps): void {
  const info = deps.engine.storage.info();
  deps.metrics.storeBytes.set(info.usedBytes);
  deps.engine.read((r) => {
    const log = logSize(r);
    deps.metrics.logEntries.set(log.entries);
    deps.metrics.logBytes.set(log.bytes);
    for (const n of deps.engine.namespaces()) deps.metrics.storeQuads.set({ namespace: n.name }, deps.engine.quads.stats(r, n.id).quads);
  });
  const pos = deps.engine.position();
  deps.metrics.appliedIndex.set(pos.appliedIndex);
  deps.metrics.commitIndex.set(pos.lastIndex);
}
