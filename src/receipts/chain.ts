/**
 * Building receipts and checking them, alone and as per-namespace hash chains.
 */
import type { Quad } from '@rdfjs/types';
import { assert } from '../base/index.js';
import { deltaHash, type CanonicalOptions, type DeltaDigest } from './canonical.js';
import {
  GENESIS_PREV_HASH,
  RECEIPT_VERSION,
  receiptHash,
  receiptId,
  type ChainedReceipt,
  type Receipt,
  type ReceiptBody,
  type ReceiptKind,
  type StoredReceipt,
} from './receipt.js';
import { receiptShapeProblem } from './shape.js';
import { verifyEd25519, type BatchSigner, type Signer } from './signer.js';

/** What the engine knows when it applies a log entry. */
export interface ReceiptInput {
  readonly namespace: string;
  readonly actor: string;
  readonly kind: ReceiptKind;
  readonly timeMs: number;
  readonly logIndex: number;
  /**
   * The hash from deltaHash/digestDelta, best computed once at propose time and carried in the log
   * entry (canonicalization can fail on symmetric blank nodes, which should reject, not stall, a
   * commit). The counts may be digestDelta's or the quads that actually changed the store.
   */
  readonly delta: DeltaDigest;
}

export interface ReceiptVerification {
  readonly valid: boolean;
  readonly reason?: string;
  /** The hash recomputed from the fields, when they were well-formed enough to compute it. */
  readonly canonicalHash?: string;
}

export interface VerifyOptions {
  /** Accept only signatures by this key (or one of these keys), whatever the receipt's pub says. */
  readonly trustedPub?: string | readonly string[];
}

export interface ChainVerifyOptions extends VerifyOptions {
  /**
   * Require each namespace's first receipt to be its genesis (prevHash of zeros), which is what
   * detects a removed first receipt. False checks a window of a longer chain. Default true.
   */
  readonly fromGenesis?: boolean;
}

export interface ChainVerification {
  readonly valid: boolean;
  /** Id of the first receipt at which the chain breaks. */
  readonly brokenAt?: string;
  readonly reason?: string;
}

function hashBytes(hash: string): Buffer {
  return Buffer.from(hash, 'hex');
}

/** The next receipt of a chain whose head is prevHash: hashed, not signed (see ChainedReceipt). */
export function chainReceipt(input: ReceiptInput, prevHash: string): ChainedReceipt {
  assert(Number.isSafeInteger(input.timeMs) && input.timeMs >= 0, `a receipt time is whole milliseconds, got ${input.timeMs}`);
  const body: ReceiptBody = {
    v: RECEIPT_VERSION,
    id: receiptId(input.namespace, input.logIndex),
    namespace: input.namespace,
    actor: input.actor,
    kind: input.kind,
    timeMs: input.timeMs,
    time: new Date(input.timeMs).toISOString(),
    logIndex: input.logIndex,
    added: input.delta.added,
    removed: input.delta.removed,
    deltaHash: input.delta.hash,
    prevHash,
  };
  return { ...body, hash: receiptHash(body) };
}

/**
 * The receipt with this node's signature over its hash. A stored receipt that already carries one
 * (written signed by an older version) keeps it: that signature, by its own pub, still verifies.
 * The fields are not re-hashed here: the signature covers the hash, and verifyReceipt is what tells
 * a reader whether the fields still match it.
 */
export function signReceipt(r: StoredReceipt, signer: Signer): Receipt {
  if (isSigned(r)) return r;
  return { ...r, sig: signer.sign(hashBytes(r.hash)), pub: signer.publicKey() };
}

/** signReceipt with a signer on another thread. */
export async function signReceiptOff(r: StoredReceipt, signer: BatchSigner): Promise<Receipt> {
  if (isSigned(r)) return r;
  return { ...r, sig: await signer.sign(hashBytes(r.hash)), pub: signer.publicKey() };
}

