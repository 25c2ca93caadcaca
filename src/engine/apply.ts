import type { Quad } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import { DEFAULT_GRAPH_ID, createNamespace, dropNamespaceEntry, requireNamespace, type IdQuad, type NamespaceInfo, type QuadWriter, type QuadStore } from '../dataset/index.js';
import { encodeTerm, factory, parseRdf } from '../rdf/index.js';
import { chainReceipt, digestDeltaSync, type StoredReceipt } from '../receipts/index.js';
import { prefixRange, type WriteTxn } from '../storage/index.js';
import type { Command, TxCommand, UpdateCommand } from './commands.js';
import { applyUpdate } from './update.js';
import { getIdempotency, isLive, pruneIdempotency, putIdempotency } from './idempotency.js';
import { followImportBatch, forgetImportBatches } from './import-order.js';
import { chainHead, getReceipt, putReceipt, putUpdateDelta } from './receipt-store.js';
import { applyVectorCommand, type VectorOutcome } from './vector-apply.js';
import { deleteVectorNamespace } from '../vector/index.js';
import { applyShapesPut } from './shapes.js';
import { dropShapes } from '../shacl/index.js';
import { dropHooks, type EntryInfo, type HooksCheck, type StoredFiring } from '../hooks/index.js';
import { applyHookCommand, runPostHooks } from './hooks.js';
import { applyPacksLoad, type PacksOutcome } from './packs.js';
import { batchSize, decodeQuads, encodeQuads, parseImportText, DEFAULT_GRAPH_SLOT, type EncodedBatch } from './import-batch.js';
import { forgetPackNamespace } from '../packs/index.js';

export interface QuadDelta {
  readonly add: readonly Quad[];
  readonly remove: readonly Quad[];
}

/** What a proposer already parsed: quads, or (bulk import) a batch its worker prepared. */
export type ParsedDelta = QuadDelta | { readonly encoded: EncodedBatch };

export interface TxOutcome {
  readonly type: 'tx';
  readonly receipt: StoredReceipt;
  readonly delta: { readonly added: number; readonly removed: number };
  /** True when an idempotency key matched an earlier transaction and nothing was applied. */
  readonly replayed: boolean;
  /** Term mappings this entry created, per namespace id (published to caches after commit). */
  readonly created: ReadonlyMap<string, number>;
  readonly nsId: number;
  /** Post hooks that fired (or failed) in this entry; published to event subscribers after commit. */
  readonly firings?: readonly StoredFiring[];
}

export interface NamespaceOutcome {
  readonly type: 'ns-create' | 'ns-delete';
  readonly ns: string;
  readonly nsId: number;
}

export type Outcome = VectorOutcome | TxOutcome | NamespaceOutcome | PacksOutcome;

export function parseTxCommand(c: TxCommand): QuadDelta {
  const common = { format: c.format, ...(c.baseIRI !== undefined && { baseIRI: c.baseIRI }) };
  let add = parseRdf(c.add, { ...common, blankNodePrefix: c.bnodePrefix, ...(c.bnodeMode !== undefined && { blankNodeMode: c.bnodeMode }), source: 'add' });
  if (c.graph !== undefined) {
    const g = c.graph === '' ? factory.defaultGraph() : factory.namedNode(c.graph);
    add = add.map((q) => factory.quad(q.subject, q.predicate, q.object, g));
  }
  const removeOpts = { ...common, ...(c.removeFormat !== undefined && { format: c.removeFormat }), blankNodePrefix: '', source: 'remove' };
  return { add, remove: parseRdf(c.remove, removeOpts) };
}

/**
 * A check on a transaction's effect, run inside its apply, after the delta is written and before
 * the receipt: it sees exactly the state the transaction produces, and the same state on every
 * replica, so a rejection (throw KnowdError 'REJECTED' with the report as details) is
 * deterministic and undoes the transaction's own savepoint only. SHACL and veto hooks plug in here.
 */
