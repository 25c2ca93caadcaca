import { createHash, randomBytes } from 'node:crypto';
import type { Quad } from '@rdfjs/types';
import { Writer } from 'n3';
import { KnowdError, assert, type Clock } from '../base/index.js';
import { Dictionary, QuadStore, getNamespace, listNamespaces, requireNamespace, checkNamespaceName, type NamespaceInfo } from '../dataset/index.js';
import { factory, type RdfFormat } from '../rdf/index.js';
import { deltaHash, signReceipt, signReceiptOff, type BatchSigner, type Receipt, type ReceiptKind, type Signer, type StoredReceipt } from '../receipts/index.js';
import { appliedIndex, lastIndex, readPayload } from '../replication/log/index.js';
import type { ReadTxn, Storage, WriteTxn } from '../storage/index.js';
import { applyCommand, parseTxCommand, type ApplyCheck, type ApplyContext, type Outcome, type ParsedDelta, type QuadDelta, type TxOutcome } from './apply.js';
import { batchSize, inThreadPreparer, type ImportBatchRequest, type ImportPreparer, type PreparedImportBatch } from './import-batch.js';
import { decodeCommand, encodeCommand, type Command, type TxCommand, type UpdateCommand } from './commands.js';
import { executeQuery, type ParsedQuery, type QueryableDataset, type QueryOptions, type QueryResult } from '../sparql/index.js';
import { queryableDataset } from './queryable.js';
import { DEFAULT_IDEMPOTENCY_TTL_MS, getIdempotency, isLive } from './idempotency.js';
import { getReceipt } from './receipt-store.js';
import { getEvidence, putEvidence } from './evidence.js';
import { checkUpdate } from './update.js';
import type { VectorDeleteCommand, VectorUpsertCommand } from './commands.js';
import type { VectorOutcome } from './vector-apply.js';
import type { VectorIndexes } from '../vector/index.js';
import { ShaclCheck, assertWellFormed, combineShapes, effectiveShapesOf, indexShapes, packShapesOf, parseShapes, shapesTextOf, warmCheckWorker, validateNamespace, validateQuads, type FullReport } from '../shacl/index.js';
import { shapesCommand } from './shapes.js';
import { HooksCheck, firingOfReceipt, getHook, listFirings, listHooks, type StoredFiring, type StoredHook } from '../hooks/index.js';
import { hooksEnv } from './hooks.js';
import { compilePacks, hookOwner, listPackRecords, wellFormedPackProblems, type PackProblem, type PackRecord, type PackSource } from '../packs/index.js';
import type { PacksOutcome } from './packs.js';
import type { JsonValue } from '../receipts/index.js';

export interface TxRequest {
  readonly namespace: string;
  readonly add?: string;
  readonly remove?: string;
  readonly format: RdfFormat;
  readonly baseIRI?: string;
  readonly actor: string;
  readonly idempotencyKey?: string;
  readonly kind?: ReceiptKind;
  /** Put the added triples into this graph ('' = default graph). */
  readonly graph?: string;
  /** Replace this graph's content with `add` ('' = default graph); GSP PUT and DELETE. */
  readonly replace?: string;
}

/** Which batch of which bulk import a commit is (TxCommand.importBatch). */
export type ImportBatchOrder = NonNullable<TxCommand['importBatch']>;

export interface TxResult {
  readonly receipt: Receipt;
  readonly delta: { readonly added: number; readonly removed: number };
  readonly replayed: boolean;
}

export interface PacksLoadResult {
  /** False when every pack was already loaded as it is (nothing logged). */
  readonly changed: boolean;
  readonly packs: readonly PackRecord[];
  /** One per namespace whose shapes or hooks changed. */
  readonly receipts: readonly Receipt[];
}

export interface EngineOptions {
  readonly storage: Storage;
  readonly signer: Signer;
  /** The same key on another thread, for the receipts of writes (absent: signed in this thread). */
  readonly batchSigner?: BatchSigner;
  readonly clock: Clock;
  readonly maxTxQuads: number;
  /** Time allowed for canonicalizing one delta (default 10 s). */
  readonly canonTimeoutMs?: number;
  /** This node's HNSW indexes, kept up to date with committed vector entries (absent: vectors off). */
  readonly vectors?: VectorIndexes;
  /**
   * Validate transactions against their namespace's SHACL shapes (KNOWD_SHACL_ENABLED; default
   * true). Every node of a cluster must agree: the check decides at apply time, on each replica.
   */
  readonly shacl?: boolean;
  /** Evaluate knowledge hooks (default true; not a setting: tests and benchmarks); every node of a cluster must agree. */
  readonly hooks?: boolean;
  /** KNOWD_IDEMPOTENCY_TTL: how long an idempotency key is remembered (0: for good; default 24 h). */
  readonly idempotencyTtlMs?: number;
  /** KNOWD_WINDOW_SEC: the span of hooks' WINDOW conditions (default 300), logged with each write this node proposes. */
  readonly windowSec?: number;
  /** Wall-clock time one hook evaluation may take on this node before the write fails and is retried (default 10 s). */
  readonly hookWallLimitMs?: number;
  /** The wall clock that limit is measured with (default Date.now; tests make an evaluation "slow"). */
  readonly hookWallMs?: () => number;
  /** Where bulk-import batches are parsed and hashed (default: this thread; the daemon: a worker). */
  readonly importPreparer?: ImportPreparer;
}

