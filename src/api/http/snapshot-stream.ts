import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { KnowdError } from '../../base/index.js';
import type { Logger } from '../../obs/index.js';
import type { ReadTxn } from '../../storage/index.js';

/**
 * Waits until `out` takes more, or the client is gone (QUERY_CANCELLED). A client that stops reading
 * and then hangs up never drains the stream: waiting for 'drain' alone kept the producer suspended
 * for good, and with it what it held (a query worker, an LMDB read transaction).
 */
export async function drained(out: Writable, signal: AbortSignal): Promise<void> {
  try {
    await once(out, 'drain', { signal });
  } catch (e) {
    if (signal.aborted) throw new KnowdError('QUERY_CANCELLED', 'The query was cancelled (the client went away)');
    throw e;
  }
}

/** What runs a function in one read snapshot (the engine's read: an async function keeps it until it settles). */
export type SnapshotReader = <T>(fn: (txn: ReadTxn) => T) => T;

/**
 * Sends a response body produced chunk by chunk from one read snapshot (a graph or a whole
 * namespace), with backpressure: constant memory however large, and the event loop is given back
 * after every chunk the client has not taken yet. The snapshot is released when the body ends,
 * fails, or the client goes away (see `drained`).
 */
export function sendFromSnapshot(reply: FastifyReply, contentType: string, read: SnapshotReader, produce: (txn: ReadTxn) => AsyncIterable<string> | Iterable<string>, log: Logger): FastifyReply {
  const out = new PassThrough();
  const gone = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) gone.abort();
  });
  out.on('close', () => gone.abort());
  void read(async (txn) => {
    for await (const chunk of produce(txn)) {
      if (gone.signal.aborted) return; // the loop's exit closes the producer and its scans
      if (!out.write(chunk)) {
        try {
          await drained(out, gone.signal);
        } catch {
          return; // the client is gone (or the stream failed): nobody is left to send to
        }
      }
    }
    out.end();
  }).catch((e: unknown) => {
    log.warn({ err: e }, 'a streamed response failed after its headers were sent; the body is cut');
    out.destroy(e as Error);
  });
  return reply.type(contentType).send(out);
}
