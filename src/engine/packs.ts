/**
 * Policy packs in the engine: the 'packs-load' entry applied in one step. The proposer compiled the
 * packs (packs/compile.ts) and checked them against the store; the apply checks what may have
 * changed since (a namespace deleted, a hook of the same id defined through the API) and throws,
 * which undoes the whole entry: a pack is never half applied, on any replica.
 */
import { KnowdError } from '../base/index.js';
import { getNamespace, requireNamespace } from '../dataset/index.js';
import { deleteHook, getHook, putHook } from '../hooks/index.js';
import { deletePackRecord, listPackRecords, putPackRecord, type CompiledPack, type PackRecord } from '../packs/index.js';
import { chainReceipt, type JsonValue, type StoredReceipt } from '../receipts/index.js';
import { combineShapes, packShapesOf, putPackShapes } from '../shacl/index.js';
import type { WriteTxn } from '../storage/index.js';
import type { ApplyContext } from './apply.js';
import type { PacksLoadCommand } from './commands.js';
import { jsonHash } from './hooks.js';
import { chainHead, putReceipt } from './receipt-store.js';

export interface PacksOutcome {
  readonly type: 'packs';
  /** One receipt per namespace whose shapes or hooks changed. */
  readonly receipts: readonly StoredReceipt[];
  readonly packs: readonly PackRecord[];
}

/** What a pack receipt's delta hash covers: the compiled packs as logged. */
export const packsCommandHash = (cmd: PacksLoadCommand): string => jsonHash(cmd.packs as unknown as JsonValue);

const hookKey = (ns: string, id: string): string => `${ns}\0${id}`;

export function applyPacksLoad(txn: WriteTxn, ctx: ApplyContext, index: number, cmd: PacksLoadCommand): PacksOutcome {
  const old = listPackRecords(txn);
  const oldOwner = new Map<string, string>();
  for (const r of old) for (const i of r.items) for (const h of i.hooks) oldOwner.set(hookKey(i.namespace, h.id), r.name);
  const wanted = new Map<string, unknown>();
  for (const p of cmd.packs) for (const n of p.namespaces) for (const h of n.hooks) wanted.set(hookKey(n.ns, h.hook.id), h.hook);
  const counts = new Map<string, { added: number; removed: number }>();
  const count = (ns: string, k: 'added' | 'removed'): void => {
    const c = counts.get(ns) ?? { added: 0, removed: 0 };
    c[k]++;
    counts.set(ns, c);
  };

  // 1. What loaded packs own and the new set does not have goes (a namespace deleted since took it already).
  for (const r of old) {
    const next = cmd.packs.find((p) => p.name === r.name);
    for (const i of r.items) {
      const info = getNamespace(txn, i.namespace);
      if (info === undefined) continue;
      for (const h of i.hooks) {
        if (!wanted.has(hookKey(i.namespace, h.id)) && deleteHook(txn, info.id, h.id)) count(i.namespace, 'removed');
      }
      const keepsShapes = next?.namespaces.some((n) => n.ns === i.namespace && n.shapes.length > 0) ?? false;
      if (i.shapes.length > 0 && !keepsShapes) {
        putPackShapes(txn, info.id, r.name, undefined);
        count(i.namespace, 'removed');
      }
    }
  }

  // 2. The new set: hooks put (unless unchanged), shapes set; never over a hook defined through the API.
  for (const p of cmd.packs) {
    for (const n of p.namespaces) {
      const info = requireNamespace(txn, n.ns);
      for (const { hook } of n.hooks) {
        const existing = getHook(txn, info.id, hook.id);
        if (existing !== undefined && !oldOwner.has(hookKey(n.ns, hook.id))) {
          throw new KnowdError('CONFLICT', `Pack "${p.name}" defines hook "${hook.id}" of namespace "${n.ns}", which was defined through the API; delete that hook or rename the pack's`, { pack: p.name, namespace: n.ns, hook: hook.id });
        }
        if (existing !== undefined && JSON.stringify(existing) === JSON.stringify(hook)) continue;
        putHook(txn, info.id, hook);
        count(n.ns, 'added');
      }
      if (n.shapes.length > 0) {
        const text = combineShapes(n.shapes.map((s) => s.text));
        if (packShapesOf(txn, info.id).get(p.name) !== text) {
          putPackShapes(txn, info.id, p.name, text);
          count(n.ns, 'added');
        }
      }
    }
  }

  // 3. The registry: exactly the new set.
  for (const r of old) if (!cmd.packs.some((p) => p.name === r.name)) deletePackRecord(txn, r.name);
  const records = cmd.packs.map((p) => recordOf(p, cmd, index));
  for (const r of records) putPackRecord(txn, r);

  const hash = packsCommandHash(cmd);
  const receipts: StoredReceipt[] = [];
  for (const [ns, delta] of [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const receipt = chainReceipt({ namespace: ns, actor: cmd.actor, kind: 'pack', timeMs: cmd.timeMs, logIndex: index, delta: { ...delta, hash } }, chainHead(txn, ns));
    putReceipt(txn, receipt);
    receipts.push(receipt);
  }
  return { type: 'packs', receipts, packs: records };
}

function recordOf(p: CompiledPack, cmd: PacksLoadCommand, index: number): PackRecord {
  return {
    name: p.name,
    digest: p.digest,
    loadedAtMs: cmd.timeMs,
    logIndex: index,
    actor: cmd.actor,
    items: p.namespaces.map((n) => ({ namespace: n.ns, shapes: n.shapes.map((s) => s.path), hooks: n.hooks.map((h) => ({ id: h.hook.id, file: h.file })) })),
  };
}
