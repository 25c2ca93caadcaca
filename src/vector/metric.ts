import type { Metric } from './types.js';

/** The distance usearch reports for each metric, computed exactly (the brute-force oracle). */
export function distance(metric: Metric, a: Float32Array, b: Float32Array): number {
  let dot = 0;
  if (metric === 'l2') {
    let s = 0;
    for (let i = 0; i < a.length; i++) {
      const d = a[i]! - b[i]!;
      s += d * d;
    }
    return s;
  }
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  if (metric === 'ip') return 1 - dot;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const denom = Math.sqrt(na) * Math.sqrt(nb);
  return denom === 0 ? 1 : 1 - dot / denom;
}

/**
 * The score clients see: larger is more similar. cos: cosine similarity; ip: the inner product;
 * l2: the negated squared Euclidean distance.
 */
export function scoreOf(metric: Metric, dist: number): number {
  return metric === 'l2' ? -dist : 1 - dist;
}
