import http from 'node:http';
import type { Readable } from 'node:stream';
import { KnowdError, type ErrorCode } from '../base/index.js';

/** How knowdctl reaches a node: the local admin socket (default) or a URL. */
export interface Target {
  readonly socketPath?: string;
  readonly url?: string;
  readonly token?: string;
}

export interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Readable;
}

/** `timeoutMs` bounds the wait for the answer's headers (motd and health polls must never hang). */
export function request(t: Target, method: string, path: string, body?: string | Readable, headers: Record<string, string> = {}, timeoutMs?: number): Promise<Response> {
  const h: Record<string, string> = { ...headers };
  if (t.token !== undefined) h['authorization'] = `Bearer ${t.token}`;
  let opts: http.RequestOptions;
  if (t.url !== undefined) {
    const u = new URL(path, t.url);
    opts = { method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers: h };
  } else {
    opts = { method, socketPath: t.socketPath!, path, headers: h };
  }
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      req.setTimeout(0);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const where = t.url ?? t.socketPath;
      const hint = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? ' (is knowd running? use --url or --data-dir)' : e.code === 'EACCES' ? ' (run as root or a member of the knowd group)' : '';
      reject(new KnowdError('NOT_READY', `Cannot reach knowd at ${where}: ${e.message}${hint}`));
    });
    if (body === undefined) req.end();
    else if (typeof body === 'string') req.end(body);
    else body.pipe(req);
  });
}

export async function readAll(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON call: returns the parsed body or throws the server's error as a KnowdError. */
export async function callJson<T>(t: Target, method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
  const res = await request(t, method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? {} : { 'content-type': 'application/json' }, timeoutMs);
  const text = await readAll(res.body);
  return parseResponse<T>(res.status, text);
}

export function parseResponse<T>(status: number, text: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KnowdError('INTERNAL', `Unexpected answer (HTTP ${status}): ${text.slice(0, 200)}`);
  }
  if (status >= 400) {
    const err = (parsed as { error?: { code?: string; message?: string } & Record<string, unknown> }).error;
    // The error's other fields (a SHACL report, a pack's problems) stay available as details.
    const { code, message, ...rest } = err ?? {};
    throw new KnowdError((code ?? 'INTERNAL') as ErrorCode, message ?? `HTTP ${status}`, { ...rest, status });
  }
  return parsed as T;
}
