import type { Term } from '@rdfjs/types';
import { factory } from '../../rdf/index.js';
import { ExpressionError, callFunction, orderCompare } from '../functions/index.js';
import type { Algebra } from '../parse/index.js';
import type { ActiveGraph } from './context.js';
import type { Evaluator } from './evaluate.js';
import { rowKey, valKey, type Row } from './rows.js';

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const integer = (n: number): Term => factory.literal(String(n), factory.namedNode(`${XSD}integer`));

/**
 * GROUP BY with its aggregates (§18.5): one output row per group (one for an empty ungrouped input).
 * Rows are folded into per-group accumulators as they arrive, so a group holds its key values, its
 * running counts and sums, and only what an aggregate must keep (DISTINCT's seen values, GROUP_CONCAT's
 * strings): COUNT(*) over millions of rows holds one number, not the rows.
 */
export function* computeAggregates(ev: Evaluator, op: Algebra.Group, input: Iterable<Row>, g: ActiveGraph): Generator<Row> {
  void g;
  const ctx = ev.ctx;
  const keySlots = op.variables.map((v) => ev.slot(v.value));
  const outSlots = op.aggregates.map((a) => ev.slot(a.variable.value));
  const groups = new Map<string, Group>();
  const newGroup = (first: Row | undefined): Group => {
    const key: Row = [];
    if (first !== undefined) for (const s of keySlots) if (first[s] !== undefined) key[s] = first[s];
    ctx.hold(keySlots.length + op.aggregates.length);
    return { key, accs: op.aggregates.map((agg) => accumulator(ev, agg)) };
  };
  for (const r of input) {
    ctx.tick();
    const k = rowKey(r, keySlots);
    let group = groups.get(k);
    if (group === undefined) groups.set(k, (group = newGroup(r)));
    for (const acc of group.accs) acc.add(r);
  }
  if (groups.size === 0 && keySlots.length === 0) groups.set('', newGroup(undefined));
  for (const { key, accs } of groups.values()) {
    const out: Row = key;
    accs.forEach((acc, i) => {
      const v = acc.result();
      if (v !== undefined) out[outSlots[i] as number] = ctx.canon(v);
    });
    yield out;
  }
}

interface Group {
  /** The group's key values (the other slots stay empty, to be filled with the aggregates). */
  readonly key: Row;
  readonly accs: readonly Accumulator[];
}

interface Accumulator {
  add(r: Row): void;
  /** undefined: the aggregate is an error, so its variable stays unbound. */
  result(): Term | undefined;
}

/**
 * The running state of one aggregate over one group. Expression errors and unbound values are dropped
 * (COUNT, MIN, MAX, SAMPLE skip them; SUM, AVG and GROUP_CONCAT become errors), values repeated under
 * DISTINCT are skipped, and an error while combining (adding a string) makes the whole aggregate an error.
 */
function accumulator(ev: Evaluator, agg: Algebra.BoundAggregate): Accumulator {
  const ctx = ev.ctx;
  if (agg.aggregator === 'count' && agg.expression.expressionType === 'wildcard') {
    if (!agg.distinct) {
      let n = 0;
      return { add: () => void n++, result: () => integer(n) };
    }
    const all = Array.from({ length: ctx.vars.size }, (_, i) => i);
    const seen = new Set<string>();
    return {
      add: (r) => {
        const k = rowKey(r, all);
        if (seen.has(k)) return;
        seen.add(k);
        ctx.hold(1);
      },
      result: () => integer(seen.size),
    };
  }
  const seen = agg.distinct ? new Set<string>() : undefined;
  let errors = 0;
  let failed = false;
  let n = 0;
  let acc: Term | undefined;
  const parts: string[] = [];
  const fold = (v: Term): void => {
    switch (agg.aggregator) {
      case 'count':
        return;
      case 'sum':
      case 'avg':
        acc = callFunction('+', [acc ?? integer(0), v], fctx(ev));
        return;
      case 'min':
      case 'max': {
        if (acc === undefined) acc = v;
        else {
          const c = orderCompare(v, acc);
          if (agg.aggregator === 'min' ? c < 0 : c > 0) acc = v;
        }
        return;
      }
      case 'sample':
        acc ??= v;
        return;
      case 'group_concat':
        parts.push(v.value);
        ctx.hold(1);
        return;
    }
  };
  return {
    add: (r) => {
      ev.expr.newRow();
      let t: Term;
      try {
        t = ev.expr.eval(agg.expression, r);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        errors++;
        return;
      }
      if (seen !== undefined) {
        const k = valKey(t);
        if (seen.has(k)) return;
        seen.add(k);
        ctx.hold(1);
      }
      n++;
      if (failed) return;
      try {
        fold(t);
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        failed = true;
      }
    },
    result: () => {
      if (failed) return undefined;
      try {
        switch (agg.aggregator) {
          case 'count':
            return integer(n);
          case 'sum':
            return errors > 0 ? undefined : (acc ?? integer(0));
          case 'avg':
            if (errors > 0) return undefined;
            return n === 0 ? integer(0) : callFunction('/', [acc ?? integer(0), integer(n)], fctx(ev));
          case 'min':
          case 'max':
          case 'sample':
            return acc;
          case 'group_concat':
            return errors > 0 ? undefined : factory.literal(parts.join((agg as Algebra.GroupConcatExpression).separator ?? ' '));
        }
      } catch (e) {
        if (e instanceof ExpressionError) return undefined;
        throw e;
      }
      return undefined;
    },
  };
}

function fctx(ev: Evaluator): Parameters<typeof callFunction>[2] {
  return ev.expr.functionContext;
}
