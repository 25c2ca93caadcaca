/**
 * The import worker thread: parses, checks and hashes bulk-import batches (engine/import-batch) one
 * at a time, so the main thread spends a bulk load interning terms and writing the indexes.
 */
import { parentPort } from 'node:worker_threads';
import { toWireError } from '../base/index.js';
import { prepareImportBatch } from '../engine/import-batch.js';
import type { ImportFromWorker, ImportToWorker } from './import-protocol.js';

const port = parentPort!;

port.on('message', (m: ImportToWorker) => {
  prepareImportBatch(m.request).then(
    (batch) => {
      // The term indexes travel by transfer, not by copy.
      port.postMessage({ id: m.id, ok: true, batch } satisfies ImportFromWorker, [batch.quads.buffer as ArrayBuffer]);
    },
    (e: unknown) => port.postMessage({ id: m.id, ok: false, failure: toWireError(e) } satisfies ImportFromWorker),
  );
});
