import type { Term } from '@rdfjs/types';
import { KnowdError } from '../../base/index.js';
import type { Algebra } from '../parse/index.js';
import type { QueryableDataset } from './dataset.js';
import { ProbeSite } from './probe.js';
import type { Val } from './rows.js';
import { VarTable } from './rows.js';

/**
 * Sources of non-determinism, injectable: a SPARQL update is evaluated when its log entry is
 * applied, on every replica, so RAND/UUID/BNODE must come from the entry's seed there.
 */
export interface EvalEntropy {
  random(): number;
  uuid(): string;
  blankLabel(): string;
}

let processBlank = 0;
export const defaultEntropy: EvalEntropy = {
  random: Math.random,
  uuid: () => crypto.randomUUID(),
  blankLabel: () => `q${(processBlank++).toString(36)}`,
};

export interface EvalLimits {
  /** Absolute deadline (ms since epoch, from the injected clock). */
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  /** Values held in memory at once by blocking operators (sort, group, distinct, hash tables). */
  readonly maxHeldValues: number;
  readonly signal?: AbortSignal;
  readonly nowMs: () => number;
  readonly entropy?: EvalEntropy;
  /** NOW() of the query (ms since epoch); default: nowMs() at the start. Parts of a federated query share the coordinator's. */
  readonly queryTimeMs?: number;
}

/** Which graphs a pattern reads (SPARQL's active graph). */
export type ActiveGraph =
  | { readonly kind: 'default' }
  | { readonly kind: 'id'; readonly id: number }
  | { readonly kind: 'var'; readonly slot: number };

/** Per-query state: the dataset, variable slots, limits, and the dataset clause (FROM / FROM NAMED). */
export class Context {
  readonly vars = new VarTable();
  /** Graph ids merged into the default graph (FROM); undefined = the store's default graph. */
  defaultGraphs: number[] | undefined;
  /** Graph ids visible to GRAPH (FROM NAMED); undefined = every named graph. */
  namedGraphs: number[] | undefined;
  private held = 0;
  private ticks = 0;
  readonly memo = new Map<unknown, unknown>();
  private readonly sites = new Map<string, ProbeSite>();
  /** Planner statistics of this query, by pattern (see count()). */
  private readonly counts = new Map<string, number>();
  private readonly partialCounts = new Map<string, { readonly n: number; readonly cap: number }>();
  /** Ids of property-path links (null: not in the store), looked up once per query. */
  private readonly links = new Map<Algebra.Link, number | null>();
  readonly now: Date;
  readonly entropy: EvalEntropy;

  constructor(
    readonly data: QueryableDataset,
    readonly limits: EvalLimits,
    /**
     * This run's rows of a VALUES node of a cached plan (query.ts, paramTemplate), which carries
     * none itself: the plan is shared by every run, the rows are the run's own.
     */
    readonly params?: { readonly node: Algebra.Values; readonly bindings: Algebra.Values['bindings'] },
  ) {
    this.now = new Date(limits.queryTimeMs ?? limits.nowMs());
    this.entropy = limits.entropy ?? defaultEntropy;
  }

  /** A VALUES node's rows in this run (see `params`). */
  bindingsOf(op: Algebra.Values): Algebra.Values['bindings'] {
    return this.params !== undefined && op === this.params.node ? this.params.bindings : op.bindings;
  }

  /** Called in every loop that produces rows: enforces the time limit and cancellation. */
  tick(): void {
    if ((++this.ticks & 1023) !== 0) return;
    this.checkNow();
  }

  checkNow(): void {
    if (this.limits.signal?.aborted === true) throw new KnowdError('QUERY_CANCELLED', 'The query was cancelled (the client went away)');
    if (this.limits.nowMs() > this.limits.deadlineMs) {
      throw new KnowdError('QUERY_TIMEOUT', `The query ran longer than its time limit of ${this.limits.timeoutMs} ms (timeoutMs, default KNOWD_CLUSTER_READ_TIMEOUT)`, { timeoutMs: this.limits.timeoutMs });
    }
  }

  /** Accounts values held by blocking operators against the memory bound. */
  hold(values: number): void {
    this.held += values;
    if (this.held > this.limits.maxHeldValues) {
      throw new KnowdError('TOO_LARGE', `The query holds more than ${this.limits.maxHeldValues} values in memory (sorting, grouping or joining); narrow it or add LIMIT`);
    }
  }

  /**
   * The probe site (probe.ts) for one set of constants (`fixed` ids), one set of positions the outer
   * rows fill (`varying`) and one graph: every pattern and path link of that shape shares it, so
   * `?y a ?f` and `?z a ?c` use one hash table of rdf:type by subject.
   */
  probeSite(fixed: readonly [number | undefined, number | undefined, number | undefined], varying: readonly [boolean, boolean, boolean], graph: number): ProbeSite {
    const key = `${fixed[0] ?? ''},${fixed[1] ?? ''},${fixed[2] ?? ''},${varying[0] ? 1 : 0}${varying[1] ? 1 : 0}${varying[2] ? 1 : 0},${graph}`;
    let site = this.sites.get(key);
    if (site === undefined) this.sites.set(key, (site = new ProbeSite(this, fixed, varying, graph)));
    return site;
  }

  /**
   * The store's count of a pattern, asked once per query. Counts other than per predicate are range
   * counts, linear in the matches, and the planner asks the same ones again and again: per join
   * step, per outer row of a BGP (until its plan is stable), per probe site. The snapshot does not
   * change during the query, so the first answer holds.
   */
  count(s: number | undefined, p: number | undefined, o: number | undefined, graph: number | 'named'): number {
    const key = `${s ?? ''} ${p ?? ''} ${o ?? ''} ${graph}`;
    let n = this.counts.get(key);
    if (n === undefined) this.counts.set(key, (n = this.data.count(s, p, o, graph)));
    return n;
  }

  /**
   * Matches counted up to `cap` by reading them (for weights, where an exact range count of a wide
   * range would cost more than it tells), also once per query.
   */
  countUpTo(s: number | undefined, p: number | undefined, o: number | undefined, graph: number | 'named', cap: number): number {
    const key = `${s ?? ''} ${p ?? ''} ${o ?? ''} ${graph}`;
    const exact = this.counts.get(key);
    if (exact !== undefined) return Math.min(exact, cap);
    // A count that stopped below its cap is exact; one that reached it only says "at least".
    const seen = this.partialCounts.get(key);
    if (seen !== undefined && (seen.n < seen.cap || cap <= seen.cap)) return Math.min(seen.n, cap);
    let n = 0;
    for (const _ of this.data.match(s, p, o, graph)) if (++n >= cap) break;
    this.partialCounts.set(key, { n, cap });
    return n;
  }

  /** The id of a path link's predicate: a closure steps through the same link once per node it reaches. */
  linkId(link: Algebra.Link): number | undefined {
    let id = this.links.get(link);
    if (id === undefined) this.links.set(link, (id = this.data.lookup(link.iri) ?? null));
    return id ?? undefined;
  }

  /** The canonical value of a term: its id when the store knows it. */
  canon(t: Term): Val {
    if (t.termType === 'DefaultGraph') return 0;
    const id = this.data.lookup(t);
    return id ?? t;
  }

  term(v: Val): Term {
    return typeof v === 'number' ? this.data.term(v) : v;
  }
}
