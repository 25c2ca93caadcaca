/** Helpers for composite big-endian keys (so byte order equals numeric order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The smallest key greater than every key that starts with `prefix`, or undefined if none exists. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  // Every range scan computes one: a copy from Node's buffer pool (Uint8Array.from walks the iterator
  // protocol, and a fresh Uint8Array allocates its own backing store, each several % of small queries).
  const out = Buffer.allocUnsafe(prefix.length);
  out.set(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i] = out[i]! + 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}

export function prefixRange(prefix: Uint8Array): { start: Uint8Array; end?: Uint8Array } {
  const end = prefixEnd(prefix);
  return end === undefined ? { start: prefix } : { start: prefix, end };
}

export function u64Key(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export function readU64(b: Uint8Array, offset = 0): number {
  return Number(Buffer.from(b.buffer, b.byteOffset, b.byteLength).readBigUInt64BE(offset));
}
