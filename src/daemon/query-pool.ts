import os from 'node:os';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { startDaemonWorker } from './worker-entry.js';
import { KnowdError, fromWireError, toWireError } from '../base/index.js';
import type { QueryExecutor, QueryJob, SimilarHit, SimilarRequest } from '../engine/index.js';
import type { Logger } from '../obs/index.js';
import type { LmdbTuning } from '../storage/lmdb/index.js';
import type { FromWorker, ToWorker, VectorCall, VectorReply } from './query-protocol.js';

export interface QueryPoolOptions {
  readonly dataDir: string;
  readonly mapSizeBytes: number;
  /** The writer's tuning, so every worker opens the store alike (map size, readers, read-ahead). */
  readonly tuning?: LmdbTuning;
  readonly size?: number;
  /** Queries waiting for a worker at most; more are refused with 503. */
  readonly maxQueued?: number;
  readonly log: Logger;
  /**
   * Vector search for knowd:similarTo. The HNSW index lives in this thread; a worker asks for a
   * search over a MessageChannel and blocks on a shared flag until the answer is posted (the
   * evaluator is synchronous), so queries in workers search the same index as /v1/similar.
   */
  readonly similar?: (ns: string, req: SimilarRequest) => Promise<readonly SimilarHit[]>;
}

/** Worker threads for queries: one per CPU, at most 4 (each holds its own read environment). */
export function defaultQueryWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/**
 * Queries on LMDB run in worker threads: a heavy query cannot stall HTTP, writes or other queries,
 * and stopping one (client gone, time limit) terminates its worker at once, even mid-loop.
 */
