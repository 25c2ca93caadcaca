import { KnowdError, isKnowdError, type ErrorCode } from '../base/index.js';
import { PartReader, parseCached, parseParamTerm, resultChunks, type Engine, type PartIds, type QueryJob } from '../engine/index.js';
import type { Logger } from '../obs/index.js';
import { factory } from '../rdf/index.js';
import { estimateCost, executeQuery, patternCost, planShares, planSplit, prepareQuery, shareLabel, type ParsedQuery, type PartitionShare, type QueryOptions, type SplitPlan } from '../sparql/index.js';
import { gather, type PartResult } from './merge.js';
import { PART_VERSION, type PartBody, type Participant } from './participant.js';

/** Streams one part from a peer (the gRPC Query.Run client). */
export type PeerCall = (to: string, body: string, timeoutMs: number, signal: AbortSignal) => AsyncIterable<string>;

export interface FederationCounters {
  /** A federated query finished: 'ok', 'error', or 'local' (routed, but run on one node). */
  query(outcome: 'ok' | 'error' | 'local'): void;
  part(where: 'local' | 'remote', seconds: number): void;
  retry(): void;
}

export interface CoordinatorDeps {
  /** This node's member id. */
  self(): string;
  /** The other members a part may go to (voters and learners). */
  peers(): readonly string[];
  /** The commit index this node knows: every part reads at or after it (one consistent snapshot). */
  readIndex(): number;
  readonly call: PeerCall | undefined;
  readonly local: Participant;
  readonly engine: Pick<Engine, 'withDataset'>;
  readonly counters: FederationCounters;
  readonly log: Logger;
  /** KNOWD_FEDERATION_MIN_COST: queries estimated at least this costly are split without being asked. */
  readonly minCost: number;
  /** How long a peer that failed a part is passed over. */
  readonly downMs?: number;
}

export interface Decision {
  readonly federate: boolean;
  /** Why not (or how): for the X-Knowd-Federation header and explain. */
  readonly reason: string;
  readonly plan?: SplitPlan;
  readonly prepared?: ParsedQuery;
  readonly cost?: number;
  /** Stored terms the parts may send as ids: those this node's store had when it planned. */
  readonly ids?: PartIds;
}

export interface PartReport {
  /** The part's share (shareLabel): what a re-run on another node runs again. */
  readonly range: string;
  node: string;
  rows: number;
  ms: number;
  readonly attempts: { node: string; error?: string }[];
}

/** Errors that are the query's own (the same on every node): re-running the share elsewhere cannot help. */
const QUERY_ERRORS = new Set<ErrorCode>(['BAD_REQUEST', 'SPARQL_SYNTAX', 'TOO_LARGE', 'NOT_SUPPORTED', 'NAMESPACE_NOT_FOUND', 'QUERY_TIMEOUT', 'BAD_TERM', 'FORBIDDEN']);

const DEFAULT_DOWN_MS = 5_000;

/**
 * A node of an older version refuses a part of this format as malformed (PartBody was strict before
 * it had a version): that is the node's limit, not the query's, so the part runs elsewhere.
 */
function olderNodeRefused(e: unknown): boolean {
  return isKnowdError(e) && e.code === 'BAD_REQUEST' && e.message.startsWith('Malformed query part');
}

/**
 * The coordinator of federated queries: decides whether to split, scatters the shares (id slices
 * of the driving variable's values, sparql/split/partition.ts) to participants (itself included),
 * re-runs a failed share on another node within the query's time limit, gathers, and writes the
 * answer in the job's format. Never a partial answer: a share no node could run fails the query
 * with FEDERATION_INCOMPLETE naming it.
 */
export class Coordinator {
  /** Peer → until when it is passed over (it failed a part). */
  private readonly down = new Map<string, number>();
  /** Parts this coordinator has in flight per node: the least loaded takes a re-run. */
  private readonly load = new Map<string, number>();

  constructor(private readonly deps: CoordinatorDeps) {}

  /** Healthy participants, this node first: peers that failed recently are left out. */
  participants(): string[] {
    const now = Date.now();
    const peers = this.deps.call === undefined ? [] : this.deps.peers().filter((p) => (this.down.get(p) ?? 0) <= now);
    return [this.deps.self(), ...peers];
  }

