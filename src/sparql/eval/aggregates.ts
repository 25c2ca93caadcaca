import type { Term } from '@rdfjs/types';
import { factory } from '../../rdf/index.js';
import { ExpressionError, callFunction, orderCompare } from '../functions/index.js';
import type { Algebra } from '../parse/index.js';
import type { ActiveGraph } from './context.js';
import type { Evaluator } from './evaluate.js';
import { rowKey, valKey, type Row } from './rows.js';

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const integer = (n: number): Term => factory.literal(String(n), factory.namedNode(`${XSD}integer`));

/** GROUP BY with its aggregates (§18.5): one output row per group (one for an empty ungrouped input). */
export function* computeAggregates(ev: Evaluator, op: Algebra.Group, input: Iterable<Row>, g: ActiveGraph): Generator<Row> {
  const ctx = ev.ctx;
  const keySlots = op.variables.map((v) => ev.slot(v.value));
  const groups = new Map<string, Row[]>();
  for (const r of input) {
    ctx.tick();
    const k = rowKey(r, keySlots);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [r]);
    else list.push(r);
    ctx.hold(r.length);
  }
  if (groups.size === 0 && keySlots.length === 0) groups.set('', []);
  for (const rows of groups.values()) {
    const out: Row = [];
    const first = rows[0];
    if (first !== undefined) for (const s of keySlots) if (first[s] !== undefined) out[s] = first[s];
    for (const agg of op.aggregates) {
      const v = aggregate(ev, agg, rows, g);
      if (v !== undefined) out[ev.slot(agg.variable.value)] = ctx.canon(v);
    }
    yield out;
  }
}

/** The values an aggregate sees: errors and unbound values are dropped (and noted). */
function values(ev: Evaluator, agg: Algebra.BoundAggregate, rows: readonly Row[], g: ActiveGraph): { vals: Term[]; errors: number } {
  const vals: Term[] = [];
  let errors = 0;
  const seen = agg.distinct ? new Set<string>() : undefined;
  for (const r of rows) {
    ev.expr.newRow();
    let t: Term | undefined;
    try {
      t = ev.expr.eval(agg.expression, r);
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      errors++;
      continue;
    }
    if (seen !== undefined) {
      const k = valKey(t);
      if (seen.has(k)) continue;
      seen.add(k);
    }
    vals.push(t);
  }
  void g;
  return { vals, errors };
}

function aggregate(ev: Evaluator, agg: Algebra.BoundAggregate, rows: readonly Row[], g: ActiveGraph): Term | undefined {
  if (agg.aggregator === 'count' && agg.expression.expressionType === 'wildcard') {
    if (!agg.distinct) return integer(rows.length);
    const all = Array.from({ length: ev.ctx.vars.size }, (_, i) => i);
    return integer(new Set(rows.map((r) => rowKey(r, all))).size);
  }
  const { vals, errors } = values(ev, agg, rows, g);
  try {
    switch (agg.aggregator) {
      case 'count':
        return integer(vals.length);
      case 'sum': {
        if (errors > 0) return undefined;
        let acc: Term = integer(0);
        for (const v of vals) acc = callFunction('+', [acc, v], fctx(ev));
        return acc;
      }
      case 'avg': {
        if (errors > 0) return undefined;
        if (vals.length === 0) return integer(0);
        let acc: Term = integer(0);
        for (const v of vals) acc = callFunction('+', [acc, v], fctx(ev));
        return callFunction('/', [acc, integer(vals.length)], fctx(ev));
      }
      case 'min':
      case 'max': {
        let best: Term | undefined;
        for (const v of vals) {
          if (best === undefined) best = v;
          else {
            const c = orderCompare(v, best);
            if (agg.aggregator === 'min' ? c < 0 : c > 0) best = v;
          }
        }
        return best;
      }
      case 'sample':
        return vals[0];
      case 'group_concat': {
        if (errors > 0) return undefined;
        const sep = (agg as Algebra.GroupConcatExpression).separator ?? ' ';
        return factory.literal(vals.map((v) => v.value).join(sep));
      }
    }
  } catch (e) {
    if (e instanceof ExpressionError) return undefined;
    throw e;
  }
  return undefined;
}

function fctx(ev: Evaluator): Parameters<typeof callFunction>[2] {
  return ev.expr.functionContext;
}
