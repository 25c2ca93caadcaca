import type { WireError } from '../base/index.js';
import type { QueryJob, SimilarHit, SimilarRequest } from '../engine/index.js';

/** Messages between the daemon and its query workers. */
export type ToWorker = { readonly type: 'job'; readonly id: number; readonly job: QueryJob } | { readonly type: 'ack'; readonly id: number };

export type FromWorker =
  /** Sent once the worker's modules are loaded; until then it is not terminated (see query-pool.ts). */
  | { readonly type: 'ready' }
  /** `last`: the job is done too (no 'done' follows, no ack is expected): one message for a small answer. */
  | { readonly type: 'chunk'; readonly id: number; readonly chunk: string; readonly last?: true }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError };

/** A worker's vector search, answered by the main thread (which holds the HNSW index). */
export interface VectorCall {
  readonly seq: number;
  readonly ns: string;
  readonly req: SimilarRequest;
}

export type VectorReply =
  | { readonly seq: number; readonly ok: true; readonly hits: readonly SimilarHit[] }
  | { readonly seq: number; readonly ok: false; readonly error: WireError };
