import type { Quad } from '@rdfjs/types';
import { parseRdf } from '../rdf/index.js';
import type { Command, TxCommand } from './commands.js';
import { parseTxCommand } from './apply.js';
import { parseShapes } from '../shacl/index.js';
import type { StoredDelta } from './receipt-store.js';
import { deltaHash } from '../receipts/index.js';
import { vectorDeltaHash } from './vector-receipt.js';
import { firingBody, type StoredFiring } from '../hooks/index.js';
import type { JsonValue } from '../receipts/index.js';
import { hookCommandHash, jsonHash } from './hooks.js';
import { packsCommandHash } from './packs.js';

/** What a receipt's deltaHash must match: the logged tx, or the kept effect of a SPARQL update. */
export interface DeltaEvidence {
  readonly entry: Command | null;
  /** For SPARQL update entries: the effective delta kept at apply time. */
  readonly updateDelta?: StoredDelta;
  /** For a post hook's firing receipt: the firing it records (hashed as canonical JSON). */
  readonly firing?: StoredFiring;
}

/**
 * The hash a receipt's deltaHash must equal, recomputed from its evidence: RDFC-1.0 over an RDF
 * delta, or the canonical vector form for vector writes; undefined when the evidence is missing.
 */
export async function evidenceHash(ev: DeltaEvidence): Promise<string | undefined> {
  if (ev.firing !== undefined) return jsonHash(firingBody(ev.firing) as unknown as JsonValue);
  if (ev.entry?.type === 'hook-put' || ev.entry?.type === 'hook-delete') return hookCommandHash(ev.entry);
  if (ev.entry?.type === 'packs-load') return packsCommandHash(ev.entry);
  if (ev.entry?.type === 'vec-upsert' || ev.entry?.type === 'vec-delete') return vectorDeltaHash(ev.entry);
  const d = deltaOf(ev);
  return d === undefined ? undefined : deltaHash(d.add, d.remove);
}

export function deltaOf(ev: DeltaEvidence): { add: readonly Quad[]; remove: readonly Quad[] } | undefined {
  if (ev.entry?.type === 'tx') return parseTxCommand(ev.entry as TxCommand);
  // A shapes receipt's delta is the new shapes graph, as additions (engine/shapes.ts).
  if (ev.entry?.type === 'shapes-put') return { add: parseShapes(ev.entry.text), remove: [] };
  if (ev.entry?.type === 'update' && ev.updateDelta !== undefined) {
    return {
      add: parseRdf(ev.updateDelta.add, { format: 'n-quads', source: 'delta' }),
      remove: parseRdf(ev.updateDelta.remove, { format: 'n-quads', source: 'delta' }),
    };
  }
  return undefined;
}