export interface ApplyCheck {
  readonly name: string;
  check(txn: WriteTxn, quads: QuadStore, ns: { readonly name: string; readonly id: number }, delta: CheckDelta, entry?: EntryInfo): void;
  /**
   * A check that can work in the background (SHACL in its worker thread): starts it and returns the
   * wait for its verdict, or undefined when there is nothing to check. The later checks run
   * meanwhile; `finish` throws what `check` would have.
   */
  begin?(txn: WriteTxn, quads: QuadStore, ns: { readonly name: string; readonly id: number }, delta: CheckDelta, entry?: EntryInfo): { finish(): void } | undefined;
}

/** A transaction's delta as requested, and (`effective`) the quads it actually added and removed. */
export interface CheckDelta {
  readonly added: readonly Quad[];
  readonly removed: readonly Quad[];
  readonly effective?: { readonly added: readonly Quad[]; readonly removed: readonly Quad[] };
}

export interface ApplyContext {
  readonly quads: QuadStore;
  readonly checks?: readonly ApplyCheck[];
  /** The hooks check, whose post hooks run after a transaction's receipt (absent: hooks off). */
  readonly hooks?: HooksCheck;
  /** The entry ran past the hooks' wall-clock limit here before: evaluate it without (EntryInfo.unhurried). */
  readonly unhurried?: boolean;
}

type Entry = EntryInfo;
type Effective = { readonly added: readonly Quad[]; readonly removed: readonly Quad[] };

/**
 * Runs the checks in order, a background one (begin) overlapping those after it, and then `then`
 * (the receipt and the post hooks) while the background checks still work: the SHACL worker's
 * verdict was waited for on this thread, idle, before the post hooks could start. The outcome is the
 * one of running everything one after another: the first check (in order) that fails decides, and
 * then nothing of `then` is kept (it throws, and the entry's savepoint undoes what `then` wrote,
 * receipt and firings included; nothing of it is published before the commit). Every started check
 * is finished, inside this transaction, before anything is thrown.
 */
function withDeltaChecks<T>(txn: WriteTxn, ctx: ApplyContext, ns: { readonly name: string; readonly id: number }, delta: CheckDelta, entry: Entry, then: () => T): T {
  const started: { finish(): void }[] = [];
  let failure: { readonly error: unknown } | undefined;
  for (const c of ctx.checks ?? []) {
    try {
      if (c.begin === undefined) c.check(txn, ctx.quads, ns, delta, entry);
      else {
        const p = c.begin(txn, ctx.quads, ns, delta, entry);
        if (p !== undefined) started.push(p);
      }
    } catch (error) {
      failure = { error };
      break;
    }
  }
  let result: { readonly value: T } | { readonly error: unknown } | undefined;
  if (failure === undefined) {
    try {
      result = { value: then() };
    } catch (error) {
      result = { error };
    }
  }
  let first: { readonly error: unknown } | undefined;
  for (const p of started) {
    try {
      p.finish();
    } catch (error) {
      first ??= { error };
    }
  }
  if (first !== undefined) throw first.error;
  if (failure !== undefined) throw failure.error;
  if (result === undefined || 'error' in result) throw (result as { readonly error: unknown }).error;
  return result.value;
}

function postHooks(txn: WriteTxn, ctx: ApplyContext, ns: { readonly name: string; readonly id: number }, effective: Effective, entry: Entry): { firings?: readonly StoredFiring[] } {
  if (ctx.hooks === undefined) return {};
  const firings = runPostHooks(txn, ctx.hooks, ctx.quads, ns, effective, entry);
  return firings.length === 0 ? {} : { firings };
}

/**
 * Applies one committed log entry to the store. Deterministic: it reads nothing but the entry and the
 * store (time comes from the entry), so every replica that applies the same log ends identical.
 * `parsed` is the proposer's already-parsed delta, an optimisation that skips re-parsing locally.
 */
