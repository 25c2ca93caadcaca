import { evidenceHash, type Command, type StoredDelta } from '../engine/index.js';
import { verifyChain, verifyReceipt, type Receipt } from '../receipts/index.js';

export interface ExportLine {
  readonly receipt: Receipt;
  readonly entry: Command | null;
  /** SPARQL update entries: the effect the update had, which the entry alone cannot reproduce. */
  readonly updateDelta?: StoredDelta;
}

export interface VerifyOutcome {
  readonly valid: boolean;
  readonly id: string;
  readonly checked: number;
  readonly reason?: string;
}

/**
 * Verifies receipt `id` offline from an export: the receipt and every receipt before it in its
 * namespace must be signed correctly (by `trustedPub` when given), chain by prevHash, and match the
 * logged delta, re-hashed here. Nothing the server says is trusted.
 */
export async function verifyFromExport(lines: readonly ExportLine[], id: string, trustedPub?: string): Promise<VerifyOutcome> {
  const target = lines.find((l) => l.receipt.id === id);
  if (target === undefined) return { valid: false, id, checked: 0, reason: `receipt ${id} is not in the export` };
  const chain = lines.filter((l) => l.receipt.namespace === target.receipt.namespace && l.receipt.logIndex <= target.receipt.logIndex).sort((a, b) => a.receipt.logIndex - b.receipt.logIndex);
  const chainCheck = verifyChain(
    chain.map((l) => l.receipt),
    trustedPub === undefined ? {} : { trustedPub },
  );
  if (!chainCheck.valid) return { valid: false, id, checked: chain.length, reason: `chain broken at ${chainCheck.brokenAt ?? '?'}: ${chainCheck.reason ?? ''}` };
  for (const l of chain) {
    const sig = verifyReceipt(l.receipt, trustedPub === undefined ? {} : { trustedPub });
    if (!sig.valid) return { valid: false, id, checked: chain.length, reason: `receipt ${l.receipt.id}: ${sig.reason ?? 'invalid'}` };
    const hash = await evidenceHash({ entry: l.entry, ...(l.updateDelta !== undefined && { updateDelta: l.updateDelta }) });
    if (hash === undefined) return { valid: false, id, checked: chain.length, reason: `receipt ${l.receipt.id} has no logged delta in the export` };
    if (hash !== l.receipt.deltaHash) {
      return { valid: false, id, checked: chain.length, reason: `receipt ${l.receipt.id}: the delta does not match its deltaHash` };
    }
  }
  return { valid: true, id, checked: chain.length };
}

export function parseExport(text: string): ExportLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ExportLine);
}
