import { z } from 'zod';
import { KnowdError } from '../base/index.js';
import type { QueryExecutor, QueryJob, VectorService } from '../engine/index.js';
import { HASH_SPACE, ID_SPACE, MAX_SLICES, shareProblem } from '../sparql/index.js';

/** A shard of a scattered vector search (federation/vectors.ts). */
const SimilarPart = z
  .object({
    kind: z.literal('similar'),
    namespace: z.string().min(1),
    vector: z.array(z.number()).min(1),
    topK: z.number().int().min(1),
    ef: z.number().int().min(1).optional(),
    shard: z.number().int().min(0),
    count: z.number().int().min(1),
    readIndex: z.number().int().min(0),
    timeoutMs: z.number().int().min(1),
  })
  .strict();

/**
 * The version of PartBody. 1 (no `version` field) sent a hash range `lo`/`hi` of the driving
 * variable's values; 2 sends a share: id slices and a hash range for computed values
 * (sparql/split/partition.ts). A node refuses a version it does not speak; a coordinator then runs
 * the part elsewhere (Coordinator: a cluster mid-upgrade still answers).
 */
export const PART_VERSION = 2;

const Range = (max: number) => z.object({ lo: z.number().int().min(0), hi: z.number().int().min(1).max(max) }).strict();

/** One part of a federated query as it travels (the JSON body of Query.Run). */
export const PartBody = z
  .object({
    version: z.literal(PART_VERSION),
    namespace: z.string().min(1),
    query: z.string().min(1),
    baseIRI: z.string().optional(),
    params: z.record(z.string(), z.string()).optional(),
    dataset: z.object({ default: z.array(z.string()), named: z.array(z.string()) }).strict().optional(),
    share: z
      .object({ part: z.number().int().min(0), parts: z.number().int().min(1), slices: z.array(Range(ID_SPACE)).max(MAX_SLICES), terms: Range(HASH_SPACE) })
      .strict(),
    driving: z.string().min(1),
    /** The coordinator's commit index: the part reads a snapshot that includes it. */
    readIndex: z.number().int().min(0),
    queryTimeMs: z.number(),
    timeoutMs: z.number().int().min(1),
    maxHeldValues: z.number().int().min(1),
    /** Stored terms up to this id may travel as ids (engine/part-lines.ts); absent: as text. */
    ids: z.object({ nsId: z.number().int().min(1), upTo: z.number().int().min(0) }).strict().optional(),
  })
  .strict();
export type PartBody = z.infer<typeof PartBody>;

export interface ReadCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface ParticipantDeps {
  readonly executor: QueryExecutor;
  /** Resolves once this node applied `index`; rejects (INDEX_NOT_REACHED) after `timeoutMs`. */
  waitForApplied(index: number, timeoutMs: number): Promise<void>;
  /** Whether this node should take reads (knows a leader, caught up): /readyz's replication check. */
  readyForReads(): ReadCheck;
  /** Parts in flight at most; more are refused (NOT_READY), so the coordinator re-runs them elsewhere. */
  readonly maxInflight: number;
  /** Vector shard searches; absent when vectors are off. */
  readonly vectors?: VectorService;
}

/**
 * Runs parts of federated queries on this node (asked by a coordinator over gRPC, or by this
 * node's own coordinator in-process): admission (ready, not overloaded), the read barrier, then the
 * part as a query job in the worker pool.
 */
export class Participant {
  private running = 0;

  constructor(private readonly deps: ParticipantDeps) {}

  /** Parts running now (the load a coordinator avoids, and /readyz's queue check). */
  get inflight(): number {
    return this.running;
  }

  get overloaded(): boolean {
    return this.running >= this.deps.maxInflight;
  }

  /** Parses a part request (from a peer: untrusted shape) and runs it. */
  serve(raw: string, signal: AbortSignal): AsyncGenerator<string> {
    let body: PartBody;
    try {
      const json = JSON.parse(raw) as { kind?: unknown; version?: unknown; lo?: unknown } | null;
      if (json?.kind === 'similar') return this.similar(SimilarPart.parse(json));
      // Format 1 had no version field, and a hash range lo/hi.
      const theirs = typeof json?.version === 'number' ? json.version : json !== null && typeof json === 'object' && 'lo' in json ? 1 : undefined;
      if (theirs !== undefined && theirs !== PART_VERSION) {
        throw new KnowdError('PART_VERSION', `This node runs query parts of format ${PART_VERSION}, the coordinator sent format ${theirs}: the cluster is mid-upgrade; upgrade every node to one version`, {
          version: PART_VERSION,
          received: theirs,
        });
      }
      body = PartBody.parse(json);
    } catch (e) {
      if (e instanceof KnowdError) throw e;
      throw new KnowdError('BAD_REQUEST', `Malformed query part: ${(e as Error).message.slice(0, 300)}`);
    }
    const problem = shareProblem(body.share);
    if (problem !== undefined) throw new KnowdError('BAD_REQUEST', `Malformed query part: its share has ${problem}`);
    return this.run(body, signal);
  }

  private admit(): void {
    const ready = this.deps.readyForReads();
    if (!ready.ok) throw new KnowdError('NOT_READY', `This node does not take reads now: ${ready.detail ?? 'not ready'}`);
    if (this.overloaded) throw new KnowdError('NOT_READY', `This node is busy: ${this.running} query parts in flight (KNOWD_FEDERATION_MAX_INFLIGHT ${this.deps.maxInflight})`);
  }

  private async *similar(body: z.infer<typeof SimilarPart>): AsyncGenerator<string> {
    const vectors = this.deps.vectors;
    if (vectors === undefined) throw new KnowdError('NOT_SUPPORTED', 'Vector search is off on this node (KNOWD_VEC_ENABLED=false)');
    this.admit();
    this.running++;
    try {
      const started = performance.now();
      await this.deps.waitForApplied(body.readIndex, body.timeoutMs);
      const hits = vectors.searchShard(body.namespace, body.vector, body.topK, body.ef, { index: body.shard, count: body.count });
      yield `${hits.map((hit) => `${JSON.stringify({ hit })}\n`).join('')}${JSON.stringify({ stats: { rows: hits.length, elapsedMs: Math.round((performance.now() - started) * 1000) / 1000 } })}\n`;
    } finally {
      this.running--;
    }
  }

  async *run(body: PartBody, signal: AbortSignal): AsyncGenerator<string> {
    this.admit();
    this.running++;
    try {
      const started = Date.now();
      await this.deps.waitForApplied(body.readIndex, body.timeoutMs);
      const job: QueryJob = {
        namespace: body.namespace,
        query: body.query,
        timeoutMs: Math.max(1, body.timeoutMs - (Date.now() - started)),
        maxHeldValues: body.maxHeldValues,
        format: 'knowd-part',
        part: { share: body.share, driving: body.driving, queryTimeMs: body.queryTimeMs, ...(body.ids !== undefined && { ids: body.ids }) },
        ...(body.baseIRI !== undefined && { baseIRI: body.baseIRI }),
        ...(body.params !== undefined && { params: body.params }),
        ...(body.dataset !== undefined && { dataset: body.dataset }),
      };
      yield* this.deps.executor.run(job, signal);
    } finally {
      this.running--;
    }
  }
}