export function applyCommand(txn: WriteTxn, ctx: ApplyContext, index: number, cmd: Command, parsed?: ParsedDelta): Outcome {
  // Before the entry writes: the hooks check caches definitions and must read this write's instead.
  if (writesHookDefinitions(cmd)) ctx.hooks?.definitionsChanging(index);
  switch (cmd.type) {
    case 'ns-create': {
      // Throws NAMESPACE_EXISTS when two creations of one name race: the second caller learns it.
      const info = createNamespace(txn, cmd.ns, cmd.timeMs);
      return { type: 'ns-create', ns: cmd.ns, nsId: info.id };
    }
    case 'ns-delete': {
      const info = dropNamespaceEntry(txn, cmd.ns);
      ctx.quads.deleteNamespaceData(txn, info.id);
      dropShapes(txn, info.id);
      dropHooks(txn, info.id);
      forgetPackNamespace(txn, cmd.ns);
      forgetImportBatches(txn, cmd.ns);
      deleteVectorNamespace(txn, info.id);
      txn.delRange('idem', prefixRange(Buffer.concat([Buffer.from(cmd.ns, 'utf8'), Buffer.from([0])])));
      return { type: 'ns-delete', ns: cmd.ns, nsId: info.id };
    }
    case 'tx':
      return applyTx(txn, ctx, index, cmd, parsed);
    case 'update':
      return applySparqlUpdate(txn, ctx, index, cmd);
    case 'vec-upsert':
    case 'vec-delete':
      return applyVectorCommand(txn, index, cmd);
    case 'shapes-put':
      return applyShapesPut(txn, ctx, index, cmd);
    case 'hook-put':
    case 'hook-delete':
      return applyHookCommand(txn, ctx, index, cmd);
    case 'packs-load':
      return applyPacksLoad(txn, ctx, index, cmd);
  }
}

const writesHookDefinitions = (cmd: Command): boolean => cmd.type === 'hook-put' || cmd.type === 'hook-delete' || cmd.type === 'packs-load' || cmd.type === 'ns-delete';

function applySparqlUpdate(txn: WriteTxn, ctx: ApplyContext, index: number, cmd: UpdateCommand): TxOutcome {
  const ns = requireNamespace(txn, cmd.ns);
  const w = ctx.quads.writer(txn, ns.id);
  const effect = applyUpdate(txn, ctx.quads, ns.id, w, cmd.text, { timeMs: cmd.timeMs, seed: cmd.seed, ...(cmd.baseIRI !== undefined && { baseIRI: cmd.baseIRI }) });
  w.finish();
  const entry = entryOf(index, cmd, ctx);
  return withDeltaChecks(txn, ctx, { name: cmd.ns, id: ns.id }, { added: effect.added, removed: effect.removed, effective: effect }, entry, () => {
    // The receipt covers the effective change: the update's text says what to do, the delta what it did.
    const digest = digestDeltaSync(effect.added, effect.removed);
    const receipt = chainReceipt({ namespace: cmd.ns, actor: cmd.actor, kind: 'tx', timeMs: cmd.timeMs, logIndex: index, delta: digest }, chainHead(txn, cmd.ns));
    putReceipt(txn, receipt);
    // The effect is not derivable from the entry alone (it depends on the state the update met), so
    // it is kept beside the receipt for verification.
    putUpdateDelta(txn, receipt.id, effect.added, effect.removed);
    const fired = postHooks(txn, ctx, { name: cmd.ns, id: ns.id }, effect, entry);
    return { type: 'tx', receipt, delta: { added: effect.added.length, removed: effect.removed.length }, replayed: false, created: w.dict.created, nsId: ns.id, ...fired };
  });
}