  decide(job: QueryJob, asked: boolean): Decision {
    const alone = this.participants().length < 2;
    // Every query on a node of one comes here: it need not be prepared when nobody asks why.
    if (alone && !asked) return { federate: false, reason: 'no other node is available to share the query' };
    const parsed = parseCached(job.query, job.baseIRI);
    const prepared = prepareQuery(parsed, optionsOf(job));
    if (alone) {
      const d = planSplit(prepared);
      return { federate: false, reason: d.splittable ? 'no other node is available to share the query' : `not splittable: ${d.reason}` };
    }
    // Statistics pick the driving variable (the one the cheapest scan binds) and the cost.
    const { d, cost, ids } = this.deps.engine.withDataset(job.namespace, (data, ns) => ({
      d: planSplit(prepared, { cost: (p) => patternCost(p, data) }),
      cost: estimateCost(prepared.algebra, data),
      ids: { nsId: ns.id, upTo: ns.termIds },
    }));
    if (!d.splittable) return { federate: false, reason: `not splittable: ${d.reason}` };
    if (asked) return { federate: true, reason: 'asked', plan: d.plan, prepared, cost, ids };
    if (cost < this.deps.minCost) return { federate: false, reason: `estimated cost ${cost} is below KNOWD_FEDERATION_MIN_COST (${this.deps.minCost})`, cost };
    return { federate: true, reason: `estimated cost ${cost} >= KNOWD_FEDERATION_MIN_COST (${this.deps.minCost})`, plan: d.plan, prepared, cost, ids };
  }

  /** Runs a split query; the first chunk (or the error) comes once every part is in. */
  async *run(job: QueryJob, decision: Decision, signal: AbortSignal): AsyncGenerator<string> {
    const plan = decision.plan!;
    const prepared = decision.prepared!;
    const started = performance.now();
    const deadline = Date.now() + job.timeoutMs;
    const readIndex = this.deps.readIndex();
    const queryTimeMs = Date.now();
    const nodes = this.participants();
    // The id space the coordinator's store had allocated when it planned, cut for the participants
    // (newer ids fall in the last, open-ended slice).
    const shares = planShares(nodes.length, (decision.ids?.upTo ?? 0) + 1);
    const ac = new AbortController();
    const abort = (): void => ac.abort();
    signal.addEventListener('abort', abort, { once: true });
    const base: Omit<PartBody, 'share'> = {
      version: PART_VERSION,
      namespace: job.namespace,
      driving: plan.driving,
      query: job.query,
      readIndex,
      queryTimeMs,
      timeoutMs: job.timeoutMs,
      maxHeldValues: job.maxHeldValues,
      ...(job.baseIRI !== undefined && { baseIRI: job.baseIRI }),
      ...(job.params !== undefined && { params: { ...job.params } }),
      ...(job.dataset !== undefined && { dataset: { default: [...job.dataset.default], named: [...job.dataset.named] } }),
      ...(decision.ids !== undefined && { ids: decision.ids }),
    };
    const reports: PartReport[] = shares.map((sh) => ({ range: shareLabel(sh), node: '', rows: 0, ms: 0, attempts: [] }));
    let parts: PartResult[];
    try {
      const runs = shares.map((share, i) => this.runShare(plan, share, nodes, { ...base, share: { ...share, slices: [...share.slices] } }, deadline, ac.signal, reports[i]!));
      parts = plan.kind === 'ask' ? await firstTrue(runs, ac) : await Promise.all(runs);
    } catch (e) {
      ac.abort();
      this.deps.counters.query('error');
      throw e;
    } finally {
      signal.removeEventListener('abort', abort);
    }
    this.deps.counters.query('ok');
    const extra = job.explain === true ? { federation: { driving: `?${plan.driving}`, mode: plan.kind, notes: plan.notes, readIndex, reason: decision.reason, parts: reports } } : undefined;
    const opts: QueryOptions = { deadlineMs: deadline, timeoutMs: job.timeoutMs, maxHeldValues: job.maxHeldValues, nowMs: Date.now, queryTimeMs };
    // The merge and the modifiers run on this node's snapshot (it applied readIndex: its own part
    // waited for it); ids the parts sent decode there (engine/part-lines.ts says why that is sound).
    const out = await this.deps.engine.withDataset(job.namespace, async (data, ns) => {
      if (decision.ids !== undefined && ns.id !== decision.ids.nsId) {
        throw new KnowdError('NAMESPACE_NOT_FOUND', `Namespace "${job.namespace}" was deleted and re-created while the federated query ran`, { namespace: job.namespace });
      }
      const g = gather(plan, prepared.variables, parts, (id) => data.term(id));
      const result = g.kind === 'boolean' ? ({ kind: 'boolean', value: g.value } as const) : g.kind === 'rows' ? ({ kind: 'bindings', vars: g.vars, rows: g.rows, vals: g.vals } as const) : executeQuery(g.query, data, opts);
      const chunks: string[] = [];
      for await (const c of resultChunks(result, job, started, extra)) chunks.push(c);
      return chunks;
    });
    yield* out;
  }

