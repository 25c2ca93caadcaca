/**
 * Runs a validation in the check worker, answering the worker's reads of the data graph while this
 * thread waits for its report. Blocking is the point: a transaction's apply runs synchronously inside
 * the storage write, and the check must decide before it returns; between starting a validation and
 * waiting for it, the applying thread may do other checks (hooks) while the worker validates.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { KnowdError, assert } from '../base/index.js';
import { MAIN_SLOT, READY_SLOT, WORKER_SLOT, type FromWorker, type ToWorker, type ValidateRequest } from './protocol.js';
import type { ShaclReport } from './report.js';
import type { MatchFn } from './view.js';

/**
 * Failures of this node's machinery, not of the data: another replica would not fail the same way,
 * so the entry must not be rejected for them (the engine fails the write and the node retries).
 */
const TRANSIENT = { transient: true };

/** Reads the worker asked this thread for (round trips), for tests and benchmarks. */
export const roundTrips = { count: 0 };

/** A cold worker loads the library first (and tsx in tests); a warm validation takes milliseconds. */
const FIRST_CALL_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 60_000;

class CheckWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(16));
  private used = false;
  private failure: unknown;
  private inflight: Inflight | undefined;

  constructor() {
    const isTs = import.meta.url.endsWith('.ts');
    const script = new URL(isTs ? './worker.ts' : './worker.js', import.meta.url).href;
    // A bootstrap that reports a failed load through the shared array: the main thread is blocked
    // and would not see the worker's 'error' event. Under tsx (tests) it registers tsx first, since
    // Node 20 does not pass module hooks on to workers.
    const load = isTs
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(script)}); })`
      : `import(${JSON.stringify(script)})`;
    const code = `const { workerData } = require('node:worker_threads');
${load}.catch((e) => { Atomics.store(workerData.ctrl, ${READY_SLOT}, 2); Atomics.notify(workerData.ctrl, ${READY_SLOT}); throw e; });`;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(code, { eval: true, workerData: { port: port2, ctrl: this.ctrl }, transferList: [port2] });
    this.worker.on('error', (e) => {
      this.failure = e;
    });
    // An idle worker must not keep the process alive.
    this.worker.unref();
    this.port.unref();
  }

  /** Waits until the worker has loaded (or says it could not). */
  private awaitReady(deadline: number): void {
    for (;;) {
      const state = Atomics.load(this.ctrl, READY_SLOT);
      if (state === 1) return;
      if (state === 2) throw new KnowdError('INTERNAL', `The SHACL check worker failed to load${this.failure instanceof Error ? `: ${this.failure.message}` : ''}`, TRANSIENT);
      const left = deadline - Date.now();
      if (left <= 0) throw new KnowdError('INTERNAL', 'The SHACL check worker did not start in time', TRANSIENT);
      Atomics.wait(this.ctrl, READY_SLOT, 0, left);
    }
  }

  private send(m: ToWorker): void {
    this.port.postMessage(m);
    Atomics.store(this.ctrl, WORKER_SLOT, 1);
    Atomics.notify(this.ctrl, WORKER_SLOT);
  }

  private receive(deadline: number): FromWorker {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.ctrl, MAIN_SLOT, 0, left) === 'timed-out') {
        throw new KnowdError('INTERNAL', 'SHACL validation did not finish in time; the check worker was restarted', TRANSIENT);
      }
      Atomics.store(this.ctrl, MAIN_SLOT, 0);
      const m = receiveMessageOnPort(this.port);
      if (m !== undefined) return m.message as FromWorker;
    }
  }

  /**
   * Posts a validation and returns at once: the worker validates while this thread does other work
   * (the hooks check). One validation at a time: the caller settles the previous one first.
   */
  start(req: ValidateRequest, match: MatchFn, shapesText: () => string): Inflight {
    assert(this.inflight === undefined, 'a SHACL validation is already in flight');
    const deadline = Date.now() + (this.used ? CALL_TIMEOUT_MS : FIRST_CALL_TIMEOUT_MS);
    this.used = true;
    this.awaitReady(deadline);
    this.worker.postMessage(req);
    const call = new Inflight(() => {
      try {
        return this.serve(match, shapesText, deadline);
      } finally {
        this.inflight = undefined;
      }
    });
    this.inflight = call;
    return call;
  }

  /** Settles the validation in flight, if any (its caller finds the outcome kept on it). */
  settleInflight(): void {
    this.inflight?.settle();
  }

  /** Blocks until the in-flight validation is done, answering the worker's requests meanwhile. */
  private serve(match: MatchFn, shapesText: () => string, deadline: number): ShaclReport {
    let failure: unknown;
    for (;;) {
      const m = this.receive(deadline);
      if (m.type === 'done') return m.report;
      if (m.type === 'error') {
        if (failure !== undefined) throw failure;
        throw new KnowdError('INTERNAL', `SHACL validation failed: ${m.message}`);
      }
      if (m.type === 'shapes') {
        this.send({ type: 'shapes', text: shapesText() });
        continue;
      }
      roundTrips.count++;
      try {
        this.send({ type: 'answer', triples: match(m.s, m.p, m.o) });
      } catch (e) {
        // E.g. TOO_LARGE: tell the worker to stop, then report this error rather than its echo.
        failure = e;
        this.send({ type: 'fail' });
      }
    }
  }

  terminate(): void {
    void this.worker.terminate();
  }
}

/** One validation in the worker: settled once (its report or its error), by its caller or by the next start. */
class Inflight {
  private outcome: { readonly report: ShaclReport } | { readonly error: unknown } | undefined;
  constructor(private readonly serve: () => ShaclReport) {}

  settle(): void {
    if (this.outcome !== undefined) return;
    try {
      this.outcome = { report: this.serve() };
    } catch (error) {
      this.outcome = { error };
      retireOnFailure(error);
    }
  }

  report(): ShaclReport {
    this.settle();
    const o = this.outcome!;
    if ('error' in o) throw o.error;
    return o.report;
  }
}

let shared: CheckWorker | undefined;

/**
 * A stuck or broken worker is replaced; the next validation gets a fresh one. (Only the shared
 * worker ever has a validation in flight, so the failure is always the shared worker's.)
 */
function retireOnFailure(e: unknown): void {
  if (e instanceof KnowdError && e.code === 'INTERNAL' && shared !== undefined) {
    shared.terminate();
    shared = undefined;
  }
}

/** A validation running in the check worker; `finish` blocks until its report. */
export interface PendingValidation {
  finish(): ShaclReport;
}

/**
 * Starts a validation in the worker (one per process, shared by every engine in it: the library's
 * parsed shapes are keyed by the shapes' hash, so sharing is safe, and only one thread applies
 * transactions at a time anyway). `shapesText` is read only if the worker does not hold the shapes.
 * The caller must call `finish` before its transaction ends: the worker reads through `match`.
 */
export function startValidation(req: ValidateRequest, match: MatchFn, shapesText: () => string): PendingValidation {
  // E.g. a hook's SHACL condition while the transaction's own validation is in flight.
  shared?.settleInflight();
  shared ??= new CheckWorker();
  let call: Inflight;
  try {
    call = shared.start(req, match, shapesText);
  } catch (e) {
    retireOnFailure(e);
    throw e;
  }
  return { finish: () => call.report() };
}

/** Runs a validation in the worker and blocks this thread until it is done. */
export function validateBlocking(req: ValidateRequest, match: MatchFn, shapesText: () => string): ShaclReport {
  return startValidation(req, match, shapesText).finish();
}

/** Starts the worker ahead of the first validation (it takes a while to load). */
export function warmCheckWorker(): void {
  shared ??= new CheckWorker();
}
