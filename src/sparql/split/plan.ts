import type { Term } from '@rdfjs/types';
import { factory } from '../../rdf/index.js';
import type { Algebra, ParsedQuery } from '../parse/index.js';
import { SIMILAR_TO } from '../eval/similar.js';
import { withKnownValues } from '../eval/known-values.js';
import type { Val } from '../eval/rows.js';
import { certainVars, inScopeVars } from '../eval/scope.js';

/**
 * Splitting a query into parts that run on several nodes (federated execution), as a pure function
 * of the prepared algebra (query.ts prepareQuery): the coordinator and every participant compute
 * the same plan from the same text, so only the query and a hash range travel.
 *
 * The shape: [slice][distinct][project][orderby][extend/filter…][group] core
 * - The core (the WHERE pattern) runs on every participant, restricted to solutions whose driving
 *   variable hashes into the participant's range. The variable must be bound in every solution of
 *   the core by one of the checked scans ("points"): then Filter(core, inRange) partitions the
 *   core's solutions exactly, and the check sits at the scan that binds it (pushed into evaluation).
 *   Points are only required triple patterns / paths reachable through join, left side of OPTIONAL
 *   and MINUS, FILTER, BIND, GRAPH, FROM and UNION (all branches): never inside subqueries,
 *   EXISTS, or the optional / subtracted side, whose own solutions must stay whole.
 * - Solution modifiers above the core run once, at the coordinator, over the union of the parts
 *   (a VALUES of the shipped rows): DISTINCT dedupes there, ORDER BY sorts there, OFFSET/LIMIT are
 *   applied there once. With ORDER BY + LIMIT (no DISTINCT) each part is trimmed to its own top
 *   offset+limit first, which is enough for the global top.
 * - GROUP BY: when the driving variable is a grouping key, each group lies wholly in one part and
 *   groups run on the participants ('rows'); otherwise participants compute partial aggregates
 *   ('partial': COUNT, SUM, MIN, MAX, AVG as sum + count, GROUP_CONCAT as text + count) that
 *   combine.ts folds. SAMPLE and DISTINCT aggregates (other than MIN/MAX) cannot be folded from parts:
 *   such a query runs on one node unless a grouping key can drive the split.
 * - ASK: each part asks its range; any true answers.
 */

export type SplitDecision = { readonly splittable: true; readonly plan: SplitPlan } | { readonly splittable: false; readonly reason: string };

export interface PartialAggregate {
  /** The variable the original aggregate binds (the coordinator binds it from the folded parts). */
  readonly variable: string;
  readonly aggregator: 'count' | 'sum' | 'avg' | 'min' | 'max' | 'group_concat';
  readonly separator: string;
  /** Shipped part variables: the count, the sum, the min/max value, the concatenated text. */
  readonly count?: string;
  readonly sum?: string;
  readonly value?: string;
  readonly text?: string;
}

interface PlanBase {
  readonly driving: string;
  /** Where the range is checked (pattern and path objects of `participant.algebra`). */
  readonly points: ReadonlySet<object>;
  /** What each participant runs (with its range as QueryOptions.partition). */
  readonly participant: ParsedQuery;
  /** Human-readable: how the plan was made, for explain. */
  readonly notes: readonly string[];
}

export interface RowsPlan extends PlanBase {
  readonly kind: 'rows';
  /**
   * The coordinator's query over the merged rows; undefined when the rows are already the answer
   * (only a projection above the core).
   */
  readonly top: ((rows: Algebra.Values) => ParsedQuery) | undefined;
}

export interface PartialPlan extends PlanBase {
  readonly kind: 'partial';
  readonly groupVars: readonly string[];
  readonly aggregates: readonly PartialAggregate[];
  readonly top: (rows: Algebra.Values) => ParsedQuery;
}

export interface AskPlan extends PlanBase {
  readonly kind: 'ask';
}

export type SplitPlan = RowsPlan | PartialPlan | AskPlan;

