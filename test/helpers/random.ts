/**
 * Seeded randomness for tests: a failing random sample must be replayable. Set KNOWD_TEST_SEED to
 * replay a seed printed by a failed run.
 */

/** mulberry32: small, fast, and good enough to draw test data. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed to use: KNOWD_TEST_SEED when set (to replay a failure), else the given default. */
export function testSeed(fallback: number): number {
  const env = process.env['KNOWD_TEST_SEED'];
  if (env === undefined || env === '') return fallback;
  const n = Number(env);
  if (!Number.isSafeInteger(n)) throw new Error(`KNOWD_TEST_SEED must be an integer, got "${env}"`);
  return n;
}

export function pickOne<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pickOne from an empty list');
  return item;
}

export function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
