import pino from 'pino';

export interface AuditEvent {
  /** What was done: 'promote', 'snapshot', 'namespace.create', 'membership.change', 'config', ... */
  readonly action: string;
  /** Who asked: the token's subject, 'local' on the admin socket, 'system' for the node itself. */
  readonly actor: string;
  /** Where the request came from (client address, or 'admin-socket'). */
  readonly from: string;
  readonly outcome: 'ok' | 'failed';
  readonly [detail: string]: unknown;
}

export interface AuditLog {
  record(e: AuditEvent): void;
  close(): void;
}

/**
 * The audit trail: its own pino stream and file (`audit.log` in the data directory), apart from the
 * operational log, so it can be kept and shipped on its own terms. Writes are synchronous: an
 * operation the audit missed is worse than a slow admin call.
 */
export function createAuditLog(file: string | null): AuditLog {
  if (file === null) return { record: () => undefined, close: () => undefined };
  const dest = pino.destination({ dest: file, sync: true, mkdir: true });
  const log = pino({ base: { svc: 'knowd-audit' }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  return {
    record: (e) => log.info(e, e.action),
    close: () => dest.flushSync(),
  };
}
