import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import type { SimilarTarget } from '../../../sparql/index.js';
import type { VectorService } from '../../../engine/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { parseWith } from './common.js';

/** Vector upsert, delete and similarity search (SPEC: /v1/vector/upsert, /v1/similar, DELETE /v1/vector/{id}). */

// Numbers are checked by the vector module (finite, f32 range, dimension) so the 400 names the component.
const Item = z.object({ id: z.string(), vector: z.array(z.unknown()).optional(), text: z.string().optional() }).strict();
const UpsertBody = z
  .object({
    namespace: z.string().optional(),
    id: z.string().optional(),
    vector: z.array(z.unknown()).optional(),
    text: z.string().optional(),
    items: z.array(Item).optional(),
    metric: z.enum(['cos', 'l2', 'ip']).optional(),
    quantization: z.enum(['f32', 'f16', 'i8']).optional(),
    actor: z.string().min(1).max(256).optional(),
  })
  .strict();
const SimilarBody = z
  .object({
    namespace: z.string().optional(),
    vector: z.array(z.unknown()).optional(),
    text: z.string().optional(),
    id: z.string().optional(),
    topK: z.number().int().optional(),
    ef: z.number().int().optional(),
    filter: z.string().optional(),
  })
  .strict();
const DeleteQuery = z.object({ namespace: z.string().optional(), actor: z.string().min(1).max(256).optional() }).strict();

export function registerVectorRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  const service = (): VectorService => {
    if (deps.vectors === undefined) throw new KnowdError('NOT_SUPPORTED', 'Vector search is disabled on this node (KNOWD_VEC_ENABLED=false); enable it to use /v1/vector and /v1/similar');
    return deps.vectors;
  };
  const actorOf = (req: FastifyRequest, actor: string | undefined): string => {
    const p = req.principal;
    if (!p.local && actor !== undefined && actor !== p.sub && p.role !== 'admin') throw new KnowdError('FORBIDDEN', `Only an admin may set "actor" to someone other than the token's subject "${p.sub}"`);
    return actor ?? p.sub;
  };

  app.post('/v1/vector/upsert', async (req) => {
    const vectors = service();
    if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
    const body = parseWith(UpsertBody, req.body, 'vector upsert');
    const namespace = body.namespace ?? deps.config.defaultNamespace;
    can(req, 'writer', namespace);
    const single = body.id !== undefined || body.vector !== undefined || body.text !== undefined;
    if (single === (body.items !== undefined)) throw new KnowdError('BAD_REQUEST', 'Give either "id" with "vector" or "text", or "items": [{"id", "vector"|"text"}, ...]');
    if (single && body.id === undefined) throw new KnowdError('BAD_REQUEST', 'An upsert needs "id"');
    const items = (body.items ?? []).map((it) => ({ id: it.id, ...(it.vector !== undefined && { vector: it.vector }), ...(it.text !== undefined && { text: it.text }) }));
    if (single) items.push({ id: body.id!, ...(body.vector !== undefined && { vector: body.vector }), ...(body.text !== undefined && { text: body.text }) });
    const want = { ...(body.metric !== undefined && { metric: body.metric }), ...(body.quantization !== undefined && { quantization: body.quantization }) };
    return vectors.upsert(namespace, items, actorOf(req, body.actor), want);
  });

  app.post('/v1/similar', async (req) => {
    const vectors = service();
    const body = parseWith(SimilarBody, req.body, 'similarity search');
    const namespace = body.namespace ?? deps.config.defaultNamespace;
    can(req, 'reader', namespace);
    const given = [body.vector, body.text, body.id].filter((x) => x !== undefined).length;
    if (given !== 1) throw new KnowdError('BAD_REQUEST', 'Give exactly one of "vector", "text" and "id" (the stored item to find neighbours of)');
    const target: SimilarTarget = body.vector !== undefined ? { kind: 'vector', values: body.vector as number[] } : body.text !== undefined ? { kind: 'text', text: body.text } : { kind: 'id', id: body.id! };
    const started = performance.now();
    let outcome = 'error';
    try {
      const items = await vectors.similar(namespace, {
        target,
        ...(body.topK !== undefined && { topK: body.topK }),
        ...(body.ef !== undefined && { ef: body.ef }),
        ...(body.filter !== undefined && { filter: body.filter }),
      });
      outcome = 'ok';
      return { items };
    } finally {
      deps.metrics.vectorSearches.inc({ outcome });
      deps.metrics.vectorSearchDuration.observe((performance.now() - started) / 1000);
    }
  });

  // What this node indexes: per namespace the index settings and size (a shard's, when sharded).
  app.get('/v1/vector/indexes', async (req) => {
    const vectors = service();
    can(req, 'reader');
    const p = req.principal;
    return { indexes: vectors.indexes().filter((i) => p.ns === '*' || p.ns.includes(i.namespace)) };
  });

  // A wildcard, so ids that are IRIs ("/" and all) can be given percent-encoded or not.
  app.delete('/v1/vector/*', async (req) => {
    const vectors = service();
    if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
    const q = parseWith(DeleteQuery, req.query, 'query');
    const namespace = q.namespace ?? deps.config.defaultNamespace;
    can(req, 'writer', namespace);
    const id = (req.params as { '*': string })['*'];
    if (id === '') throw new KnowdError('BAD_REQUEST', 'DELETE /v1/vector/{id} needs an id');
    return vectors.remove(namespace, [id], actorOf(req, q.actor));
  });
}
