import type { ShaclReport } from './report.js';
import type { EncodedTriple } from './view.js';

/** Main thread → check worker (over parentPort): validate focus nodes against shapes. */
export interface ValidateRequest {
  readonly type: 'validate';
  readonly shapesHash: string;
  /** Sent when the caller has it at hand; else the worker asks for it if it does not hold these shapes. */
  readonly shapesText?: string;
  readonly size: number;
  readonly pairs: readonly { readonly shape: string; readonly focus: readonly string[] }[];
  /**
   * Every outgoing triple of these subjects (the focus nodes and what they reach), read ahead so
   * the worker answers most of its reads without a round trip to this thread (prefetch.ts).
   */
  readonly known?: { readonly subjects: readonly string[]; readonly triples: readonly EncodedTriple[] };
}

/** Worker → main thread (over the sync port). */
export type FromWorker =
  | { readonly type: 'match'; readonly s: string | null; readonly p: string | null; readonly o: string | null }
  | { readonly type: 'shapes' }
  | { readonly type: 'done'; readonly report: ShaclReport }
  | { readonly type: 'error'; readonly message: string };

/** Main thread → worker (over the sync port): the answer to a match or to 'shapes', or "stop, I failed". */
export type ToWorker = { readonly type: 'answer'; readonly triples: readonly EncodedTriple[] } | { readonly type: 'shapes'; readonly text: string } | { readonly type: 'fail' };

/** Int32 slots of the shared control array: a flag each side waits on. */
export const MAIN_SLOT = 0;
export const WORKER_SLOT = 1;
/** Set by the worker's bootstrap: 1 = loaded, 2 = failed to load. */
export const READY_SLOT = 2;
