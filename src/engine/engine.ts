import { createHash, randomBytes } from 'node:crypto';
import type { Quad } from '@rdfjs/types';
import { Writer } from 'n3';
import { KnowdError, assert, type Clock } from '../base/index.js';
import { Dictionary, QuadStore, getNamespace, listNamespaces, requireNamespace, checkNamespaceName, type NamespaceInfo } from '../dataset/index.js';
import { factory, parseRdf, type RdfFormat } from '../rdf/index.js';
import { deltaHash, type Receipt, type ReceiptKind, type Signer } from '../receipts/index.js';
import { appendRecord, appliedIndex, lastIndex, readRecords, setAppliedIndex } from '../replication/log/index.js';
import type { ReadTxn, Storage } from '../storage/index.js';
import { applyCommand, parseTxCommand, type Outcome, type ParsedDelta, type TxOutcome } from './apply.js';
import { decodeCommand, encodeCommand, type Command, type TxCommand, type UpdateCommand } from './commands.js';
import { executeQuery, parseUpdate, type ParsedQuery, type QueryOptions, type QueryResult } from '../sparql/index.js';
import { queryableDataset } from './queryable.js';
import { getIdempotency } from './idempotency.js';
import { getReceipt } from './receipt-store.js';

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

export interface TxResult {
  readonly receipt: Receipt;
  readonly delta: { readonly added: number; readonly removed: number };
  readonly replayed: boolean;
}

export interface EngineOptions {
  readonly storage: Storage;
  readonly signer: Signer;
  readonly clock: Clock;
  readonly maxTxQuads: number;
  /** Entries a group commit takes at most; bounds the latency a big batch adds to the small ones. */
  readonly maxBatchEntries?: number;
  readonly maxBatchBytes?: number;
  /** Time allowed for canonicalizing one delta (default 10 s). */
  readonly canonTimeoutMs?: number;
  readonly onCommit?: (info: { entries: number; bytes: number; durationMs: number }) => void;
}

interface Pending {
  readonly cmd: Command;
  readonly payload: Buffer;
  readonly parsed: ParsedDelta | undefined;
  resolve(o: Outcome): void;
  reject(e: unknown): void;
}

/**
 * The replicated state machine of one node. propose() checks a request and turns it into a log
 * entry; a group commit appends a batch of entries and applies them in one durable storage
 * transaction (single mode: append and apply share the commit; the cluster splits them without
 * changing the log format). Reads go straight to storage snapshots.
 */
export class Engine {
  readonly quads: QuadStore;
  private readonly queue: Pending[] = [];
  private slotRequested = false;
  // Per-process random base + counter: unique blank-node prefixes without a syscall per transaction.
  private readonly bnodeBase = randomBytes(6).toString('hex');
  private bnodeSeq = 0;
  private readonly inflightCommits = new Set<Promise<void>>();
  private lastLog = { index: 0, term: 0 };
  private stopping = false;
  private readonly inflight = new Map<string, Promise<TxResult>>();
  private readonly maxBatchEntries: number;
  private readonly maxBatchBytes: number;
  private readonly canonTimeoutMs: number;

  private constructor(private readonly opts: EngineOptions) {
    this.quads = new QuadStore(new Dictionary());
    this.maxBatchEntries = opts.maxBatchEntries ?? 1024;
    this.maxBatchBytes = opts.maxBatchBytes ?? 64 * 1024 * 1024;
    this.canonTimeoutMs = opts.canonTimeoutMs ?? 10_000;
  }

  /** Opens the engine and replays log entries that were appended but not applied (crash recovery). */
  static async open(opts: EngineOptions): Promise<Engine> {
    const e = new Engine(opts);
    await e.recover();
    return e;
  }

  get storage(): Storage {
    return this.opts.storage;
  }

