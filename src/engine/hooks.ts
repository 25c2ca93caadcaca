/**
 * Knowledge hooks in the engine: definitions as log entries ('hook-put', 'hook-delete', stored and
 * receipted like shapes), the apply-time environment of the hooks check, and the recording of post
 * hooks' firings, each with a signed receipt of kind 'hook' in its own chain: the receipt's
 * namespace is `<ns>/hooks/<hook id>` (a '/' no namespace name has), its delta hash SHA-256 of the
 * canonical JSON of the firing (store.ts Firing).
 */
import { createHash } from 'node:crypto';
import type { Quad } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import { requireNamespace, type QuadStore } from '../dataset/index.js';
import { deleteHook, firingBody, putFiring, putHook, type Firing, type HooksCheck, type HooksEnv, type StoredFiring } from '../hooks/index.js';
import { hookOwner } from '../packs/index.js';
import { chainReceipt, canonicalJson, type JsonValue } from '../receipts/index.js';
import type { ReadTxn, WriteTxn } from '../storage/index.js';
import type { ApplyContext, TxOutcome } from './apply.js';
import type { HookDeleteCommand, HookPutCommand } from './commands.js';
import { queryableDataset } from './queryable.js';
import { chainHead, countDataReceipts, putReceipt } from './receipt-store.js';
import { seededEntropy } from './update.js';

export const jsonHash = (v: JsonValue): string => createHash('sha256').update(canonicalJson(v)).digest('hex');

/** What a hook definition receipt's delta hash covers. */
export function hookCommandHash(cmd: HookPutCommand | HookDeleteCommand): string {
  return cmd.type === 'hook-put' ? jsonHash(cmd.hook as unknown as JsonValue) : jsonHash({ delete: cmd.id });
}

/** The receipt chain (a receipt "namespace") of one hook's firings. */
export const firingChain = (ns: string, hook: string): string => `${ns}/hooks/${hook}`;

/** The real namespace a receipt belongs to (for access checks): a firing's chain maps to its namespace. */
export function receiptScope(receiptNamespace: string): string {
  const i = receiptNamespace.indexOf('/hooks/');
  return i < 0 ? receiptNamespace : receiptNamespace.slice(0, i);
}

export function applyHookCommand(txn: WriteTxn, ctx: ApplyContext, index: number, cmd: HookPutCommand | HookDeleteCommand): TxOutcome {
  const ns = requireNamespace(txn, cmd.ns);
  // A pack's hooks are the pack's: changed through the API, the next reload would undo the change.
  const id = cmd.type === 'hook-put' ? cmd.hook.id : cmd.id;
  const pack = hookOwner(txn, cmd.ns, id);
  if (pack !== undefined) throw new KnowdError('CONFLICT', `Hook "${id}" belongs to policy pack "${pack}"; change the pack and reload it (POST /v1/packs/reload)`, { hook: id, pack });
  if (cmd.type === 'hook-put') {
    if (cmd.hook.namespace !== cmd.ns) throw new KnowdError('BAD_REQUEST', `The hook's namespace "${cmd.hook.namespace}" is not the entry's "${cmd.ns}"`);
    putHook(txn, ns.id, cmd.hook);
  } else if (!deleteHook(txn, ns.id, cmd.id)) {
    throw new KnowdError('NOT_FOUND', `No hook "${cmd.id}" in namespace "${cmd.ns}"`, { hook: cmd.id });
  }
  const delta = cmd.type === 'hook-put' ? { added: 1, removed: 0 } : { added: 0, removed: 1 };
  const receipt = chainReceipt({ namespace: cmd.ns, actor: cmd.actor, kind: 'hook', timeMs: cmd.timeMs, logIndex: index, delta: { ...delta, hash: hookCommandHash(cmd) } }, chainHead(txn, cmd.ns));
  putReceipt(txn, receipt);
  return { type: 'tx', receipt, delta, replayed: false, created: new Map(), nsId: ns.id };
}

/** Evaluates the namespace's post hooks after a transaction's receipt and records what fired. */
export function runPostHooks(txn: WriteTxn, hooks: HooksCheck, quads: QuadStore, ns: { readonly name: string; readonly id: number }, delta: { readonly added: readonly Quad[]; readonly removed: readonly Quad[] }, entry: { readonly index: number; readonly timeMs: number }): StoredFiring[] {
  return hooks.after(txn, quads, ns, delta, entry).map((f) => recordFiring(txn, ns.id, f));
}

function recordFiring(txn: WriteTxn, nsId: number, f: Firing): StoredFiring {
  const chain = firingChain(f.namespace, f.hook);
  const receipt = chainReceipt({ namespace: chain, actor: `hook:${f.hook}`, kind: 'hook', timeMs: f.timeMs, logIndex: f.logIndex, delta: { added: 0, removed: 0, hash: jsonHash(firingBody(f) as unknown as JsonValue) } }, chainHead(txn, chain));
  putReceipt(txn, receipt);
  const stored: StoredFiring = { ...f, receiptId: receipt.id };
  putFiring(txn, nsId, stored);
  return stored;
}

/** The engine's side of the hooks check: datasets, the window's transaction count, randomness. */
export function hooksEnv(windowSec: number, wallMs: () => number, wallLimitMs: number): HooksEnv {
  return {
    windowSec,
    wallLimitMs,
    wallMs,
    dataset: (txn: ReadTxn, quads: QuadStore, nsId: number, insideWrite: boolean) => queryableDataset(quads, txn, nsId, { insideWrite }),
    entropy: seededEntropy,
    // Receipts by entry time (the 't' index); the namespace's data writes only.
    transactionsBetween: (txn, ns, sinceMs, untilMs) => countDataReceipts(txn, ns, sinceMs, untilMs),
  };
}
