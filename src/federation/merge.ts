import type { Term } from '@rdfjs/types';
import type { PartVal } from '../engine/index.js';
import { combinePartials, mergedValues, type ParsedQuery, type SplitPlan, type Val, type ValRows } from '../sparql/index.js';

export type Solution = Readonly<Record<string, Term>>;

/**
 * What one participant returned for its range. Rows are flat: `vals` holds `rows` × (the part's
 * variable count) values, ids of the coordinator's store or terms (engine/part-lines.ts).
 */
export type PartResult = { readonly kind: 'bindings'; readonly rows: number; readonly vals: readonly PartVal[] } | { readonly kind: 'boolean'; readonly value: boolean };

/**
 * The answer of a split query from its parts: final (ASK, or rows that need no modifier), or a
 * query the coordinator runs over the merged rows on its own snapshot (the solution modifiers:
 * DISTINCT, ORDER BY, OFFSET/LIMIT, HAVING, select expressions), so they are applied once, with
 * exactly the single-node semantics. Pure but lazy: `term` decodes an id in the coordinator's
 * snapshot, so the rows must be read while it is open.
 */
export type Gathered =
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'rows'; readonly vars: readonly string[]; readonly rows: Iterable<Solution>; readonly vals: ValRows }
  | { readonly kind: 'finish'; readonly query: ParsedQuery };

export function gather(plan: SplitPlan, vars: readonly string[], parts: readonly PartResult[], term: (id: number) => Term): Gathered {
  if (plan.kind === 'ask') return { kind: 'boolean', value: parts.some((p) => p.kind === 'boolean' && p.value) };
  const shipped = plan.participant.variables;
  const rows = (): Generator<Solution> => solutions(shipped, parts, term);
  if (plan.kind === 'partial') {
    const folded = combinePartials(plan, rows());
    return { kind: 'finish', query: plan.top(mergedValues([...plan.groupVars, ...plan.aggregates.map((a) => a.variable)], folded)) };
  }
  // No modifier: the parts' variables are the query's (split/plan.ts), so the values go out as they came.
  if (plan.top === undefined) return { kind: 'rows', vars, rows: rows(), vals: { rows: valRows(vars.length, parts), term: (v: Val) => (typeof v === 'number' ? term(v) : v) } };
  return { kind: 'finish', query: plan.top(mergedValues(shipped, rows(), valRows(shipped.length, parts))) };
}

/** The parts' rows as solutions, ids decoded as they are read (as a local query decodes for output). */
function* solutions(vars: readonly string[], parts: readonly PartResult[], term: (id: number) => Term): Generator<Solution> {
  const width = vars.length;
  for (const p of parts) {
    if (p.kind !== 'bindings') continue;
    const vals = p.vals;
    for (let r = 0, at = 0; r < p.rows; r++, at += width) {
      // No prototype: a variable named ?__proto__ must stay a binding.
      const sol = Object.create(null) as Record<string, Term>;
      for (let i = 0; i < width; i++) {
        const v = vals[at + i];
        if (v !== undefined) sol[vars[i]!] = typeof v === 'number' ? term(v) : v;
      }
      yield sol;
    }
  }
}

function* valRows(width: number, parts: readonly PartResult[]): Generator<readonly PartVal[]> {
  for (const p of parts) {
    if (p.kind !== 'bindings') continue;
    for (let r = 0, at = 0; r < p.rows; r++, at += width) yield p.vals.slice(at, at + width);
  }
}
