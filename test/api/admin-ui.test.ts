/**
 * The admin UI's server side in-process: the page's headers, sign-in (password and token), the
 * session cookie's flags, CSRF, the sign-in rate limit, sign-out and idle expiry on an injected clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import type { LightMyRequestResponse } from 'fastify';
import { FakeClock, hashAdminPassword, writeAdminCredential } from '../../src/base/index.js';
import type { AuditEvent, AuditLog } from '../../src/obs/index.js';
import { TOKEN_SECRET, bearer, json, makeApp, makeToken, type TestApp } from '../helpers/http-app.js';

const PASSWORD = 'correct horse battery staple';
const UI_SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'api', 'ui');
const REMOTE = '192.0.2.77';

interface Setup {
  readonly t: TestApp;
  readonly clock: FakeClock;
  readonly audit: AuditEvent[];
}

async function setup(tc: ExecutionContext, opts: { password?: boolean; secret?: boolean } = {}): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-ui-'));
  tc.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A cheap scrypt cost keeps the test fast; the file format is the provisioner's.
  if (opts.password !== false) await writeAdminCredential(dir, await hashAdminPassword(PASSWORD, new Date(), { N: 1024, r: 8, p: 1 }));
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const audit: AuditEvent[] = [];
  const log: AuditLog = { record: (e) => audit.push(e), close: () => undefined };
  const t = await makeApp({ argv: ['--data-dir', dir, ...(opts.secret === true ? ['--token-secret', TOKEN_SECRET] : [])], clock, audit: log, uiDir: UI_SRC });
  tc.teardown(() => t.close());
  return { t, clock, audit };
}

function cookieOf(res: LightMyRequestResponse): string {
  const raw = res.headers['set-cookie'];
  const line = Array.isArray(raw) ? raw[0]! : String(raw);
  return line.split(';')[0]!;
}

async function signIn(s: Setup, remoteAddress = REMOTE): Promise<{ cookie: string; csrf: string; res: LightMyRequestResponse }> {
  const res = await s.t.app.inject({ method: 'POST', url: '/v1/admin/session', remoteAddress, payload: { user: 'admin', password: PASSWORD } });
  if (res.statusCode !== 200) throw new Error(`sign-in answered ${res.statusCode}: ${res.body}`);
  return { cookie: cookieOf(res), csrf: json<{ csrf: string }>(res).csrf, res };
}

test('the page is served with a strict CSP, no framing and no inline script or style', async (tc) => {
  const { t } = await setup(tc);
  const res = await t.app.inject({ method: 'GET', url: '/admin/', remoteAddress: REMOTE });
  tc.is(res.statusCode, 200);
  const csp = String(res.headers['content-security-policy']);
  tc.regex(csp, /script-src 'self'(;|$)/);
  tc.regex(csp, /style-src 'self'(;|$)/);
  tc.regex(csp, /frame-ancestors 'none'/);
  tc.notRegex(csp, /unsafe-inline|unsafe-eval/);
  tc.is(res.headers['x-frame-options'], 'DENY');
  tc.notRegex(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file');
  tc.notRegex(res.body, /\sstyle=|<style/, 'no inline style');
  const redirect = await t.app.inject({ method: 'GET', url: '/admin', remoteAddress: REMOTE });
  tc.is(redirect.statusCode, 302);
  tc.is(redirect.headers.location, '/admin/');
  const traversal = await t.app.inject({ method: 'GET', url: '/admin/..%2f..%2fpackage.json', remoteAddress: REMOTE });
  tc.is(traversal.statusCode, 404);
});

test('sign-in with the admin password sets an HttpOnly, SameSite=Strict session cookie and audits without the password', async (tc) => {
  const s = await setup(tc);
  const before = await s.t.app.inject({ method: 'GET', url: '/v1/admin/session', remoteAddress: '127.0.0.1' });
  tc.like(json<Record<string, unknown>>(before), { signedIn: false, required: true, methods: { password: true, token: false } }, 'loopback must sign in once a password is set');

  const { res, cookie, csrf } = await signIn(s);
  const setCookie = String(res.headers['set-cookie']);
  tc.regex(cookie, /^knowd_session=[0-9a-f]{64}$/);
  for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/']) tc.true(setCookie.includes(flag), flag);
  tc.false(setCookie.includes('Secure'), 'plain HTTP: no Secure flag (the browser would drop the cookie)');
  tc.regex(csrf, /^[0-9a-f]{64}$/);
  tc.false(res.body.includes(cookie.split('=')[1]!), 'the session id is only in the cookie');
  tc.is(res.headers['cache-control'], 'no-store');

  // The cookie authenticates API calls from a non-loopback browser (no token secret configured).
  const st = await s.t.app.inject({ method: 'GET', url: '/v1/cluster/status', remoteAddress: REMOTE, headers: { cookie } });
  tc.is(st.statusCode, 200);
  const anon = await s.t.app.inject({ method: 'GET', url: '/v1/cluster/status', remoteAddress: REMOTE });
  tc.is(anon.statusCode, 401);

  const wrong = await s.t.app.inject({ method: 'POST', url: '/v1/admin/session', remoteAddress: REMOTE, payload: { password: 'not the password' } });
  tc.is(wrong.statusCode, 401);
  tc.is(wrong.headers['set-cookie'], undefined);
  tc.deepEqual(s.audit.map((e) => [e.action, e.outcome]), [['admin.sign-in', 'ok'], ['admin.sign-in', 'failed']]);
  const trail = JSON.stringify(s.audit);
  tc.false(trail.includes(PASSWORD));
  tc.false(trail.includes('not the password'));
});

test('state changes by cookie need the session CSRF token; a missing or wrong one changes nothing', async (tc) => {
  const s = await setup(tc);
  const { cookie, csrf } = await signIn(s);
  const create = (headers: Record<string, string>): Promise<LightMyRequestResponse> =>
    s.t.app.inject({ method: 'POST', url: '/v1/admin/namespaces', remoteAddress: REMOTE, headers: { cookie, ...headers }, payload: { name: 'sales' } });
  const none = await create({});
  tc.is(none.statusCode, 403);
  tc.is(json<{ error: { code: string } }>(none).error.code, 'FORBIDDEN');
  tc.is((await create({ 'x-knowd-csrf': 'f'.repeat(64) })).statusCode, 403);
  tc.false(s.t.engine.namespaces().some((n) => n.name === 'sales'), 'nothing was created');
  tc.is((await create({ 'x-knowd-csrf': csrf })).statusCode, 201);
  tc.true(s.t.engine.namespaces().some((n) => n.name === 'sales'));
});

test('sign-in attempts are limited per client address, and the limit lifts after a minute', async (tc) => {
  const s = await setup(tc);
  const attempt = (remoteAddress: string): Promise<LightMyRequestResponse> =>
    s.t.app.inject({ method: 'POST', url: '/v1/admin/session', remoteAddress, payload: { password: 'guess-guess-guess' } });
  for (let i = 0; i < 5; i++) tc.is((await attempt(REMOTE)).statusCode, 401);
  const limited = await attempt(REMOTE);
  tc.is(limited.statusCode, 429);
  tc.is(json<{ error: { code: string } }>(limited).error.code, 'TOO_MANY_REQUESTS');
  tc.true(Number(limited.headers['retry-after']) > 0);
  // Even the right password waits: the limit is checked before the password.
  tc.is((await s.t.app.inject({ method: 'POST', url: '/v1/admin/session', remoteAddress: REMOTE, payload: { password: PASSWORD } })).statusCode, 429);
  tc.is((await attempt('192.0.2.78')).statusCode, 401, 'another address has its own budget');
  s.clock.advance(60_000);
  await tc.notThrowsAsync(signIn(s));
});

test('sign-out ends the session and clears the cookie', async (tc) => {
  const s = await setup(tc);
  const { cookie, csrf } = await signIn(s);
  tc.is((await s.t.app.inject({ method: 'DELETE', url: '/v1/admin/session', remoteAddress: REMOTE, headers: { cookie } })).statusCode, 403, 'sign-out needs CSRF too');
  const out = await s.t.app.inject({ method: 'DELETE', url: '/v1/admin/session', remoteAddress: REMOTE, headers: { cookie, 'x-knowd-csrf': csrf } });
  tc.is(out.statusCode, 200);
  tc.regex(String(out.headers['set-cookie']), /^knowd_session=;.*Max-Age=0/);
  tc.is((await s.t.app.inject({ method: 'GET', url: '/v1/cluster/status', remoteAddress: REMOTE, headers: { cookie } })).statusCode, 401);
  tc.true(s.audit.some((e) => e.action === 'admin.sign-out' && e.outcome === 'ok'));
});

test('a session ends after the idle time; activity keeps it alive', async (tc) => {
  const s = await setup(tc);
  const { cookie } = await signIn(s);
  const status = async (): Promise<number> => (await s.t.app.inject({ method: 'GET', url: '/v1/cluster/status', remoteAddress: REMOTE, headers: { cookie } })).statusCode;
  s.clock.advance(29 * 60_000);
  tc.is(await status(), 200);
  s.clock.advance(29 * 60_000);
  tc.is(await status(), 200, '29 minutes after the last request');
  s.clock.advance(30 * 60_000);
  tc.is(await status(), 401);
  const page = await s.t.app.inject({ method: 'GET', url: '/v1/admin/session', remoteAddress: REMOTE, headers: { cookie } });
  tc.false(json<{ signedIn: boolean }>(page).signedIn);
});

test('an admin token pasted once signs in; the session holds it, a reader token is refused', async (tc) => {
  const s = await setup(tc, { secret: true, password: false });
  const reader = await makeToken({ role: 'reader', ns: '*' });
  const refused = await s.t.app.inject({ method: 'POST', url: '/v1/admin/session', remoteAddress: REMOTE, payload: { token: reader } });
  tc.is(refused.statusCode, 401);
  const admin = await makeToken({ role: 'admin', ns: '*', sub: 'ops-alice' });
  const res = await s.t.app.inject({ method: 'POST', url: '/v1/admin/session', remoteAddress: REMOTE, payload: { token: admin } });
  tc.is(res.statusCode, 200);
  tc.false(res.body.includes(admin), 'the token is not sent back');
  tc.like(json<Record<string, unknown>>(res), { user: 'ops-alice', method: 'token' });
  const cookie = cookieOf(res);
  tc.is((await s.t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: REMOTE, headers: { cookie } })).statusCode, 200);
  // A bearer header decides alone when present, cookie or not.
  const bad = await s.t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: REMOTE, headers: { cookie, ...bearer('nope') } });
  tc.is(bad.statusCode, 401);
  tc.false(JSON.stringify(s.audit).includes(admin));
});

test('loopback skips sign-in only with neither a token secret nor an admin password', async (tc) => {
  const open = await setup(tc, { password: false });
  const r = await open.t.app.inject({ method: 'GET', url: '/v1/admin/session', remoteAddress: '127.0.0.1' });
  tc.like(json<Record<string, unknown>>(r), { signedIn: true, required: false, method: 'loopback' });
  const remote = await open.t.app.inject({ method: 'GET', url: '/v1/admin/session', remoteAddress: REMOTE });
  tc.like(json<Record<string, unknown>>(remote), { signedIn: false, required: true });
  const secret = await setup(tc, { password: false, secret: true });
  const r2 = await secret.t.app.inject({ method: 'GET', url: '/v1/admin/session', remoteAddress: '127.0.0.1' });
  tc.like(json<Record<string, unknown>>(r2), { signedIn: false, required: true, methods: { password: false, token: true } });
});

test('the cluster view, node details and promotion answer for a single node', async (tc) => {
  const s = await setup(tc, { password: false });
  const view = await s.t.app.inject({ method: 'GET', url: '/v1/admin/cluster' });
  tc.is(view.statusCode, 200);
  const v = json<{ view: { leader: string; nodes: { state: string }[] } }>(view).view;
  tc.deepEqual(v.nodes.map((n) => n.state), ['leader']);
  const node = await s.t.app.inject({ method: 'GET', url: '/v1/admin/node' });
  tc.like(json<Record<string, unknown>>(node), { version: '0.0.0-test', telemetry: null, store: { kind: 'memory' } });
  const promote = await s.t.app.inject({ method: 'POST', url: '/v1/admin/promote', payload: { nodeId: 'x:1' } });
  tc.is(promote.statusCode, 409);
  const bad = await s.t.app.inject({ method: 'POST', url: '/v1/admin/promote', payload: { node: 'x' } });
  tc.is(bad.statusCode, 400);
});

/** Reads a server-sent-events stream until `event: <name>` arrives (or the stream ends); returns everything read. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, name: string, sofar = ''): Promise<string> {
  const decoder = new TextDecoder();
  let text = sofar;
  while (!text.includes(`event: ${name}\n`)) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value);
  }
  return text;
}

test('the live event stream sends the chart history, then the cluster view, and ends when the session does', async (tc) => {
  const s = await setup(tc);
  const { cookie } = await signIn(s, '127.0.0.1');
  const url = await s.t.app.listen({ host: '127.0.0.1', port: 0 });
  const res = await fetch(`${url}/v1/admin/events`, { headers: { cookie }, signal: AbortSignal.timeout(20_000) });
  tc.is(res.status, 200);
  tc.regex(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = res.body!.getReader();
  const first = await readUntil(reader, 'cluster');
  tc.regex(first, /^retry: \d+\nevent: history\ndata: \[/);
  const data = /event: cluster\ndata: (.*)\n/.exec(first)?.[1];
  const msg = JSON.parse(data ?? '{}') as { view?: { leader: string; nodes: { state: string }[] }; sample?: { lagEntries: number } };
  tc.deepEqual(msg.view?.nodes.map((n) => n.state), ['leader']);
  tc.is(msg.sample?.lagEntries, 0);
  s.clock.advance(31 * 60_000);
  const rest = await readUntil(reader, 'expired');
  tc.regex(rest, /event: expired\n/);
  tc.true((await reader.read()).done, 'the stream ends');
});

test('a state change caused by another site\'s page is refused, even on open loopback', async (tc) => {
  const s = await setup(tc, { password: false });
  const create = (name: string, headers: Record<string, string>): Promise<LightMyRequestResponse> =>
    s.t.app.inject({ method: 'POST', url: '/v1/admin/namespaces', remoteAddress: '127.0.0.1', headers: { host: '127.0.0.1:8090', ...headers }, payload: { name } });
  const foreign = await create('evil', { origin: 'http://attacker.example' });
  tc.is(foreign.statusCode, 403);
  tc.is((await create('evil2', { origin: 'null' })).statusCode, 403);
  tc.false(s.t.engine.namespaces().some((n) => n.name.startsWith('evil')));
  tc.is((await create('own', { origin: 'http://127.0.0.1:8090' })).statusCode, 201, 'the node\'s own page');
  tc.is((await create('cli', {})).statusCode, 201, 'no Origin: curl, knowdctl');
  const form = await s.t.app.inject({ method: 'POST', url: '/sparql', remoteAddress: '127.0.0.1', headers: { host: '127.0.0.1:8090', origin: 'http://attacker.example', 'content-type': 'application/x-www-form-urlencoded' }, payload: 'update=INSERT%20DATA%20%7B%3Cx%3A1%3E%20%3Cx%3A2%3E%20%3Cx%3A3%3E%7D' });
  tc.is(form.statusCode, 403, 'a cross-site HTML form cannot update');
});