/** Fails the transaction when a replaced graph holds anything but the new content (a concurrent write). */
function checkExact(txn: WriteTxn, ctx: ApplyContext, nsId: number, graph: string, w: QuadWriter, add: readonly Quad[]): void {
  // By id: decoding terms inside a write would cache mappings that a rollback could void.
  const gid = graph === '' ? DEFAULT_GRAPH_ID : w.dict.find(encodeTerm(factory.namedNode(graph)));
  const held = gid === undefined ? 0 : ctx.quads.count(txn, nsId, { graph: { kind: 'graph', id: gid } });
  const wanted = new Set(add.map((q) => `${encodeTerm(q.subject)} ${encodeTerm(q.predicate)} ${encodeTerm(q.object)}`)).size;
  if (held !== wanted) {
    throw new KnowdError('CONFLICT', `Graph ${graph === '' ? 'default' : `<${graph}>`} changed while it was being replaced; retry the request`, { graph });
  }
}

/**
 * A batch of `knowdctl import` / POST /v1/admin/import of N-Triples or N-Quads: only additions, as
 * logged text. Every replica applies these through applyImport, whether it proposed the entry (with
 * the worker's encoded batch) or replays it from the log (parsing it here).
 */
function isLineImport(cmd: TxCommand): cmd is TxCommand & { format: 'n-triples' | 'n-quads' } {
  return (
    cmd.kind === 'import' &&
    cmd.remove === '' &&
    cmd.exact === undefined &&
    cmd.graph === undefined &&
    cmd.idempotency === undefined &&
    cmd.baseIRI === undefined &&
    cmd.bnodeMode === 'prefix' &&
    (cmd.format === 'n-triples' || cmd.format === 'n-quads')
  );
}

/** What the checks know of the entry: its index, time, and the proposer's WINDOW span and SHACL switch. */
function entryOf(index: number, cmd: TxCommand | UpdateCommand, ctx: ApplyContext): EntryInfo {
  return { index, timeMs: cmd.timeMs, ...(cmd.windowSec !== undefined && { windowSec: cmd.windowSec }), ...(cmd.shacl !== undefined && { shacl: cmd.shacl }), ...(ctx.unhurried === true && { unhurried: true }) };
}

function applyTx(txn: WriteTxn, ctx: ApplyContext, index: number, cmd: TxCommand, parsed?: ParsedDelta): TxOutcome {
  const ns = requireNamespace(txn, cmd.ns);
  if (cmd.importBatch !== undefined) followImportBatch(txn, cmd.ns, cmd.importBatch.id, cmd.importBatch.seq);
  if (isLineImport(cmd)) {
    const batch = parsed !== undefined && 'encoded' in parsed ? parsed.encoded : encodeQuads(parseImportText(cmd.add, cmd.format, cmd.bnodePrefix, 1));
    return applyImport(txn, ctx, index, cmd, ns, batch);
  }
  if (cmd.idempotency !== undefined) {
    const prior = getIdempotency(txn, cmd.ns, cmd.idempotency.key);
    // An expired key is free again: this transaction applies and takes it over.
    if (prior !== undefined && isLive(prior, cmd.timeMs)) {
      if (prior.requestHash !== cmd.idempotency.requestHash) {
        throw new KnowdError('IDEMPOTENCY_MISMATCH', `Idempotency key "${cmd.idempotency.key}" was already used for a different request`, { receiptId: prior.receiptId });
      }
      const receipt = getReceipt(txn, prior.receiptId);
      if (receipt === undefined) throw new KnowdError('STORE_CORRUPT', `Receipt ${prior.receiptId} of an idempotency record is missing`);
      return { type: 'tx', receipt, delta: { added: prior.added, removed: prior.removed }, replayed: true, created: new Map(), nsId: ns.id };
    }
  }
  const delta = parsed !== undefined && !('encoded' in parsed) ? parsed : parseTxCommand(cmd);
  const w = ctx.quads.writer(txn, ns.id);
  const effective: { added: Quad[]; removed: Quad[] } = { added: [], removed: [] };
  // Removals first, as in SPARQL's DELETE/INSERT: a quad both removed and added ends up present.
  for (const q of delta.remove) if (w.remove(q)) effective.removed.push(q);
  for (const q of delta.add) if (w.add(q)) effective.added.push(q);
  const removed = effective.removed.length;
  const added = effective.added.length;
  w.finish();
  if (cmd.exact !== undefined) checkExact(txn, ctx, ns.id, cmd.exact, w, delta.add);
  const entry = entryOf(index, cmd, ctx);
  return withDeltaChecks(txn, ctx, { name: cmd.ns, id: ns.id }, { added: delta.add, removed: delta.remove, effective }, entry, () => {
    const receipt = chainReceipt(
      // Counts are the effective change (no-ops excluded); the hash covers the delta as logged.
      { namespace: cmd.ns, actor: cmd.actor, kind: cmd.kind, timeMs: cmd.timeMs, logIndex: index, delta: { added, removed, hash: cmd.deltaHash } },
      chainHead(txn, cmd.ns),
    );
    putReceipt(txn, receipt);
    if (cmd.idempotency !== undefined) {
      const { key, requestHash, expiresAtMs } = cmd.idempotency;
      putIdempotency(txn, cmd.ns, key, { requestHash, receiptId: receipt.id, added, removed, ...(expiresAtMs !== undefined && { expiresAtMs }) });
      // Each keyed write removes more expired keys than it adds, so the records stay within the TTL's worth.
      pruneIdempotency(txn, cmd.timeMs);
    }
    const fired = postHooks(txn, ctx, { name: cmd.ns, id: ns.id }, effective, entry);
    return { type: 'tx', receipt, delta: { added, removed }, replayed: false, created: w.dict.created, nsId: ns.id, ...fired };
  });
}

