import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Writer } from 'n3';
import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import { bulkImport } from '../../../engine/index.js';
import { factory, formatFromMediaType, parseFormatName, type Quad, type RdfFormat } from '../../../rdf/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { sendFromSnapshot } from '../snapshot-stream.js';
import { parseWith } from './common.js';
import { auditSource } from './ops.js';

/** Peeks at the first bytes: gzip is detected by its magic number, whatever the headers say. */
async function maybeGunzip(body: Readable): Promise<Readable> {
  const it = body[Symbol.asyncIterator]();
  const first = await it.next();
  const head: Buffer | undefined = first.done === true ? undefined : Buffer.from(first.value as Buffer);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head !== undefined) yield head;
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value as Buffer;
  }
  const stream = Readable.from(rest());
  return head !== undefined && head[0] === 0x1f && head[1] === 0x8b ? stream.pipe(createGunzip()) : stream;
}

/**
 * Quads per import batch (one log entry each). Applying an entry blocks its node's event loop, heartbeats
 * included, so in a cluster a batch must apply well within an election timeout on every replica (a
 * follower also parses it): 5 000 quads take tens of milliseconds. A single node has no one to miss
 * its heartbeats; its batches are sized for memory: an LMDB write transaction keeps a copy of every
 * page it dirties, so 50 000-quad batches peaked at ~650 MiB anonymous memory on LUBM(10) and
 * 20 000-quad ones at ~410 MiB, at the same load rate (measured side by side).
 */
export const SINGLE_NODE_IMPORT_BATCH = 20_000;
export const CLUSTER_IMPORT_BATCH = 5_000;

export function importBatchQuads(m: { readonly voters: readonly string[]; readonly learners: readonly string[] }): number {
  return m.voters.length + m.learners.length > 1 ? CLUSTER_IMPORT_BATCH : SINGLE_NODE_IMPORT_BATCH;
}

export function registerAdminRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  app.get('/v1/admin/namespaces', async (req) => {
    can(req, 'reader');
    const p = req.principal;
    const list = deps.engine.namespaces().filter((n) => p.ns === '*' || p.ns.includes(n.name));
    return {
      namespaces: list.map((n) => ({ name: n.name, created: new Date(n.createdMs).toISOString(), ...deps.engine.read((r) => deps.engine.quads.stats(r, n.id)) })),
    };
  });

  app.post('/v1/admin/namespaces', async (req, reply) => {
    can(req, 'admin');
    const body = parseWith(z.object({ name: z.string() }).strict(), req.body, 'namespace');
    const ns = await deps.engine.createNamespace(body.name, req.principal.sub);
    void reply.status(201);
    return { name: ns.name, created: new Date(ns.createdMs).toISOString() };
  });

  app.delete<{ Params: { name: string } }>('/v1/admin/namespaces/:name', async (req) => {
    can(req, 'admin', req.params.name);
    if (req.params.name === deps.config.defaultNamespace) throw new KnowdError('CONFLICT', `The default namespace "${req.params.name}" cannot be deleted`);
    await deps.engine.deleteNamespace(req.params.name, req.principal.sub);
    return { deleted: req.params.name };
  });

  // Bulk load: the body streams through the parser in constant memory and is committed in batches,
  // one log entry and one receipt per batch. A failed batch stops the load; earlier batches stay.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post('/v1/admin/import', async (req) => {
      const q = parseWith(z.object({ namespace: z.string().optional(), format: z.string().optional(), actor: z.string().optional() }), req.query, 'import');
      const ns = q.namespace ?? deps.config.defaultNamespace;
      can(req, 'writer', ns);
      deps.engine.namespace(ns);
      const format: RdfFormat | undefined = q.format !== undefined ? parseFormatName(q.format) : formatFromMediaType(req.headers['content-type']);
      if (format === undefined) throw new KnowdError('BAD_FORMAT', 'Say the format with ?format= (turtle, n-triples, n-quads, trig) or a Content-Type');
      const input = await maybeGunzip(req.body as Readable);
      const r = await bulkImport(deps.engine, input, { namespace: ns, format, actor: q.actor ?? req.principal.sub, batchQuads: importBatchQuads(deps.cluster.status().membership) });
      return { ...r, quadsPerSec: Math.round(r.quads / Math.max(r.durationMs / 1000, 1e-3)) };
    });
  });

  const backup = deps.backup;
  if (backup !== undefined) {
    app.get('/v1/admin/backup', async (req, reply) => {
      can(req, 'admin');
      const src = auditSource(req);
      try {
        const b = await backup();
        deps.audit.record({ action: 'backup', ...src, outcome: 'ok', index: b.manifest.snapshot.index });
        void reply.type('application/x-tar').header('x-knowd-backup-index', String(b.manifest.snapshot.index)).header('x-knowd-backup-term', String(b.manifest.snapshot.term)).header('x-knowd-node-id', b.manifest.nodeId);
        return reply.send(b.stream);
      } catch (e) {
        deps.audit.record({ action: 'backup', ...src, outcome: 'failed', error: (e as Error).message });
        throw e;
      }
    });
  }

  app.get('/v1/admin/export', async (req, reply) => {
    const q = parseWith(z.object({ namespace: z.string().optional(), format: z.string().optional() }), req.query, 'export');
    const ns = q.namespace ?? deps.config.defaultNamespace;
    can(req, 'reader', ns);
    const format = parseFormatName(q.format ?? 'n-quads');
    if (format !== 'n-quads' && format !== 'n-triples') throw new KnowdError('BAD_FORMAT', 'Export writes n-quads (or n-triples for the default graph only)');
    const info = deps.engine.namespace(ns);
    const graph = format === 'n-triples' ? factory.defaultGraph() : 'all';
    // One read snapshot for the whole export, streamed with backpressure: constant memory.
    return sendFromSnapshot(reply, format === 'n-quads' ? 'application/n-quads' : 'application/n-triples', (fn) => deps.engine.read(fn), (r) => exportLines(deps.engine.quads.matchTerms(r, info.id, null, null, null, graph)), deps.log);
  });
}

/** N-Quads lines in chunks of about 1 MiB. */
function* exportLines(quads: Iterable<Quad>): Generator<string> {
  const w = new Writer({ format: 'N-Quads' });
  let buf = '';
  for (const quad of quads) {
    buf += w.quadToString(quad.subject as never, quad.predicate as never, quad.object as never, quad.graph as never);
    if (buf.length >= 1 << 20) {
      yield buf;
      buf = '';
    }
  }
  if (buf !== '') yield buf;
}