const no = (reason: string): SplitDecision => ({ splittable: false, reason });

/** Modifiers peeled off the top of a SELECT. */
const LAYERS = new Set(['slice', 'distinct', 'reduced', 'project', 'orderby', 'from', 'extend', 'filter']);

function inputOf(op: Algebra.Operation): Algebra.Operation {
  return (op as Algebra.Single).input;
}

function withInput(op: Algebra.Operation, input: Algebra.Operation): Algebra.Operation {
  return { ...op, input } as Algebra.Operation;
}

function isVar(t: Term, name: string): boolean {
  return (t.termType === 'Variable' && t.value === name) || (t.termType === 'BlankNode' && `_:${t.value}` === name);
}

/** Every operator of a tree, expressions' EXISTS patterns included. */
function* walk(op: Algebra.Operation): Generator<Algebra.Operation> {
  yield op;
  const input = (op as { input?: Algebra.Operation | Algebra.Operation[] }).input;
  if (Array.isArray(input)) for (const i of input) yield* walk(i);
  else if (input !== undefined) yield* walk(input);
  for (const e of ownExpressions(op)) for (const x of expressionOps(e)) yield* walk(x);
}

function ownExpressions(op: Algebra.Operation): Algebra.Expression[] {
  switch (op.type) {
    case 'filter':
    case 'extend':
      return [(op as Algebra.Filter).expression];
    case 'leftjoin':
      return (op as Algebra.LeftJoin).expression === undefined ? [] : [(op as Algebra.LeftJoin).expression!];
    case 'orderby':
      return [...(op as Algebra.OrderBy).expressions];
    case 'group':
      return (op as Algebra.Group).aggregates.map((a) => a.expression);
    default:
      return [];
  }
}

/** The patterns of EXISTS inside an expression. */
function expressionOps(e: Algebra.Expression): Algebra.Operation[] {
  if (e.expressionType === 'existence') return [(e as Algebra.ExistenceExpression).input];
  if (e.expressionType === 'operator' || e.expressionType === 'named') return (e as Algebra.OperatorExpression).args.flatMap(expressionOps);
  if (e.expressionType === 'aggregate') return expressionOps((e as Algebra.AggregateExpression).expression);
  return [];
}

/** Variables an expression reads; `exists` is set when it has an EXISTS (which may read any). */
function expressionVars(e: Algebra.Expression, out: Set<string>): boolean {
  switch (e.expressionType) {
    case 'term':
      if ((e as Algebra.TermExpression).term.termType === 'Variable') out.add((e as Algebra.TermExpression).term.value);
      return false;
    case 'operator':
    case 'named': {
      let ex = false;
      for (const a of (e as Algebra.OperatorExpression).args) ex = expressionVars(a, out) || ex;
      return ex;
    }
    case 'aggregate':
      return expressionVars((e as Algebra.AggregateExpression).expression, out);
    case 'existence':
      return true;
    default:
      return false;
  }
}

