import type { Worker } from 'node:worker_threads';
import { startDaemonWorker } from './worker-entry.js';
import { KnowdError, fromWireError } from '../base/index.js';
import { type ImportBatchRequest, type ImportPreparer, type PreparedImportBatch } from '../engine/import-batch.js';
import type { Logger } from '../obs/index.js';
import type { ImportFromWorker, ImportToWorker } from './import-protocol.js';

/**
 * Bulk-import batches are prepared in one worker thread, started on the first import: parsing and
 * hashing then run on the second core while the main thread applies the batch before. One worker
 * is enough: a bulk load commits one batch at a time, and the worker only has to keep ahead.
 */
export function createImportPreparer(log: Logger): ImportPreparer {
  let worker: Worker | undefined;
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, { resolve: (b: PreparedImportBatch) => void; reject: (e: Error) => void }>();

  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };

  const start = (): Worker => {
    const w = startDaemonWorker('import-worker');
    w.on('message', (m: ImportFromWorker) => {
      const p = pending.get(m.id);
      if (p === undefined) return;
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      if (m.ok) p.resolve(m.batch);
      else p.reject(fromWireError(m.failure));
    });
    w.on('error', (e) => log.error({ err: e }, 'import worker failed'));
    w.once('exit', (code) => {
      if (worker === w) worker = undefined;
      // A worker that died takes its batches with it; the import fails and says so, the next one starts a new worker.
      failAll(new KnowdError('INTERNAL', `The import worker stopped (exit code ${code}); the import was not finished. Retry it.`));
    });
    // Idle, it must not keep the process alive; with batches in flight it must (see prepare).
    w.unref();
    return w;
  };

  return {
    prepare(request: ImportBatchRequest): Promise<PreparedImportBatch> {
      if (closed) return Promise.reject(new KnowdError('SHUTTING_DOWN', 'The node is shutting down'));
      worker ??= start();
      const id = nextId++;
      const w = worker;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // Referenced while it works: a caller awaiting only this answer must not see the process exit.
        w.ref();
        w.postMessage({ id, request } satisfies ImportToWorker);
      });
    },
    async close(): Promise<void> {
      closed = true;
      const w = worker;
      worker = undefined;
      failAll(new KnowdError('SHUTTING_DOWN', 'The node is shutting down'));
      if (w !== undefined) await w.terminate();
    },
  };
}
