import type { Term } from '@rdfjs/types';
import type { Algebra } from '../parse/index.js';
import type { Context } from './context.js';

/**
 * Join order for a basic graph pattern: greedy by estimated cardinality, where estimates come from
 * the store's exact counts for the constant positions, discounted for positions bound by earlier
 * patterns, and patterns that share no bound variable (cartesian products) go last.
 */
export interface PlannedPattern {
  readonly pattern: Algebra.Pattern;
  readonly estimate: number;
}

function isVar(t: Term): boolean {
  return t.termType === 'Variable' || t.termType === 'BlankNode';
}

function name(t: Term): string {
  return t.termType === 'BlankNode' ? `_:${t.value}` : t.value;
}

export function planBgp(
  ctx: Context,
  patterns: readonly Algebra.Pattern[],
  bound: ReadonlySet<string>,
  graph: number | 'named',
  valueOf: (name: string) => number | undefined = () => undefined,
): PlannedPattern[] {
  // Variables already bound to a known value (passed into this BGP) count as constants: exact counts
  // with the real value beat any guess about selectivity.
  const id = (t: Term): number | undefined | null => (isVar(t) ? valueOf(name(t)) : (ctx.data.lookup(t) ?? null));
  const ids = patterns.map((p) => [id(p.subject), id(p.predicate), id(p.object)] as const);
  // A pattern that matches nothing empties the whole BGP: it goes first, and the other patterns
  // are not counted (range counts are linear in the matches). First a constant the store has never
  // seen, which costs no count at all.
  const unknown = ids.findIndex((x) => x.includes(null));
  if (unknown >= 0) return emptyFirst(patterns, unknown);
  const base: { p: Algebra.Pattern; count: number }[] = [];
  for (let i = 0; i < patterns.length; i++) {
    const [s, pr, o] = ids[i]!;
    const count = ctx.count(s ?? undefined, pr ?? undefined, o ?? undefined, graph);
    if (count === 0) return emptyFirst(patterns, i);
    base.push({ p: patterns[i]!, count });
  }
  const remaining = [...base];
  const known = new Set(bound);
  const out: PlannedPattern[] = [];
  while (remaining.length > 0) {
    let best = 0;
    let bestScore = Infinity;
    remaining.forEach((c, i) => {
      let est = c.count;
      let connected = known.size === 0 || out.length === 0;
      const pos = [c.p.subject, c.p.predicate, c.p.object] as const;
      let joined = false;
      pos.forEach((t, k) => {
        if (isVar(t) && known.has(name(t)) && valueOf(name(t)) === undefined) {
          connected = joined = true;
          est = k === 0 ? Math.min(est, 4) : k === 2 ? Math.min(est, 64) : est / 8;
        }
      });
      // Subject and object both fixed by then: a membership test that can only drop rows, so it goes
      // before a pattern that fans out from the subject (LUBM q09x: `?x :takesCourse ?z` before `?x a ?s`).
      const fixed = (t: Term): boolean => !isVar(t) || known.has(name(t));
      if (joined && fixed(c.p.subject) && fixed(c.p.object)) est = Math.min(est, 1);
      const allVarsFree = pos.every((t) => !isVar(t) || !known.has(name(t)));
      if (!connected && allVarsFree && out.length > 0) est = est * 1e6 + 1e6;
      if (est < bestScore) {
        bestScore = est;
        best = i;
      }
    });
    const chosen = remaining.splice(best, 1)[0]!;
    out.push({ pattern: chosen.p, estimate: bestScore });
    for (const t of [chosen.p.subject, chosen.p.predicate, chosen.p.object]) if (isVar(t)) known.add(name(t));
  }
  return out;
}

/** The plan of a BGP that has no solutions: the pattern that matches nothing, then the rest as written. */
function emptyFirst(patterns: readonly Algebra.Pattern[], empty: number): PlannedPattern[] {
  return [{ pattern: patterns[empty]!, estimate: 0 }, ...patterns.filter((_, i) => i !== empty).map((pattern) => ({ pattern, estimate: 0 }))];
}
