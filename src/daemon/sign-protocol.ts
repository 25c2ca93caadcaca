import type { KeyObject } from 'node:crypto';

/** Messages between the daemon and its signing worker (sign-worker.ts). */
export type SignToWorker =
  | { readonly type: 'key'; readonly key: KeyObject }
  // Bytes packed into one fresh buffer: a Buffer is often a view of Node's shared 8 KiB pool, which
  // structured cloning would copy whole, once per Buffer.
  | { readonly type: 'sign'; readonly id: number; readonly packed: Uint8Array; readonly ends: readonly number[] };

export interface SignFromWorker {
  readonly id: number;
  /** Base64 signatures, in the order of the request's data. */
  readonly sigs: readonly string[];
}
