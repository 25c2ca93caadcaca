import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../base/index.js';
import type { Principal } from './auth.js';

/**
 * Admin web UI sessions, held in this process's memory only: a restart signs everyone out, which is
 * what an appliance's operator expects. The id (256 random bits) is the cookie; the CSRF token is a
 * second secret handed to the page in a JSON body, which a cross-site form cannot read.
 */
export interface Session {
  readonly id: string;
  readonly csrf: string;
  readonly principal: Principal;
  /** How the person signed in, for the audit trail and the page. */
  readonly method: 'password' | 'token';
  lastSeenMs: number;
  /** A pasted token's own expiry (its `exp`), which the session never outlives. */
  readonly notAfterMs: number | undefined;
}

/** Bounds memory: past this many live sessions the least recently used one is dropped. */
const MAX_SESSIONS = 1000;

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly random: (bytes: number) => Buffer = randomBytes,
  ) {}

  create(principal: Principal, method: Session['method'], notAfterMs?: number): Session {
    this.sweep();
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.lastSeenMs - b.lastSeenMs)[0];
      if (oldest === undefined) break;
      this.sessions.delete(oldest.id);
    }
    const s: Session = { id: this.random(32).toString('hex'), csrf: this.random(32).toString('hex'), principal, method, lastSeenMs: this.clock.nowMs(), notAfterMs };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session with this id, or undefined (unknown, idle too long, token expired). */
  peek(id: string | undefined): Session | undefined {
    if (id === undefined || !/^[0-9a-f]{64}$/.test(id)) return undefined;
    const s = this.sessions.get(id);
    if (s === undefined) return undefined;
    if (this.expired(s, this.clock.nowMs())) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  /** peek, and count the request as activity (restarts the idle timer). */
  touch(id: string | undefined): Session | undefined {
    const s = this.peek(id);
    if (s !== undefined) s.lastSeenMs = this.clock.nowMs();
    return s;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(s: Session, nowMs: number): boolean {
    return nowMs - s.lastSeenMs >= this.idleMs || (s.notAfterMs !== undefined && nowMs >= s.notAfterMs);
  }

  private sweep(): void {
    const now = this.clock.nowMs();
    for (const s of this.sessions.values()) if (this.expired(s, now)) this.sessions.delete(s.id);
  }
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfMatches(s: Session, header: string | string[] | undefined): boolean {
  const given = Array.isArray(header) ? header[0] : header;
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(s.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Sign-in attempts per client address in a fixed window. Written here rather than taken from
 * @fastify/rate-limit because it must run on the injected clock (tests move time) and be consulted
 * before the deliberately slow scrypt check, for one route only; that is a counter and a map.
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxAttempts: number,
    private readonly windowMs: number,
  ) {}

  /** Counts an attempt; returns the milliseconds to wait when the address has used up its window. */
  attempt(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.clock.nowMs();
    if (this.windows.size > 10_000) for (const [k, w] of this.windows) if (now - w.startMs >= this.windowMs) this.windows.delete(k);
    const w = this.windows.get(key);
    if (w === undefined || now - w.startMs >= this.windowMs) {
      this.windows.set(key, { startMs: now, count: 1 });
      return { ok: true };
    }
    if (w.count >= this.maxAttempts) return { ok: false, retryAfterMs: w.startMs + this.windowMs - now };
    w.count++;
    return { ok: true };
  }
}

export const SESSION_COOKIE = 'knowd_session';

/**
 * The session id from a Cookie header. Only our own cookie is read and its value is 64 hex digits
 * we minted, so a general cookie parser (and a new dependency) would add nothing.
 */
export function sessionIdFrom(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for a session (or, with id null, one that clears it). */
export function sessionCookie(id: string | null, secure: boolean): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  return id === null ? [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attrs].join('; ') : [`${SESSION_COOKIE}=${id}`, ...attrs].join('; ');
}
