import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { KnowdError, systemClock } from '../../base/index.js';
import { authenticate, authorize, type Principal, type Role } from './auth.js';
import { AttemptLimiter, SessionStore, csrfMatches, sessionIdFrom, type Session } from './sessions.js';
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
import { registerSessionRoutes } from './routes/session.js';
import { registerConsoleRoutes } from './routes/console.js';
import { registerUiRoutes } from './routes/ui.js';
import { parseMultipart } from './multipart.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    /** The admin UI session the request was authenticated by, if any. */
    session: Session | undefined;
  }
  interface FastifyContextConfig {
    /**
     * Set on the routes a caller without a bearer token may use: POST /v1/cluster/join (its join
     * token's proof), and the admin UI's page assets and sign-in ('public': they check for themselves).
     */
    authenticatedBy?: 'join-token' | 'public';
  }
}

export interface BuiltApp {
  readonly app: FastifyInstance;
  /** Checks role and namespace for the current request (throws FORBIDDEN). */
  readonly can: (req: FastifyRequest, role: Role, namespace?: string) => void;
  /** Admin UI sessions (sign-in, the cookie) and the sign-in attempt limit per client address. */
  readonly sessions: SessionStore;
  readonly signIns: AttemptLimiter;
  /** The HS256 key for bearer tokens, when KNOWD_TOKEN_SECRET is set. */
  readonly secret: Uint8Array | undefined;
}

/** Sign-in attempts per client address and minute: enough for typos, too few to guess. */
const SIGN_IN_ATTEMPTS_PER_MINUTE = 5;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** True without an Origin (not a browser, or a same-origin GET) or when Origin names this host. */
function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

const PUBLIC_PRINCIPAL: Principal = { sub: 'anonymous', role: 'reader', ns: [], local: false };
const ADMIN_SOCKET_PRINCIPAL: Principal = { sub: 'admin-socket', role: 'admin', ns: '*', local: true };

const RDF_TYPES = ['text/turtle', 'application/n-triples', 'application/n-quads', 'application/trig', 'text/plain', 'application/x-turtle', 'text/x-nquads'];

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: deps.config.maxBodyBytes,
    // Large RDF uploads take time on slow links; the socket stays open while data flows.
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors fastify raises before routing (a malformed URL, a bad Content-Type header) get the same
    // {"error": {code, message}} body as every other error.
    frameworkErrors: (e, req, reply) => errorHandler(deps.log)(e, req, reply),
  });
  const secret = deps.config.tokenSecret === undefined ? undefined : new TextEncoder().encode(deps.config.tokenSecret);

  const clock = deps.clock ?? systemClock;
  const sessions = new SessionStore(clock, deps.config.adminSessionIdleMs);
  const signIns = new AttemptLimiter(clock, SIGN_IN_ATTEMPTS_PER_MINUTE, 60_000);
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('session', undefined);
  app.addContentTypeParser(RDF_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser(['application/sparql-query', 'application/sparql-update', 'application/x-www-form-urlencoded'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // Several RDF documents in one Graph Store POST (routes/store.ts merges the parts).
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (req, body, done) => {
    parseMultipart(req.headers, body as Buffer).then((parts) => done(null, parts), (e: Error) => done(e, undefined));
  });

  // SPEC: with a token secret every request needs a token — except on the admin socket, whose file
  // mode (0660, root and the knowd group) is the check: operators there use knowdctl without one
  // (issue 9). A token sent there anyway is verified and its role applies.
  app.addHook('onRequest', async (req) => {
    // A browser names the page that caused a request in Origin. A state change caused by another
    // site's page is refused unless it carries a bearer token (which that page cannot have): without
    // this, a page on any site could post to a loopback node that serves loopback without
    // credentials, through the browser of someone on that box.
    if (!SAFE_METHODS.has(req.method) && req.headers.authorization === undefined && !sameOrigin(req.headers.origin, req.headers.host)) {
      throw new KnowdError('FORBIDDEN', 'Cross-site request refused: a state change from a page must come from this node\'s own pages');
    }
    // A route that authenticates by other means (a join token's proof) declares it in its config.
    if (req.routeOptions.config.authenticatedBy === 'join-token') {
      req.principal = { sub: 'joining-node', role: 'reader', ns: [], local: false };
      return;
    }
    if (req.routeOptions.config.authenticatedBy === 'public') {
      req.principal = PUBLIC_PRINCIPAL;
      return;
    }
    // The admin socket (root and the knowd group, by file mode) is the appliance's local console.
    if (deps.adminSocket === true && req.headers.authorization === undefined) {
      req.principal = ADMIN_SOCKET_PRINCIPAL;
      return;
    }
    // The admin UI's cookie, unless the caller sent a bearer token (that one then decides alone).
    const sid = req.headers.authorization === undefined ? sessionIdFrom(req.headers.cookie) : undefined;
    if (sid !== undefined) {
      const s = sessions.touch(sid);
      if (s === undefined) throw new KnowdError('UNAUTHENTICATED', 'The admin session has ended (signed out, idle too long, or the node restarted); sign in again');
      // A cookie rides along on any request the browser sends, even one a foreign page caused: a
      // state change must also prove it read the session's CSRF token, which only our page can.
      if (!SAFE_METHODS.has(req.method) && !csrfMatches(s, req.headers['x-knowd-csrf'])) {
        throw new KnowdError('FORBIDDEN', 'This request needs the X-Knowd-CSRF header of the admin session');
      }
      req.principal = s.principal;
      req.session = s;
      return;
    }
    req.principal = await authenticate(req.headers.authorization, req.socket.remoteAddress, secret);
  });
  // API answers are live state, never to be cached by a browser or a proxy; the UI's assets set their own.
  app.addHook('onSend', async (_req, reply) => {
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    void reply.header('x-content-type-options', 'nosniff');
    if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
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
  const built: BuiltApp = { app, can, sessions, signIns, secret };
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
  registerSessionRoutes(built, deps);
  registerConsoleRoutes(built, deps);
  registerUiRoutes(built, deps);
  registerPackRoutes(built, deps);
  return app;
}
