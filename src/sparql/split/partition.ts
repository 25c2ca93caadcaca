import type { Term } from '@rdfjs/types';
import { encodeTerm } from '../../rdf/index.js';

/**
 * The share of a split query's work one participant does. Every node holds the same data, so a
 * split partitions the work: participant i sees only solutions whose driving variable's value it
 * owns, and every value has exactly one owner among the parts.
 *
 * Stored terms are owned by dictionary id, in slices of the id space: where the driving variable
 * is the key component right after the bound prefix of the index a scan reads, the part then reads
 * only its slices (a seek per slice) instead of reading everything and dropping two thirds (what a
 * hash of the id forced: bench/README.md, federation.ts). Relying on ids is sound because they are
 * the same on every node of a cluster: the dictionary assigns them from a counter in the store while
 * entries are applied, in log order, identically on every replica (a rejected entry is undone
 * identically too), and a snapshot carries the store, counter included.
 *
 * Ids are allocated in load order, so the density of one variable's values varies along the id
 * space: the space is cut into many slices (SLICES_PER_PART per participant) dealt round-robin, so
 * each part gets an even share of a density that varies smoothly at the scale of a few slices. The last slice is open-ended: ids a
 * participant's snapshot allocated after the coordinator planned still have an owner.
 *
 * Values that are not stored terms (computed by BIND, paths with constant ends…) have no id: they are
 * owned by a hash of their canonical encoding, in equal ranges. A computed value that the store also
 * knows is always its id (Context.canon), so one value is never owned two ways.
 */
export const HASH_SPACE = 2 ** 32;
/** Term ids are 5 bytes (dataset/layout.ts): every id is below this. */
export const ID_SPACE = 2 ** 40;
/**
 * Measured on LUBM (bench/README.md, federation.ts): at 16 a part, LUBM(1)'s departments (one id
 * block each, about 3 slices wide) aliased with the round-robin and q14x split 1808/3678/430; at 64
 * the parts are within 3 % (q14x, q06x). A seek costs a cursor (~4 µs), so 64 is well under a
 * millisecond a scan.
 */
export const SLICES_PER_PART = 64;
/** More slices than a coordinator ever sends: a bound on a participant's loops over a share from the wire. */
export const MAX_SLICES = 4096;

export interface PartitionRange {
  /** Inclusive lower bound. */
  readonly lo: number;
  /** Exclusive upper bound. */
  readonly hi: number;
}

export interface PartitionShare {
  /** Which part this is (0-based) of how many: for labels only, ownership is in the ranges. */
  readonly part: number;
  readonly parts: number;
  /** The dictionary ids this part owns: sorted, disjoint, non-empty [lo, hi) ranges within [0, ID_SPACE). */
  readonly slices: readonly PartitionRange[];
  /** Computed values this part owns: those whose termHash lies in this range of [0, HASH_SPACE). */
  readonly terms: PartitionRange;
}

export interface PartitionFilter extends PartitionShare {
  readonly variable: string;
  /** The pattern / path objects (by identity) at which ownership is checked. */
  readonly points: ReadonlySet<object>;
}

/**
 * FNV-1a (32 bit) over UTF-16 code units: a few lines, no dependency, and stable across Node versions
 * and machines, which is all a partition hash needs (it is not a security boundary).
 */
export function termHash(t: Term): number {
  const s = encodeTerm(t);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** k disjoint ranges covering the hash space, in order. */
export function splitRanges(k: number): PartitionRange[] {
  checkCount(k);
  const out: PartitionRange[] = [];
  for (let i = 0; i < k; i++) out.push({ lo: Math.floor((HASH_SPACE * i) / k), hi: Math.floor((HASH_SPACE * (i + 1)) / k) });
  return out;
}

function checkCount(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`split count must be a positive integer, got ${k}`);
}

/**
 * The shares of `parts` participants: [0, idEnd) (the ids the coordinator's store had allocated)
 * cut into parts × slicesPer slices of equal width dealt round-robin, the last one open to
 * ID_SPACE; computed values by splitRanges(parts).
 */
