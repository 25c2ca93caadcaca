/**
 * The 'hooks' apply check: pre hooks of the transaction's namespace decide, inside the apply, on
 * the state the transaction produces (a TRUE condition vetoes); post hooks are evaluated in the
 * same apply after the receipt and their firings recorded. Both run on every replica with the same
 * inputs (the entry's time, the store), so every replica reaches the same verdicts.
 */
import type { Quad, Term } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import type { QuadStore } from '../dataset/index.js';
import type { JsonValue } from '../receipts/index.js';
import { validateDelta } from '../shacl/index.js';
import type { EvalEntropy, QueryableDataset } from '../sparql/index.js';
import type { ReadTxn, WriteTxn } from '../storage/index.js';
import type { StoredHook } from './definition.js';
import { BudgetExceeded, beforeView, deltaTouches, evaluateHook, hookFilter, type EvalEnv, type HookFilter, type Verdict } from './evaluate.js';
import { memoDataset } from './memo.js';
import { listHookTexts, type Firing } from './store.js';

export interface HooksEnv {
  /** The query evaluator's view of a namespace in `txn` (insideWrite inside an apply). */
  dataset(txn: ReadTxn, quads: QuadStore, nsId: number, insideWrite: boolean): QueryableDataset;
  /** Transactions (tx, import receipts) of `ns` with sinceMs < timeMs <= untilMs. */
  transactionsBetween(txn: ReadTxn, ns: string, sinceMs: number, untilMs: number): number;
  /** Deterministic randomness for RAND()/UUID() in a hook query, from the entry. */
  entropy(seed: string): EvalEntropy;
  /** KNOWD_WINDOW_SEC: the WINDOW conditions' span. */
  readonly windowSec: number;
  /** This node's wall clock and the time one evaluation may take on it (transient failure past it). */
  wallMs(): number;
  readonly wallLimitMs: number;
}

export interface EntryInfo {
  readonly index: number;
  readonly timeMs: number;
  /**
   * The proposer's KNOWD_WINDOW_SEC, logged with the entry so that every replica counts the same
   * WINDOW whatever its own setting. Absent in entries of older versions: this node's setting.
   */
  readonly windowSec?: number;
  /** The proposer's KNOWD_SHACL_ENABLED, likewise (absent in older entries: this node's setting). */
  readonly shacl?: boolean;
  /**
   * The entry already ran past the wall-clock limit on this node more than once: it is in the log, so
   * it must be applied, and evaluating it without the limit is the only way past it (each retry
   * would take as long again). Its deterministic budgets still bound the work.
   */
  readonly unhurried?: boolean;
}

type Delta = { readonly added: readonly Quad[]; readonly removed: readonly Quad[] };
type Ns = { readonly name: string; readonly id: number };

export const hookCounters = { evaluated: 0, skipped: 0 };

/** The distinct subjects of a delta, in first-seen order: what a hook of scope 'delta' binds ?this to. */
function changedNodes(delta: Delta): Term[] {
  const seen = new Map<string, Term>();
  for (const q of [...delta.added, ...delta.removed]) {
    const k = `${q.subject.termType}:${q.subject.value}`;
    if (!seen.has(k)) seen.set(k, q.subject);
  }
  return [...seen.values()];
}

type Compiled = { readonly hook: StoredHook; readonly filter: HookFilter };
/** What every hook of one entry reads through: the state after it, the state before it, its changed nodes. */
type EntryViews = { readonly txn: ReadTxn; readonly nsId: number; readonly delta: Delta; readonly after: QueryableDataset; readonly before: QueryableDataset; readonly focus: readonly Term[] };
type Phases = { readonly pre: readonly Compiled[]; readonly post: readonly Compiled[] };
const NO_HOOKS: Phases = { pre: [], post: [] };

/**
 * Randomness for one hook, made only if its query calls RAND()/UUID()/BNODE(): seeding hashes the
 * seed, and almost no hook needs it.
 */
function lazyEntropy(make: () => EvalEntropy): EvalEntropy {
  let e: EvalEntropy | undefined;
  return {
    random: () => (e ??= make()).random(),
    uuid: () => (e ??= make()).uuid(),
    blankLabel: () => (e ??= make()).blankLabel(),
  };
}

export class HooksCheck {
  readonly name = 'hooks';
  private readonly parsed = new Map<string, Compiled>();
  /**
   * Each namespace's committed hooks, compiled and split by phase: every transaction needs them, and
   * reading them from the store meant a scan of the meta table per transaction and phase. Dropped by
   * the apply of anything that writes hook definitions (`definitionsChanging`), and not refilled
   * until that write is durable (`committed`): a write that fails must not leave its hooks here.
   * By log index, since a sole voter's next write may run before the previous one is durable.
   */
  private readonly byNs = new Map<number, Phases>();
  /** The last entry that wrote definitions, and the last entry known durable. */
  private changingAt = 0;
  private durableTo = 0;