  /** One share: on its preferred node, then on the others until one answers or time runs out. */
  private async runShare(plan: SplitPlan, share: PartitionShare, nodes: readonly string[], body: PartBody, deadline: number, signal: AbortSignal, report: PartReport): Promise<PartResult> {
    const order = nodes.map((_, k) => nodes[(share.part + k) % nodes.length]!);
    const tried = new Set<string>();
    for (;;) {
      const next = order.find((n) => !tried.has(n) && (this.down.get(n) ?? 0) <= Date.now()) ?? order.find((n) => !tried.has(n));
      const remaining = deadline - Date.now();
      if (next === undefined || remaining <= 0 || signal.aborted) break;
      tried.add(next);
      if (report.attempts.length > 0) this.deps.counters.retry();
      const attempt: { node: string; error?: string } = { node: next };
      report.attempts.push(attempt);
      const t0 = performance.now();
      try {
        const res = await this.fetchPart(plan, next, JSON.stringify(body), remaining, signal);
        report.node = next;
        report.rows = res.kind === 'bindings' ? res.rows : res.value ? 1 : 0;
        report.ms = Math.round((performance.now() - t0) * 10) / 10;
        this.deps.counters.part(next === this.deps.self() ? 'local' : 'remote', (performance.now() - t0) / 1000);
        return res;
      } catch (e) {
        if (signal.aborted) throw e;
        const code = isKnowdError(e) ? e.code : 'INTERNAL';
        attempt.error = `${code}: ${(e as Error).message}`;
        if (QUERY_ERRORS.has(code) && !olderNodeRefused(e)) throw e;
        if (next !== this.deps.self()) this.down.set(next, Date.now() + (this.deps.downMs ?? DEFAULT_DOWN_MS));
        this.deps.log.warn({ node: next, share: report.range, err: attempt.error }, 'a federated query part failed; re-running its share on another node');
      }
    }
    throw new KnowdError('FEDERATION_INCOMPLETE', `The federated query is missing ${report.range} of ?${plan.driving}'s values: ${report.attempts.length === 0 ? 'no node was left to run it' : `every node tried failed (${report.attempts.map((a) => `${a.node}: ${a.error ?? 'no answer'}`).join('; ')})`}; no partial answer is given`, {
      range: report.range,
      share,
      attempts: report.attempts,
    });
  }

  private async fetchPart(plan: SplitPlan, node: string, body: string, timeoutMs: number, signal: AbortSignal): Promise<PartResult> {
    this.load.set(node, (this.load.get(node) ?? 0) + 1);
    try {
      const stream = node === this.deps.self() ? this.deps.local.serve(body, signal) : this.deps.call!(node, body, timeoutMs, signal);
      const reader = new PartReader(plan.participant.variables.length);
      for await (const chunk of stream) reader.push(chunk);
      // The closing stats line is the proof the part is whole (a cut stream never ends with it).
      if (!reader.closed) throw new KnowdError('INTERNAL', `The part from ${node} ended without its closing line`);
      if (plan.kind === 'ask') return { kind: 'boolean', value: reader.value === true };
      return { kind: 'bindings', rows: reader.rows, vals: reader.vals };
    } finally {
      this.load.set(node, (this.load.get(node) ?? 1) - 1);
    }
  }
}

/** ASK: the first part that answers true decides; the others are cancelled. */
async function firstTrue(runs: readonly Promise<PartResult>[], ac: AbortController): Promise<PartResult[]> {
  return new Promise((resolve, reject) => {
    let left = runs.length;
    const results: PartResult[] = [];
    for (const r of runs) {
      r.then(
        (res) => {
          results.push(res);
          if (res.kind === 'boolean' && res.value) {
            ac.abort();
            resolve([res]);
          } else if (--left === 0) resolve(results);
        },
        (e: unknown) => {
          if (!ac.signal.aborted) reject(e as Error);
        },
      );
    }
    if (runs.length === 0) resolve([]);
  });
}

function optionsOf(job: QueryJob): Pick<QueryOptions, 'params' | 'dataset'> {
  const params = job.params === undefined ? undefined : Object.fromEntries(Object.entries(job.params).map(([k, v]) => [k.replace(/^[?$]/, ''), parseParamTerm(k, v)]));
  return {
    ...(params !== undefined && { params }),
    ...(job.dataset !== undefined && { dataset: { default: job.dataset.default.map((i) => factory.namedNode(i)), named: job.dataset.named.map((i) => factory.namedNode(i)) } }),
  };
}
