/**
 * The Receipt record and its hash. A receipt says: in `namespace`, log entry `logIndex`, stamped
 * `timeMs` by the leader, `actor` added and removed these quads (deltaHash), after the receipt
 * prevHash; `sig` is the Ed25519 signature of `hash` by the key `pub`.
 */
import { assert } from '../base/index.js';
import { sha256Hex } from './hash.js';
import { canonicalJson } from './json.js';

/** Bumped when the fields or the hashing change, so old receipts stay verifiable by their own rules. */
export const RECEIPT_VERSION = 1;
/** The prevHash of a namespace's first receipt. */
export const GENESIS_PREV_HASH = '0'.repeat(64);
export const RECEIPT_KINDS = ['tx', 'hook', 'import', 'shapes', 'vector', 'pack'] as const;
export type ReceiptKind = (typeof RECEIPT_KINDS)[number];

// A type alias, not an interface, so that a receipt is assignable to JsonValue.
export type Receipt = {
  readonly v: typeof RECEIPT_VERSION;
  /** `<namespace>-<logIndex>` (see receiptId). */
  readonly id: string;
  readonly namespace: string;
  readonly actor: string;
  readonly kind: ReceiptKind;
  /** Milliseconds since the Unix epoch, stamped into the log entry by the leader. */
  readonly timeMs: number;
  /** timeMs as ISO 8601 (Date#toISOString), for people and `since=`/`until=` searches. */
  readonly time: string;
  readonly logIndex: number;
  /** Quads added and removed as the engine counts them (the effective change); signed, but not part of deltaHash. */
  readonly added: number;
  readonly removed: number;
  /** Hex SHA-256 of canonicalDelta(added, removed). */
  readonly deltaHash: string;
  /** The previous receipt's hash in the same namespace, or GENESIS_PREV_HASH. */
  readonly prevHash: string;
  /** Hex SHA-256 of the canonical JSON of every other field but sig and pub (receiptHash). */
  readonly hash: string;
  /** Base64 Ed25519 signature of the 32 bytes of hash (not of its hex text). */
  readonly sig: string;
  /** Base64 raw 32-byte Ed25519 public key of the signer. */
  readonly pub: string;
};

/** What the hash covers. pub is outside it by design: the signature already binds the key. */
export type ReceiptBody = Omit<Receipt, 'hash' | 'sig' | 'pub'>;

/**
 * A receipt as a replica's apply makes and stores it: hashed into its chain, not yet signed. Every
 * replica stores the same bytes. Ed25519 signatures are deterministic, so the node signs when it
 * hands a receipt out (signReceipt), which keeps the signing cost (tens of µs) out of every
 * replica's apply and off the write lock.
 */
export type ChainedReceipt = Omit<Receipt, 'sig' | 'pub'>;

/** What the receipts table holds: chained receipts, and signed ones written by versions before 2026-11. */
export type StoredReceipt = ChainedReceipt & Partial<Pick<Receipt, 'sig' | 'pub'>>;

export const RECEIPT_FIELDS = [
  'v', 'id', 'namespace', 'actor', 'kind', 'timeMs', 'time', 'logIndex', 'added', 'removed', 'deltaHash', 'prevHash',
  'hash', 'sig', 'pub',
] as const;
// Fails to compile if a field is added to Receipt but not to RECEIPT_FIELDS.
const _allFieldsListed: Exclude<keyof Receipt, (typeof RECEIPT_FIELDS)[number]> extends never ? true : never = true;

/**
 * A receipt id: stable, derivable from what the engine already knows, and unique because a log
 * index holds one transaction. The log index is the text after the last '-', so namespaces may
 * contain '-' themselves.
 */
export function receiptId(namespace: string, logIndex: number): string {
  assert(namespace.length > 0, 'a receipt namespace is not empty');
  assert(Number.isSafeInteger(logIndex) && logIndex >= 0, `a receipt log index is a natural number, got ${logIndex}`);
  return `${namespace}-${logIndex}`;
}

export function parseReceiptId(id: string): { namespace: string; logIndex: number } | undefined {
  const match = /^(.+)-(0|[1-9][0-9]{0,15})$/.exec(id);
  if (match === null) return undefined;
  const logIndex = Number(match[2]);
  return match[1] !== undefined && Number.isSafeInteger(logIndex) ? { namespace: match[1], logIndex } : undefined;
}

export function receiptBody(r: ReceiptBody): ReceiptBody {
  return {
    v: r.v, id: r.id, namespace: r.namespace, actor: r.actor, kind: r.kind, timeMs: r.timeMs, time: r.time,
    logIndex: r.logIndex, added: r.added, removed: r.removed, deltaHash: r.deltaHash, prevHash: r.prevHash,
  };
}

export function receiptHash(r: ReceiptBody): string {
  return sha256Hex(canonicalJson(receiptBody(r)));
}
