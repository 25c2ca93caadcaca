// Engine process of bench/lubm-queries.ts for the in-process peers: loads one dataset into one engine,
// then answers queries sent over the Node IPC channel, one at a time. Plain .mjs run by plain `node`.
//
//   node [--max-old-space-size=MiB] bench/peers/worker.mjs ADAPTER FILE     (ADAPTER: oxigraph | n3-comunica | quadstore | knowd-inproc)
//   (quadstore: QUADSTORE_BACKEND and QUADSTORE_DIR in the environment, see quadstore.mjs; knowd-inproc:
//   KNOWD_INPROC_DIR, see knowd-inproc.mjs)
//
// Messages from the parent: {type: 'query', id, query}. Answers: {type: 'ready', triples, loadMs, ...} once
// after the load; per query {type: 'result', id, rows, ms} or {type: 'error', id, message}. `ms` is taken
// inside this process: from the call into the engine to the last row counted (IPC not included).
// The process exits when the parent disconnects; the parent kills it on a timeout.
import fs from 'node:fs';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { errMsg, memory } from './common.mjs';

const [adapterName, file] = process.argv.slice(2);
if (adapterName === undefined || file === undefined || typeof process.send !== 'function') {
  process.stderr.write('usage: node bench/peers/worker.mjs ADAPTER FILE (with an IPC channel)\n');
  process.exit(2);
}
const send = (m) => process.send(m);

try {
  const t0 = performance.now();
  const adapter = await import(`./${adapterName}.mjs`);
  const moduleMs = performance.now() - t0;
  const t1 = performance.now();
  const triples = await adapter.load(file);
  const loadMs = performance.now() - t1;
  globalThis.gc?.();
  // The peak RSS so far is the load's. Resetting the kernel's high-water mark (clear_refs 5, Linux >= 4.0)
  // lets the parent's final VmHWM reading be the peak of the query phase alone; the parent reports the
  // peak over both (max of this one and that one) as well.
  const atReady = memory();
  let hwmReset = false;
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    hwmReset = true;
  } catch {
    // not Linux, or not allowed: the final VmHWM then includes the load
  }
  send({ type: 'ready', engine: adapter.name, version: adapter.version, triples, reused: adapter.reused === true, moduleMs, loadMs, memory: atReady, hwmReset });

  let busy = Promise.resolve();
  process.on('message', (m) => {
    if (m === null || typeof m !== 'object' || m.type !== 'query') return;
    busy = busy.then(async () => {
      const t = performance.now();
      try {
        const rows = await adapter.count(m.query);
        send({ type: 'result', id: m.id, rows, ms: performance.now() - t });
      } catch (e) {
        send({ type: 'error', id: m.id, message: errMsg(e), ms: performance.now() - t });
      }
    });
  });
  process.on('disconnect', () => process.exit(0));
} catch (e) {
  send({ type: 'failed', message: errMsg(e) });
  process.exitCode = 1;
  process.disconnect();
}
