import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { KnowdError } from '../../base/index.js';
import { authenticate, authorize, type Principal, type Role } from './auth.js';
import type { ApiDeps } from './deps.js';
import { errorHandler } from './errors.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerClusterRoutes } from './routes/cluster.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerReceiptRoutes } from './routes/receipts.js';
import { registerSparqlRoutes } from './routes/sparql.js';
import { registerShaclRoutes } from './routes/shacl.js';
import { registerHookRoutes } from './routes/hooks.js';
import { registerPackRoutes } from './routes/packs.js';
import { registerStoreRoutes } from './routes/store.js';
import { registerTxRoutes } from './routes/tx.js';
import { registerVectorRoutes } from './routes/vectors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Set on the one route a caller without a bearer token may use: POST /v1/cluster/join. */
    authenticatedBy?: 'join-token';
  }
}

export interface BuiltApp {
  readonly app: FastifyInstance;
  /** Checks role and namespace for the current request (throws FORBIDDEN). */
  readonly can: (req: FastifyRequest, role: Role, namespace?: string) => void;
}

const RDF_TYPES = ['text/turtle', 'application/n-triples', 'application/n-quads', 'application/trig', 'text/plain', 'application/x-turtle', 'text/x-nquads'];

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.config.maxBodyBytes,
    // Large RDF uploads take time on slow links; the socket stays open while data flows.
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const secret = deps.config.tokenSecret === undefined ? undefined : new TextEncoder().encode(deps.config.tokenSecret);

  app.decorateRequest('principal', null as unknown as Principal);
  app.addContentTypeParser(RDF_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(['application/sparql-query', 'application/sparql-update', 'application/x-www-form-urlencoded'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  // SPEC: with a token secret every request needs a token, probes included (they use the admin socket).
  app.addHook('onRequest', async (req) => {
    // A route that authenticates by other means (a join token's proof) declares it in its config.
    if (req.routeOptions.config.authenticatedBy === 'join-token') {
      req.principal = { sub: 'joining-node', role: 'reader', ns: [], local: false };
      return;
    }
    req.principal = await authenticate(req.headers.authorization, req.socket.remoteAddress, secret);
  });
  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  // Read-your-writes on any node: a client passes the log index of its receipt and the read waits
  // until this node has applied it (or gets 503 INDEX_NOT_REACHED after KNOWD_CLUSTER_READ_TIMEOUT).
  app.addHook('preHandler', async (req) => {
    const raw = req.headers['x-knowd-min-index'];
    if (raw === undefined) return;
    const text = Array.isArray(raw) ? raw[0] ?? '' : raw;
    if (!/^\d{1,15}$/.test(text)) throw new KnowdError('BAD_REQUEST', `X-Knowd-Min-Index must be a log index (a non-negative integer), not "${text}"`);
    await deps.cluster.waitForApplied(Number(text));
  });
  app.setErrorHandler(errorHandler(deps.log));
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(new KnowdError('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`).toJSON());
  });

  const can = (req: FastifyRequest, role: Role, namespace?: string): void => authorize(req.principal, role, namespace);
  const built: BuiltApp = { app, can };
  registerOpsRoutes(built, deps);
  registerClusterRoutes(built, deps);
  registerTxRoutes(built, deps);
  registerReceiptRoutes(built, deps);
  registerAdminRoutes(built, deps);
  registerStoreRoutes(built, deps);
  registerSparqlRoutes(built, deps);
  registerVectorRoutes(built, deps);
  registerShaclRoutes(built, deps);
  registerHookRoutes(built, deps);
  registerPackRoutes(built, deps);
  return app;
}