export function planShares(parts: number, idEnd: number, slicesPer = SLICES_PER_PART): PartitionShare[] {
  checkCount(parts);
  checkCount(slicesPer);
  const n = parts * slicesPer;
  const slices: PartitionRange[][] = Array.from({ length: parts }, () => []);
  const end = Math.max(0, Math.min(idEnd, ID_SPACE));
  for (let j = 0; j < n; j++) {
    const lo = Math.floor((end * j) / n);
    const hi = j === n - 1 ? ID_SPACE : Math.floor((end * (j + 1)) / n);
    if (lo >= hi) continue;
    const own = slices[j % parts]!;
    const last = own[own.length - 1];
    // One part (or a tiny store) gets adjacent slices: one seek instead of several.
    if (last !== undefined && last.hi === lo) own[own.length - 1] = { lo: last.lo, hi };
    else own.push({ lo, hi });
  }
  const terms = splitRanges(parts);
  return slices.map((s, part) => ({ part, parts, slices: s, terms: terms[part]! }));
}

/** Whether a dictionary id lies in one of the sorted, disjoint slices (binary search). */
export function inSlices(slices: readonly PartitionRange[], id: number): boolean {
  let a = 0;
  let b = slices.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    const s = slices[m]!;
    if (id < s.lo) b = m;
    else if (id >= s.hi) a = m + 1;
    else return true;
  }
  return false;
}

export function inRange(h: number, r: PartitionRange): boolean {
  return h >= r.lo && h < r.hi;
}

/** Whether the share owns an evaluator value: a stored term's id, or a computed term. */
export function owns(share: PartitionShare, v: number | Term): boolean {
  return typeof v === 'number' ? inSlices(share.slices, v) : inRange(termHash(v), share.terms);
}

/** Why a share from the wire is not one a coordinator makes, or undefined when it is well formed. */
export function shareProblem(share: PartitionShare): string | undefined {
  if (!Number.isInteger(share.parts) || share.parts < 1 || !Number.isInteger(share.part) || share.part < 0 || share.part >= share.parts) return `part ${share.part} of ${share.parts}`;
  if (share.slices.length > MAX_SLICES) return `${share.slices.length} id slices (at most ${MAX_SLICES})`;
  let prev = 0;
  for (const s of share.slices) {
    if (!Number.isInteger(s.lo) || !Number.isInteger(s.hi) || s.lo < prev || s.lo >= s.hi || s.hi > ID_SPACE) return `id slice [${s.lo}, ${s.hi}) is empty, out of order, overlapping or outside [0, 2^40)`;
    prev = s.hi;
  }
  const t = share.terms;
  if (!Number.isInteger(t.lo) || !Number.isInteger(t.hi) || t.lo < 0 || t.lo >= t.hi || t.hi > HASH_SPACE) return `term hash range [${t.lo}, ${t.hi}) is empty or outside [0, 2^32)`;
  return undefined;
}

export function rangeLabel(r: PartitionRange): string {
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  return `[0x${hex(r.lo)}, 0x${r.hi === HASH_SPACE ? '100000000' : hex(r.hi)})`;
}

/**
 * The share in a line, for explain and FEDERATION_INCOMPLETE: which part, its first and last id
 * slices (the details of the error carry every slice).
 */
export function shareLabel(share: PartitionShare): string {
  const slice = (s: PartitionRange): string => `[${s.lo}, ${s.hi === ID_SPACE ? '2^40' : s.hi})`;
  const n = share.slices.length;
  const ids = n === 0 ? 'no ids' : n === 1 ? `ids ${slice(share.slices[0]!)}` : `ids in ${n} slices ${slice(share.slices[0]!)}${n > 2 ? ' … ' : ' '}${slice(share.slices[n - 1]!)}`;
  return `part ${share.part + 1}/${share.parts} (${ids}; computed values hashing into ${rangeLabel(share.terms)})`;
}
