import type { KeyObject } from 'node:crypto';

/** Messages between the daemon and its signing worker (sign-worker.ts). */
export type SignToWorker =
  | { readonly type: 'key'; readonly key: KeyObject }
  | { readonly type: 'sign'; readonly id: number; readonly data: readonly Uint8Array[] };

export interface SignFromWorker {
  readonly id: number;
  /** Base64 signatures, in the order of the request's data. */
  readonly sigs: readonly string[];
}
