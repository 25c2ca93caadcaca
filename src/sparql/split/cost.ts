import type { Term } from '@rdfjs/types';
import { planBgp } from '../eval/bgp.js';
import { Context } from '../eval/context.js';
import type { QueryableDataset } from '../eval/dataset.js';
import type { Algebra } from '../parse/index.js';

const COST_MAX = 1e15;

/**
 * A rough cost of a query for routing (KNOWD_FEDERATION_MIN_COST): the rows its joins go through.
 * A basic graph pattern is costed along the evaluator's own join order (eval/bgp.ts: exact counts,
 * its discount for bound positions as the fan-out of each step), summing the rows after each step;
 * operators add up their inputs. It ranks queries, it does not predict time.
 */
export function estimateCost(op: Algebra.Operation, data: QueryableDataset): number {
  switch (op.type) {
    case 'bgp': {
      const ps = (op as Algebra.Bgp).patterns;
      if (ps.length === 0) return 1;
      const ctx = new Context(data, { deadlineMs: Infinity, timeoutMs: 0, maxHeldValues: Infinity, nowMs: () => 0 });
      let rows = 1;
      let cost = 0;
      for (const step of planBgp(ctx, ps, new Set(), 0)) {
        rows = Math.min(COST_MAX, rows * Math.max(step.estimate, 1e-3));
        cost = Math.min(COST_MAX, cost + rows);
      }
      return Math.round(cost);
    }
    case 'path': {
      const p = op as Algebra.Path;
      // A path walks from its bound end; unbound ends walk from every node with the first predicate.
      return patternCount(p.subject, { termType: 'Variable', value: '' } as Term, p.object, data);
    }
    default: {
      const input = (op as { input?: Algebra.Operation | Algebra.Operation[] }).input;
      if (input === undefined) return 1;
      return Math.min(COST_MAX, (Array.isArray(input) ? input : [input]).reduce((n, i) => n + estimateCost(i, data), 0));
    }
  }
}

/** The exact count of a triple pattern's matches in the default graph (variables free). */
export function patternCost(p: Algebra.Pattern, data: QueryableDataset): number {
  return patternCount(p.subject, p.predicate, p.object, data);
}

function patternCount(s: Term, p: Term, o: Term, data: QueryableDataset): number {
  const id = (t: Term): number | undefined | null => (t.termType === 'Variable' || t.termType === 'BlankNode' ? undefined : (data.lookup(t) ?? null));
  const [si, pi, oi] = [id(s), id(p), id(o)];
  if (si === null || pi === null || oi === null) return 0;
  return data.count(si, pi, oi, 0);
}
