/**
 * The signing worker thread: Ed25519 signatures of receipt hashes, a batch per message, so the main
 * thread's share of a transaction does not include its signature (~40 µs, the largest single cost
 * of a small transaction).
 */
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { signEd25519 } from '../receipts/index.js';
import type { SignFromWorker, SignToWorker } from './sign-protocol.js';

const port = parentPort!;
let key: KeyObject | undefined;

port.on('message', (m: SignToWorker) => {
  if (m.type === 'key') {
    key = m.key;
    return;
  }
  const k = key;
  // The pool sends the key first; without it, answering nothing makes the pool sign in its own thread.
  if (k === undefined) return;
  const sigs = m.ends.map((end, i) => signEd25519(k, m.packed.subarray(i === 0 ? 0 : m.ends[i - 1], end)));
  port.postMessage({ id: m.id, sigs } satisfies SignFromWorker);
});
