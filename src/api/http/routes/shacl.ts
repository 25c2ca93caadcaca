import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import { parseFormatName, parseRdf, serializeRdf } from '../../../rdf/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { parseWith } from './common.js';

/** Full validation of a namespace's data reads it all; past this size the caller must ask for it. */
const VALIDATE_MAX_QUADS = 1_000_000;

const ShapesJson = z.object({ shapes: z.string(), namespace: z.string().optional() }).strict();
const ValidateBody = z
  .object({
    data: z.string().optional(),
    format: z.string().optional(),
    shapes: z.string().optional(),
    namespace: z.string().optional(),
    force: z.boolean().optional(),
  })
  .strict();
const NsQuery = z.object({ namespace: z.string().optional() });

const wantsTurtle = (accept: string | undefined): boolean => accept !== undefined && /\btext\/turtle\b/.test(accept) && !/application\/json/.test(accept);

export function registerShaclRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  // Shapes decide what every later write may do: replacing them is an admin's act.
  app.put('/v1/shapes', async (req) => {
    if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
    const q = parseWith(NsQuery, req.query, 'query');
    let text: string;
    let namespace = q.namespace;
    if (typeof req.body === 'string') text = req.body;
    else {
      const body = parseWith(ShapesJson, req.body, 'shapes');
      text = body.shapes;
      namespace = body.namespace ?? namespace;
    }
    const ns = namespace ?? deps.config.defaultNamespace;
    can(req, 'admin', ns);
    const r = await deps.engine.putShapes(ns, text, req.principal.sub);
    return { receipt: r.receipt, delta: r.delta };
  });

  app.get('/v1/shapes', async (req, reply) => {
    const ns = parseWith(NsQuery, req.query, 'query').namespace ?? deps.config.defaultNamespace;
    can(req, 'reader', ns);
    void reply.type('text/turtle; charset=utf-8');
    return deps.engine.shapes(ns) ?? '';
  });

  // A query, not a write: a non-conforming report is still 200.
  app.post('/v1/validate', async (req, reply) => {
    const body = parseWith(ValidateBody, req.body, 'validation request');
    const ns = body.namespace ?? deps.config.defaultNamespace;
    can(req, 'reader', ns);
    const data = body.data === undefined ? undefined : parseRdf(body.data, { format: parseFormatName(body.format ?? 'turtle'), blankNodePrefix: 'd', source: 'data' });
    const full = await deps.engine.validate(ns, {
      ...(data !== undefined && { data }),
      ...(body.shapes !== undefined && { shapes: body.shapes }),
      maxQuads: body.force === true ? Number.MAX_SAFE_INTEGER : VALIDATE_MAX_QUADS,
    });
    if (wantsTurtle(req.headers.accept)) {
      void reply.type('text/turtle; charset=utf-8');
      return serializeRdf(full.quads, 'turtle', { sh: 'http://www.w3.org/ns/shacl#' });
    }
    return full.report;
  });
}