  private async recover(): Promise<void> {
    const { applied, last } = this.opts.storage.read((r) => ({ applied: appliedIndex(r), last: lastIndex(r) }));
    this.lastLog = last;
    assert(applied <= last.index, `applied index ${applied} is beyond the log's last index ${last.index}`);
    if (applied === last.index) return;
    await this.opts.storage.write((w) => {
      for (const rec of [...readRecords(w, applied + 1, last.index)]) {
        // A committed entry that is rejected on apply (e.g. its namespace was deleted) is rejected
        // identically on every replica: skip its effects, but never let it stop the node opening.
        try {
          w.savepoint(() => applyCommand(w, this.applyContext(), rec.index, decodeCommand(rec.payload, rec.index)));
        } catch (e) {
          if (!(e instanceof KnowdError)) throw e;
        }
        setAppliedIndex(w, rec.index);
      }
    });
  }

  private applyContext(): { quads: QuadStore; signer: Signer } {
    return { quads: this.quads, signer: this.opts.signer };
  }

  /** Log position: index of the last entry and the applied index (equal in single mode). */
  position(): { lastIndex: number; lastTerm: number; appliedIndex: number } {
    return this.opts.storage.read((r) => ({ lastIndex: this.lastLog.index, lastTerm: this.lastLog.term, appliedIndex: appliedIndex(r) }));
  }

  read<T>(fn: (txn: ReadTxn) => T): T {
    return this.opts.storage.read(fn);
  }

