/**
 * The slice of a pino logger the transports use. replication/ may not import obs/ (layering), so the
 * port is declared here; a pino Logger satisfies it as it is.
 */
export interface TransportLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const noop = (): void => {};

export const silentLogger: TransportLogger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * Logs a line at most once per `intervalMs` per key: a peer that keeps knocking with a bad
 * certificate must not flood the log, but the operator must still see that it does.
 */
export class LogLimiter {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  allow(key: string): boolean {
    const t = this.now();
    const prev = this.last.get(key);
    if (prev !== undefined && t - prev < this.intervalMs) return false;
    // Bounded: forget everything rather than grow without limit under a flood of distinct keys.
    if (this.last.size >= 1024) this.last.clear();
    this.last.set(key, t);
    return true;
  }
}