/**
 * Applies an import batch: each distinct term interned once, quads added by id. The delta reaches
 * SHACL and hooks lazily — decoded into quads only when a check of the namespace asks for it — so a
 * namespace without shapes or hooks never builds RDF/JS objects for its imports.
 */
function applyImport(txn: WriteTxn, ctx: ApplyContext, index: number, cmd: TxCommand, ns: NamespaceInfo, batch: EncodedBatch): TxOutcome {
  const w = ctx.quads.writer(txn, ns.id);
  const ids = batch.terms.map((t) => w.dict.intern(t));
  const n = batchSize(batch);
  const fresh = new Uint8Array(n);
  let added = 0;
  const q: IdQuad = [0, 0, 0, DEFAULT_GRAPH_ID];
  const slots = batch.quads;
  for (let k = 0; k < n; k++) {
    q[0] = ids[slots[k * 4] as number] as number;
    q[1] = ids[slots[k * 4 + 1] as number] as number;
    q[2] = ids[slots[k * 4 + 2] as number] as number;
    const g = slots[k * 4 + 3] as number;
    q[3] = g === DEFAULT_GRAPH_SLOT ? DEFAULT_GRAPH_ID : (ids[g] as number);
    if (w.addIds(q)) {
      fresh[k] = 1;
      added++;
    }
  }
  w.finish();
  const entry = entryOf(index, cmd, ctx);
  let all: Quad[] | undefined;
  let fresher: Quad[] | undefined;
  const decodedAll = (): Quad[] => (all ??= decodeQuads(batch));
  const effective: Effective = {
    get added(): Quad[] {
      return (fresher ??= added === n ? decodedAll() : decodeQuads(batch, (k) => fresh[k] === 1));
    },
    removed: [],
  };
  const requested: CheckDelta = {
    get added(): Quad[] {
      return decodedAll();
    },
    removed: [],
    effective,
  };
  return withDeltaChecks(txn, ctx, { name: cmd.ns, id: ns.id }, requested, entry, () => {
    const receipt = chainReceipt(
      { namespace: cmd.ns, actor: cmd.actor, kind: cmd.kind, timeMs: cmd.timeMs, logIndex: index, delta: { added, removed: 0, hash: cmd.deltaHash } },
      chainHead(txn, cmd.ns),
    );
    putReceipt(txn, receipt);
    const fired = postHooks(txn, ctx, { name: cmd.ns, id: ns.id }, effective, entry);
    return { type: 'tx', receipt, delta: { added, removed: 0 }, replayed: false, created: w.dict.created, nsId: ns.id, ...fired };
  });
}
