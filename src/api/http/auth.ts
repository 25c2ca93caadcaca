import { jwtVerify } from 'jose';
import { KnowdError } from '../../base/index.js';

export type Role = 'reader' | 'writer' | 'admin';
const RANK: Record<Role, number> = { reader: 1, writer: 2, admin: 3 };

export interface Principal {
  readonly sub: string;
  readonly role: Role;
  /** Namespaces the principal may use, or '*' for all. */
  readonly ns: readonly string[] | '*';
  /** True for loopback or admin-socket clients when no token secret is configured. */
  readonly local: boolean;
}

const LOCAL_PRINCIPAL: Principal = { sub: 'local', role: 'admin', ns: '*', local: true };

export function isLoopback(addr: string | undefined): boolean {
  // Unix-socket clients have no address; the socket's file mode (0660, root/knowd) is their check.
  if (addr === undefined || addr === '') return true;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}

/**
 * Authenticates a request. With a token secret, every request needs a valid HS256 bearer token;
 * without one, only loopback (and the admin socket) is served, as SPEC.md says.
 */
export async function authenticate(header: string | undefined, remoteAddr: string | undefined, secret: Uint8Array | undefined): Promise<Principal> {
  if (secret === undefined) {
    if (isLoopback(remoteAddr)) return LOCAL_PRINCIPAL;
    throw new KnowdError('UNAUTHENTICATED', 'This node serves only loopback clients until KNOWD_TOKEN_SECRET is set');
  }
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (m === null) throw new KnowdError('UNAUTHENTICATED', 'Missing bearer token: send "Authorization: Bearer <token>"');
  let payload: Record<string, unknown>;
  try {
    payload = (await jwtVerify(m[1]!, secret, { algorithms: ['HS256'] })).payload;
  } catch (e) {
    throw new KnowdError('UNAUTHENTICATED', `Invalid bearer token: ${(e as Error).message}`);
  }
  const role = payload['role'];
  if (role !== 'reader' && role !== 'writer' && role !== 'admin') throw new KnowdError('UNAUTHENTICATED', 'Invalid bearer token: claim "role" must be reader, writer or admin');
  const ns = payload['ns'];
  const nsList = ns === '*' ? '*' : Array.isArray(ns) && ns.every((x) => typeof x === 'string') ? (ns as string[]) : undefined;
  if (nsList === undefined) throw new KnowdError('UNAUTHENTICATED', 'Invalid bearer token: claim "ns" must be "*" or a list of namespaces');
  const sub = typeof payload['sub'] === 'string' ? payload['sub'] : 'unknown';
  return { sub, role, ns: nsList, local: false };
}

export function authorize(p: Principal, need: Role, namespace?: string): void {
  if (RANK[p.role] < RANK[need]) throw new KnowdError('FORBIDDEN', `Role "${p.role}" may not do this; it needs "${need}"`);
  if (namespace !== undefined && p.ns !== '*' && !p.ns.includes(namespace)) {
    throw new KnowdError('FORBIDDEN', `The token does not grant namespace "${namespace}"`, { namespace });
  }
}
