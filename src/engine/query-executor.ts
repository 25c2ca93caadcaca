import { KnowdError } from '../base/index.js';
import type { QuadStore } from '../dataset/index.js';
import type { Storage } from '../storage/index.js';
import { runQueryJob, type QueryJob, type SimilarFor } from './query-job.js';

/**
 * Where queries run. The result is pulled chunk by chunk (backpressure); the first chunk, or the
 * error, comes before anything is sent. Stopping early (client gone) or aborting ends the query.
 */
export interface QueryExecutor {
  run(job: QueryJob, signal: AbortSignal): AsyncIterable<string>;
  close(): Promise<void>;
}

const STOPPED = (): KnowdError => new KnowdError('QUERY_CANCELLED', 'The query was cancelled (the client went away)');

/**
 * Runs queries on the calling thread (the memory store, which other threads cannot see). A query
 * that produces no rows for long holds the thread until its time limit.
 */
export function inlineQueryExecutor(storage: Storage, quads: QuadStore, similar?: SimilarFor): QueryExecutor {
  return {
    async *run(job: QueryJob, signal: AbortSignal): AsyncGenerator<string> {
      const queue: string[] = [];
      let done = false;
      let failure: unknown;
      let stopped = false;
      let wake: (() => void) | undefined;
      let resume: (() => void) | undefined;
      const notify = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      const producer = runQueryJob(
        storage,
        quads,
        job,
        async (chunk) => {
          if (stopped) throw STOPPED();
          queue.push(chunk);
          notify();
          await new Promise<void>((r) => (resume = r));
          if (stopped) throw STOPPED();
        },
        signal,
        similar,
      ).then(
        () => {
          done = true;
          notify();
        },
        (e: unknown) => {
          failure = e;
          done = true;
          notify();
        },
      );
      try {
        for (;;) {
          const c = queue.shift();
          if (c !== undefined) {
            yield c;
            const r = resume;
            resume = undefined;
            r?.();
            continue;
          }
          if (done) {
            if (failure !== undefined) throw failure;
            return;
          }
          await new Promise<void>((r) => (wake = r));
        }
      } finally {
        stopped = true;
        const r = resume;
        resume = undefined;
        r?.();
        await producer;
      }
    },
    async close() {},
  };
}
