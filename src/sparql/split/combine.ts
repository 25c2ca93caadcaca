import type { Term } from '@rdfjs/types';
import { encodeTerm, factory } from '../../rdf/index.js';
import { ExpressionError, callFunction, orderCompare, type FunctionContext } from '../functions/index.js';
import type { PartialPlan } from './plan.js';

type Solution = Readonly<Record<string, Term>>;

const XSD_INTEGER = factory.namedNode('http://www.w3.org/2001/XMLSchema#integer');
const integer = (n: number): Term => factory.literal(String(n), XSD_INTEGER);

/** Arithmetic only: no NOW/RAND/BNODE reach the fold. */
const ARITH: FunctionContext = {
  now: new Date(0),
  random: () => 0,
  uuid: () => '00000000-0000-4000-8000-000000000000',
  bnode: () => factory.blankNode('fold'),
};

interface Acc {
  readonly keys: Solution;
  /** Per aggregate: the parts' rows, in part order. */
  readonly parts: Solution[];
}

function count(t: Term | undefined): number {
  return t === undefined ? 0 : Number(t.value);
}

function add(a: Term | undefined, b: Term | undefined): Term | undefined {
  if (a === undefined || b === undefined) return undefined;
  try {
    return callFunction('+', [a, b], ARITH);
  } catch (e) {
    if (e instanceof ExpressionError) return undefined;
    throw e;
  }
}

/**
 * Folds the partial aggregates of every part into one row per group (keys + the original aggregate
 * variables), as the single-node evaluator would have computed them (eval/aggregates.ts):
 * - a SUM or AVG part that failed (an error value, a non-number) leaves the whole unbound;
 * - AVG of no values is 0; MIN/MAX ignore parts with no value; GROUP_CONCAT joins the non-empty parts.
 * An ungrouped query always has its one group, even when every part is empty.
 */
export function combinePartials(plan: PartialPlan, partRows: Iterable<Solution>): Solution[] {
  const groups = new Map<string, Acc>();
  for (const r of partRows) {
    const k = plan.groupVars.map((v) => (r[v] === undefined ? '' : encodeTerm(r[v]!))).join('\u0000');
    let acc = groups.get(k);
    if (acc === undefined) {
      const keys: Record<string, Term> = Object.create(null) as Record<string, Term>;
      for (const v of plan.groupVars) if (r[v] !== undefined) keys[v] = r[v]!;
      groups.set(k, (acc = { keys, parts: [] }));
    }
    acc.parts.push(r);
  }
  const out: Solution[] = [];
  for (const acc of groups.values()) {
    const row = Object.assign(Object.create(null) as Record<string, Term>, acc.keys);
    for (const a of plan.aggregates) {
      const v = fold(a, acc.parts);
      if (v !== undefined) row[a.variable] = v;
    }
    out.push(row);
  }
  return out;
}

function fold(a: PartialPlan['aggregates'][number], parts: readonly Solution[]): Term | undefined {
  switch (a.aggregator) {
    case 'count':
      return integer(parts.reduce((n, p) => n + count(p[a.count!]), 0));
    case 'sum': {
      let acc: Term | undefined = integer(0);
      for (const p of parts) acc = add(acc, p[a.sum!]);
      return acc;
    }
    case 'avg': {
      let acc: Term | undefined = integer(0);
      let n = 0;
      for (const p of parts) {
        acc = add(acc, p[a.sum!]);
        n += count(p[a.count!]);
      }
      if (acc === undefined) return undefined;
      if (n === 0) return integer(0);
      try {
        return callFunction('/', [acc, integer(n)], ARITH);
      } catch (e) {
        if (e instanceof ExpressionError) return undefined;
        throw e;
      }
    }
    case 'min':
    case 'max': {
      let best: Term | undefined;
      for (const p of parts) {
        const v = p[a.value!];
        if (v === undefined) continue;
        if (best === undefined) best = v;
        else {
          const c = orderCompare(v, best);
          if (a.aggregator === 'min' ? c < 0 : c > 0) best = v;
        }
      }
      return best;
    }
    case 'group_concat': {
      const texts: string[] = [];
      for (const p of parts) {
        const t = p[a.text!];
        if (t === undefined) return undefined;
        if (count(p[a.count!]) > 0) texts.push(t.value);
      }
      return factory.literal(texts.join(a.separator));
    }
  }
}