/** The scans at which the range of `x` is checked, or undefined when some solution could escape them. */
function pointsFor(op: Algebra.Operation, x: string): Set<object> | undefined {
  switch (op.type) {
    case 'bgp': {
      const bgp = op as Algebra.Bgp;
      if (bgp.patterns.some((p) => p.predicate.termType === 'NamedNode' && p.predicate.value.startsWith(SIMILAR_TO))) return undefined;
      const ps = bgp.patterns.filter((p) => [p.subject, p.predicate, p.object, p.graph].some((t) => isVar(t, x)));
      return ps.length === 0 ? undefined : new Set(ps);
    }
    case 'path': {
      const p = op as Algebra.Path;
      return isVar(p.subject, x) || isVar(p.object, x) ? new Set([op]) : undefined;
    }
    case 'join': {
      const out = new Set<object>();
      for (const i of (op as Algebra.Join).input) for (const p of pointsFor(i, x) ?? []) out.add(p);
      return out.size === 0 ? undefined : out;
    }
    case 'leftjoin':
    case 'minus':
      return pointsFor((op as Algebra.Double).input[0], x);
    case 'extend':
      return (op as Algebra.Extend).variable.value === x ? undefined : pointsFor(inputOf(op), x);
    case 'filter':
    case 'graph':
    case 'from':
      return pointsFor(inputOf(op), x);
    case 'union': {
      const out = new Set<object>();
      for (const i of (op as Algebra.Union).input) {
        const ps = pointsFor(i, x);
        if (ps === undefined) return undefined;
        for (const p of ps) out.add(p);
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** Variables in order of first appearance in patterns (a stable choice among equals). */
function patternVars(op: Algebra.Operation): string[] {
  const seen = new Set<string>();
  for (const o of walk(op)) {
    const terms: Term[] = o.type === 'bgp' ? (o as Algebra.Bgp).patterns.flatMap((p) => [p.subject, p.predicate, p.object]) : o.type === 'path' ? [(o as Algebra.Path).subject, (o as Algebra.Path).object] : [];
    for (const t of terms) if (t.termType === 'Variable') seen.add(t.value);
    else if (t.termType === 'BlankNode') seen.add(`_:${t.value}`);
  }
  return [...seen];
}

/**
 * How the driving variable is chosen: `variable` forces one (a participant uses the coordinator's
 * choice, so every part splits on the same variable whatever its statistics say); `cost` ranks the
 * candidates by the most selective pattern that binds them (the evaluator starts its joins there,
 * so the range check drops foreign work at the first scan).
 */
export interface DriverChoice {
  readonly variable?: string;
  readonly cost?: (pattern: Algebra.Pattern) => number;
}

/**
 * The driving variable: bound in every solution, checked at the cheapest scan, then at the most
 * scans. `prefer` wins when it qualifies (a GROUP BY key keeps groups whole).
 */
function chooseDriver(core: Algebra.Operation, prefer: readonly string[], choice: DriverChoice): { variable: string; points: Set<object> } | undefined {
  const certain = certainVars(core);
  if (choice.variable !== undefined) {
    const points = certain.has(choice.variable) ? pointsFor(core, choice.variable) : undefined;
    return points === undefined ? undefined : { variable: choice.variable, points };
  }
  for (const v of prefer) {
    if (!certain.has(v)) continue;
    const points = pointsFor(core, v);
    if (points !== undefined) return { variable: v, points };
  }
  let best: { variable: string; points: Set<object>; score: number } | undefined;
  for (const v of patternVars(core)) {
    // Blank-node variables are named by the parser's counter, which differs between processes: a
    // participant could not find the coordinator's choice by name.
    if (!certain.has(v) || v.startsWith('_:')) continue;
    const points = pointsFor(core, v);
    if (points === undefined) continue;
    let score = 0;
    if (choice.cost !== undefined) {
      score = Infinity;
      for (const p of points) if ((p as { type?: string }).type !== 'path') score = Math.min(score, choice.cost(p as Algebra.Pattern));
    }
    if (best === undefined || score < best.score || (score === best.score && points.size > best.points.size)) best = { variable: v, points, score };
  }
  return best === undefined ? undefined : { variable: best.variable, points: best.points };
}

function chain(layers: readonly Algebra.Operation[], bottom: Algebra.Operation): Algebra.Operation {
  let op = bottom;
  for (let i = layers.length - 1; i >= 0; i--) op = withInput(layers[i]!, op);
  return op;
}

function values(vars: readonly string[]): Algebra.Values {
  return { type: 'values' as Algebra.Values['type'], variables: vars.map((v) => factory.variable(v)), bindings: [] };
}

export function planSplit(prepared: ParsedQuery, choice: DriverChoice = {}): SplitDecision {
  const root = prepared.algebra;
  if (prepared.form === 'construct' || prepared.form === 'describe') return no(`${prepared.form.toUpperCase()} runs on one node (only SELECT and ASK are split)`);
  for (const op of walk(root)) {
    if (op.type === 'service') return no('SERVICE runs on one node');
    if (op.type === 'bgp' && (op as Algebra.Bgp).patterns.some((p) => p.predicate.termType === 'NamedNode' && p.predicate.value.startsWith('urn:knowd:'))) {
      return no('knowd:similarTo (vector search) runs on one node');
    }
  }
  if (prepared.form === 'ask') {
    const core = inputOf(root);
    const d = chooseDriver(core, [], choice);
    if (d === undefined) return no(noDriver(choice));
    return {
      splittable: true,
      plan: { kind: 'ask', driving: d.variable, points: d.points, participant: prepared, notes: [`ASK split on ?${d.variable}: any part true answers true`] },
    };
  }
  const layers: Algebra.Operation[] = [];
  let cur = root;
  while (LAYERS.has(cur.type)) {
    layers.push(cur);
    cur = inputOf(cur);
  }
  const group = cur.type === 'group' ? (cur as Algebra.Group) : undefined;
  if (group === undefined) {
    // BIND and FILTER right above the pattern are part of the WHERE clause: they run on the parts.
    while (layers.length > 0 && (layers[layers.length - 1]!.type === 'extend' || layers[layers.length - 1]!.type === 'filter')) cur = layers.pop()!;
  }
  const from = layers.find((l) => l.type === 'from');
  const wrapFrom = (op: Algebra.Operation): Algebra.Operation => (from === undefined ? op : withInput(from, op));
  const coreOf = group === undefined ? cur : group.input;
  const groupKeys = group?.variables.map((v) => v.value) ?? [];
  const d = chooseDriver(coreOf, groupKeys, choice);
  if (d === undefined) return no(noDriver(choice));
  const base = { kind: 'query' as const, ...(prepared.baseIRI !== undefined && { baseIRI: prepared.baseIRI }) };
  const topQuery = (v: Algebra.Values): ParsedQuery => ({ ...base, form: 'select', algebra: chain(layers, v), variables: prepared.variables });
  const notes: string[] = [];

  if (group !== undefined && !groupKeys.includes(d.variable)) {
    const aggs: PartialAggregate[] = [];
    const partials: Algebra.BoundAggregate[] = [];
    for (const [i, a] of group.aggregates.entries()) {
      const distinctOk = a.aggregator === 'min' || a.aggregator === 'max';
      if (a.aggregator === 'sample' || (a.distinct && !distinctOk)) {
        return no(`${a.aggregator.toUpperCase()}${a.distinct ? '(DISTINCT ...)' : ''} cannot be combined from parts, and no GROUP BY variable is bound by a required pattern`);
      }
      const part = (aggregator: Algebra.BoundAggregate['aggregator'], suffix: string): string => {
        const name = `__part${i}_${suffix}`;
        partials.push({ ...a, aggregator, distinct: distinctOk && a.distinct, variable: factory.variable(name) } as Algebra.BoundAggregate);
        return name;
      };
      const sep = (a as Algebra.GroupConcatExpression).separator ?? ' ';
      const variable = a.variable.value;
      switch (a.aggregator) {
        case 'count':
          aggs.push({ variable, aggregator: 'count', separator: sep, count: part('count', 'n') });
          break;
        case 'sum':
          aggs.push({ variable, aggregator: 'sum', separator: sep, sum: part('sum', 's') });
          break;
        case 'avg':
          aggs.push({ variable, aggregator: 'avg', separator: sep, sum: part('sum', 's'), count: part('count', 'n') });
          break;
        case 'min':
        case 'max':
          aggs.push({ variable, aggregator: a.aggregator, separator: sep, value: part(a.aggregator, 'm') });
          break;
        case 'group_concat':
          aggs.push({ variable, aggregator: 'group_concat', separator: sep, text: part('group_concat', 't'), count: part('count', 'n') });
          break;
        default:
          return no(`the aggregate ${String(a.aggregator)} cannot be split`);
      }
    }
    const partGroup: Algebra.Group = { ...group, aggregates: partials };
    const shipped = [...groupKeys, ...partials.map((p) => p.variable.value)];
    notes.push(`GROUP BY split on ?${d.variable} (not a key): parts compute partial aggregates, the coordinator folds them`);
    return {
      splittable: true,
      plan: {
        kind: 'partial',
        driving: d.variable,
        points: d.points,
        participant: { ...base, form: 'select', algebra: wrapFrom(partGroup), variables: shipped },
        notes,
        groupVars: groupKeys,
        aggregates: aggs,
        top: topQuery,
      },
    };
  }

  // Rows: the parts run the core (and whole groups, when the driving variable is a key).
  const partCore = group ?? cur;
  if (group !== undefined) notes.push(`GROUP BY split on its key ?${d.variable}: every group lies in one part`);
  const scope = inScopeVars(partCore);
  const needed = new Set<string>(prepared.variables);
  let readsAny = layers.every((l) => l.type !== 'project');
  for (const l of layers) for (const e of ownExpressions(l)) readsAny = expressionVars(e, needed) || readsAny;
  const shipped = readsAny ? [...scope] : [...needed].filter((v) => scope.has(v));
  // Trim each part to its own top offset+limit when nothing between LIMIT and the core drops or
  // reorders rows except an ORDER BY right on the core (which the part then applies too).
  let partAlgebra = partCore;
  const slice = layers[0]?.type === 'slice' ? (layers[0] as Algebra.Slice) : undefined;
  if (slice !== undefined && slice.length !== undefined) {
    const below = layers.slice(1).filter((l) => l.type !== 'from');
    const orderIdx = below.findIndex((l) => l.type === 'orderby');
    const rowwise = below.every((l) => l.type === 'project' || l.type === 'extend' || l.type === 'orderby');
    if (rowwise && (orderIdx === -1 || orderIdx === below.length - 1)) {
      const n = slice.start + slice.length;
      partAlgebra = { type: 'slice', start: 0, length: n, input: orderIdx === -1 ? partCore : withInput(below[orderIdx]!, partCore) } as Algebra.Slice;
      notes.push(`each part sends only its first ${n} rows${orderIdx === -1 ? '' : ' in ORDER BY order'} (OFFSET + LIMIT)`);
    }
  }
  const passThrough = layers.every((l) => l.type === 'project' || l.type === 'from') && !readsAny;
  return {
    splittable: true,
    plan: {
      kind: 'rows',
      driving: d.variable,
      points: d.points,
      participant: { ...base, form: 'select', algebra: wrapFrom(partAlgebra), variables: passThrough ? prepared.variables : shipped },
      notes,
      top: passThrough ? undefined : topQuery,
    },
  };
}

function noDriver(choice: DriverChoice): string {
  return choice.variable !== undefined ? `?${choice.variable} cannot drive a split of this query` : 'no variable is bound in every solution by a required pattern';
}

/**
 * The VALUES the coordinator's query reads: the merged rows, as bindings; with `known`, the same rows
 * as evaluator values of the store the query will run on (eval/known-values.ts).
 */
export function mergedValues(vars: readonly string[], rows: Iterable<Readonly<Record<string, Term>>>, known?: Iterable<readonly (Val | undefined)[]>): Algebra.Values {
  const v = values(vars);
  const bindings: Record<string, Term>[] = [];
  for (const r of rows) {
    const b: Record<string, Term> = {};
    for (const name of vars) {
      const t = r[name];
      if (t !== undefined) b[`?${name}`] = t;
    }
    bindings.push(b);
  }
  const out = { ...v, bindings: bindings as Algebra.Values['bindings'] };
  return known === undefined ? out : withKnownValues(out, [...known]);
}
