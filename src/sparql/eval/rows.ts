import type { Term } from '@rdfjs/types';
import { encodeTerm } from '../../rdf/index.js';

/**
 * A solution is an array indexed by variable slot. A value is a dictionary id (terms the store
 * knows) or a term (computed values the store has never seen). A computed term that the store does
 * know is always turned into its id (see Context.canon), so equal terms are equal values.
 */
export type Val = number | Term;
export type Row = (Val | undefined)[];

export class VarTable {
  private readonly slots = new Map<string, number>();
  slot(name: string): number {
    let s = this.slots.get(name);
    if (s === undefined) this.slots.set(name, (s = this.slots.size));
    return s;
  }
  has(name: string): boolean {
    return this.slots.has(name);
  }
  get size(): number {
    return this.slots.size;
  }
}

export function sameVal(a: Val, b: Val): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.equals(b);
}

/** A key for hashing values (distinct, group by, hash joins). */
export function valKey(v: Val | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'number' ? `#${v}` : `$${encodeTerm(v)}`;
}

/** A Map key for one value: the id itself (no string built) or the term's key string; the two never collide. */
export function valMapKey(v: Val): number | string {
  return typeof v === 'number' ? v : valKey(v);
}

export function rowKey(row: Row, slots: readonly number[]): string {
  let k = '';
  for (const s of slots) k += `${valKey(row[s])}\u0000`;
  return k;
}

/** Merges two compatible rows, or returns undefined when they disagree on a shared variable. */
export function mergeRows(a: Row, b: Row): Row | undefined {
  const n = Math.max(a.length, b.length);
  const out: Row = new Array<Val | undefined>(n);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) out[i] = y;
    else if (y === undefined || sameVal(x, y)) out[i] = x;
    else return undefined;
  }
  return out;
}
