import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import { parseHook, type StoredFiring, type StoredHook } from '../../../hooks/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { parseWith } from './common.js';

/** A dry run of a SHACL condition reads the namespace; past this size it is refused. */
const DRY_RUN_MAX_QUADS = 100_000;

const NsQuery = z.object({ namespace: z.string().optional() });
const FiringsQuery = z.object({ namespace: z.string().optional(), limit: z.coerce.number().int().min(1).max(10_000).optional(), after: z.coerce.number().int().min(0).optional() });
const EvaluateBody = z.union([z.object({ id: z.string().min(1), namespace: z.string().optional() }).strict(), z.object({ hook: z.unknown() }).strict()]);

export function registerHookRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  const nsOf = (q: unknown): string => parseWith(NsQuery, q, 'query').namespace ?? deps.config.defaultNamespace;

  // A pre hook decides what every later write may do: defining one is an admin's act.
  app.post('/v1/hooks', async (req) => {
    if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
    const hook = parseHook(req.body, nsOf(req.query));
    can(req, 'admin', hook.namespace);
    const r = await deps.engine.putHook(hook, req.principal.sub);
    return { hook, receipt: r.receipt };
  });

  // A hook a policy pack installed says so ("pack"): it can only be changed through the pack.
  const owners = (ns: string): Map<string, string> => new Map(deps.engine.packs().flatMap((p) => p.items.filter((i) => i.namespace === ns).flatMap((i) => i.hooks.map((h) => [h.id, p.name] as const))));
  const withOwner = (h: StoredHook, own: Map<string, string>): StoredHook & { pack?: string } => {
    const pack = own.get(h.id);
    return pack === undefined ? h : { ...h, pack };
  };

  app.get('/v1/hooks', async (req) => {
    const ns = nsOf(req.query);
    can(req, 'reader', ns);
    const own = owners(ns);
    return { hooks: deps.engine.hooks(ns).map((h) => withOwner(h, own)) };
  });

  // Dry run against current data: no transaction, nothing recorded.
  app.post('/v1/hooks/evaluate', async (req) => {
    const body = parseWith(EvaluateBody, req.body, 'evaluation request');
    const hook = 'id' in body ? deps.engine.hook(body.namespace ?? nsOf(req.query), body.id) : parseHook(body.hook, nsOf(req.query));
    can(req, 'reader', hook.namespace);
    return deps.engine.evaluateHook(hook, DRY_RUN_MAX_QUADS);
  });

  app.get<{ Params: { id: string } }>('/v1/hooks/:id', async (req) => {
    const ns = nsOf(req.query);
    can(req, 'reader', ns);
    return withOwner(deps.engine.hook(ns, req.params.id), owners(ns));
  });

  app.delete<{ Params: { id: string } }>('/v1/hooks/:id', async (req) => {
    if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
    const ns = nsOf(req.query);
    can(req, 'admin', ns);
    const r = await deps.engine.deleteHook(ns, req.params.id, req.principal.sub);
    return { deleted: req.params.id, receipt: r.receipt };
  });

  app.get<{ Params: { id: string } }>('/v1/hooks/:id/firings', async (req) => {
    const q = parseWith(FiringsQuery, req.query, 'query');
    const ns = q.namespace ?? deps.config.defaultNamespace;
    can(req, 'reader', ns);
    return { firings: deps.engine.firings(ns, req.params.id, q.limit ?? 1000, q.after) };
  });

  /**
   * Server-sent events: every post-hook firing this node commits from now on, as `event: firing`
   * with the firing (and its receipt id) as data. `?namespace=` filters to one namespace.
   */
  app.get('/v1/events', async (req, reply) => {
    const q = parseWith(NsQuery, req.query, 'query');
    if (q.namespace !== undefined) {
      can(req, 'reader', q.namespace);
      // A stream of a namespace that does not exist would stay silent forever: say so instead.
      deps.engine.namespace(q.namespace);
    }
    else can(req, 'reader', deps.config.defaultNamespace);
    const allowed = (f: StoredFiring): boolean => {
      if (q.namespace !== undefined) return f.namespace === q.namespace;
      const p = req.principal;
      return p.ns === '*' || p.ns.includes(f.namespace);
    };
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    raw.write(': knowd events\n\n');
    const off = deps.engine.onFiring((f) => {
      if (allowed(f)) raw.write(`event: firing\nid: ${f.receiptId}\ndata: ${JSON.stringify(f)}\n\n`);
    });
    const ping = setInterval(() => raw.write(': ping\n\n'), 15_000);
    ping.unref();
    raw.on('close', () => {
      off();
      clearInterval(ping);
    });
  });
}