/** An import batch ready to commit: what was asked and what the preparer made of it. */
export interface PreparedImport {
  readonly request: ImportBatchRequest;
  readonly prepared: PreparedImportBatch;
}

/** An entry as its proposer made it: the command, its log bytes and (locally) the parsed delta. */
export interface Proposal {
  readonly cmd: Command;
  readonly payload: Buffer;
  readonly parsed: ParsedDelta | undefined;
  /** Proposed for a follower, which answers its client: this node does not sign the receipt. */
  readonly forwarded?: boolean;
}

/**
 * Orders and makes durable what the engine proposes: the replication node (a raft cluster, or a
 * cluster of one in single mode). It resolves once the entry is committed and applied here.
 */
export interface Sequencer {
  submit(p: Proposal): Promise<Outcome>;
  /** Stops taking proposals and waits for the ones in flight. */
  drain(): Promise<void>;
}

export type ApplyResult = { readonly ok: true; readonly outcome: Outcome } | { readonly ok: false; readonly error: KnowdError };

/** Times an entry may fail on the hooks' wall-clock limit before it is evaluated without it. */
const OVERTIME_RETRIES = 2;

/**
 * The replicated state machine of one node. propose() checks a request and turns it into a log
 * entry; a group commit appends a batch of entries and applies them in one durable storage
 * transaction (single mode: append and apply share the commit; the cluster splits them without
 * changing the log format). Reads go straight to storage snapshots.
 */
export class Engine {
  readonly quads: QuadStore;
  // Per-process random base + counter: unique blank-node prefixes without a syscall per transaction.
  private readonly bnodeBase = randomBytes(6).toString('hex');
  private bnodeSeq = 0;
  private sequencer: Sequencer | undefined;
  /** Signatures started at apply for local writes (presign), by receipt object. */
  private readonly presigned = new WeakMap<StoredReceipt, Promise<Receipt>>();
  private readonly checks: ApplyCheck[] = [];
  private stopping = false;
  private readonly inflight = new Map<string, Promise<TxResult>>();
  private readonly canonTimeoutMs: number;
  private readonly hooksCheck: HooksCheck;
  /** KNOWD_WINDOW_SEC, logged with every data write so that replicas count WINDOW alike. */
  private readonly windowSec: number;
  /** KNOWD_SHACL_ENABLED, logged likewise so that replicas validate the same writes. */
  private readonly shaclEnabled: boolean;
  private readonly firingListeners = new Set<(f: StoredFiring) => void>();
  /** Entries whose hooks ran past the wall-clock limit on this node, and how often (see EntryInfo.unhurried). */
  private readonly overtimes = new Map<number, number>();
  /**
   * Namespaces known to exist, by name: every request looks its namespace up, and a read transaction
   * for it costs more than the lookup. Entries leave when an ns-delete is published or a snapshot
   * replaces the store; a name not here is read from the store.
   */
  private readonly knownNamespaces = new Map<string, NamespaceInfo>();

  private constructor(private readonly opts: EngineOptions) {
    this.quads = new QuadStore(new Dictionary());
    this.canonTimeoutMs = opts.canonTimeoutMs ?? 10_000;
    this.shaclEnabled = opts.shacl !== false;
    // Always there: an entry whose proposer validates is validated here too, whatever this node's setting.
    this.checks.push(new ShaclCheck(this.shaclEnabled));
    this.windowSec = opts.windowSec ?? 300;
    this.hooksCheck = new HooksCheck(hooksEnv(this.windowSec, opts.hookWallMs ?? (() => Date.now()), opts.hookWallLimitMs ?? 10_000));
    if (opts.hooks !== false) this.checks.push(this.hooksCheck);
  }

  /**
   * Opens the engine on its store. It takes writes once a sequencer is attached (replication/node
   * does that, and replays committed entries the store has not applied yet).
   */
  static async open(opts: EngineOptions): Promise<Engine> {
    return new Engine(opts);
  }

  get storage(): Storage {
    return this.opts.storage;
  }

