import { isKnowdError } from '../base/index.js';
import type { ShardScatter, VectorService } from '../engine/index.js';
import type { Logger } from '../obs/index.js';
import type { SimilarHit } from '../sparql/index.js';
import type { PeerCall } from './coordinator.js';

/** A part of a scattered vector search (the JSON body of Query.Run with kind "similar"). */
export interface SimilarPartBody {
  readonly kind: 'similar';
  readonly namespace: string;
  readonly vector: readonly number[];
  readonly topK: number;
  readonly ef?: number;
  readonly shard: number;
  readonly count: number;
  readonly readIndex: number;
  readonly timeoutMs: number;
}

export interface VectorScatterDeps {
  self(): string;
  /** Every member in shard order: shard i is indexed by owners()[i] (the same sorted list on every node). */
  owners(): readonly string[];
  readIndex(): number;
  readonly call: PeerCall | undefined;
  readonly vectors: VectorService;
  readonly timeoutMs: number;
  readonly log: Logger;
  /** Counts a shard answered here from the store because its node failed. */
  fallback(): void;
}

/**
 * /v1/similar on a sharded namespace (KNOWD_VEC_SHARDING=shard): topK from every shard, each from
 * the node that indexes it, merged by score. A shard whose node fails is answered by this node
 * exactly from its store (every node stores every vector), so the answer is never missing a shard.
 */
export function vectorScatter(deps: VectorScatterDeps): ShardScatter {
  return async (ns, query, topK, ef) => {
    const owners = deps.owners();
    const count = owners.length;
    const readIndex = deps.readIndex();
    const values = [...query];
    const parts = owners.map(async (owner, shard): Promise<SimilarHit[]> => {
      const layout = { index: shard, count };
      if (owner === deps.self() || deps.call === undefined) return deps.vectors.searchShard(ns, values, topK, ef, layout);
      const body: SimilarPartBody = { kind: 'similar', namespace: ns, vector: values, topK, shard, count, readIndex, timeoutMs: deps.timeoutMs, ...(ef !== undefined && { ef }) };
      try {
        return await fetchHits(deps.call(owner, JSON.stringify(body), deps.timeoutMs, AbortSignal.timeout(deps.timeoutMs)), owner);
      } catch (e) {
        if (isKnowdError(e) && (e.code === 'BAD_REQUEST' || e.code === 'NAMESPACE_NOT_FOUND')) throw e;
        deps.fallback();
        deps.log.warn({ node: owner, shard, err: (e as Error).message }, 'a vector shard search failed; searching that shard exactly from this node');
        return deps.vectors.searchShard(ns, values, topK, ef, layout);
      }
    });
    return mergeHits(await Promise.all(parts), topK);
  };
}

/** The best `topK` of every shard's hits: by score, then id (a stable order for equal scores). */
export function mergeHits(shards: readonly (readonly SimilarHit[])[], topK: number): SimilarHit[] {
  return shards.flat().sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, topK);
}

async function fetchHits(stream: AsyncIterable<string>, node: string): Promise<SimilarHit[]> {
  const hits: SimilarHit[] = [];
  let closed = false;
  let buf = '';
  for await (const chunk of stream) {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = JSON.parse(buf.slice(0, nl)) as { hit?: SimilarHit; stats?: unknown };
      buf = buf.slice(nl + 1);
      if (line.hit !== undefined) hits.push(line.hit);
      else if (line.stats !== undefined) closed = true;
    }
  }
  if (!closed) throw new Error(`the shard search on ${node} ended without its closing line`);
  return hits;
}
