import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import { parseFormatName } from '../../../rdf/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { parseWith } from './common.js';

const TxBody = z
  .object({
    add: z.string().optional(),
    remove: z.string().optional(),
    format: z.string().optional(),
    actor: z.string().min(1).max(256).optional(),
    idempotencyKey: z.string().min(1).max(256).optional(),
    namespace: z.string().optional(),
    baseIRI: z.string().url().optional(),
  })
  .strict();

export function registerTxRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  app.post('/v1/tx', async (req) => {
    if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
    const body = parseWith(TxBody, req.body, 'transaction');
    const namespace = body.namespace ?? deps.config.defaultNamespace;
    can(req, 'writer', namespace);
    if (body.add === undefined && body.remove === undefined) throw new KnowdError('BAD_REQUEST', 'A transaction needs "add" and/or "remove"');
    const format = parseFormatName(body.format ?? 'turtle');
    const p = req.principal;
    // Receipts name who wrote: with tokens that is the token's subject; only an admin may write on
    // behalf of another actor (an ingestion service relaying for users, say).
    if (!p.local && body.actor !== undefined && body.actor !== p.sub && p.role !== 'admin') {
      throw new KnowdError('FORBIDDEN', `Only an admin may set "actor" to someone other than the token's subject "${p.sub}"`);
    }
    const started = performance.now();
    try {
      const r = await deps.engine.transact({
        namespace,
        format,
        actor: body.actor ?? p.sub,
        ...(body.add !== undefined && { add: body.add }),
        ...(body.remove !== undefined && { remove: body.remove }),
        ...(body.idempotencyKey !== undefined && { idempotencyKey: body.idempotencyKey }),
        ...(body.baseIRI !== undefined && { baseIRI: body.baseIRI }),
      });
      deps.metrics.txTotal.inc({ outcome: r.replayed ? 'replayed' : 'committed' });
      deps.metrics.quadsChanged.inc({ op: 'added' }, r.delta.added);
      deps.metrics.quadsChanged.inc({ op: 'removed' }, r.delta.removed);
      return { receipt: r.receipt, delta: r.delta, ...(r.replayed && { replayed: true }) };
    } catch (e) {
      deps.metrics.txTotal.inc({ outcome: 'rejected' });
      throw e;
    } finally {
      deps.metrics.txDuration.observe((performance.now() - started) / 1000);
    }
  });
}

