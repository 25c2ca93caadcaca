/**
 * The check worker: runs the (asynchronous) SHACL library for a transaction whose apply is
 * synchronous. The main thread blocks on a shared flag while this thread validates; every read of
 * the data graph is a synchronous round trip to the main thread, which reads it from the write
 * transaction being applied — so validation sees the exact post-state without copying it.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { decodeTerm } from '../rdf/index.js';
import { ShapesValidator } from './library.js';
import { MAIN_SLOT, READY_SLOT, WORKER_SLOT, type FromWorker, type ToWorker, type ValidateRequest } from './protocol.js';
import { parseShapes } from './shapes.js';
import { knownMatcher } from './prefetch.js';
import { MatchDataset, type EncodedTriple } from './view.js';

const { port, ctrl } = workerData as { port: MessagePort; ctrl: Int32Array };
const validators = new Map<string, ShapesValidator>();

function send(m: FromWorker): void {
  port.postMessage(m);
  Atomics.store(ctrl, MAIN_SLOT, 1);
  Atomics.notify(ctrl, MAIN_SLOT);
}

function receive(): ToWorker {
  for (;;) {
    Atomics.wait(ctrl, WORKER_SLOT, 0);
    Atomics.store(ctrl, WORKER_SLOT, 0);
    const m = receiveMessageOnPort(port);
    if (m !== undefined) return m.message as ToWorker;
  }
}

function remoteMatch(s: string | null, p: string | null, o: string | null): EncodedTriple[] {
  send({ type: 'match', s, p, o });
  const m = receive();
  if (m.type !== 'answer') throw new Error('the main thread could not read the data graph');
  return [...m.triples];
}

/** The shapes' text: sent with the request, or (the usual case: shapes change rarely) asked for once. */
function shapesTextOf(req: ValidateRequest): string {
  if (req.shapesText !== undefined) return req.shapesText;
  send({ type: 'shapes' });
  const m = receive();
  if (m.type !== 'shapes') throw new Error('the main thread did not send the shapes');
  return m.text;
}

function validatorFor(req: ValidateRequest): ShapesValidator {
  let v = validators.get(req.shapesHash);
  if (v === undefined) {
    v = ShapesValidator.fromQuads(parseShapes(shapesTextOf(req)));
    if (validators.size >= 32) validators.delete(validators.keys().next().value as string);
    validators.set(req.shapesHash, v);
  }
  return v;
}

Atomics.store(ctrl, READY_SLOT, 1);
Atomics.notify(ctrl, READY_SLOT);

parentPort?.on('message', (req: ValidateRequest) => {
  void (async () => {
    try {
      const pairs = req.pairs.map((x) => ({ shape: decodeTerm(x.shape), focus: x.focus.map(decodeTerm) }));
      const report = await validatorFor(req).validateFocus(new MatchDataset(knownMatcher(req.known, remoteMatch), req.size), pairs);
      send({ type: 'done', report });
    } catch (e) {
      send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  })();
});
