/** Polls `fn` every 10 ms until it returns a value; fails after `timeoutMs` naming `what`. */
export async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Polls an async probe until it yields a value; a probe that throws counts as "not yet" (a process
 * still starting). On timeout the error names `what` and adds `context()` (e.g. the processes' logs).
 */
export async function untilAsync<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
