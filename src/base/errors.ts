/**
 * One registry of stable error codes (the fastify model): every operating-condition error a user can
 * see carries a code from here, and the HTTP edge maps the code to its status. Programmer errors are
 * assertions (assert.ts), not KnowdErrors.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, doc: 'The request is malformed (bad JSON, missing field, wrong type).' },
  RDF_SYNTAX: { status: 400, doc: 'RDF input could not be parsed; details carry line and column.' },
  SPARQL_SYNTAX: { status: 400, doc: 'A SPARQL query or update could not be parsed; details carry line and column.' },
  BAD_FORMAT: { status: 400, doc: 'The named RDF format is not one Knowd reads or writes.' },
  BAD_TERM: { status: 400, doc: 'An RDF term is not allowed where it was given (e.g. a literal as subject).' },
  UNAUTHENTICATED: { status: 401, doc: 'No valid bearer token (or a non-loopback client without KNOWD_TOKEN_SECRET).' },
  FORBIDDEN: { status: 403, doc: 'The token is valid but its role or namespaces do not allow this.' },
  NOT_FOUND: { status: 404, doc: 'No such route.' },
  NAMESPACE_NOT_FOUND: { status: 404, doc: 'The namespace does not exist.' },
  RECEIPT_NOT_FOUND: { status: 404, doc: 'No receipt with this id.' },
  VECTOR_NOT_FOUND: { status: 404, doc: 'No vector with this id in the namespace.' },
  NAMESPACE_EXISTS: { status: 409, doc: 'A namespace with this name already exists.' },
  CONFLICT: { status: 409, doc: 'The request conflicts with the current state.' },
  IDEMPOTENCY_MISMATCH: { status: 409, doc: 'An idempotency key was reused with a different request body.' },
  TOO_LARGE: { status: 413, doc: 'The request body or transaction exceeds the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, doc: 'The Content-Type is not one this endpoint reads.' },
  NOT_ACCEPTABLE: { status: 406, doc: 'None of the media types in Accept can be produced.' },
  QUERY_TIMEOUT: { status: 408, doc: 'The query ran past its time limit (timeoutMs, default KNOWD_CLUSTER_READ_TIMEOUT) and was stopped.' },
  QUERY_CANCELLED: { status: 499, doc: 'The query was stopped because the client disconnected.' },
  TOO_MANY_REQUESTS: { status: 429, doc: 'Too many attempts from this client (admin sign-in); retry after the time in Retry-After.' },
  NOT_SUPPORTED: { status: 501, doc: 'The feature is not supported by this node (e.g. SERVICE, LOAD of remote URLs).' },
  REJECTED: { status: 422, doc: 'The transaction was rejected by SHACL or a hook; details carry the report.' },
  PACK_INVALID: { status: 422, doc: 'A policy pack is broken (syntax, schema, unknown namespace, duplicate id…); nothing was changed. details.problems lists every problem with its file and line.' },
  NOT_READY: { status: 503, doc: 'The node is starting, stopping or has no leader.' },
  SHUTTING_DOWN: { status: 503, doc: 'The node is shutting down and takes no new writes.' },
  NO_LEADER: { status: 503, doc: 'The cluster has no leader this node can reach (election in progress or no majority); retry.' },
  NOT_LEADER: { status: 503, doc: 'This node is not the leader; details carry the leader, if known. Followers forward writes themselves.' },
  FEDERATION_INCOMPLETE: { status: 503, doc: 'A federated query lost a part (its share of the driving variable\'s values) that no other node could run within KNOWD_CLUSTER_READ_TIMEOUT; details name the missing share. Never a partial answer.' },
  PART_VERSION: { status: 503, doc: 'A node was sent a federated query part in a wire format it does not run (a cluster mid-upgrade); the coordinator runs the part on another node. Upgrade every node to one version.' },
  INDEX_NOT_REACHED: { status: 503, doc: 'A read asked for a minimum log index (X-Knowd-Min-Index) this node did not reach within KNOWD_CLUSTER_READ_TIMEOUT.' },
  MEMBERSHIP_PENDING: { status: 409, doc: 'Another membership change is still being committed; retry when it is done.' },
  TRANSFER_IN_PROGRESS: { status: 503, doc: 'Leadership is being handed over; the write is refused rather than lost. Retry.' },
  WRITE_TIMEOUT: { status: 503, doc: 'The write was not committed by a majority within KNOWD_CLUSTER_WRITE_TIMEOUT; it may still commit later.' },
  SNAPSHOT_INVALID: { status: 500, doc: 'A snapshot failed its SHA-256 check, decryption or format check; it is never applied.' },
  PEER_REFUSED: { status: 403, doc: 'A cluster peer was refused (certificate from another CA, unknown member, wrong cluster).' },
  STORE_FORMAT: { status: 500, doc: 'The on-disk format is not one this version reads; see the message for the operator action.' },
  STORE_CORRUPT: { status: 500, doc: 'A checksum or invariant of stored data failed.' },
  CONFIG_INVALID: { status: 500, doc: 'A setting has a value that is not allowed.' },
  INTERNAL: { status: 500, doc: 'An unexpected failure; the log has the details.' },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class KnowdError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KnowdError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toJSON(): { error: { code: ErrorCode; message: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } };
  }
}

export function isKnowdError(e: unknown): e is KnowdError {
  return e instanceof KnowdError;
}

/** An error as it crosses a thread boundary (structured clone drops a class and its prototype). */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** A KnowdError keeps its code and details; anything else becomes INTERNAL with its message. */
export function toWireError(e: unknown): WireError {
  if (isKnowdError(e)) return { code: e.code, message: e.message, details: { ...e.details } };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), details: {} };
}

export function fromWireError(w: WireError): KnowdError {
  return new KnowdError(w.code, w.message, w.details);
}