export function createQueryPool(opts: QueryPoolOptions): QueryExecutor {
  const size = opts.size ?? defaultQueryWorkers();
  const maxQueued = opts.maxQueued ?? 256;
  const idle: Worker[] = [];
  const waiting: ((w: Worker) => void)[] = [];
  let live = 0;
  /**
   * Workers whose modules are still loading, and whether one was discarded meanwhile. Terminating a
   * worker while its ES modules load leaks the descriptors of the files being read (Node 20): the
   * soak saw dozens of .js files held open after clients that hung up within a second of asking.
   * Such a worker is terminated once it says it is ready.
   */
  const loading = new Map<Worker, { doomed: boolean }>();
  let nextId = 1;
  let closed = false;

  const spawn = (): Worker => {
    const vec = opts.similar === undefined ? undefined : vectorBridge(opts.similar);
    const w = startDaemonWorker('query-worker', {
      workerData: { dataDir: opts.dataDir, mapSizeBytes: opts.mapSizeBytes, ...(opts.tuning !== undefined && { tuning: opts.tuning }), ...(vec !== undefined && { vecPort: vec.port, vecFlag: vec.flag }) },
      ...(vec !== undefined && { transferList: [vec.port] }),
    });
    w.unref();
    live++;
    const state = { doomed: false };
    loading.set(w, state);
    const onReady = (m: FromWorker): void => {
      if (m.type !== 'ready') return;
      w.off('message', onReady);
      loading.delete(w);
      if (state.doomed) void w.terminate();
    };
    w.on('message', onReady);
    w.once('exit', () => {
      live--;
      loading.delete(w);
      // One that died while idle must not be handed the next query (it would never answer).
      const i = idle.indexOf(w);
      if (i >= 0) idle.splice(i, 1);
      vec?.close();
      // A query may have queued while every live worker was one stopped mid-load (counted live, but
      // never released): only a release or a stop handed waiters a worker, so it waited for good.
      const next = !closed && live < size ? waiting.shift() : undefined;
      if (next !== undefined) next(spawn());
    });
    w.on('error', (e) => opts.log.error({ err: e }, 'query worker failed'));
    return w;
  };

  const cancelled = (): KnowdError => new KnowdError('QUERY_CANCELLED', 'The query was cancelled (the client went away)');

  /** A worker for a query whose time limit ends at `deadlineMs` (the wait counts against it). */
  const acquire = async (signal: AbortSignal, deadlineMs: number, timeoutMs: number): Promise<Worker> => {
    if (signal.aborted) throw cancelled();
    const w = idle.pop();
    if (w !== undefined) return w;
    if (live < size) return spawn();
    if (waiting.length >= maxQueued) throw new KnowdError('NOT_READY', `Too many queries waiting (${maxQueued}); retry later`);
    // A query whose client leaves while it waits leaves the queue: otherwise it would take a worker
    // later only to have it terminated at once for a client that is gone. So does one whose time
    // limit passes while it waits: the client asked for an answer within that time, not for a run then.
    return new Promise((resolve, reject) => {
      const ahead = waiting.length;
      const out = (): void => {
        const i = waiting.indexOf(take);
        if (i >= 0) waiting.splice(i, 1);
        signal.removeEventListener('abort', leave);
        clearTimeout(timer);
      };
      const take = (got: Worker): void => {
        out();
        resolve(got);
      };
      const leave = (): void => {
        out();
        reject(cancelled());
      };
      const timer = setTimeout(() => {
        out();
        reject(new KnowdError('QUERY_TIMEOUT', `The query waited for a query worker (all ${size} busy, ${ahead} queries ahead of it) past its time limit of ${timeoutMs} ms`, { timeoutMs }));
      }, Math.max(0, deadlineMs - Date.now()));
      signal.addEventListener('abort', leave, { once: true });
      waiting.push(take);
    });
  };

  const release = (w: Worker): void => {
    const next = waiting.shift();
    if (next !== undefined) next(w);
    else idle.push(w);
  };

  /** A worker stopped mid-query is terminated; a fresh one takes its place for whoever waits. */
  const discard = (w: Worker): void => {
    const state = loading.get(w);
    if (state !== undefined) state.doomed = true;
    else void w.terminate();
    const next = waiting.shift();
    if (next !== undefined && !closed) next(spawn());
  };

  return {
    async *run(given: QueryJob, signal: AbortSignal): AsyncGenerator<string> {
      if (closed) throw new KnowdError('SHUTTING_DOWN', 'The node is shutting down');
      // The time limit runs from now, waiting for a worker included.
      const acceptedAtMs = given.acceptedAtMs ?? Date.now();
      const job: QueryJob = { ...given, acceptedAtMs };
      const deadlineMs = acceptedAtMs + job.timeoutMs;
      const w = await acquire(signal, deadlineMs, job.timeoutMs);
      const id = nextId++;
      const inbox: Exclude<FromWorker, { type: 'ready' }>[] = [];
      let wake: (() => void) | undefined;
      const notify = (): void => {
        const f = wake;
        wake = undefined;
        f?.();
      };
      let exited = false;
      let timedOut = false;
      const onMessage = (m: FromWorker): void => {
        if (m.type === 'ready' || m.id !== id) return;
        inbox.push(m);
        notify();
      };
      const onExit = (): void => {
        exited = true;
        notify();
      };
      const onAbort = (): void => notify();
      w.on('message', onMessage);
      w.once('exit', onExit);
      signal.addEventListener('abort', onAbort);
      // The worker goes back to the pool (or is replaced) exactly once: here when the query ends, or
      // by the watchdog, which must not wait for this generator to be resumed (its consumer may be
      // suspended on a client that stopped reading), or the queries queued for a worker would wait
      // for good.
      let disposed = false;
      const dispose = (reuse: boolean): void => {
        if (disposed) return;
        disposed = true;
        if (reuse) release(w);
        else discard(w);
      };
      // The worker enforces the time limit itself; this is the backstop for one stuck in native code.
      const watchdog = setTimeout(() => {
        timedOut = true;
        exited = true;
        dispose(false);
        notify();
      }, Math.max(0, deadlineMs - Date.now()) + 5_000);
      let finished = false;
      try {
        w.postMessage({ type: 'job', id, job } satisfies ToWorker);
        for (;;) {
          if (signal.aborted) throw cancelled();
          if (timedOut) throw new KnowdError('QUERY_TIMEOUT', `The query ran longer than its time limit of ${job.timeoutMs} ms`, { timeoutMs: job.timeoutMs });
          const m = inbox.shift();
          if (m === undefined) {
            if (exited) throw new KnowdError('INTERNAL', 'The query worker stopped unexpectedly; the server log has the details');
            await new Promise<void>((r) => (wake = r));
            continue;
          }
          if (m.type === 'chunk') {
            if (m.last === true) {
              // The worker is done with the job: it goes back to the pool however the consumer ends.
              finished = true;
              yield m.chunk;
              return;
            }
            yield m.chunk;
            w.postMessage({ type: 'ack', id } satisfies ToWorker);
          } else if (m.type === 'done') {
            finished = true;
            return;
          } else {
            finished = true;
            throw fromWireError(m.error);
          }
        }
      } finally {
        clearTimeout(watchdog);
        signal.removeEventListener('abort', onAbort);
        w.off('message', onMessage);
        w.off('exit', onExit);
        dispose(finished && !exited);
      }
    },
    async close() {
      closed = true;
      await Promise.all(idle.splice(0).map((w) => w.terminate()));
    },
  };
}

/** The main thread's side of a worker's vector calls: answer on the port, then raise the flag. */
function vectorBridge(similar: NonNullable<QueryPoolOptions['similar']>): { port: MessagePort; flag: SharedArrayBuffer; close(): void } {
  const { port1, port2 } = new MessageChannel();
  const flag = new SharedArrayBuffer(4);
  const seen = new Int32Array(flag);
  port1.on('message', (call: VectorCall) => {
    void similar(call.ns, call.req).then(
      (hits): VectorReply => ({ seq: call.seq, ok: true, hits }),
      (e: unknown): VectorReply => ({ seq: call.seq, ok: false, error: toWireError(e) }),
    ).then((reply) => {
      port1.postMessage(reply);
      Atomics.store(seen, 0, call.seq);
      Atomics.notify(seen, 0);
    });
  });
  port1.unref();
  return { port: port2, flag, close: () => port1.close() };
}
