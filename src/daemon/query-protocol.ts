import type { ErrorCode } from '../base/index.js';
import type { QueryJob } from '../engine/index.js';

/** Messages between the daemon and its query workers. */
export type ToWorker = { readonly type: 'job'; readonly id: number; readonly job: QueryJob } | { readonly type: 'ack'; readonly id: number };

export type FromWorker =
  | { readonly type: 'chunk'; readonly id: number; readonly chunk: string }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly error: { code: ErrorCode; message: string; details: Record<string, unknown> } };
