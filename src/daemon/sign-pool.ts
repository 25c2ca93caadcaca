import type { Worker } from 'node:worker_threads';
import type { Logger } from '../obs/index.js';
import type { BatchSigner, Signer } from '../receipts/index.js';
import type { SignFromWorker, SignToWorker } from './sign-protocol.js';
import { startDaemonWorker } from './worker-entry.js';

interface Waiting {
  readonly data: Uint8Array;
  readonly resolve: (sig: string) => void;
}

/**
 * Receipt signatures on a worker thread. Requests of one event-loop turn (a group commit settles its
 * transactions together) travel as one message. Signing never fails a committed write: if the
 * worker is not there, dies, or the signer has no transferable key, the batch is signed here.
 */
export function createSigningPool(signer: Signer, log: Logger): BatchSigner {
  let worker: Worker | undefined;
  let broken = signer.key === undefined;
  let closed = false;
  let queue: Waiting[] = [];
  let flushing = false;
  let nextId = 1;
  const inFlight = new Map<number, Waiting[]>();

  const signHere = (batch: readonly Waiting[]): void => {
    for (const w of batch) w.resolve(signer.sign(w.data));
  };

  const start = (): Worker => {
    const w = startDaemonWorker('sign-worker');
    w.postMessage({ type: 'key', key: signer.key! } satisfies SignToWorker);
    w.on('message', (m: SignFromWorker) => {
      const batch = inFlight.get(m.id);
      if (batch === undefined) return;
      inFlight.delete(m.id);
      if (inFlight.size === 0) w.unref();
      batch.forEach((b, i) => b.resolve(m.sigs[i]!));
    });
    w.on('error', (e) => log.error({ err: e }, 'signing worker failed; signing on the main thread'));
    w.once('exit', () => {
      if (worker === w) worker = undefined;
      if (!closed) broken = true;
      for (const batch of inFlight.values()) signHere(batch);
      inFlight.clear();
    });
    w.unref();
    return w;
  };

  const flush = (): void => {
    flushing = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    if (broken || closed) return signHere(batch);
    worker ??= start();
    const id = nextId++;
    inFlight.set(id, batch);
    // Referenced while it works: a caller awaiting only a signature must not see the process exit.
    worker.ref();
    const packed = new Uint8Array(batch.reduce((n, b) => n + b.data.length, 0));
    const ends: number[] = [];
    let at = 0;
    for (const b of batch) {
      packed.set(b.data, at);
      ends.push((at += b.data.length));
    }
    worker.postMessage({ type: 'sign', id, packed, ends } satisfies SignToWorker, [packed.buffer]);
  };

  return {
    publicKey: () => signer.publicKey(),
    sign(data: Uint8Array): Promise<string> {
      return new Promise((resolve) => {
        queue.push({ data, resolve });
        if (!flushing) {
          flushing = true;
          // After the microtasks of this turn: every transaction a commit settled is in the batch.
          setImmediate(flush);
        }
      });
    },
    async close(): Promise<void> {
      closed = true;
      const w = worker;
      worker = undefined;
      for (const batch of inFlight.values()) signHere(batch);
      inFlight.clear();
      signHere(queue);
      queue = [];
      if (w !== undefined) await w.terminate();
    },
  };
}
