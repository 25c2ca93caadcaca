import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs (pino, JSON lines on stdout). Secrets are redacted by path as a second line of
 * defence; the first is never to log them.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const opts: pino.LoggerOptions = {
    level,
    base: { svc: 'knowd' },
    redact: { paths: ['tokenSecret', '*.tokenSecret', 'req.headers.authorization', 'headers.authorization', 'authorization', 'token'], censor: '<redacted>' },
  };
  return destination === undefined ? pino(opts) : pino(opts, destination);
}