  attach(sequencer: Sequencer): void {
    assert(this.sequencer === undefined, 'the engine already has a sequencer');
    this.sequencer = sequencer;
  }

  /**
   * Applies one committed entry inside the caller's write transaction. Deterministic: an error
   * (conflict, missing namespace) rejects the entry identically on every replica and undoes only its
   * own effects (a savepoint).
   */
  applyEntry(w: WriteTxn, index: number, payload: Uint8Array, local?: Proposal): ApplyResult {
    try {
      const cmd = local?.cmd ?? decodeCommand(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), index);
      const outcome = w.savepoint(() => {
        const o = applyCommand(w, this.applyContext((this.overtimes.get(index) ?? 0) >= OVERTIME_RETRIES), index, cmd, local?.parsed);
        // The logged command is the evidence a receipt is verified against; it outlives log compaction.
        if (cmd.type !== 'ns-create' && cmd.type !== 'ns-delete') putEvidence(w, index, payload);
        return o;
      });
      if (local !== undefined && local.forwarded !== true && outcome.type === 'tx') this.presign(outcome.receipt);
      return { ok: true, outcome };
    } catch (error) {
      // Apply is deterministic, so even an unexpected error (a malformed entry, a bug) happens alike
      // on every replica: the entry is rejected everywhere instead of wedging the log.
      // A check that failed for reasons of this node only (a worker that did not start, a time
      // limit) must not reject: other replicas would accept. Failing the write makes the node retry.
      if (error instanceof KnowdError && error.details['transient'] === true) {
        // Cleared once the entry is applied (published).
        if (error.details['overtime'] === true) this.overtimes.set(index, (this.overtimes.get(index) ?? 0) + 1);
        throw error;
      }
      if (error instanceof KnowdError) return { ok: false, error };
      return { ok: false, error: new KnowdError('INTERNAL', `Log entry ${index} could not be applied: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error }) };
    }
  }

  /**
   * Checks a command a follower forwarded before the leader logs it: it must decode and name a
   * namespace that exists here, so garbage from a peer never reaches the log. The settings a data
   * write carries for its replicas (WINDOW span, SHACL switch, idempotency expiry) are the leader's,
   * as for the writes it takes itself, so the cluster behaves by the leader's configuration.
   * @returns the command to log and its bytes (re-encoded when the leader's settings differ).
   */
  checkForwarded(payload: Buffer): { readonly cmd: Command; readonly payload: Buffer } {
    const cmd = decodeCommand(payload, 0);
    if (cmd.type === 'packs-load') for (const p of cmd.packs) for (const n of p.namespaces) this.namespace(n.ns);
    else if (cmd.type !== 'ns-create') this.namespace(cmd.ns);
    const stamped = this.withSettings(cmd);
    return stamped === cmd ? { cmd, payload } : { cmd: stamped, payload: encodeCommand(stamped) };
  }

  /**
   * A data write's command carrying what its replicas must apply it by: this node's WINDOW span,
   * SHACL switch and idempotency expiry (the same object when it carries them already). Every write
   * this node proposes gets them (submit), and so does every write a follower forwards to it.
   */
  private withSettings(cmd: Command): Command {
    if (cmd.type !== 'tx' && cmd.type !== 'update') return cmd;
    const ttlMs = this.opts.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    const idem = cmd.type === 'tx' ? cmd.idempotency : undefined;
    const expiresAtMs = idem !== undefined && ttlMs > 0 ? cmd.timeMs + ttlMs : undefined;
    if (cmd.windowSec === this.windowSec && cmd.shacl === this.shaclEnabled && idem?.expiresAtMs === expiresAtMs) return cmd;
    const settings = { windowSec: this.windowSec, shacl: this.shaclEnabled };
    if (cmd.type === 'update' || idem === undefined) return { ...cmd, ...settings };
    const { expiresAtMs: _theirs, ...rest } = idem;
    return { ...cmd, ...settings, idempotency: { ...rest, ...(expiresAtMs !== undefined && { expiresAtMs }) } };
  }

  /** Publishes what committed entries created to the read caches, once the entries up to `durableTo` are durable. */
  published(results: readonly ApplyResult[], durableTo: number): void {
    for (const i of this.overtimes.keys()) if (i <= durableTo) this.overtimes.delete(i);
    this.hooksCheck.committed(durableTo);
    for (const r of results) {
      if (!r.ok) continue;
      const o = r.outcome;
      if (o.type === 'tx') {
        this.quads.dict.publish(o.nsId, o.created);
        for (const f of o.firings ?? []) this.emitFiring(f);
      }
      else if (o.type === 'vec' && o.changes !== undefined) this.opts.vectors?.apply(o.changes);
      else if (o.type === 'ns-delete') {
        this.knownNamespaces.delete(o.ns);
        this.opts.vectors?.drop(o.nsId, o.ns);
      }
    }
  }

  /** Forgets cached term ids: the store was replaced by a snapshot. */
  resetCaches(): void {
    this.quads.dict.reset();
    this.knownNamespaces.clear();
    this.hooksCheck.reset();
    // The HNSW indexes are derived from the store too: rebuilt from the snapshot's vectors.
    this.opts.vectors?.rebuildAll();
  }

  private emitFiring(f: StoredFiring): void {
    for (const l of this.firingListeners) {
      try {
        l(f);
      } catch {
        // A listener's failure is its own (an event stream that went away); the commit stands.
      }
    }
  }

  /** Calls `fn` with every post-hook firing this node commits, once durable; returns the unsubscribe. */
  onFiring(fn: (f: StoredFiring) => void): () => void {
    this.firingListeners.add(fn);
    return () => this.firingListeners.delete(fn);
  }

  private applyContext(unhurried = false): ApplyContext {
    return { quads: this.quads, checks: this.checks, ...(this.opts.hooks !== false && { hooks: this.hooksCheck }), ...(unhurried && { unhurried }) };
  }

  /**
   * Adds a check every transaction's effect must pass (SHACL, veto hooks). Every replica must have
   * the same checks, since they decide at apply time.
   */
  addCheck(c: ApplyCheck): void {
    this.checks.push(c);
  }

  /** Log position: index of the last entry and the applied index (equal in single mode). */
  position(): { lastIndex: number; lastTerm: number; appliedIndex: number } {
    return this.opts.storage.read((r) => {
      const last = lastIndex(r);
      return { lastIndex: last.index, lastTerm: last.term, appliedIndex: appliedIndex(r) };
    });
  }

  read<T>(fn: (txn: ReadTxn) => T): T {
    return this.opts.storage.read(fn);
  }

  namespace(name: string): NamespaceInfo {
    const known = this.knownNamespaces.get(name);
    if (known !== undefined) return known;
    const info = this.read((r) => requireNamespace(r, name));
    this.knownNamespaces.set(name, info);
    return info;
  }

  namespaces(): NamespaceInfo[] {
    return this.read((r) => listNamespaces(r));
  }

  async createNamespace(name: string, actor: string): Promise<NamespaceInfo> {
    checkNamespaceName(name);
    if (this.read((r) => getNamespace(r, name)) !== undefined) throw new KnowdError('NAMESPACE_EXISTS', `Namespace "${name}" already exists`, { namespace: name });
    await this.submit({ type: 'ns-create', ns: name, timeMs: this.opts.clock.nowMs(), actor }, undefined);
    return this.namespace(name);
  }

  /** Creates the namespace unless it exists; used for the default namespace at start-up. */
  async ensureNamespace(name: string): Promise<void> {
    if (this.read((r) => getNamespace(r, name)) !== undefined) return;
    try {
      await this.submit({ type: 'ns-create', ns: name, timeMs: this.opts.clock.nowMs(), actor: 'system' }, undefined);
    } catch (e) {
      if (!(e instanceof KnowdError && e.code === 'NAMESPACE_EXISTS')) throw e;
    }
  }

  async deleteNamespace(name: string, actor: string): Promise<void> {
    this.namespace(name);
    await this.submit({ type: 'ns-delete', ns: name, timeMs: this.opts.clock.nowMs(), actor }, undefined);
  }

  /** Checks, parses and commits a transaction; resolves once it is durable and applied. */
  async transact(req: TxRequest): Promise<TxResult> {
    if (req.idempotencyKey === undefined) return this.transactOnce(req);
    // Concurrent retries of one key wait for the first, then find its record: one log entry, not N.
    const k = `${req.namespace}\0${req.idempotencyKey}`;
    const running = this.inflight.get(k);
    if (running !== undefined) {
      await running.catch(() => undefined);
      return this.transact(req);
    }
    const p = this.transactOnce(req);
    this.inflight.set(k, p);
    try {
      return await p;
    } finally {
      if (this.inflight.get(k) === p) this.inflight.delete(k);
    }
  }

  private async transactOnce(req: TxRequest): Promise<TxResult> {
    this.namespace(req.namespace);
    const add = req.add ?? '';
    const remove = req.remove ?? '';
    // Only an idempotent request is compared with its retries.
    const requestHash = req.idempotencyKey === undefined ? '' : createHash('sha256').update(JSON.stringify([req.namespace, req.format, req.baseIRI ?? '', add, remove, req.graph ?? null, req.replace ?? null])).digest('hex');
    if (req.idempotencyKey !== undefined) {
      const prior = this.read((r) => getIdempotency(r, req.namespace, req.idempotencyKey!));
      if (prior !== undefined && isLive(prior, this.opts.clock.nowMs())) {
        if (prior.requestHash !== requestHash) {
          throw new KnowdError('IDEMPOTENCY_MISMATCH', `Idempotency key "${req.idempotencyKey}" was already used for a different request`, { receiptId: prior.receiptId });
        }
        const receipt = this.read((r) => getReceipt(r, prior.receiptId));
        if (receipt !== undefined) return { receipt: this.signReceipt(receipt), delta: { added: prior.added, removed: prior.removed }, replayed: true };
      }
    }
    // Blank nodes are scoped to one document: a fresh prefix per transaction keeps `_:b` of two
    // transactions apart. The leader picks it, so every replica parses the logged text identically.
    const bnodePrefix = `k${this.bnodeBase}${(this.bnodeSeq++).toString(36)}_`;
    const base = { format: req.format, ...(req.baseIRI !== undefined && { baseIRI: req.baseIRI }) };
    const cmd: TxCommand = {
      type: 'tx',
      ns: req.namespace,
      actor: req.actor,
      kind: req.kind ?? 'tx',
      timeMs: this.opts.clock.nowMs(),
      add,
      remove,
      ...base,
      bnodePrefix,
      deltaHash: '',
      ...(req.graph !== undefined && { graph: req.graph }),

      ...(req.idempotencyKey !== undefined && { idempotency: { key: req.idempotencyKey, requestHash } }),
    };
    const parsed = parseTxCommand(cmd);
    if (req.replace !== undefined) return this.commitParsed(...this.replacement(cmd, parsed, req.replace));
    return this.commitParsed(cmd, parsed);
  }

  /**
   * The namespace's data as the evaluator reads it, in one snapshot (statistics for the federation
   * planner; a federated query's merge). An async `fn` keeps the snapshot until its promise settles.
   * `ns.termIds`: the highest term id allocated in it (ids below are never reassigned).
   */
  withDataset<T>(ns: string, fn: (data: QueryableDataset, ns: { readonly id: number; readonly termIds: number }) => T): T {
    const info = this.namespace(ns);
    return this.read((txn) => fn(queryableDataset(this.quads, txn, info.id), { id: info.id, termIds: Dictionary.allocated(txn, info.id) }));
  }

  /**
   * Runs a query in one read snapshot. The result is lazy: `consume` must finish with it (stream it
   * out) before its promise settles, which is when the snapshot is released.
   */
  async query<T>(ns: string, parsed: ParsedQuery, opts: QueryOptions, consume: (r: QueryResult) => Promise<T> | T): Promise<T> {
    const info = this.namespace(ns);
    return this.read(async (txn) => consume(executeQuery(parsed, queryableDataset(this.quads, txn, info.id), opts)));
  }

  /**
   * Runs a SPARQL update through the log. Syntax is checked now (400 before anything is logged);
   * evaluation happens when the entry is applied (see update.ts).
   */
  async update(ns: string, text: string, actor: string, baseIRI?: string): Promise<TxResult> {
    this.namespace(ns);
    checkUpdate(text, baseIRI);
    const cmd: UpdateCommand = { type: 'update', ns, actor, timeMs: this.opts.clock.nowMs(), text, seed: randomBytes(16).toString('hex'), ...(baseIRI !== undefined && { baseIRI }) };
    const out = (await this.submit(cmd, undefined)) as TxOutcome;
    return this.txResult(out);
  }

  /**
   * Turns "replace graph g with add" into explicit removals of g's current content (minus what is
   * re-added), read from a snapshot; apply checks that g did not change in between (`exact`).
   */
  private replacement(cmd: TxCommand, parsed: QuadDelta, graph: string): [TxCommand, QuadDelta] {
    const w = new Writer({ format: 'N-Quads' });
    const line = (q: Quad): string => w.quadToString(q.subject as never, q.predicate as never, q.object as never, q.graph as never);
    const keep = new Set(parsed.add.map(line));
    const g = graph === '' ? factory.defaultGraph() : factory.namedNode(graph);
    const ns = this.namespace(cmd.ns);
    const old = this.read((r) => [...this.quads.matchTerms(r, ns.id, null, null, null, g)]).filter((q) => !keep.has(line(q)));
    const next: TxCommand = { ...cmd, remove: old.map(line).join(''), removeFormat: 'n-quads', exact: graph };
    return [next, { add: parsed.add, remove: old }];
  }

  /**
   * Commits one batch of a line-based bulk import (N-Triples/N-Quads). The log keeps the text as
   * sent; blank nodes get `bnodePrefix` + label, the same in every batch of one import.
   */
  async importText(ns: string, text: string, format: 'n-triples' | 'n-quads', bnodePrefix: string, firstLine: number, actor: string): Promise<TxResult & { quads: number }> {
    return this.commitImport(ns, await this.prepareImport(ns, { text, format, bnodePrefix, firstLine }), actor);
  }

  /**
   * Parses, checks and hashes an import batch (in the import worker when the daemon gave one), so
   * a bulk load can prepare its next batches while this one commits.
   */
  prepareImport(ns: string, batch: Omit<ImportBatchRequest, 'canonTimeoutMs'>): Promise<PreparedImport> {
    this.namespace(ns);
    const request: ImportBatchRequest = { ...batch, canonTimeoutMs: this.canonTimeoutMs };
    return (this.opts.importPreparer ?? inThreadPreparer).prepare(request).then((prepared) => ({ request, prepared }));
  }

  /** Commits a prepared import batch as one log entry (the log keeps the text as sent). */
  async commitImport(ns: string, p: PreparedImport, actor: string, batch?: ImportBatchOrder): Promise<TxResult & { quads: number }> {
    this.namespace(ns);
    const { request, prepared } = p;
    const quads = batchSize(prepared);
    if (quads > this.opts.maxTxQuads) {
      throw new KnowdError('TOO_LARGE', `The import batch has ${quads} quads; the limit is ${this.opts.maxTxQuads} (KNOWD_MAX_TX_QUADS).`);
    }
    const cmd: TxCommand = { type: 'tx', ns, actor, kind: 'import', timeMs: this.opts.clock.nowMs(), add: request.text, remove: '', format: request.format, bnodePrefix: request.bnodePrefix, bnodeMode: 'prefix', deltaHash: prepared.deltaHash, ...(batch !== undefined && { importBatch: batch }) };
    const out = (await this.submit(cmd, { encoded: prepared })) as TxOutcome;
    return { ...(await this.txResult(out)), quads };
  }

  /**
   * Commits already-parsed quads (bulk import): the log keeps them as N-Quads text.
   * Blank nodes must already carry labels unique to this load.
   */
  async transactQuads(ns: string, add: readonly Quad[], nquads: string, actor: string, kind: ReceiptKind, batch?: ImportBatchOrder): Promise<TxResult> {
    this.namespace(ns);
    const cmd: TxCommand = { type: 'tx', ns, actor, kind, timeMs: this.opts.clock.nowMs(), add: nquads, remove: '', format: 'n-quads', bnodePrefix: '', deltaHash: '', ...(batch !== undefined && { importBatch: batch }) };
    return this.commitParsed(cmd, { add, remove: [] });
  }

  private async commitParsed(cmd: TxCommand, parsed: QuadDelta): Promise<TxResult> {
    const size = parsed.add.length + parsed.remove.length;
    if (size > this.opts.maxTxQuads) {
      throw new KnowdError('TOO_LARGE', `The transaction has ${size} quads; the limit is ${this.opts.maxTxQuads} (KNOWD_MAX_TX_QUADS). Split it, or use knowdctl import.`);
    }
    // RDFC-1.0 is exponential on symmetric blank-node graphs; bound it so one request cannot stall the node.
    const hashed: TxCommand = { ...cmd, deltaHash: await deltaHash(parsed.add, parsed.remove, { timeoutMs: this.canonTimeoutMs }) };
    const out = (await this.submit(hashed, parsed)) as TxOutcome;
    return this.txResult(out);
  }

  private submit(cmd: Command, parsed: ParsedDelta | undefined): Promise<Outcome> {
    if (this.stopping) return Promise.reject(new KnowdError('SHUTTING_DOWN', 'The node is shutting down and takes no new writes.'));
    if (this.sequencer === undefined) return Promise.reject(new KnowdError('NOT_READY', 'The node is starting and takes no writes yet.'));
    const stamped = this.withSettings(cmd);
    return this.sequencer.submit({ cmd: stamped, payload: encodeCommand(stamped), parsed });
  }

  /** Replaces the namespace's SHACL shapes through the log; '' removes them. Resolves with the receipt. */
  async putShapes(ns: string, text: string, actor: string): Promise<TxResult> {
    this.namespace(ns);
    const cmd = await shapesCommand(ns, text, actor, this.opts.clock.nowMs(), this.canonTimeoutMs);
    const out = (await this.submit(cmd, undefined)) as TxOutcome;
    return this.txResult(out);
  }

  /** Adds or replaces a knowledge hook (already validated, see hooks/parseHook) through the log. */
  async putHook(hook: StoredHook, actor: string): Promise<TxResult> {
    this.namespace(hook.namespace);
    const out = (await this.submit({ type: 'hook-put', ns: hook.namespace, actor, timeMs: this.opts.clock.nowMs(), hook }, undefined)) as TxOutcome;
    return this.txResult(out);
  }

  async deleteHook(ns: string, id: string, actor: string): Promise<TxResult> {
    this.hook(ns, id);
    const out = (await this.submit({ type: 'hook-delete', ns, actor, timeMs: this.opts.clock.nowMs(), id }, undefined)) as TxOutcome;
    return this.txResult(out);
  }

  hooks(ns: string): StoredHook[] {
    const info = this.namespace(ns);
    return this.read((r) => listHooks(r, info.id));
  }

  /** The hook, or NOT_FOUND. */
  hook(ns: string, id: string): StoredHook {
    const info = this.namespace(ns);
    const h = this.read((r) => getHook(r, info.id, id));
    if (h === undefined) throw new KnowdError('NOT_FOUND', `No hook "${id}" in namespace "${ns}"`, { hook: id });
    return h;
  }

  /** A hook's recorded firings in log order (it may since have been deleted). */
  firings(ns: string, id: string, limit: number, afterIndex?: number): StoredFiring[] {
    const info = this.namespace(ns);
    return this.read((r) => listFirings(r, info.id, id, limit, afterIndex));
  }

  /**
   * Dry run: evaluates a hook against the namespace's current data, as if a transaction changed
   * nothing (DELTA is 0, WINDOW counts the transactions up to now). A SHACL leaf validates the
   * focus nodes of `focus` (default: the whole namespace, up to `maxQuads`).
   */
  evaluateHook(hook: StoredHook, maxQuads: number): { fired: boolean; evidence: JsonValue } {
    const info = this.namespace(hook.namespace);
    return this.read((r) => {
      let focus: Quad[] = [];
      if (JSON.stringify(hook.condition).includes('"shacl"')) {
        const n = this.quads.count(r, info.id, { graph: { kind: 'all' } });
        if (n > maxQuads) throw new KnowdError('TOO_LARGE', `Namespace "${hook.namespace}" holds ${n} quads; a dry run of a SHACL condition validates at most ${maxQuads}`);
        focus = [...this.quads.matchTerms(r, info.id, null, null, null, 'all')];
      }
      return this.hooksCheck.dryRun(r, this.quads, { name: hook.namespace, id: info.id }, hook, this.opts.clock.nowMs(), focus);
    });
  }

  /**
   * Loads the policy packs (the whole wanted set: packs not in it are unloaded) in one log entry,
   * after checking them as a whole: a broken pack throws PACK_INVALID listing every problem, and
   * nothing is logged. When every pack's digest matches what is loaded, nothing is logged either.
   */
  async loadPacks(sources: readonly PackSource[], actor: string): Promise<PacksLoadResult> {
    const exists = (ns: string): boolean => this.read((r) => getNamespace(r, ns)) !== undefined;
    const compiled = compilePacks(sources, exists);
    const problems: PackProblem[] = compiled.ok ? [] : [...compiled.problems];
    const packs = compiled.ok ? compiled.packs : [];
    problems.push(...(await wellFormedPackProblems(sources)));
    this.read((r) => {
      for (const p of packs) {
        for (const n of p.namespaces) {
          const nsId = requireNamespace(r, n.ns).id;
          for (const { file, hook } of n.hooks) {
            if (getHook(r, nsId, hook.id) !== undefined && hookOwner(r, n.ns, hook.id) === undefined) {
              problems.push({ pack: p.name, file: `${p.name}/${file}`, message: `hook "${hook.id}" of namespace "${n.ns}" was defined through the API; delete it or rename the pack's` });
            }
          }
          if (n.shapes.length === 0) continue;
          // The namespace's shapes as they would be: the user's, other packs' and this one's.
          const user = shapesTextOf(r, nsId);
          const others = [...packShapesOf(r, nsId).entries()].filter(([name]) => !packs.some((q) => q.name === name)).map(([, t]) => t);
          const mine = packs.flatMap((q) => q.namespaces.filter((m) => m.ns === n.ns).flatMap((m) => m.shapes.map((s) => s.text)));
          if (user === undefined && others.length === 0) continue;
          try {
            indexShapes(combineShapes([...(user === undefined ? [] : [user]), ...others, ...mine]));
          } catch (e) {
            problems.push({ pack: p.name, file: `${p.name}/${n.ns}/shapes`, message: `with the namespace's other shapes: ${e instanceof Error ? e.message : String(e)}` });
          }
        }
      }
    });
    if (problems.length > 0) {
      throw new KnowdError('PACK_INVALID', `${problems.length} problem${problems.length === 1 ? '' : 's'} in the policy packs (first: ${problems[0]!.file ?? problems[0]!.pack}: ${problems[0]!.message}); nothing was changed`, { problems });
    }
    const loaded = this.packs();
    const same = loaded.length === packs.length && packs.every((p) => loaded.some((r) => r.name === p.name && r.digest === p.digest));
    if (same) return { changed: false, packs: loaded, receipts: [] };
    if (packs.some((p) => p.namespaces.some((n) => n.shapes.length > 0))) warmCheckWorker();
    const out = (await this.submit({ type: 'packs-load', actor, timeMs: this.opts.clock.nowMs(), packs }, undefined)) as PacksOutcome;
    return { changed: true, packs: out.packs, receipts: await Promise.all(out.receipts.map((r) => this.signed(r))) };
  }

  /** The loaded policy packs (name order). */
  packs(): PackRecord[] {
    return this.read((r) => listPackRecords(r));
  }

  /** The namespace's shapes as stored (Turtle), or undefined when it has none. */
  shapes(ns: string): string | undefined {
    const info = this.namespace(ns);
    return this.read((r) => shapesTextOf(r, info.id));
  }

  /**
   * SHACL validation as a query: `data` (parsed quads) or else the namespace's current data, against
   * `shapes` or else the stored ones. A namespace of more than `maxQuads` quads is refused (TOO_LARGE).
   */
  async validate(ns: string, opts: { readonly data?: readonly Quad[]; readonly shapes?: string; readonly maxQuads: number }): Promise<FullReport> {
    const info = this.namespace(ns);
    // Shapes the request brings are held to SHACL for SHACL; the stored ones were when they arrived.
    if (opts.shapes !== undefined) await assertWellFormed(parseShapes(opts.shapes));
    const shapes = opts.shapes ?? this.read((r) => effectiveShapesOf(r, info.id)) ?? '';
    if (opts.data !== undefined) return validateQuads(shapes, opts.data);
    return this.read(async (r) => {
      const n = this.quads.count(r, info.id, { graph: { kind: 'all' } });
      if (n > opts.maxQuads) {
        throw new KnowdError('TOO_LARGE', `Namespace "${ns}" holds ${n} quads; full validation is limited to ${opts.maxQuads}. Pass "force": true to validate anyway, or validate a sample as "data".`);
      }
      return validateNamespace(shapes, this.quads, r, info.id);
    });
  }

  get vectors(): VectorIndexes | undefined {
    return this.opts.vectors;
  }

  /** Commits a vector entry (VectorService checks the request first); resolves once applied here. */
  async commitVectors(cmd: VectorUpsertCommand | VectorDeleteCommand): Promise<VectorOutcome & { receipt: Receipt }> {
    this.namespace(cmd.ns);
    const out = (await this.submit(cmd, undefined)) as VectorOutcome;
    return { ...out, receipt: await this.signed(out.receipt) };
  }

  /** A stored receipt as this node hands it out: signed by its key (see ChainedReceipt for why not at apply). */
  signReceipt(r: StoredReceipt): Receipt {
    return signReceipt(r, this.opts.signer);
  }

  /** A write's receipt as answered: signed at apply for local writes (presign), else now. */
  private signed(r: StoredReceipt): Promise<Receipt> {
    return this.presigned.get(r) ?? this.signOff(r);
  }

  /** signReceipt on the signing thread, or here when there is none. */
  private async signOff(r: StoredReceipt): Promise<Receipt> {
    return this.opts.batchSigner === undefined ? this.signReceipt(r) : signReceiptOff(r, this.opts.batchSigner);
  }

  /**
   * Starts signing the receipt of a write a local client waits for as soon as it is applied, so the
   * signature is made while the commit is flushed instead of after it: with 16 clients the signing
   * round trip was ~0.8 ms of a ~5 ms write (bench/README.md, "load.ts"). Nothing is shown before the
   * write is durable (the answer awaits both); a write that does not commit leaves its signature unused.
   */
  private presign(r: StoredReceipt): void {
    // Signing in this thread gains nothing from starting early.
    if (this.opts.batchSigner === undefined) return;
    const p = this.signOff(r);
    p.catch(() => undefined); // awaited by the answer if there is one; never an unhandled rejection
    this.presigned.set(r, p);
  }

  private async txResult(out: TxOutcome): Promise<TxResult> {
    return { receipt: await this.signed(out.receipt), delta: out.delta, replayed: out.replayed };
  }

  /** Stops taking writes and waits for queued ones to commit (graceful shutdown). */
  async drain(): Promise<void> {
    this.stopping = true;
    await this.sequencer?.drain();
  }

  /** The firing a hook receipt covers (verification), or undefined. */
  firingOfReceipt(receiptId: string): StoredFiring | undefined {
    return this.read((r) => firingOfReceipt(r, receiptId));
  }

  /** Re-reads a log entry (export, verification). */
  logEntry(index: number): Command | undefined {
    const payload = this.read((r) => getEvidence(r, index) ?? readPayload(r, index));
    return payload === undefined ? undefined : decodeCommand(payload, index);
  }
}