  constructor(private readonly env: HooksEnv) {}

  /**
   * Called by the apply of an entry that may write hook definitions (hook put/delete, packs, a
   * namespace delete), before it writes: until the write transaction commits, hooks are read from it.
   */
  definitionsChanging(index: number): void {
    this.byNs.clear();
    this.changingAt = Math.max(this.changingAt, index);
  }

  /** Entries up to `index` are durable: once that covers the last definitions written, they may be cached. */
  committed(index: number): void {
    this.durableTo = Math.max(this.durableTo, index);
    // After a failed write the log goes on from the durable state, reusing its indexes.
    if (this.durableTo >= this.changingAt) this.changingAt = 0;
  }

  /** The store was replaced (a snapshot install): nothing cached describes it. */
  reset(): void {
    this.byNs.clear();
  }

  /** The namespace's hooks by phase, with the predicates each can see. */
  private hooksOf(txn: ReadTxn, nsId: number): Phases {
    const hit = this.byNs.get(nsId);
    if (hit !== undefined) return hit;
    const pre: Compiled[] = [];
    const post: Compiled[] = [];
    for (const t of listHookTexts(txn, nsId)) {
      const c = this.compiled(t);
      (c.hook.phase === 'pre' ? pre : post).push(c);
    }
    const phases = pre.length + post.length === 0 ? NO_HOOKS : { pre, post };
    if (this.changingAt === 0) this.byNs.set(nsId, phases);
    return phases;
  }

  /** One stored definition, parsed once per distinct text (with a hundred hooks, re-parsing was a cost of its own). */
  private compiled(text: string): Compiled {
    let c = this.parsed.get(text);
    if (c === undefined) {
      const hook = JSON.parse(text) as StoredHook;
      c = { hook, filter: hookFilter(hook.condition) };
      if (this.parsed.size > 10_000) this.parsed.clear();
      this.parsed.set(text, c);
    }
    return c;
  }

  private relevant(filter: HookFilter, delta: Delta): boolean {
    const yes = deltaTouches(filter, delta);
    if (yes) hookCounters.evaluated++;
    else hookCounters.skipped++;
    return yes;
  }

  private viewsOf(txn: ReadTxn, quads: QuadStore, ns: Ns, delta: Delta, insideWrite: boolean): EntryViews {
    const after = memoDataset(this.env.dataset(txn, quads, ns.id, insideWrite));
    return { txn, nsId: ns.id, delta, after, before: beforeView(after, delta), focus: changedNodes(delta) };
  }

  /**
   * The views of the entry being applied, kept from its pre hooks for its post hooks: between the
   * two, the apply writes only the receipt (and an idempotency record), never quads, so the post
   * hooks see the very state the pre hooks read and replay its memo instead of reading it again.
   */
  private entryViews: EntryViews | undefined;

  private viewsForPost(txn: ReadTxn, quads: QuadStore, ns: Ns, delta: Delta): EntryViews {
    const v = this.entryViews;
    this.entryViews = undefined;
    if (v !== undefined && v.txn === txn && v.nsId === ns.id && v.delta === delta) return v;
    return this.viewsOf(txn, quads, ns, delta, true);
  }

  /**
   * The evaluation environments of one entry (or of a dry run: no delta), one per hook (`seed`):
   * the datasets, their term caches, the before-view and the changed nodes are built once and
   * shared by every hook of the entry; randomness and the wall-clock deadline are per hook.
   */
  envsOf(txn: ReadTxn, quads: QuadStore, ns: Ns, delta: Delta, at: Pick<EntryInfo, 'timeMs' | 'windowSec' | 'unhurried'>, insideWrite: boolean, selfInWindow: number, views?: EntryViews): (seed: string) => EvalEnv {
    const { timeMs } = at;
    const windowMs = (at.windowSec ?? this.env.windowSec) * 1000;
    // Shared by every hook of the entry: one state, read once per pattern (memo.ts).
    const { after, before, focus } = views ?? this.viewsOf(txn, quads, ns, delta, insideWrite);
    let window: number | undefined;
    return (seed) => {
      const deadline = this.env.wallMs() + this.env.wallLimitMs;
      return {
        after,
        before,
        delta,
        focus,
        timeMs,
        entropy: lazyEntropy(() => this.env.entropy(seed)),
        shacl: (shapes) => validateDelta(shapes, quads, txn, ns.id, delta, insideWrite),
        windowCount: () => (window ??= this.env.transactionsBetween(txn, ns.name, timeMs - windowMs, timeMs) + selfInWindow),
        overtime: () => {
          if (at.unhurried !== true && this.env.wallMs() > deadline) {
            throw new KnowdError('INTERNAL', `A hook ran longer than ${this.env.wallLimitMs} ms on this node`, { transient: true, overtime: true });
          }
        },
      };
    };
  }

