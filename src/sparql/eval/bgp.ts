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
  const base = patterns.map((p) => {
    const id = (t: Term): number | undefined | null => (isVar(t) ? valueOf(name(t)) : (ctx.data.lookup(t) ?? null));
    const [s, pr, o] = [id(p.subject), id(p.predicate), id(p.object)];
    // A constant the store has never seen matches nothing.
    const count = s === null || pr === null || o === null ? 0 : ctx.data.count(s, pr, o, graph);
    return { p, count };
  });
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
      pos.forEach((t, k) => {
        if (isVar(t) && known.has(name(t)) && valueOf(name(t)) === undefined) {
          connected = true;
          est = k === 0 ? Math.min(est, 4) : k === 2 ? Math.min(est, 64) : est / 8;
        }
      });
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
