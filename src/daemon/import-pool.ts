import type { Worker } from 'node:worker_threads';
import { startDaemonWorker } from './worker-entry.js';
import { KnowdError, fromWireError } from '../base/index.js';
import { type ImportBatchRequest, type ImportPreparer, type PreparedImportBatch } from '../engine/import-batch.js';
import type { Logger } from '../obs/index.js';
import type { ImportFromWorker, ImportToWorker } from './import-protocol.js';

/**
 * An idle import worker is stopped after this long without a batch. Its heap holds what parsing the
 * last batches left (60–140 MiB after a LUBM(10) load) until V8 gets round to shrinking it, and the
 * queries that follow a load want that memory; a gap in a load costs only a worker start (~50 ms).
 */
export const IMPORT_WORKER_IDLE_MS = 5_000;

/**
 * Bulk-import batches are prepared in one worker thread, started on the first import: parsing and
 * hashing then run on the second core while the main thread applies the batch before. One worker
 * is enough: a bulk load commits one batch at a time, and the worker only has to keep ahead.
 */
export function createImportPreparer(log: Logger, idleMs = IMPORT_WORKER_IDLE_MS): ImportPreparer {
  let worker: Worker | undefined;
  let nextId = 1;
  let closed = false;
  let idleTimer: NodeJS.Timeout | undefined;
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
      if (pending.size === 0) {
        w.unref();
        retireWhenIdle(w);
      }
      if (m.ok) p.resolve(m.batch);
      else p.reject(fromWireError(m.failure));
    });
    w.on('error', (e) => log.error({ err: e }, 'import worker failed'));
    w.once('exit', (code) => {
      // A retired or closed worker had nothing pending; what is pending now belongs to its successor.
      if (worker !== w) return;
      worker = undefined;
      // A worker that died takes its batches with it; the import fails and says so, the next one starts a new worker.
      failAll(new KnowdError('INTERNAL', `The import worker stopped (exit code ${code}); the import was not finished. Retry it.`));
    });
    // Idle, it must not keep the process alive; with batches in flight it must (see prepare).
    w.unref();
    return w;
  };

  const retireWhenIdle = (w: Worker): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (worker !== w || pending.size > 0) return;
      worker = undefined;
      void w.terminate();
    }, idleMs);
    idleTimer.unref();
  };

  return {
    prepare(request: ImportBatchRequest): Promise<PreparedImportBatch> {
      if (closed) return Promise.reject(new KnowdError('SHUTTING_DOWN', 'The node is shutting down'));
      clearTimeout(idleTimer);
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
      clearTimeout(idleTimer);
      const w = worker;
      worker = undefined;
      failAll(new KnowdError('SHUTTING_DOWN', 'The node is shutting down'));
      if (w !== undefined) await w.terminate();
    },
  };
}
