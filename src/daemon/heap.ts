import v8 from 'node:v8';

/**
 * How far past what a full GC kept V8 lets a thread's old generation grow before the next one, in
 * percent. Left alone, V8 allows up to 4× once the heap limit is 2 GiB or more (any machine with 8 GiB
 * of memory), and knowd runs several isolates side by side (HTTP, query workers, import, signing)
 * next to the store's memory map: after a LUBM(10) load and its 28 queries the heaps held 2–4× their
 * live data, ~0.5 GiB of the daemon's ~1.1 GiB peak. At 1.5× that peak was ~0.8 GiB, for ~0.2 s more
 * of full-GC pauses over a ~30 s run (bench/README.md, "LUBM queries").
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Sets V8's heap growing factor for the whole process: V8 reads the flag at every GC, so it holds
 * for the main thread as well as for the worker threads. A `--heap-growing-percent` given to node
 * on its command line wins (the operator's tuning).
 * @returns the percent now in force from here, or undefined when the command line's stands.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): number | undefined {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a))) return undefined;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return HEAP_GROWING_PERCENT;
}
