import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import { evidenceHash, getUpdateDelta, receiptScope, receiptsOf, requireReceipt, searchReceipts, type Command } from '../../../engine/index.js';
import { verifyReceipt } from '../../../receipts/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { parseWith } from './common.js';

const Search = z.object({
  actor: z.string().optional(),
  namespace: z.string().optional(),
  since: z.string().optional(),
  until: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

function timeParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new KnowdError('BAD_REQUEST', `Invalid ${name}="${v}": use an ISO 8601 time or milliseconds since the epoch`);
  return n;
}

export function registerReceiptRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  const entryOf = (index: number): Command | undefined => deps.engine.logEntry(index);

  app.get('/v1/receipts/search', async (req) => {
    const q = parseWith(Search, req.query, 'search');
    if (q.namespace !== undefined) can(req, 'reader', q.namespace);
    const sinceMs = timeParam(q.since, 'since');
    const untilMs = timeParam(q.until, 'until');
    const p = req.principal;
    const found = deps.engine.read((r) =>
      searchReceipts(r, {
        limit: q.limit ?? 1000,
        ...(p.ns !== '*' && { allowed: p.ns }),
        ...(q.actor !== undefined && { actor: q.actor }),
        ...(q.namespace !== undefined && { namespace: q.namespace }),
        ...(sinceMs !== undefined && { sinceMs }),
        ...(untilMs !== undefined && { untilMs }),
      }),
    );
    return { receipts: found.map((r) => deps.engine.signReceipt(r)) };
  });

  /** Receipts with the logged deltas, for offline verification by `knowdctl receipts verify`. */
  app.get('/v1/receipts/export', async (req, reply) => {
    const q = parseWith(z.object({ namespace: z.string().optional() }), req.query, 'export');
    const ns = q.namespace ?? deps.config.defaultNamespace;
    can(req, 'reader', ns);
    const lines: string[] = [];
    deps.engine.read((r) => {
      for (const stored of receiptsOf(r, ns)) {
        const receipt = deps.engine.signReceipt(stored);
        const e = entryOf(receipt.logIndex);
        const updateDelta = e?.type === 'update' ? getUpdateDelta(r, receipt.id) : undefined;
        lines.push(JSON.stringify({ receipt, entry: e !== undefined && e.type !== 'ns-create' && e.type !== 'ns-delete' ? e : null, ...(updateDelta !== undefined && { updateDelta }) }));
      }
    });
    void reply.type('application/x-ndjson');
    return lines.join('\n') + (lines.length > 0 ? '\n' : '');
  });

  app.get<{ Params: { id: string } }>('/v1/receipts/:id', async (req) => {
    const receipt = deps.engine.read((r) => requireReceipt(r, req.params.id));
    can(req, 'reader', receiptScope(receipt.namespace));
    return deps.engine.signReceipt(receipt);
  });

  app.get<{ Params: { id: string } }>('/v1/receipts/:id/verify', async (req) => {
    const stored = deps.engine.read((r) => requireReceipt(r, req.params.id));
    can(req, 'reader', receiptScope(stored.namespace));
    // Checks the stored fields against their hash (a receipt stored unsigned is signed now).
    const receipt = deps.engine.signReceipt(stored);
    const sig = verifyReceipt(receipt);
    // Recompute the delta hash from the log entry: the receipt must match what was committed.
    const entry = entryOf(receipt.logIndex) ?? null;
    const updateDelta = entry?.type === 'update' ? deps.engine.read((r) => getUpdateDelta(r, receipt.id)) : undefined;
    // A post hook's firing receipt covers the recorded firing, not the entry.
    const firing = receipt.kind === 'hook' && receiptScope(receipt.namespace) !== receipt.namespace ? deps.engine.firingOfReceipt(receipt.id) : undefined;
    const hash = await evidenceHash({ entry, ...(updateDelta !== undefined && { updateDelta }), ...(firing !== undefined && { firing }) });
    const deltaOk = hash !== undefined && hash === receipt.deltaHash;
    const reason = !sig.valid ? sig.reason : deltaOk ? undefined : 'the delta hash does not match the logged transaction';
    return { valid: sig.valid && deltaOk, canonicalHash: sig.canonicalHash ?? null, sig: receipt.sig, pub: receipt.pub, ...(reason !== undefined && { reason }) };
  });
}
