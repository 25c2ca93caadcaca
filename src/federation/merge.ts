import type { Term } from '@rdfjs/types';
import { combinePartials, mergedValues, type ParsedQuery, type SplitPlan } from '../sparql/index.js';

export type Solution = Readonly<Record<string, Term>>;

/** What one participant returned for its range. */
export type PartResult = { readonly kind: 'bindings'; readonly rows: readonly Solution[] } | { readonly kind: 'boolean'; readonly value: boolean };

/**
 * The answer of a split query from its parts: final (ASK, or rows that need no modifier), or a
 * query the coordinator runs over the merged rows on its own snapshot (the solution modifiers:
 * DISTINCT, ORDER BY, OFFSET/LIMIT, HAVING, select expressions), so they are applied once, with
 * exactly the single-node semantics. Pure.
 */
export type Gathered =
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'rows'; readonly vars: readonly string[]; readonly rows: Iterable<Solution> }
  | { readonly kind: 'finish'; readonly query: ParsedQuery };

export function gather(plan: SplitPlan, vars: readonly string[], parts: readonly PartResult[]): Gathered {
  if (plan.kind === 'ask') return { kind: 'boolean', value: parts.some((p) => p.kind === 'boolean' && p.value) };
  const rows = function* (): Generator<Solution> {
    for (const p of parts) if (p.kind === 'bindings') yield* p.rows;
  };
  if (plan.kind === 'partial') {
    const folded = combinePartials(plan, rows());
    return { kind: 'finish', query: plan.top(mergedValues([...plan.groupVars, ...plan.aggregates.map((a) => a.variable)], folded)) };
  }
  if (plan.top === undefined) return { kind: 'rows', vars, rows: rows() };
  return { kind: 'finish', query: plan.top(mergedValues(plan.participant.variables, rows())) };
}
