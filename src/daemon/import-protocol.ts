import type { WireError } from '../base/index.js';
import type { ImportBatchRequest, PreparedImportBatch } from '../engine/import-batch.js';

/** Messages between the daemon and its import worker (import-worker.ts). */
export interface ImportToWorker {
  readonly id: number;
  readonly request: ImportBatchRequest;
}

export type ImportFromWorker = { readonly id: number; readonly ok: true; readonly batch: PreparedImportBatch } | { readonly id: number; readonly ok: false; readonly failure: WireError };
