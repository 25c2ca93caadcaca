/**
 * A query worker thread: opens the store read-only beside the daemon's writer and runs one query at
 * a time, posting result chunks and waiting for an ack before the next (backpressure). The main
 * thread terminates the worker to stop a query, whatever it is doing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isKnowdError } from '../base/index.js';
import { Dictionary, QuadStore } from '../dataset/index.js';
import { runQueryJob, type QueryJob } from '../engine/index.js';
import { openLmdbStorage } from '../storage/lmdb/index.js';
import type { FromWorker, ToWorker } from './query-protocol.js';

const { dataDir, mapSizeBytes } = workerData as { dataDir: string; mapSizeBytes: number };
const storage = openLmdbStorage({ path: dataDir, mapSizeBytes, readOnly: true });
const quads = new QuadStore(new Dictionary(100_000));
const port = parentPort!;
// Chunks posted but not yet taken by the HTTP side: a small window keeps single-chunk answers from
// paying a round trip, while a slow client still stops the query from running ahead.
const WINDOW = 4;
let inflight = 0;
let ack: (() => void) | undefined;

const post = (m: FromWorker): void => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.type === 'ack') {
    inflight--;
    const a = ack;
    ack = undefined;
    a?.();
    return;
  }
  void run(m.id, m.job);
});

async function run(id: number, job: QueryJob): Promise<void> {
  try {
    inflight = 0;
    await runQueryJob(storage, quads, job, async (chunk) => {
      post({ type: 'chunk', id, chunk });
      inflight++;
      while (inflight >= WINDOW) await new Promise<void>((r) => (ack = r));
    });
    post({ type: 'done', id });
  } catch (e) {
    post({
      type: 'error',
      id,
      error: isKnowdError(e) ? { code: e.code, message: e.message, details: { ...e.details } } : { code: 'INTERNAL', message: (e as Error).message ?? String(e), details: {} },
    });
  }
}
