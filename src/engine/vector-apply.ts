import { KnowdError } from '../base/index.js';
import { requireNamespace } from '../dataset/index.js';
import type { WriteTxn } from '../storage/index.js';
import {
  METRICS,
  MAX_DIMS,
  QUANTIZATIONS,
  deleteVector,
  getVector,
  getVectorMeta,
  isZero,
  putVector,
  putVectorMeta,
  vectorFromBase64,
  type IndexOptions,
  type VectorChanges,
} from '../vector/index.js';
import type { VectorDeleteCommand, VectorIndexSpec, VectorUpsertCommand } from './commands.js';
import { chainReceipt, type StoredReceipt } from '../receipts/index.js';
import { chainHead, putReceipt } from './receipt-store.js';
import { vectorDeltaHash } from './vector-receipt.js';

export interface VectorOutcome {
  readonly type: 'vec';
  readonly ns: string;
  readonly nsId: number;
  readonly upserted: number;
  readonly deleted: number;
  /** The entry's log index (the namespace's vector version after it). */
  readonly version: number;
  /** What this node's HNSW index must take once the commit is durable (local: never sent to peers). */
  readonly changes?: VectorChanges;
  readonly receipt: StoredReceipt;
}

/** Longest id in bytes: ids are part of store keys, which LMDB bounds. */
export const MAX_ID_BYTES = 1000;

export function checkIndexSpec(s: VectorIndexSpec): IndexOptions {
  const int = (x: unknown, min: number, max: number): boolean => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
  if (!int(s.dims, 1, MAX_DIMS) || !METRICS.includes(s.metric) || !QUANTIZATIONS.includes(s.quantization) || !int(s.m, 2, 128) || !int(s.efConstruction, 1, 4096)) {
    throw new KnowdError('BAD_REQUEST', `Invalid vector index options ${JSON.stringify(s)}: dims 1-${MAX_DIMS}, metric ${METRICS.join('|')}, quantization ${QUANTIZATIONS.join('|')}`);
  }
  return { dims: s.dims, metric: s.metric, quantization: s.quantization, m: s.m, efConstruction: s.efConstruction };
}

export function checkId(id: unknown, where: string): string {
  if (typeof id !== 'string' || id === '' || Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
    throw new KnowdError('BAD_REQUEST', `${where}: an id is a non-empty string of at most ${MAX_ID_BYTES} bytes`, { field: where });
  }
  return id;
}

/**
 * Applies a vector entry. Deterministic: keys come from the namespace's counter in the store, so
 * every replica maps an id to the same key. The proposer checked the request; these checks repeat
 * what could have changed since (two first upserts racing with different dimensions).
 */
export function applyVectorCommand(txn: WriteTxn, index: number, cmd: VectorUpsertCommand | VectorDeleteCommand): VectorOutcome {
  const o = applyVectors(txn, index, cmd);
  // Every vector write gets a receipt in the namespace's chain, like a transaction's.
  const receipt = chainReceipt(
    { namespace: cmd.ns, actor: cmd.actor, kind: 'vector', timeMs: cmd.timeMs, logIndex: index, delta: { added: o.upserted, removed: o.deleted, hash: vectorDeltaHash(cmd) } },
    chainHead(txn, cmd.ns),
  );
  putReceipt(txn, receipt);
  return { ...o, receipt };
}

function applyVectors(txn: WriteTxn, index: number, cmd: VectorUpsertCommand | VectorDeleteCommand): Omit<VectorOutcome, 'receipt'> {
  const ns = requireNamespace(txn, cmd.ns);
  const prior = getVectorMeta(txn, ns.id);
  if (cmd.type === 'vec-delete') {
    if (prior === undefined) return { type: 'vec', ns: cmd.ns, nsId: ns.id, upserted: 0, deleted: 0, version: index };
    const deletes: number[] = [];
    for (const id of cmd.ids) {
      const v = getVector(txn, ns.id, id);
      if (v === undefined) continue;
      deleteVector(txn, ns.id, id, v.key);
      deletes.push(v.key);
    }
    putVectorMeta(txn, ns.id, { ...prior, version: index, count: prior.count - deletes.length });
    const changes: VectorChanges = { nsId: ns.id, ns: cmd.ns, version: index, options: prior.options, upserts: [], deletes };
    return { type: 'vec', ns: cmd.ns, nsId: ns.id, upserted: 0, deleted: deletes.length, version: index, changes };
  }
  const options = prior?.options ?? checkIndexSpec(cmd.index);
  if (cmd.index.dims !== options.dims || cmd.index.metric !== options.metric) {
    throw new KnowdError('BAD_REQUEST', `Namespace "${cmd.ns}" has a ${options.dims}-dimensional ${options.metric} index; these vectors have ${cmd.index.dims} dimensions (${cmd.index.metric})`, { expected: options.dims, got: cmd.index.dims });
  }
  let nextKey = prior?.nextKey ?? 1;
  let count = prior?.count ?? 0;
  const upserts: { key: number; vector: Float32Array; fresh: boolean }[] = [];
  cmd.items.forEach((item, i) => {
    const id = checkId(item.id, `items[${i}].id`);
    const vector = vectorFromBase64(item.v);
    if (vector.length !== options.dims) throw new KnowdError('BAD_REQUEST', `items[${i}]: ${vector.length} dimensions; the index has ${options.dims}`, { expected: options.dims, got: vector.length });
    if (options.metric === 'cos' && isZero(vector)) throw new KnowdError('BAD_REQUEST', `items[${i}]: a zero vector has no direction, so it has no cosine similarity`);
    const existing = getVector(txn, ns.id, id);
    const key = existing?.key ?? nextKey++;
    if (existing === undefined) count++;
    putVector(txn, ns.id, id, key, vector);
    upserts.push({ key, vector, fresh: existing === undefined });
  });
  putVectorMeta(txn, ns.id, { ns: cmd.ns, options, nextKey, version: index, count });
  const changes: VectorChanges = { nsId: ns.id, ns: cmd.ns, version: index, options, upserts, deletes: [] };
  return { type: 'vec', ns: cmd.ns, nsId: ns.id, upserted: cmd.items.length, deleted: 0, version: index, changes };
}
