import type { Term } from '@rdfjs/types';
import type { QueryableDataset } from '../eval/dataset.js';
import type { Algebra } from '../parse/index.js';

/**
 * A rough cost of a query for routing (KNOWD_FEDERATION_MIN_COST): the rows its scans start from.
 * A basic graph pattern costs its most selective pattern's exact count (the evaluator starts there
 * and joins from it); operators add up their inputs. It ranks queries, it does not predict time.
 */
export function estimateCost(op: Algebra.Operation, data: QueryableDataset): number {
  switch (op.type) {
    case 'bgp': {
      const ps = (op as Algebra.Bgp).patterns;
      if (ps.length === 0) return 1;
      let best = Infinity;
      for (const p of ps) best = Math.min(best, patternCount(p.subject, p.predicate, p.object, data));
      return best;
    }
    case 'path': {
      const p = op as Algebra.Path;
      // A path walks from its bound end; unbound ends walk from every node with the first predicate.
      return patternCount(p.subject, { termType: 'Variable', value: '' } as Term, p.object, data);
    }
    default: {
      const input = (op as { input?: Algebra.Operation | Algebra.Operation[] }).input;
      if (input === undefined) return 1;
      return (Array.isArray(input) ? input : [input]).reduce((n, i) => n + estimateCost(i, data), 0);
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
