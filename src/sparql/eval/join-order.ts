import type { Algebra } from '../parse/index.js';
import { planBgp } from './bgp.js';
import type { Context } from './context.js';
import { certainVars, inScopeVars } from './scope.js';

/**
 * Order of the inputs of a join: start from the most selective input, then always take a connected
 * one (sharing a variable already bound) with the lowest estimate, so bindings flow into index scans
 * instead of building cartesian products (LUBM's expanded queries join UNIONs of type patterns with
 * a BGP: in written order that is students × faculty before the BGP connects them).
 */
const UNKNOWN = 1e6;

export function estimate(ctx: Context, op: Algebra.Operation, bound: ReadonlySet<string>): number {
  switch (op.type) {
    case 'bgp': {
      const b = op as Algebra.Bgp;
      if (b.patterns.length === 0) return 1;
      const plan = planBgp(ctx, b.patterns, bound, 0);
      return Math.min(...plan.map((p) => p.estimate));
    }
    case 'union':
      return (op as Algebra.Union).input.reduce((sum, i) => sum + estimate(ctx, i, bound), 0);
    case 'join':
      return Math.min(...(op as Algebra.Join).input.map((i) => estimate(ctx, i, bound)));
    case 'leftjoin':
    case 'minus':
      return estimate(ctx, (op as Algebra.Double).input[0], bound);
    case 'filter':
    case 'extend':
    case 'distinct':
    case 'reduced':
    case 'project':
    case 'graph':
      return estimate(ctx, (op as Algebra.Single).input, bound);
    case 'values':
      return (op as Algebra.Values).bindings.length;
    default:
      return UNKNOWN;
  }
}

export function orderJoin(ctx: Context, inputs: readonly Algebra.Operation[], bound: ReadonlySet<string>): Algebra.Operation[] {
  if (inputs.length < 2) return [...inputs];
  const known = new Set(bound);
  const remaining = [...inputs];
  const out: Algebra.Operation[] = [];
  while (remaining.length > 0) {
    let best = -1;
    let bestScore = Infinity;
    remaining.forEach((op, i) => {
      const vars = inScopeVars(op);
      const connected = out.length === 0 || [...vars].some((v) => known.has(v));
      const score = estimate(ctx, op, known) * (connected ? 1 : 1e6);
      if (score < bestScore) {
        bestScore = score;
        best = i;
      }
    });
    const chosen = remaining.splice(best < 0 ? 0 : best, 1)[0]!;
    out.push(chosen);
    for (const v of certainVars(chosen)) known.add(v);
  }
  return out;
}