  /** ApplyCheck: vetoes the transaction when a relevant pre hook's condition is TRUE, fails, or exceeds its budget. */
  check(txn: WriteTxn, quads: QuadStore, ns: Ns, requested: Delta & { readonly effective?: Delta }, entry?: EntryInfo): void {
    this.entryViews = undefined;
    if (entry === undefined) return;
    // The namespace's hooks first: a bulk import hands over its delta lazily, decoded only if asked for.
    const hooks = this.hooksOf(txn, ns.id).pre;
    if (hooks.length === 0) return;
    // Hooks see the effective change: a quad added that was already there is no change.
    const delta = requested.effective ?? requested;
    if (delta.added.length + delta.removed.length === 0) return;
    let envs: ((seed: string) => EvalEnv) | undefined;
    for (const { hook: h, filter } of hooks) {
      if (!this.relevant(filter, delta)) continue;
      if (envs === undefined) {
        this.entryViews = this.viewsOf(txn, quads, ns, delta, true);
        envs = this.envsOf(txn, quads, ns, delta, entry, true, 1, this.entryViews);
      }
      // The tx's own receipt is not written yet: it counts in its window.
      let v: Verdict;
      try {
        v = evaluateHook(h, envs(`${entry.index}/${h.id}`));
      } catch (e) {
        if (e instanceof KnowdError && e.details['transient'] === true) throw e;
        const why = e instanceof BudgetExceeded ? e.message : `failed: ${e instanceof Error ? e.message : String(e)}`;
        throw new KnowdError('REJECTED', `Vetoed by hook ${h.id}: it ${why}`, { hook: h.id, evidence: { error: why } });
      }
      if (v.value) throw new KnowdError('REJECTED', `Vetoed by hook ${h.id}: its condition is true${h.description !== undefined ? ` (${h.description})` : ''}`, { hook: h.id, evidence: v.evidence });
    }
  }

  /** Post hooks after the receipt: what fired (or failed), for the caller to record with receipts. */
  after(txn: WriteTxn, quads: QuadStore, ns: Ns, delta: Delta, entry: EntryInfo): Firing[] {
    const hooks = this.hooksOf(txn, ns.id).post;
    if (hooks.length === 0 || delta.added.length + delta.removed.length === 0) {
      this.entryViews = undefined;
      return [];
    }
    const out: Firing[] = [];
    let envs: ((seed: string) => EvalEnv) | undefined;
    for (const { hook: h, filter } of hooks) {
      if (!this.relevant(filter, delta)) continue;
      // Built after the pre hooks' veto and the receipt: the window now holds this tx's own receipt.
      envs ??= this.envsOf(txn, quads, ns, delta, entry, true, 0, this.viewsForPost(txn, quads, ns, delta));
      const base = { namespace: ns.name, hook: h.id, logIndex: entry.index, timeMs: entry.timeMs };
      try {
        const v = evaluateHook(h, envs(`${entry.index}/${h.id}`));
        if (v.value) out.push({ ...base, ok: true, evidence: v.evidence });
      } catch (e) {
        if (e instanceof KnowdError && e.details['transient'] === true) throw e;
        const msg = e instanceof BudgetExceeded ? `it ${e.message}` : e instanceof Error ? e.message : String(e);
        out.push({ ...base, ok: false, evidence: null, error: msg });
      }
    }
    return out;
  }

  /** A dry run against current data: no delta (DELTA is 0, SHACL checks the given focus data). */
  dryRun(txn: ReadTxn, quads: QuadStore, ns: Ns, hook: StoredHook, timeMs: number, focus: readonly Quad[]): { fired: boolean; evidence: JsonValue } {
    try {
      // No delta: ?this stays unbound (a hook of scope 'delta' is evaluated over every node).
      const { focus: _none, ...env } = this.envsOf(txn, quads, ns, { added: [], removed: [] }, { timeMs }, false, 0)(`dry/${hook.id}`);
      const v = evaluateHook(hook, { ...env, shacl: (shapes) => validateDelta(shapes, quads, txn, ns.id, { added: focus, removed: [] }, false) });
      return { fired: v.value, evidence: v.evidence };
    } catch (e) {
      if (e instanceof BudgetExceeded) throw new KnowdError('REJECTED', `Hook ${hook.id} ${e.message}`, { hook: hook.id, evidence: { error: e.message } });
      throw e;
    }
  }
}
