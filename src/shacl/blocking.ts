/**
 * Runs a validation in the check worker and blocks this thread until it is done, answering the
 * worker's reads of the data graph meanwhile. Blocking is the point: a transaction's apply runs
 * synchronously inside the storage write, and the check must decide before it returns.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { KnowdError } from '../base/index.js';
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

  run(req: ValidateRequest, match: MatchFn): ShaclReport {
    const deadline = Date.now() + (this.used ? CALL_TIMEOUT_MS : FIRST_CALL_TIMEOUT_MS);
    this.used = true;
    this.awaitReady(deadline);
    this.worker.postMessage(req);
    let failure: unknown;
    for (;;) {
      const m = this.receive(deadline);
      if (m.type === 'done') return m.report;
      if (m.type === 'error') {
        if (failure !== undefined) throw failure;
        throw new KnowdError('INTERNAL', `SHACL validation failed: ${m.message}`);
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

let shared: CheckWorker | undefined;

/**
 * One worker per process, shared by every engine in it: the library's parsed shapes are keyed by the
 * shapes' hash, so sharing is safe, and only one thread applies transactions at a time anyway.
 */
export function validateBlocking(req: ValidateRequest, match: MatchFn): ShaclReport {
  shared ??= new CheckWorker();
  try {
    return shared.run(req, match);
  } catch (e) {
    if (e instanceof KnowdError && e.code === 'INTERNAL') {
      // A stuck or broken worker is replaced; the next transaction gets a fresh one.
      shared.terminate();
      shared = undefined;
    }
    throw e;
  }
}

/** Starts the worker ahead of the first validation (it takes a while to load). */
export function warmCheckWorker(): void {
  shared ??= new CheckWorker();
}
