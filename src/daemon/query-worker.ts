/**
 * A query worker thread: opens the store read-only beside the daemon's writer and runs one query at
 * a time, posting result chunks and waiting for an ack before the next (backpressure). The main
 * thread terminates the worker to stop a query, whatever it is doing.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { KnowdError, fromWireError, toWireError } from '../base/index.js';
import { Dictionary, QuadStore } from '../dataset/index.js';
import { keepGoing, runQueryJob, type QueryJob, type SimilarFor } from '../engine/index.js';
import { openLmdbStorage, type LmdbTuning } from '../storage/lmdb/index.js';
import type { FromWorker, ToWorker, VectorCall, VectorReply } from './query-protocol.js';

const { dataDir, mapSizeBytes, tuning, vecPort, vecFlag } = workerData as { dataDir: string; mapSizeBytes: number; tuning?: LmdbTuning; vecPort?: MessagePort; vecFlag?: SharedArrayBuffer };
const storage = openLmdbStorage({ path: dataDir, mapSizeBytes, readOnly: true, ...(tuning !== undefined && { tuning }) });
const quads = new QuadStore(new Dictionary(100_000));
const port = parentPort!;
// Chunks (about 64 Ki characters each) posted but not yet taken by the HTTP side. The worker does not
// yield between chunks (keepGoing), so it reads acks only once the window is full: up to ~4 Mi
// characters of result then run in one go on the read transaction's cached cursors, while a slow
// client still stops the query from running further ahead.
const WINDOW = 64;
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
  // Each chunk is posted when the next one exists, so the last goes with the end of the job: most
  // answers are one chunk, and then one message (and no ack) instead of three.
  let held: string | undefined;
  try {
    inflight = 0;
    await runQueryJob(
      storage,
      quads,
      job,
      async (chunk) => {
        if (held !== undefined) {
          post({ type: 'chunk', id, chunk: held });
          inflight++;
        }
        held = chunk;
        while (inflight >= WINDOW) await new Promise<void>((r) => (ack = r));
      },
      undefined,
      similar,
      keepGoing,
    );
    post(held === undefined ? { type: 'done', id } : { type: 'chunk', id, chunk: held, last: true });
  } catch (e) {
    post({
      type: 'error',
      id,
      error: toWireError(e),
    });
  }
}

/** Longest a search may take in the main thread (it may embed text through KNOWD_EMBED_URL). */
const VECTOR_CALL_MAX_MS = 35_000;
let vecSeq = 0;

/**
 * knowd:similarTo in a worker: the evaluator is synchronous, so the call blocks this thread until
 * the main thread (which holds the HNSW index) has posted the answer and raised the flag.
 */
function similar(ns: string): ReturnType<SimilarFor> {
  return (req) => {
    if (vecPort === undefined || vecFlag === undefined) throw new KnowdError('NOT_SUPPORTED', 'knowd:similarTo needs vector search, which is off on this node (KNOWD_VEC_ENABLED=false)');
    const flag = new Int32Array(vecFlag);
    const seq = ++vecSeq;
    vecPort.postMessage({ seq, ns, req } satisfies VectorCall);
    const deadline = Date.now() + VECTOR_CALL_MAX_MS;
    for (;;) {
      // The flag is read before the port: an answer posted in between changes it, so the wait returns at once.
      const raised = Atomics.load(flag, 0);
      const m = receiveMessageOnPort(vecPort)?.message as VectorReply | undefined;
      if (m !== undefined) {
        if (m.seq !== seq) continue; // the late answer to a call that timed out
        if (m.ok) return m.hits;
        throw fromWireError(m.error);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new KnowdError('NOT_READY', `The vector search did not answer within ${VECTOR_CALL_MAX_MS} ms`);
      Atomics.wait(flag, 0, raised, left);
    }
  };
}

// Last, once every module above has loaded: the pool may terminate this worker from now on.
post({ type: 'ready' });
