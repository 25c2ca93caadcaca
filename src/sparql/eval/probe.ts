import type { Context } from './context.js';
import type { IdQuad, IdSlice } from './dataset.js';

/**
 * The inner side of an index nested-loop join, made adaptive: one place in the query (a triple
 * pattern, a path link) that is matched again and again with values from the outer rows.
 *
 * Each probe is one index scan, and on LMDB a scan costs as much as reading about a dozen keys
 * (cursor set-up and the range iterator of lmdb-js: ~4 µs, against ~0.3 µs a raw key). When the outer
 * side is large, reading every quad that matches the constants once and hashing it on the
 * positions the outer rows fill is cheaper: a hash join. The planner's estimates are too rough to
 * choose ahead of time, so the site starts with scans, counts its probes, and builds the hash table
 * once the scans done so far would have paid for it (probes × keys-per-scan ≥ quads to read). At
 * that point the scans have cost at most about as much as the build, so a wrong guess costs at
 * most ~2×, while a right one turns the rest of the probes into map lookups. Repeated probes with
 * the same values (one cursor per distinct prefix) come for free.
 */
const MIN_PROBES = 16;
/**
 * Cost of one probe in quads read into the table (measured on LUBM: a scan ~4–8 µs, an existence
 * check, i.e. all positions bound, one B-tree get ~0.8 µs; a quad read and hashed ~1 µs).
 * Remeasured warm on LUBM(1) rdf:type (18k quads): a get through the dataset ~1.4 µs, a scan
 * ~3.4 µs, a quad read into a table keyed by one id ~0.55 µs, by a string of two ids ~0.8 µs. So a
 * get is worth ~2.5 quads of a table keyed by one id (ResearchGroup checks in LUBM q11x), and about
 * one of a table keyed by a string, where the probes also build their key strings.
 */
const KEYS_PER_SCAN = 6;
const KEYS_PER_GET = 1;
const KEYS_PER_GET_ONE_ID = 2.5;
/** Largest hash table built (quads); larger inner sides keep scanning. */
const MAX_INDEX_QUADS = 4_000_000;
const NONE: readonly IdQuad[] = [];
/** Probes of a site that may seek to a federated part's id slices (seek()). */
const SEEK_PROBES = 4;

export class ProbeSite {
  private probes = 0;
  /** Probes after which the table is built; undefined until the constant-only count is known. */
  private threshold: number | undefined;
  private table: Map<number | string, IdQuad[]> | undefined;
  private readonly varying: readonly (0 | 1 | 2)[];

  /**
   * `fixed` are the ids of the positions that are the same for every probe (query constants);
   * `varying` marks the positions the outer rows fill, which every probe passes bound.
   */
  constructor(
    private readonly ctx: Context,
    private readonly fixed: readonly [number | undefined, number | undefined, number | undefined],
    varying: readonly [boolean, boolean, boolean],
    private readonly graph: number,
  ) {
    this.varying = ([0, 1, 2] as const).filter((i) => varying[i]);
  }

  match(s: number | undefined, p: number | undefined, o: number | undefined): Iterable<IdQuad> {
    const t = this.table;
    if (t !== undefined) return t.get(this.key(s, p, o)) ?? NONE;
    if (++this.probes >= MIN_PROBES && this.pays()) return this.build().get(this.key(s, p, o)) ?? NONE;
    return this.ctx.data.match(s, p, o, this.graph);
  }

  /**
   * A federated part's probe that may seek to the part's id slices at position `at` (evaluate.ts):
   * only for the first SEEK_PROBES probes of the site. The outer side is tiny so far, so each probe
   * is likely a large scan (the start of a part, or a few VALUES rows: LUBM q06x), and a wrong
   * guess costs at most SEEK_PROBES × slices short seeks. Later probes go the usual way (the caller
   * filters). Undefined: no seek here.
   */
  seek(s: number | undefined, p: number | undefined, o: number | undefined, at: 0 | 1 | 2, slices: readonly IdSlice[]): Iterable<IdQuad> | undefined {
    if (this.table !== undefined || this.probes >= SEEK_PROBES || this.ctx.data.seek === undefined) return undefined;
    const quads = this.ctx.data.seek(s, p, o, this.graph, at, slices);
    if (quads !== undefined) this.probes++;
    return quads;
  }

  private pays(): boolean {
    if (this.threshold === undefined) {
      const [fs, fp, fo] = this.fixed;
      const quads = this.ctx.count(fs, fp, fo, this.graph);
      const allBound = this.varying.length + this.fixed.filter((x) => x !== undefined).length === 3;
      const perProbe = !allBound ? KEYS_PER_SCAN : this.varying.length === 1 ? KEYS_PER_GET_ONE_ID : KEYS_PER_GET;
      this.threshold = quads > MAX_INDEX_QUADS ? Infinity : Math.max(MIN_PROBES, quads / perProbe);
    }
    return this.probes >= this.threshold;
  }

  private build(): Map<number | string, IdQuad[]> {
    const [fs, fp, fo] = this.fixed;
    const table = new Map<number | string, IdQuad[]>();
    let n = 0;
    for (const q of this.ctx.data.match(fs, fp, fo, this.graph)) {
      this.ctx.tick();
      const k = this.key(q[0], q[1], q[2]);
      const list = table.get(k);
      if (list === undefined) table.set(k, [q]);
      else list.push(q);
      n++;
    }
    this.ctx.hold(n * 4);
    this.table = table;
    return table;
  }

  /** The hash key of the varying positions: the id itself when there is one, else the ids joined. */
  private key(s: number | undefined, p: number | undefined, o: number | undefined): number | string {
    const v = this.varying;
    if (v.length === 1) return (v[0] === 0 ? s : v[0] === 1 ? p : o)!;
    let k = '';
    for (let i = 0; i < v.length; i++) k += `${v[i] === 0 ? s : v[i] === 1 ? p : o},`;
    return k;
  }
}
