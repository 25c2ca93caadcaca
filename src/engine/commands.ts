import { KnowdError } from '../base/index.js';
import type { RdfFormat } from '../rdf/index.js';
import type { ReceiptKind } from '../receipts/index.js';
import type { StoredHook } from '../hooks/index.js';
import type { CompiledPack } from '../packs/index.js';

/**
 * What a log entry carries. The leader decides everything non-deterministic (time, blank-node
 * prefix, delta hash) when it proposes, so applying an entry is a pure function of the entry and the
 * store: every node that applies the same log reaches the same state.
 */
export interface TxCommand {
  readonly type: 'tx';
  readonly ns: string;
  readonly actor: string;
  readonly kind: ReceiptKind;
  readonly timeMs: number;
  /** RDF text exactly as the client sent it (so the log keeps what was asked), with how to parse it. */
  readonly add: string;
  readonly remove: string;
  readonly format: RdfFormat;
  readonly baseIRI?: string;
  readonly bnodePrefix: string;
  /** How blank-node labels get the prefix (see ParseOptions.blankNodeMode); default 'ordinal'. */
  readonly bnodeMode?: 'ordinal' | 'prefix';
  /** Format of `remove` when it differs from `format` (a replaced graph's old content is N-Quads). */
  readonly removeFormat?: RdfFormat;
  /** Graph Store Protocol: the triples of `add` go into this graph ('' = default graph). */
  readonly graph?: string;
  /**
   * Graph replacement (GSP PUT/DELETE): the proposer listed the graph's old content in `remove`;
   * after applying, the graph must hold exactly the quads of `add`, or the graph changed in between
   * and the transaction fails with CONFLICT. So the receipt's hash covers what was removed.
   */
  readonly exact?: string;
  readonly deltaHash: string;
  /** `expiresAtMs`: from this entry time on the key is forgotten (absent: never; see idempotency.ts). */
  readonly idempotency?: { readonly key: string; readonly requestHash: string; readonly expiresAtMs?: number };
  /**
   * A bulk import's batch: `id` names the import (unique per load), `seq` counts its batches from 0.
   * The batch applies only after the one before it applied (see import-order.ts).
   */
  readonly importBatch?: { readonly id: string; readonly seq: number };
  /** The proposer's KNOWD_WINDOW_SEC, for the hooks' WINDOW conditions on every replica (see hooks/check.ts EntryInfo). */
  readonly windowSec?: number;
  /** The proposer's KNOWD_SHACL_ENABLED: whether every replica validates this write (absent: each its own setting, as older entries). */
  readonly shacl?: boolean;
}

export interface NamespaceCommand {
  readonly type: 'ns-create' | 'ns-delete';
  readonly ns: string;
  readonly timeMs: number;
  readonly actor: string;
}

/** A SPARQL update, evaluated at apply time against the state the log has reached. */
export interface UpdateCommand {
  readonly type: 'update';
  readonly ns: string;
  readonly actor: string;
  readonly timeMs: number;
  readonly text: string;
  readonly baseIRI?: string;
  /** Seeds RAND(), UUID() and blank-node labels so every replica computes the same. */
  readonly seed: string;
  /** As TxCommand's. */
  readonly windowSec?: number;
  /** The proposer's KNOWD_SHACL_ENABLED: whether every replica validates this write (absent: each its own setting, as older entries). */
  readonly shacl?: boolean;
}

/** Index options a namespace's vector index gets on its first upsert (later upserts must agree on dims and metric). */
export interface VectorIndexSpec {
  readonly dims: number;
  readonly metric: 'cos' | 'l2' | 'ip';
  readonly quantization: 'f32' | 'f16' | 'i8';
  readonly m: number;
  readonly efConstruction: number;
}

/** Adds or replaces vectors by id (vectors as base64 of little-endian f32, exact in the log). */
export interface VectorUpsertCommand {
  readonly type: 'vec-upsert';
  readonly ns: string;
  readonly actor: string;
  readonly timeMs: number;
  readonly index: VectorIndexSpec;
  readonly items: readonly { readonly id: string; readonly v: string }[];
}

export interface VectorDeleteCommand {
  readonly type: 'vec-delete';
  readonly ns: string;
  readonly actor: string;
  readonly timeMs: number;
  readonly ids: readonly string[];
}

/**
 * Replaces a namespace's SHACL shapes (Turtle, as PUT; empty = none). The proposer checked that the
 * text parses and is valid SHACL, and computed the receipt's delta hash over its triples.
 */
export interface ShapesPutCommand {
  readonly type: 'shapes-put';
  readonly ns: string;
  readonly actor: string;
  readonly timeMs: number;
  readonly text: string;
  readonly deltaHash: string;
}

/**
 * Adds or replaces a knowledge hook of `ns` (the proposer validated the definition). The receipt's
 * delta hash is SHA-256 of the canonical JSON of the definition (engine/hooks.ts).
 */
export interface HookPutCommand {
  readonly type: 'hook-put';
  readonly ns: string;
  readonly actor: string;
  readonly timeMs: number;
  readonly hook: StoredHook;
}

/** Removes a knowledge hook (its firings stay); the receipt's delta hash covers `{ delete: id }`. */
export interface HookDeleteCommand {
  readonly type: 'hook-delete';
  readonly ns: string;
  readonly actor: string;
  readonly timeMs: number;
  readonly id: string;
}

/**
 * Loads the policy packs (KNOWD_PACKS): `packs` is the whole wanted set, already compiled by the
 * proposer. One entry, so a pack is applied entirely or not at all (engine/packs.ts): items that
 * loaded packs own and the new set no longer has are removed, packs not in the set are unloaded.
 * Each namespace it changes gets a receipt of kind 'pack' whose delta hash is SHA-256 of the
 * canonical JSON of `packs`.
 */
export interface PacksLoadCommand {
  readonly type: 'packs-load';
  readonly actor: string;
  readonly timeMs: number;
  readonly packs: readonly CompiledPack[];
}

export type Command = TxCommand | NamespaceCommand | UpdateCommand | VectorUpsertCommand | VectorDeleteCommand | ShapesPutCommand | HookPutCommand | HookDeleteCommand | PacksLoadCommand;

const TYPES = new Set(['tx', 'ns-create', 'ns-delete', 'update', 'vec-upsert', 'vec-delete', 'shapes-put', 'hook-put', 'hook-delete', 'packs-load']);

export function encodeCommand(c: Command): Buffer {
  return Buffer.from(JSON.stringify(c), 'utf8');
}

export function decodeCommand(payload: Buffer, index: number): Command {
  let c: unknown;
  try {
    c = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new KnowdError('STORE_CORRUPT', `Log entry ${index} is not valid JSON`);
  }
  const type = (c as { type?: unknown }).type;
  if (typeof type !== 'string' || !TYPES.has(type)) throw new KnowdError('STORE_FORMAT', `Log entry ${index} has unknown command type ${String(type)}`);
  return c as Command;
}
