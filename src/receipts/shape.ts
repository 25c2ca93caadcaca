/**
 * Whether a value read back from storage or the wire is well-formed as a receipt. Verification runs
 * this first, so that a tampered record fails with a reason rather than a TypeError, and so that no
 * field can be smuggled in beside the hashed ones.
 */
import { RECEIPT_FIELDS, RECEIPT_KINDS, RECEIPT_VERSION, parseReceiptId } from './receipt.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/;
/** Date's own limit; toISOString throws beyond it. */
const TIME_MS_MAX = 8.64e15;

function natural(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The first problem found, or undefined for a well-formed receipt. Does not check hash or signature. */
export function receiptShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const r = value as Record<string, unknown>;
  const known = new Set<string>(RECEIPT_FIELDS);
  const unknown = Object.keys(r).find((k) => !known.has(k));
  if (unknown !== undefined) return `unexpected field "${unknown}"`;
  if (r['v'] !== RECEIPT_VERSION) return `unsupported receipt version ${String(r['v'])}`;
  for (const field of ['id', 'namespace', 'actor', 'kind', 'time', 'deltaHash', 'prevHash', 'hash', 'sig', 'pub']) {
    if (typeof r[field] !== 'string') return `${field} is not a string`;
  }
  for (const field of ['logIndex', 'added', 'removed']) {
    if (!natural(r[field])) return `${field} is not a natural number`;
  }
  if (!natural(r['timeMs']) || r['timeMs'] > TIME_MS_MAX) return 'timeMs is not a time';
  if (!(RECEIPT_KINDS as readonly unknown[]).includes(r['kind'])) return `unknown kind "${String(r['kind'])}"`;
  for (const field of ['deltaHash', 'prevHash', 'hash']) {
    if (!HEX_SHA256.test(r[field] as string)) return `${field} is not a lower-case hex SHA-256`;
  }
  if (r['time'] !== new Date(r['timeMs']).toISOString()) return 'time does not match timeMs';
  const id = parseReceiptId(r['id'] as string);
  if (id === undefined || id.namespace !== r['namespace'] || id.logIndex !== r['logIndex']) return 'id does not match namespace and logIndex';
  return undefined;
}
