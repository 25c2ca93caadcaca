import { KnowdError } from '../base/index.js';

/** Largest dimension Knowd accepts: far above common embedding models, low enough to bound a request. */
export const MAX_DIMS = 4096;

/**
 * Checks client numbers and turns them into an f32 vector: finite, within f32 range, of the index's
 * dimension when one is fixed. `where` names the field in the 400.
 */
export function toVector(values: readonly unknown[], dims: number | undefined, where: string): Float32Array {
  if (values.length === 0) throw new KnowdError('BAD_REQUEST', `${where}: the vector is empty`, { field: where });
  if (values.length > MAX_DIMS) throw new KnowdError('BAD_REQUEST', `${where}: ${values.length} dimensions; at most ${MAX_DIMS} are allowed`, { field: where });
  if (dims !== undefined && values.length !== dims) {
    throw new KnowdError('BAD_REQUEST', `${where}: the vector has ${values.length} dimensions; this namespace's index has ${dims}`, { field: where, expected: dims, got: values.length });
  }
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new KnowdError('BAD_REQUEST', `${where}[${i}]: ${JSON.stringify(x) ?? String(x)} is not a finite number`, { field: `${where}[${i}]` });
    out[i] = x;
    if (!Number.isFinite(out[i]!)) throw new KnowdError('BAD_REQUEST', `${where}[${i}]: ${x} is outside the range of a 32-bit float`, { field: `${where}[${i}]` });
  }
  return out;
}

/** True when every component is 0: such a vector has no direction, so cosine similarity is undefined. */
export function isZero(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

/** Vectors travel in log entries as base64 of their little-endian f32 bytes: exact and compact. */
export function vectorToBase64(v: Float32Array): string {
  const b = Buffer.allocUnsafe(v.length * 4);
  for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i]!, i * 4);
  return b.toString('base64');
}

export function vectorFromBase64(text: string): Float32Array {
  const b = Buffer.from(text, 'base64');
  if (b.length === 0 || b.length % 4 !== 0) throw new KnowdError('BAD_REQUEST', 'A logged vector is not a whole number of 32-bit floats');
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) {
    out[i] = b.readFloatLE(i * 4);
    if (!Number.isFinite(out[i]!)) throw new KnowdError('BAD_REQUEST', `A logged vector has a non-finite component at ${i}`);
  }
  return out;
}
