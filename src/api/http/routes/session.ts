import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { KnowdError, readAdminCredential, verifyAdminPassword } from '../../../base/index.js';
import { authenticate, isLoopback, type Principal } from '../auth.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { sessionCookie, sessionIdFrom, type Session } from '../sessions.js';
import { parseWith } from './common.js';

const SignInBody = z.union([
  z.object({ user: z.literal('admin').optional(), password: z.string().min(1).max(1024) }).strict(),
  z.object({ token: z.string().min(1).max(8192) }).strict(),
]);

const ADMIN: Principal = { sub: 'admin', role: 'admin', ns: '*', local: false };

/**
 * Admin UI sign-in and sign-out. The password is checked against `<dataDir>/admin.credential`,
 * read at each attempt so a password changed with `knowdctl admin set-password` applies at once; a
 * pasted admin token is verified once and then held only here, server-side, behind the cookie.
 * Neither the password nor the token is ever logged, audited or sent back.
 */
export function registerSessionRoutes({ app, sessions, signIns, secret }: BuiltApp, deps: ApiDeps): void {
  const from = (req: FastifyRequest): string => req.socket.remoteAddress ?? 'admin-socket';
  const secure = (req: FastifyRequest): boolean => req.protocol === 'https';
  const sessionView = (s: Session): Record<string, unknown> => ({
    signedIn: true, required: true, user: s.principal.sub, method: s.method, csrf: s.csrf, idleSec: Math.round(deps.config.adminSessionIdleMs / 1000),
  });

  /**
   * Loopback needs no sign-in only where SPEC's auth section already serves it without credentials:
   * no token secret and no admin password set on this node.
   */
  const openLoopback = async (req: FastifyRequest): Promise<boolean> =>
    secret === undefined && isLoopback(req.socket.remoteAddress) && (await readAdminCredential(deps.config.dataDir)) === undefined;

  app.get('/v1/admin/session', { config: { authenticatedBy: 'public' } }, async (req) => {
    const s = sessions.touch(sessionIdFrom(req.headers.cookie));
    // Single mode has no member id (it is "local"): the data directory's UUID names the node.
    const node = { nodeId: deps.config.clusterMode === 'single' ? deps.nodeId : deps.cluster.status().nodeId, version: deps.version };
    if (s !== undefined) return { ...sessionView(s), ...node };
    if (await openLoopback(req)) return { signedIn: true, required: false, user: 'local', method: 'loopback', csrf: null, ...node };
    const hasPassword = (await readAdminCredential(deps.config.dataDir)) !== undefined;
    return { signedIn: false, required: true, methods: { password: hasPassword, token: secret !== undefined }, ...node };
  });

  app.post('/v1/admin/session', { config: { authenticatedBy: 'public' } }, async (req, reply) => {
    const limit = signIns.attempt(from(req));
    if (!limit.ok) {
      const retrySec = Math.max(1, Math.ceil(limit.retryAfterMs / 1000));
      void reply.header('retry-after', String(retrySec));
      deps.audit.record({ action: 'admin.sign-in', actor: 'unknown', from: from(req), outcome: 'failed', reason: 'rate limited' });
      throw new KnowdError('TOO_MANY_REQUESTS', `Too many sign-in attempts from this address; try again in ${retrySec} s`, { retryAfterSec: retrySec });
    }
    const body = parseWith(SignInBody, req.body, 'sign-in');
    const fail = (actor: string, method: string, reason: string, message: string): never => {
      deps.audit.record({ action: 'admin.sign-in', actor, from: from(req), outcome: 'failed', method, reason });
      throw new KnowdError('UNAUTHENTICATED', message);
    };
    let session: Session;
    if ('password' in body) {
      const cred = await readAdminCredential(deps.config.dataDir);
      if (cred === undefined) fail('admin', 'password', 'no admin password set', 'No admin password is set on this node; set one with "knowdctl admin set-password"');
      if (!(await verifyAdminPassword(cred!, body.password))) fail('admin', 'password', 'wrong password', 'Wrong user or password');
      session = sessions.create(ADMIN, 'password');
    } else {
      if (secret === undefined) fail('unknown', 'token', 'no token secret', 'This node has no KNOWD_TOKEN_SECRET, so it accepts no tokens; sign in with the admin password');
      let p: Principal;
      try {
        p = await authenticate(`Bearer ${body.token}`, from(req), secret);
      } catch {
        return fail('unknown', 'token', 'invalid token', 'The token is not valid for this node');
      }
      if (p.role !== 'admin' || p.ns !== '*') fail(p.sub, 'token', 'not an admin token', 'The admin UI needs a token with role "admin" for all namespaces ("ns": "*")');
      const exp = decodeJwt(body.token).exp;
      session = sessions.create(p, 'token', typeof exp === 'number' ? exp * 1000 : undefined);
    }
    deps.audit.record({ action: 'admin.sign-in', actor: session.principal.sub, from: from(req), outcome: 'ok', method: session.method });
    void reply.header('set-cookie', sessionCookie(session.id, secure(req)));
    return sessionView(session);
  });

  app.delete('/v1/admin/session', async (req, reply: FastifyReply) => {
    const s = req.session;
    if (s !== undefined) {
      sessions.destroy(s.id);
      deps.audit.record({ action: 'admin.sign-out', actor: s.principal.sub, from: from(req), outcome: 'ok' });
    }
    void reply.header('set-cookie', sessionCookie(null, secure(req)));
    return { signedIn: false };
  });
}
