import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import { KnowdError, systemClock } from '../../../base/index.js';
import type { BuiltApp } from '../app.js';
import { ClusterWatch } from '../cluster-watch.js';
import type { ApiDeps } from '../deps.js';
import { parseWith } from './common.js';
import { auditSource } from './ops.js';

const PromoteBody = z.object({ nodeId: z.string().min(1).max(300) }).strict();
const VerifyBody = z.object({ index: z.number().int().min(0) }).strict();

/**
 * What the admin UI needs beyond the plain API: the cluster as one view with live updates, promoting
 * any member from the page of any node, the node's hardware, and snapshot checks and downloads.
 */
export function registerConsoleRoutes({ app, can, sessions }: BuiltApp, deps: ApiDeps): void {
  const single = deps.config.clusterMode === 'single';
  const watch = new ClusterWatch({
    self: () => deps.cluster.status(),
    ...(!single && { peer: (id: string, timeoutMs: number) => deps.cluster.peerStatus(id, timeoutMs) }),
  }, deps.clock ?? systemClock);
  // Open event streams would hold the server's close for its whole grace period: end them first.
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const raw of streams) raw.end();
  });
  app.addHook('onClose', async () => watch.stop());

  app.get('/v1/admin/cluster', async (req) => {
    can(req, 'reader');
    return { view: await watch.current(), history: watch.history() };
  });

  /**
   * Server-sent events: `event: cluster` once a second with the cluster view and the chart's new
   * sample. A stream opened by an admin UI session ends (`event: expired`) when the session does.
   */
  app.get('/v1/admin/events', async (req, reply) => {
    can(req, 'reader');
    const sid = req.session?.id;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    raw.write(`retry: 2000\nevent: history\ndata: ${JSON.stringify(watch.history())}\n\n`);
    const off = watch.subscribe((view, sample) => {
      if (sid !== undefined && sessions.peek(sid) === undefined) {
        raw.write('event: expired\ndata: {}\n\n');
        raw.end();
        return;
      }
      raw.write(`event: cluster\ndata: ${JSON.stringify({ view, sample })}\n\n`);
    });
    streams.add(raw);
    raw.on('close', () => {
      off();
      streams.delete(raw);
    });
  });

  app.post('/v1/admin/promote', async (req) => {
    can(req, 'admin');
    const body = parseWith(PromoteBody, req.body, 'promotion');
    if (single) throw new KnowdError('CONFLICT', 'This node runs in single mode; there is nothing to promote');
    const before = deps.cluster.status();
    const src = auditSource(req);
    try {
      await deps.cluster.transferLeadership(body.nodeId);
    } catch (e) {
      deps.audit.record({ action: 'promote', ...src, outcome: 'failed', member: body.nodeId, previousLeader: before.leader, error: (e as Error).message });
      throw e;
    }
    const after = deps.cluster.status();
    deps.audit.record({ action: 'promote', ...src, outcome: 'ok', member: body.nodeId, barrier: 'latest', previousLeader: before.leader, term: after.term });
    return { leader: after.leader, term: after.term, previousLeader: before.leader };
  });

  app.get('/v1/admin/node', async (req) => {
    can(req, 'reader');
    const s = deps.cluster.status();
    const info = deps.engine.storage.info();
    return {
      nodeUuid: deps.nodeId,
      memberId: s.nodeId,
      version: deps.version,
      uptimeSec: Math.round(((deps.clock ?? systemClock).nowMs() - deps.startedMs) / 1000),
      dataDir: deps.config.dataDir,
      store: { kind: info.kind, usedBytes: info.usedBytes, mapSizeBytes: info.mapSizeBytes },
      telemetry: deps.telemetry === undefined ? null : await deps.telemetry(),
    };
  });

  app.post('/v1/admin/snapshots/verify', async (req) => {
    can(req, 'admin');
    const body = parseWith(VerifyBody, req.body, 'snapshot verification');
    const r = await deps.cluster.verifySnapshot(body.index);
    deps.audit.record({ action: 'snapshot.verify', ...auditSource(req), outcome: r.ok ? 'ok' : 'failed', index: body.index, ...(!r.ok && { reason: r.reason }) });
    return { index: body.index, ...r };
  });

  // The newest snapshot file as stored: encrypted with the cluster's snapshot key, so the download
  // is useless without it (knowdctl snapshot verify|restore --key).
  app.get('/v1/admin/snapshots/latest/file', async (req, reply) => {
    can(req, 'admin');
    const latest = deps.cluster.snapshots()[0];
    if (latest === undefined) throw new KnowdError('NOT_FOUND', 'This node holds no snapshot yet; take one first');
    deps.audit.record({ action: 'snapshot.download', ...auditSource(req), outcome: 'ok', index: latest.meta.index });
    void reply
      .type('application/octet-stream')
      .header('content-disposition', `attachment; filename="${path.basename(latest.path)}"`)
      .header('content-length', String(latest.sizeBytes));
    return reply.send(fs.createReadStream(latest.path));
  });
}
