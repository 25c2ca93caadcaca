/**
 * Where hooks live: keys of the `meta` table, by namespace id (never reused, so a deleted
 * namespace's hooks and firings cannot resurface under a new namespace of the same name):
 *   hooks/<nsId>/def/<id>                 — the definition (JSON)
 *   hooks/<nsId>/fire/<id> 0x00 <u64 idx> — a post hook's firing at log index idx (JSON)
 *   hookfiring/<receiptId>                — the same firing by its receipt id (verification)
 * Being in the store, they are part of snapshots and replicate with the entries that made them.
 */
import type { JsonValue } from '../receipts/index.js';
import { prefixRange, u64Key, type ReadTxn, type WriteTxn } from '../storage/index.js';
import type { StoredHook } from './definition.js';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const defPrefix = (nsId: number): Buffer => enc(`hooks/${nsId}/def/`);
const firePrefix = (nsId: number, id: string): Buffer => Buffer.concat([enc(`hooks/${nsId}/fire/${id}`), Buffer.from([0])]);
const firingKey = (receiptId: string): Buffer => enc(`hookfiring/${receiptId}`);
const text = (v: Uint8Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');

/** What a post hook's firing records; its receipt's delta hash is SHA-256 of this object's canonical JSON. */
export type Firing = {
  readonly namespace: string;
  readonly hook: string;
  readonly logIndex: number;
  /** The entry's time (the leader's stamp), not this node's clock. */
  readonly timeMs: number;
  /** False when the hook failed to evaluate (an error or its budget): recorded, never a silent pass. */
  readonly ok: boolean;
  readonly evidence: JsonValue;
  readonly error?: string;
};

export type StoredFiring = Firing & { readonly receiptId: string };

export function putHook(txn: WriteTxn, nsId: number, hook: StoredHook): void {
  txn.put('meta', Buffer.concat([defPrefix(nsId), enc(hook.id)]), enc(JSON.stringify(hook)));
}

/** True when the hook existed. */
export function deleteHook(txn: WriteTxn, nsId: number, id: string): boolean {
  const k = Buffer.concat([defPrefix(nsId), enc(id)]);
  if (txn.get('meta', k) === undefined) return false;
  txn.del('meta', k);
  return true;
}

export function getHook(txn: ReadTxn, nsId: number, id: string): StoredHook | undefined {
  const v = txn.get('meta', Buffer.concat([defPrefix(nsId), enc(id)]));
  return v === undefined ? undefined : (JSON.parse(text(v)) as StoredHook);
}

/** The namespace's hooks in id order. */
export function listHooks(txn: ReadTxn, nsId: number): StoredHook[] {
  return listHookTexts(txn, nsId).map((t) => JSON.parse(t) as StoredHook);
}

/** The namespace's hook definitions as stored (JSON text), in id order: the per-transaction path caches by text. */
export function listHookTexts(txn: ReadTxn, nsId: number): string[] {
  const out: string[] = [];
  for (const e of txn.scan('meta', prefixRange(defPrefix(nsId)))) out.push(text(e.value));
  return out;
}

/** Drops a namespace's hooks and firings (namespace delete). */
export function dropHooks(txn: WriteTxn, nsId: number): void {
  for (const e of [...txn.scan('meta', prefixRange(enc(`hooks/${nsId}/fire/`)))]) {
    const f = JSON.parse(text(e.value)) as StoredFiring;
    txn.del('meta', firingKey(f.receiptId));
  }
  txn.delRange('meta', prefixRange(enc(`hooks/${nsId}/`)));
}

export function putFiring(txn: WriteTxn, nsId: number, f: StoredFiring): void {
  const v = enc(JSON.stringify(f));
  txn.put('meta', Buffer.concat([firePrefix(nsId, f.hook), u64Key(f.logIndex)]), v);
  txn.put('meta', firingKey(f.receiptId), v);
}

/** A hook's firings in log order, at most `limit`, from log index `after` (exclusive) on. */
export function listFirings(txn: ReadTxn, nsId: number, id: string, limit: number, after = -1): StoredFiring[] {
  const prefix = firePrefix(nsId, id);
  const range = { ...prefixRange(prefix), start: Buffer.concat([prefix, u64Key(after + 1)]) };
  const out: StoredFiring[] = [];
  for (const e of txn.scan('meta', range)) {
    out.push(JSON.parse(text(e.value)) as StoredFiring);
    if (out.length >= limit) break;
  }
  return out;
}

export function firingOfReceipt(txn: ReadTxn, receiptId: string): StoredFiring | undefined {
  const v = txn.get('meta', firingKey(receiptId));
  return v === undefined ? undefined : (JSON.parse(text(v)) as StoredFiring);
}

/** The firing record a receipt covers (without its receipt id, which the receipt itself is). */
export function firingBody(f: StoredFiring | Firing): Firing {
  return { namespace: f.namespace, hook: f.hook, logIndex: f.logIndex, timeMs: f.timeMs, ok: f.ok, evidence: f.evidence, ...(f.error !== undefined && { error: f.error }) };
}
