/**
 * The pack registry: `packs/<name>` in the `meta` table, one PackRecord per loaded pack. It is how
 * ownership is tracked: a reload removes exactly what a pack's record lists and the new version no
 * longer has, and never touches hooks or shapes defined through the API. In the store, so it is in
 * snapshots and replicates with the entry that changed it.
 */
import { prefixRange, type ReadTxn, type WriteTxn } from '../storage/index.js';
import type { PackRecord } from './types.js';

const PREFIX = Buffer.from('packs/', 'utf8');
const keyOf = (name: string): Buffer => Buffer.concat([PREFIX, Buffer.from(name, 'utf8')]);
const str = (v: Uint8Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');

/** Loaded packs in name order. */
export function listPackRecords(txn: ReadTxn): PackRecord[] {
  const out: PackRecord[] = [];
  for (const e of txn.scan('meta', prefixRange(PREFIX))) out.push(JSON.parse(str(e.value)) as PackRecord);
  return out;
}

export function putPackRecord(txn: WriteTxn, r: PackRecord): void {
  txn.put('meta', keyOf(r.name), Buffer.from(JSON.stringify(r), 'utf8'));
}

export function deletePackRecord(txn: WriteTxn, name: string): void {
  txn.del('meta', keyOf(name));
}

/** The pack that installed hook `id` of `namespace`, if one did. */
export function hookOwner(txn: ReadTxn, namespace: string, id: string): string | undefined {
  for (const r of listPackRecords(txn)) {
    if (r.items.some((i) => i.namespace === namespace && i.hooks.some((h) => h.id === id))) return r.name;
  }
  return undefined;
}

/**
 * A namespace was deleted (its hooks and shapes with it): packs no longer own anything there, and
 * their digests are cleared so the next load installs their items again if the name comes back.
 */
export function forgetPackNamespace(txn: WriteTxn, namespace: string): void {
  for (const r of listPackRecords(txn)) {
    if (!r.items.some((i) => i.namespace === namespace)) continue;
    putPackRecord(txn, { ...r, digest: '', items: r.items.filter((i) => i.namespace !== namespace) });
  }
}
