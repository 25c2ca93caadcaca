/**
 * SHACL shapes as log entries: PUT /v1/shapes becomes a 'shapes-put' entry, applied like data
 * (stored, replicated, receipted). The receipt's delta is the new shapes graph as additions: a PUT
 * replaces the old shapes, which the previous shapes receipt of the namespace names.
 */
import { requireNamespace } from '../dataset/index.js';
import { chainReceipt, deltaHash } from '../receipts/index.js';
import { assertWellFormed, indexShapes, parseShapes, putShapes, warmCheckWorker } from '../shacl/index.js';
import type { WriteTxn } from '../storage/index.js';
import type { ApplyContext, TxOutcome } from './apply.js';
import type { ShapesPutCommand } from './commands.js';
import { chainHead, putReceipt } from './receipt-store.js';

/** Proposer side: a malformed shapes text fails here (400), before anything is logged. */
export async function shapesCommand(ns: string, text: string, actor: string, timeMs: number, canonTimeoutMs: number): Promise<ShapesPutCommand> {
  const quads = text.trim() === '' ? [] : indexShapes(text).quads;
  await assertWellFormed(quads);
  if (quads.length > 0) warmCheckWorker();
  const hash = await deltaHash(quads, [], { timeoutMs: canonTimeoutMs });
  return { type: 'shapes-put', ns, actor, timeMs, text, deltaHash: hash };
}

export function applyShapesPut(txn: WriteTxn, ctx: ApplyContext, index: number, cmd: ShapesPutCommand): TxOutcome {
  const ns = requireNamespace(txn, cmd.ns);
  // Parsing is deterministic (fixed blank-node labels), so every replica counts the same.
  const added = cmd.text.trim() === '' ? 0 : parseShapes(cmd.text).length;
  putShapes(txn, ns.id, cmd.text);
  const receipt = chainReceipt(
    { namespace: cmd.ns, actor: cmd.actor, kind: 'shapes', timeMs: cmd.timeMs, logIndex: index, delta: { added, removed: 0, hash: cmd.deltaHash } },
    chainHead(txn, cmd.ns),
  );
  putReceipt(txn, receipt);
  return { type: 'tx', receipt, delta: { added, removed: 0 }, replayed: false, created: new Map(), nsId: ns.id };
}
