/**
 * Key layout of quads on the Storage port.
 *
 * Every key starts with the namespace id (u32), so a namespace is one contiguous key range per table:
 * isolation by construction, and deleting a namespace is a range delete.
 *
 * Term ids are 5 bytes (40 bits: 10^12 terms per namespace) — 3 bytes a key less than u64 while far
 * beyond what one node holds; fixed width keeps every prefix scan exact.
 *
 * Index orders (after Oxigraph): quads in the default graph are kept in three orders with no graph
 * component (DSPO, DPOS, DOSP), quads in named graphs in six (SPOG, POSG, OSPG, GSPO, GPOS, GOSP).
 * Every triple-pattern shape (8 bound/unbound combinations of S, P, O) is one prefix scan of a
 * three-order family, and the G-first orders make the same true when the graph is bound. Most data
 * sits in the default graph, where this costs 3 index writes a triple instead of 6.
 */
export const ID_BYTES = 5;
export const NS_BYTES = 4;

export const enum Order {
  DSPO = 1,
  DPOS = 2,
  DOSP = 3,
  SPOG = 4,
  POSG = 5,
  OSPG = 6,
  GSPO = 7,
  GPOS = 8,
  GOSP = 9,
}

/** Component positions (0=s, 1=p, 2=o, 3=g) in key order for each index. */
export const ORDER_COMPONENTS: Record<Order, readonly number[]> = {
  [Order.DSPO]: [0, 1, 2],
  [Order.DPOS]: [1, 2, 0],
  [Order.DOSP]: [2, 0, 1],
  [Order.SPOG]: [0, 1, 2, 3],
  [Order.POSG]: [1, 2, 0, 3],
  [Order.OSPG]: [2, 0, 1, 3],
  [Order.GSPO]: [3, 0, 1, 2],
  [Order.GPOS]: [3, 1, 2, 0],
  [Order.GOSP]: [3, 2, 0, 1],
};

export const DEFAULT_ORDERS = [Order.DSPO, Order.DPOS, Order.DOSP] as const;
export const NAMED_ORDERS = [Order.SPOG, Order.POSG, Order.OSPG, Order.GSPO, Order.GPOS, Order.GOSP] as const;

/** Graph id 0 stands for the default graph; term ids start at 1. */
export const DEFAULT_GRAPH_ID = 0;

/** An id-encoded quad: [s, p, o, g] with g = 0 for the default graph. */
export type IdQuad = [number, number, number, number];

export function nsPrefix(nsId: number): Buffer {
  const b = Buffer.allocUnsafe(NS_BYTES);
  b.writeUInt32BE(nsId);
  return b;
}

/** Writes the key into `into` when given (hot loops reuse one buffer per order; storage copies keys). */
export function quadKey(nsId: number, order: Order, q: IdQuad, into?: Buffer): Buffer {
  const comps = ORDER_COMPONENTS[order];
  const b = into ?? Buffer.allocUnsafe(NS_BYTES + 1 + comps.length * ID_BYTES);
  b.writeUInt32BE(nsId, 0);
  b[NS_BYTES] = order;
  let off = NS_BYTES + 1;
  for (const c of comps) {
    b.writeUIntBE(q[c]!, off, ID_BYTES);
    off += ID_BYTES;
  }
  return b;
}

/** Prefix for a scan of `order` with the first `bound.length` components fixed. */
export function scanPrefix(nsId: number, order: Order, bound: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(NS_BYTES + 1 + bound.length * ID_BYTES);
  b.writeUInt32BE(nsId, 0);
  b[NS_BYTES] = order;
  let off = NS_BYTES + 1;
  for (const id of bound) {
    b.writeUIntBE(id, off, ID_BYTES);
    off += ID_BYTES;
  }
  return b;
}

export function decodeQuadKey(order: Order, key: Uint8Array): IdQuad {
  // The hottest function of query evaluation (every scanned key): plain byte arithmetic, no Buffer
  // view or readUIntBE per component.
  const comps = ORDER_COMPONENTS[order];
  const q: IdQuad = [0, 0, 0, DEFAULT_GRAPH_ID];
  let off = NS_BYTES + 1;
  for (let i = 0; i < comps.length; i++) {
    // ID_BYTES (5) big-endian bytes: the top byte times 2^32, plus the low four as an unsigned 32-bit int.
    q[comps[i]!] = key[off]! * 0x100000000 + (((key[off + 1]! << 24) | (key[off + 2]! << 16) | (key[off + 3]! << 8) | key[off + 4]!) >>> 0);
    off += ID_BYTES;
  }
  return q;
}

export function idBytes(id: number): Buffer {
  const b = Buffer.allocUnsafe(ID_BYTES);
  b.writeUIntBE(id, 0, ID_BYTES);
  return b;
}

export function readId(b: Uint8Array, offset = 0): number {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).readUIntBE(offset, ID_BYTES);
}

export const MAX_TERM_ID = 2 ** (ID_BYTES * 8) - 1;