  namespace(name: string): NamespaceInfo {
    return this.read((r) => requireNamespace(r, name));
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
    const requestHash = createHash('sha256').update(JSON.stringify([req.namespace, req.format, req.baseIRI ?? '', add, remove, req.graph ?? null, req.replace ?? null])).digest('hex');
    if (req.idempotencyKey !== undefined) {
      const prior = this.read((r) => getIdempotency(r, req.namespace, req.idempotencyKey!));
      if (prior !== undefined) {
        if (prior.requestHash !== requestHash) {
          throw new KnowdError('IDEMPOTENCY_MISMATCH', `Idempotency key "${req.idempotencyKey}" was already used for a different request`, { receiptId: prior.receiptId });
        }
        const receipt = this.read((r) => getReceipt(r, prior.receiptId));
        if (receipt !== undefined) return { receipt, delta: { added: prior.added, removed: prior.removed }, replayed: true };
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
    parseUpdate(text, baseIRI);
    const cmd: UpdateCommand = { type: 'update', ns, actor, timeMs: this.opts.clock.nowMs(), text, seed: randomBytes(16).toString('hex'), ...(baseIRI !== undefined && { baseIRI }) };
    const out = (await this.submit(cmd, undefined)) as TxOutcome;
    return { receipt: out.receipt, delta: out.delta, replayed: false };
  }

  /**
   * Turns "replace graph g with add" into explicit removals of g's current content (minus what is
   * re-added), read from a snapshot; apply checks that g did not change in between (`exact`).
   */
  private replacement(cmd: TxCommand, parsed: ParsedDelta, graph: string): [TxCommand, ParsedDelta] {
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
    this.namespace(ns);
    const cmd: TxCommand = { type: 'tx', ns, actor, kind: 'import', timeMs: this.opts.clock.nowMs(), add: text, remove: '', format, bnodePrefix, bnodeMode: 'prefix', deltaHash: '' };
    const add = parseRdf(text, { format, blankNodePrefix: bnodePrefix, blankNodeMode: 'prefix', firstLine, source: 'import' });
    return { ...(await this.commitParsed(cmd, { add, remove: [] })), quads: add.length };
  }

  /**
   * Commits already-parsed quads (bulk import): the log keeps them as N-Quads text.
   * Blank nodes must already carry labels unique to this load.
   */
  async transactQuads(ns: string, add: readonly Quad[], nquads: string, actor: string, kind: ReceiptKind): Promise<TxResult> {
    this.namespace(ns);
    const cmd: TxCommand = { type: 'tx', ns, actor, kind, timeMs: this.opts.clock.nowMs(), add: nquads, remove: '', format: 'n-quads', bnodePrefix: '', deltaHash: '' };
    return this.commitParsed(cmd, { add, remove: [] });
  }

  private async commitParsed(cmd: TxCommand, parsed: ParsedDelta): Promise<TxResult> {
    const size = parsed.add.length + parsed.remove.length;
    if (size > this.opts.maxTxQuads) {
      throw new KnowdError('TOO_LARGE', `The transaction has ${size} quads; the limit is ${this.opts.maxTxQuads} (KNOWD_MAX_TX_QUADS). Split it, or use knowdctl import.`);
    }
    // RDFC-1.0 is exponential on symmetric blank-node graphs; bound it so one request cannot stall the node.
    const hashed: TxCommand = { ...cmd, deltaHash: await deltaHash(parsed.add, parsed.remove, { signal: AbortSignal.timeout(this.canonTimeoutMs) }) };
    const out = (await this.submit(hashed, parsed)) as TxOutcome;
    return { receipt: out.receipt, delta: out.delta, replayed: out.replayed };
  }

  private submit(cmd: Command, parsed: ParsedDelta | undefined): Promise<Outcome> {
    if (this.stopping) return Promise.reject(new KnowdError('SHUTTING_DOWN', 'The node is shutting down and takes no new writes.'));
    return new Promise<Outcome>((resolve, reject) => {
      this.queue.push({ cmd, payload: encodeCommand(cmd), parsed, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Group commit. A write is requested when work is queued and no requested write is still waiting
   * for the write slot; the batch is taken from the queue only when the slot comes, so everything
   * that arrived while the previous commit was being flushed goes into one commit. While one batch
   * is flushed to disk the next one is already being applied (LMDB overlapping sync), and each entry
   * is acknowledged only once its own commit is durable.
   */
  private schedule(): void {
    if (this.slotRequested || this.queue.length === 0) return;
    this.slotRequested = true;
    const run = this.commitNext().finally(() => {
      this.inflightCommits.delete(run);
      this.schedule();
    });
    this.inflightCommits.add(run);
  }

  private takeBatch(): { batch: Pending[]; bytes: number } {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < this.maxBatchEntries && (n === 0 || bytes + this.queue[n]!.payload.length <= this.maxBatchBytes)) {
      bytes += this.queue[n]!.payload.length;
      n++;
    }
    return { batch: this.queue.splice(0, n), bytes };
  }

  /** One durable commit for many entries: each in its own savepoint so a bad one fails alone. */
  private async commitNext(): Promise<void> {
    const started = performance.now();
    let batch: Pending[] = [];
    let bytes = 0;
    const results: ({ ok: true; outcome: Outcome } | { ok: false; error: unknown })[] = [];
    let last = this.lastLog;
    try {
      await this.opts.storage.write((w) => {
        this.slotRequested = false;
        ({ batch, bytes } = this.takeBatch());
        // Read from the store, not from memory: an earlier commit may have failed and rolled back.
        last = lastIndex(w);
        for (const p of batch) {
          try {
            const outcome = w.savepoint(() => {
              const index = last.index + 1;
              appendRecord(w, index, last.term, p.payload);
              const o = applyCommand(w, this.applyContext(), index, p.cmd, p.parsed);
              setAppliedIndex(w, index);
              return o;
            });
            last = { index: last.index + 1, term: last.term };
            results.push({ ok: true, outcome });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      this.slotRequested = false;
      // The commit itself failed (disk full, IO error): nothing of the batch is durable.
      for (const p of batch) p.reject(error);
      this.lastLog = this.opts.storage.read((r) => lastIndex(r));
      return;
    }
    if (last.index > this.lastLog.index) this.lastLog = last;
    if (batch.length > 0) this.opts.onCommit?.({ entries: batch.length, bytes, durationMs: performance.now() - started });
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) {
        if (r.outcome.type === 'tx') this.quads.dict.publish(r.outcome.nsId, r.outcome.created);
        p.resolve(r.outcome);
      } else p.reject(r.error);
    });
  }

  /** Stops taking writes and waits for queued ones to commit (graceful shutdown). */
  async drain(): Promise<void> {
    this.stopping = true;
    while (this.inflightCommits.size > 0) await Promise.allSettled([...this.inflightCommits]);
  }

  /** Re-reads a log entry (export, verification). */
  logEntry(index: number): Command | undefined {
    return this.read((r) => {
      for (const rec of readRecords(r, index, index)) return decodeCommand(rec.payload, index);
      return undefined;
    });
  }
}

