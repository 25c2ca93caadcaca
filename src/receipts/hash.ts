import { createHash } from 'node:crypto';

/** Hex SHA-256 of the UTF-8 bytes of text: the one digest of receipts and deltas. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
