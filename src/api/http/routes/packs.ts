import { KnowdError } from '../../../base/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { auditSource } from './ops.js';

export function registerPackRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  // What is loaded, and how the last load went (its problems, when it failed). Items are shown
  // for the namespaces the token grants.
  app.get('/v1/packs', async (req) => {
    can(req, 'reader');
    const st = deps.packs?.status() ?? { dir: null, packs: [], lastLoad: null };
    const p = req.principal;
    const visible = (ns: string): boolean => p.ns === '*' || p.ns.includes(ns);
    return { ...st, packs: st.packs.map((r) => ({ ...r, items: r.items.filter((i) => visible(i.namespace)) })) };
  });

  // Packs span namespaces: reloading them needs an admin token for all of them.
  app.post('/v1/packs/reload', async (req) => {
    can(req, 'admin');
    if (req.principal.ns !== '*') throw new KnowdError('FORBIDDEN', 'Reloading policy packs needs a token for every namespace ("ns": "*")');
    if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
    if (deps.packs === undefined) throw new KnowdError('NOT_SUPPORTED', 'No packs directory is configured (KNOWD_PACKS)');
    let r;
    try {
      r = await deps.packs.reload(req.principal.sub);
    } catch (e) {
      deps.audit.record({ action: 'packs.reload', ...auditSource(req), outcome: 'failed', error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    deps.audit.record({ action: 'packs.reload', ...auditSource(req), outcome: 'ok', changed: r.changed, packs: r.packs.map((p) => `${p.name}@${p.digest.slice(0, 12)}`) });
    return { changed: r.changed, packs: r.packs, receipts: r.receipts };
  });
}
