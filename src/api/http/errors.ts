import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AssertionError, KnowdError, isKnowdError } from '../../base/index.js';
import type { Logger } from '../../obs/index.js';

/** The only place errors become HTTP statuses (ARCHITECTURE.md). */
export function toKnowdError(e: unknown): KnowdError {
  if (isKnowdError(e)) return e;
  const fe = e as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KnowdError('TOO_LARGE', `The request body exceeds the limit (KNOWD_MAX_BODY_BYTES); for big loads use knowdctl import`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KnowdError('UNSUPPORTED_MEDIA_TYPE', fe.message ?? 'Unsupported Content-Type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new KnowdError('BAD_REQUEST', `Malformed JSON body: ${fe.message ?? ''}`);
    case 'FST_ERR_VALIDATION':
      return new KnowdError('BAD_REQUEST', fe.message ?? 'Invalid request');
  }
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) return new KnowdError('BAD_REQUEST', fe.message ?? 'Bad request');
  if (e instanceof SyntaxError) return new KnowdError('BAD_REQUEST', `Malformed JSON body: ${e.message}`);
  return new KnowdError('INTERNAL', 'Internal error; the server log has the details');
}

/** Not configured here (501) and not available now (503) are states of the node, not faults in it. */
const NODE_STATES = new Set([501, 503]);

export function errorHandler(log: Logger) {
  return (e: unknown, req: FastifyRequest, reply: FastifyReply): void => {
    const ke = toKnowdError(e);
    if (e instanceof AssertionError || (ke.status >= 500 && !NODE_STATES.has(ke.status))) log.error({ err: e, url: req.url, method: req.method }, 'request failed');
    else if (ke.status >= 500) log.warn({ code: ke.code, reason: ke.message, url: req.url, method: req.method }, 'request refused');
    void reply.status(ke.status).type('application/json').send(ke.toJSON());
  };
}
