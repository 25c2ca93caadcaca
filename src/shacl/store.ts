/**
 * Where a namespace's shapes live: keys of the `meta` table under `shapes/<nsId>/`:
 *   text           — the shapes a user PUT (Turtle exactly as sent; GET /v1/shapes returns it)
 *   pack/<name>    — what policy pack <name> contributes (its files combined, N-Triples)
 *   eff            — the effective shapes graph when packs contribute (user's + packs', combined)
 *   hash           — SHA-256 of the effective text (`eff`, else `text`): the check's cache key
 * Not a reserved named graph: shapes are not data (a SPARQL query or an export of the namespace must
 * not see them, and a data transaction must not be able to edit them), and the check reads only the
 * 64-byte hash per transaction to find its cached parse. Keyed by namespace id, which is never
 * reused, so a deleted namespace's shapes can never resurface under a new namespace of the same
 * name. Being in the store, shapes are part of snapshots and replicate with the entry that set them.
 */
import { prefixRange, type ReadTxn, type WriteTxn } from '../storage/index.js';
import { combineShapes, shapesHash } from './shapes.js';

type Part = 'hash' | 'text' | 'eff';
const key = (nsId: number, part: Part): Buffer => Buffer.from(`shapes/${nsId}/${part}`, 'utf8');
const packPrefix = (nsId: number): Buffer => Buffer.from(`shapes/${nsId}/pack/`, 'utf8');
const str = (v: Uint8Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');

function read(txn: ReadTxn, nsId: number, part: Part): string | undefined {
  const v = txn.get('meta', key(nsId, part));
  return v === undefined ? undefined : str(v);
}

/** Hash of the effective shapes (what transactions are validated against), or undefined: none. */
export function shapesHashOf(txn: ReadTxn, nsId: number): string | undefined {
  return read(txn, nsId, 'hash');
}

/** The shapes a user PUT, as sent (packs' shapes are not in it). */
export function shapesTextOf(txn: ReadTxn, nsId: number): string | undefined {
  return read(txn, nsId, 'text');
}

/** The effective shapes graph: the user's and every pack's, or undefined when there are none. */
export function effectiveShapesOf(txn: ReadTxn, nsId: number): string | undefined {
  return read(txn, nsId, 'eff') ?? read(txn, nsId, 'text');
}

/** Replaces the namespace's user shapes; an empty (whitespace-only) text removes them. */
export function putShapes(txn: WriteTxn, nsId: number, text: string): void {
  if (text.trim() === '') txn.del('meta', key(nsId, 'text'));
  else txn.put('meta', key(nsId, 'text'), Buffer.from(text, 'utf8'));
  recompute(txn, nsId);
}

/** Sets (or with undefined/empty, removes) what pack `pack` contributes to the namespace's shapes. */
export function putPackShapes(txn: WriteTxn, nsId: number, pack: string, text: string | undefined): void {
  const k = Buffer.concat([packPrefix(nsId), Buffer.from(pack, 'utf8')]);
  if (text === undefined || text.trim() === '') txn.del('meta', k);
  else txn.put('meta', k, Buffer.from(text, 'utf8'));
  recompute(txn, nsId);
}

/** The packs' contributions, by pack name. */
export function packShapesOf(txn: ReadTxn, nsId: number): Map<string, string> {
  const out = new Map<string, string>();
  const prefix = packPrefix(nsId);
  for (const e of txn.scan('meta', prefixRange(prefix))) out.set(str(e.key).slice(prefix.length), str(e.value));
  return out;
}

/**
 * Rebuilds the effective shapes from the parts. Without packs the user's text is the effective one
 * (and its hash is the hash of the text as PUT, as before packs existed).
 */
function recompute(txn: WriteTxn, nsId: number): void {
  const user = shapesTextOf(txn, nsId);
  const packs = [...packShapesOf(txn, nsId).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
  if (packs.length === 0) {
    txn.del('meta', key(nsId, 'eff'));
    if (user === undefined) txn.del('meta', key(nsId, 'hash'));
    else txn.put('meta', key(nsId, 'hash'), Buffer.from(shapesHash(user), 'utf8'));
    return;
  }
  const eff = combineShapes(user === undefined ? packs : [user, ...packs]);
  txn.put('meta', key(nsId, 'eff'), Buffer.from(eff, 'utf8'));
  txn.put('meta', key(nsId, 'hash'), Buffer.from(shapesHash(eff), 'utf8'));
}

export function dropShapes(txn: WriteTxn, nsId: number): void {
  txn.delRange('meta', prefixRange(Buffer.from(`shapes/${nsId}/`, 'utf8')));
}
