import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` (e.g. 'query-worker') that sits beside this file: the compiled .js
 * in built code; under tsx (tests) the .ts through a tiny bootstrap that registers tsx's loader
 * first, since on Node 20 `--import tsx` in execArgv does not reach a worker's entry module.
 */
export function startDaemonWorker(name: string, options: WorkerOptions = {}): Worker {
  const isTs = import.meta.url.endsWith('.ts');
  const script = new URL(`./${name}${isTs ? '.ts' : '.js'}`, import.meta.url);
  if (!isTs) return new Worker(script, options);
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
