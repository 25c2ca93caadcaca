import { createHash } from 'node:crypto';
import { canonicalJson } from '../receipts/index.js';
import type { VectorDeleteCommand, VectorUpsertCommand } from './commands.js';

/**
 * The delta hash of a vector write: SHA-256 of a canonical JSON of what it logged (ids sorted, the
 * f32 bytes as logged in base64), so a receipt verifies against the entry like an RDF delta does.
 * RDFC-1.0 is for graphs; vectors are not RDF, so they get their own, simpler canonical form.
 */
export function vectorDeltaHash(cmd: VectorUpsertCommand | VectorDeleteCommand): string {
  const body = cmd.type === 'vec-upsert'
    ? { type: cmd.type, ns: cmd.ns, index: { ...cmd.index }, items: [...cmd.items].map((i) => [i.id, i.v]).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)) }
    : { type: cmd.type, ns: cmd.ns, ids: [...cmd.ids].sort() };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
