/**
 * Receipts: signed, hash-chained records of committed transactions. See receipt.ts for the record,
 * canonical.ts for what deltaHash commits to, chain.ts for building and verifying.
 */
export { canonicalDelta, canonicalNQuads, deltaHash, digestDelta, digestDeltaSync } from './canonical.js';
export type { CanonicalOptions, DeltaDigest } from './canonical.js';
export {
  GENESIS_PREV_HASH,
  RECEIPT_FIELDS,
  RECEIPT_KINDS,
  RECEIPT_VERSION,
  parseReceiptId,
  receiptHash,
  receiptId,
} from './receipt.js';
export type { ChainedReceipt, Receipt, ReceiptBody, ReceiptKind, StoredReceipt } from './receipt.js';
export { buildReceipt, chainReceipt, signReceipt, signReceiptOff, verifyChain, verifyDeltaHash, verifyReceipt } from './chain.js';
export type { ChainVerification, ChainVerifyOptions, ReceiptInput, ReceiptVerification, VerifyOptions } from './chain.js';
export { createEd25519Signer, generateSigningKeyPem, signEd25519, verifyEd25519 } from './signer.js';
export type { BatchSigner, Signer } from './signer.js';
export { KEYS_DIR, NODE_KEY_FILE, loadOrCreateSigningKey } from './keyfile.js';
export { canonicalJson } from './json.js';
export type { JsonValue } from './json.js';