function isSigned(r: StoredReceipt): r is Receipt {
  return r.sig !== undefined && r.pub !== undefined;
}

export function buildReceipt(input: ReceiptInput, prevHash: string, signer: Signer): Receipt {
  const receipt = signReceipt(chainReceipt(input, prevHash), signer);
  // The inputs are programmer-controlled: a receipt that cannot verify is a bug to stop on.
  const problem = receiptShapeProblem(receipt);
  assert(problem === undefined, `built receipt ${receipt.id} is malformed: ${problem ?? ''}`);
  return receipt;
}

export function verifyReceipt(r: Receipt, options: VerifyOptions = {}): ReceiptVerification {
  const problem = receiptShapeProblem(r);
  if (problem !== undefined) return { valid: false, reason: problem };
  const canonicalHash = receiptHash(r);
  if (canonicalHash !== r.hash) return { valid: false, reason: 'hash does not match the receipt fields', canonicalHash };
  const trusted = options.trustedPub;
  if (trusted !== undefined && !(typeof trusted === 'string' ? [trusted] : trusted).includes(r.pub)) {
    return { valid: false, reason: 'pub is not a trusted key', canonicalHash };
  }
  if (!verifyEd25519(r.pub, hashBytes(r.hash), r.sig)) {
    return { valid: false, reason: 'signature does not verify with pub', canonicalHash };
  }
  return { valid: true, canonicalHash };
}

/**
 * Whether these quads are the delta the receipt was made for. Only the hash is compared: the engine
 * may record as counts the quads that actually changed the store, fewer than the delta's when some
 * were no-ops.
 */
export async function verifyDeltaHash(
  r: Receipt,
  added: readonly Quad[],
  removed: readonly Quad[],
  options: CanonicalOptions = {},
): Promise<boolean> {
  return (await deltaHash(added, removed, options)) === r.deltaHash;
}

function verifyNamespaceChain(chain: readonly Receipt[], options: ChainVerifyOptions): ChainVerification {
  let previous: Receipt | undefined;
  for (const r of chain) {
    const check = verifyReceipt(r, options);
    if (!check.valid) return { valid: false, brokenAt: r.id, reason: check.reason ?? 'invalid receipt' };
    if (previous === undefined) {
      if (options.fromGenesis !== false && r.prevHash !== GENESIS_PREV_HASH) {
        return { valid: false, brokenAt: r.id, reason: 'first receipt of the namespace does not start the chain' };
      }
    } else if (r.logIndex === previous.logIndex) {
      return { valid: false, brokenAt: r.id, reason: `two receipts for log index ${r.logIndex}` };
    } else if (r.prevHash !== previous.hash) {
      return { valid: false, brokenAt: r.id, reason: `prevHash is not the hash of ${previous.id}` };
    }
    previous = r;
  }
  return { valid: true };
}

/**
 * Checks every receipt and, per namespace in logIndex order, that each links to the one before.
 * The array's order does not matter: the chain order is the log order. A receipt missing from the
 * end cannot be noticed from the receipts alone; compare the last hash with the stored head for that.
 */
export function verifyChain(receipts: readonly Receipt[], options: ChainVerifyOptions = {}): ChainVerification {
  const byNamespace = new Map<string, Receipt[]>();
  for (const r of receipts) {
    const problem = receiptShapeProblem(r);
    if (problem !== undefined) return { valid: false, brokenAt: String((r as Partial<Receipt> | null)?.id), reason: problem };
    const chain = byNamespace.get(r.namespace);
    if (chain === undefined) byNamespace.set(r.namespace, [r]);
    else chain.push(r);
  }
  for (const namespace of [...byNamespace.keys()].sort()) {
    const chain = (byNamespace.get(namespace) ?? []).sort((a, b) => a.logIndex - b.logIndex);
    const result = verifyNamespaceChain(chain, options);
    if (!result.valid) return result;
  }
  return { valid: true };
}
