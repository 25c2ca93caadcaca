import type { Term } from '@rdfjs/types';
import { KnowdError } from '../../base/index.js';
import { orderCompare, orderValueCompare } from '../functions/index.js';
import type { Algebra } from '../parse/index.js';
import { computeAggregates } from './aggregates.js';
import { planBgp } from './bgp.js';
import { orderJoin } from './join-order.js';
import type { ActiveGraph, Context } from './context.js';
import type { IdQuad } from './dataset.js';
import { ExprEvaluator } from './expr.js';
import { evalPath } from './paths.js';
import { mergeRows, rowKey, sameVal, type Row, type Val } from './rows.js';
import { certainVars, inScopeVars } from './scope.js';
import { knownValues } from './known-values.js';
import { hasSimilar, similarRows, splitSimilar, type SimilarGroup } from './similar.js';
import type { ProbeSite } from './probe.js';
import { owns, type PartitionFilter } from '../split/partition.js';

const DEFAULT: ActiveGraph = { kind: 'default' };

/** Operators whose result does not depend on bindings passed in: evaluated once, then joined. */
const OPAQUE = new Set(['group', 'slice', 'project', 'distinct', 'reduced', 'orderby', 'values', 'minus']);

/**
 * The evaluator: lazy, pull-based iteration over id-encoded solutions. `exec(op, parent)` is the
 * join of `op` with the parent solution: bindings the operator always binds are passed into it
 * (index nested-loop join: a bound variable becomes a prefix of an index scan), the rest is
 * checked on the way out. Operators that must see their whole input (grouping, slicing) run once
 * and are hash-joined.
 */
/** Row counts gathered when a query is explained. */
export interface Profile {
  readonly ops: Map<Algebra.Operation, { calls: number; rows: number }>;
  readonly patterns: Map<Algebra.Pattern, { estimate: number; rows: number; order: number }>;
}

/** Plans of one BGP in a row that must agree before its order is reused without planning (Evaluator.bgp). */
const STABLE_PLANS = 4;

/** Closes iterators a loop may have left open (return() on a finished one does nothing). */
function closeAll(iters: readonly (Iterator<Row> | undefined)[]): void {
  for (const it of iters) it?.return?.();
}

export class Evaluator {
  // The per-node caches below are made on first use: a hook's small query runs thousands of times a
  // second and uses few of them, and ten empty Maps a run were a tenth of what it allocated.
  readonly expr: ExprEvaluator;
  private existsGraph: ActiveGraph = DEFAULT;
  profile: Profile | undefined;
  /** Hash indexes of materialized operators, per memo key and set of variables the parent binds. */
  private indexesMap: Map<object, Map<string, { byKey: Map<string, Row[]>; partial: Row[] }>> | undefined;
  private get indexes(): Map<object, Map<string, { byKey: Map<string, Row[]>; partial: Row[] }>> {
    return (this.indexesMap ??= new Map());
  }
  private slotsOfMap: Map<Algebra.Operation, readonly number[]> | undefined;
  private get slotsOf(): Map<Algebra.Operation, readonly number[]> {
    return (this.slotsOfMap ??= new Map());
  }
  private singleMap: Map<Algebra.Operation, Algebra.Pattern | null> | undefined;
  private get single(): Map<Algebra.Operation, Algebra.Pattern | null> {
    return (this.singleMap ??= new Map());
  }
  /** A join's in-scope variables, sorted, with their slots (the key of its orders by bound variables). */
  private joinVarsMap: Map<Algebra.Join, readonly { readonly name: string; readonly slot: number }[]> | undefined;
  private get joinVars(): Map<Algebra.Join, readonly { readonly name: string; readonly slot: number }[]> {
    return (this.joinVarsMap ??= new Map());
  }
  /** Join input orders, per join and set of variables bound on entry. */
  private joinOrdersMap: Map<Algebra.Join, Map<string, Algebra.Operation[]>> | undefined;
  private get joinOrders(): Map<Algebra.Join, Map<string, Algebra.Operation[]>> {
    return (this.joinOrdersMap ??= new Map());
  }
  private similarSplitsMap: Map<Algebra.Bgp, { groups: SimilarGroup[]; rest: Algebra.Bgp }> | undefined;
  private get similarSplits(): Map<Algebra.Bgp, { groups: SimilarGroup[]; rest: Algebra.Bgp }> {
    return (this.similarSplitsMap ??= new Map());
  }
  /** BGP orders per BGP and entry shape (bound variables, graph), with how many plans in a row chose each (bgp()). */
  private bgpPlansMap: Map<Algebra.Bgp, Map<string, { order: readonly Algebra.Pattern[]; agreeing: number }>> | undefined;
  private get bgpPlans(): Map<Algebra.Bgp, Map<string, { order: readonly Algebra.Pattern[]; agreeing: number }>> {
    return (this.bgpPlansMap ??= new Map());
  }
  /** Patterns with their constants looked up once, and their probe sites (probe.ts). */
  private compiledPatternsMap: Map<Algebra.Pattern, CompiledPattern> | undefined;
  private get compiledPatterns(): Map<Algebra.Pattern, CompiledPattern> {
    return (this.compiledPatternsMap ??= new Map());
  }
  /** VALUES blocks as hash sets of their rows, for joins that have bound all their variables (valuesFilter). */
  private valueSetsMap: Map<Algebra.Values, { slots: number[]; keys: Set<string> | null }> | undefined;
  private get valueSets(): Map<Algebra.Values, { slots: number[]; keys: Set<string> | null }> {
    return (this.valueSetsMap ??= new Map());
  }
  /** A split query's share (split/partition.ts), checked where its driving variable is scanned. */
  private partition: { readonly filter: PartitionFilter; readonly slot: number } | undefined;

  constructor(
    readonly ctx: Context,
    baseIRI?: string,
  ) {
    this.expr = new ExprEvaluator(ctx, (op, row) => this.exists(op, row), baseIRI);
  }

  slot(name: string): number {
    return this.ctx.vars.slot(name);
  }

  /** Restricts the query to solutions whose driving variable's value the filter's share owns. */
  restrict(filter: PartitionFilter): void {
    this.partition = { filter, slot: this.slot(filter.variable) };
  }

  /** False when a split query's point `at` produced a row outside this participant's share. */
  private inPartition(at: object, row: Row): boolean {
    const part = this.partition;
    if (part === undefined || !part.filter.points.has(at)) return true;
    const v = row[part.slot];
    if (v === undefined) return true;
    return owns(part.filter, v);
  }

  /**
   * The position (0 s, 1 p, 2 o) at which a point's scan may seek to this participant's id slices
   * instead of filtering: the driving variable is free there (whether the index allows it and
   * whether it pays is decided below: QueryableDataset.seek, ProbeSite.seek).
   */
  private seekPosition(p: Algebra.Pattern, free: readonly (number | undefined)[]): 0 | 1 | 2 | undefined {
    const part = this.partition;
    if (part === undefined || !part.filter.points.has(p)) return undefined;
    const i = free.indexOf(part.slot);
    return i === 0 || i === 1 || i === 2 ? i : undefined;
  }

  private exists(op: Algebra.Operation, row: Row): boolean {
    // EXISTS substitutes the current solution into its pattern (§18.6): pass every binding.
    for (const _ of this.run(op, row, this.existsGraph, true)) return true;
    return false;
  }

  /**
   * An operator's rows joined with a parent row: the bindings the operator is certain to bind are
   * passed in (sideways), the rest merged afterwards. Not a generator (see runOp): it returns the
   * operator's own rows when nothing is left to merge, which is the common case.
   */
  exec(op: Algebra.Operation, parent: Row, g: ActiveGraph = DEFAULT): Iterable<Row> {
    const certain = this.certainSlots(op);
    if (certain.length === 0 && OPAQUE.has(op.type)) return this.hashJoin(op, parent, g);
    const passed: Row = [];
    let restricted = false;
    for (const s of certain) {
      const val = parent[s];
      if (val !== undefined) passed[s] = val;
    }
    for (let i = 0; i < parent.length; i++) if (parent[i] !== undefined && passed[i] === undefined) restricted = true;
    // A one-pattern BGP (every unit of a join around a path, and many whole BGPs) goes straight to
    // its index scan, and a path to its evaluation: the operator layers would pass each row through
    // two or three more generators.
    let rows: Iterable<Row>;
    const single = this.profile === undefined ? this.singlePattern(op) : undefined;
    if (single !== undefined) rows = this.matchPattern(single, passed, g);
    else if (op.type === 'path' && this.profile === undefined) rows = this.path(op as Algebra.Path, passed, g);
    else rows = this.run(op, passed, g, false);
    return restricted ? this.mergedWith(parent, rows) : rows;
  }

  private *mergedWith(parent: Row, rows: Iterable<Row>): Generator<Row> {
    for (const r of rows) {
      const m = mergeRows(parent, r);
      if (m !== undefined) yield m;
    }
  }

  /** The pattern of a BGP of one plain pattern (no knowd:similarTo), else undefined. */
  private singlePattern(op: Algebra.Operation): Algebra.Pattern | undefined {
    if (op.type !== 'bgp') return undefined;
    let p = this.single.get(op);
    if (p === undefined) {
      const ps = (op as Algebra.Bgp).patterns;
      this.single.set(op, (p = ps.length === 1 && !hasSimilar(ps) ? ps[0]! : null));
    }
    return p ?? undefined;
  }

  /** Slots of certainVars(op): exec() runs once per outer row of a join, and names cost a map lookup each. */
  private certainSlots(op: Algebra.Operation): readonly number[] {
    let slots = this.slotsOf.get(op);
    if (slots === undefined) this.slotsOf.set(op, (slots = [...certainVars(op)].map((v) => this.slot(v))));
    return slots;
  }

  /** All rows of an operator evaluated on its own, once per active graph. */
  private materialize(op: Algebra.Operation, g: ActiveGraph): Row[] {
    const memoKey = this.memoKey(op, g);
    let rows = this.ctx.memo.get(memoKey) as Row[] | undefined;
    if (rows === undefined) {
      rows = [];
      for (const r of this.run(op, [], g, false)) {
        this.ctx.tick();
        this.ctx.hold(r.length);
        rows.push(r);
      }
      this.ctx.memo.set(memoKey, rows);
    }
    return rows;
  }

  /** Runs an opaque operator once (per active graph) and joins its rows with the parent by hash. */
  private *hashJoin(op: Algebra.Operation, parent: Row, g: ActiveGraph): Generator<Row> {
    const memoKey = this.memoKey(op, g);
    const rows = this.materialize(op, g);
    const shared = [...inScopeVars(op)].map((v) => this.slot(v)).filter((s) => parent[s] !== undefined);
    if (shared.length === 0) {
      for (const r of rows) {
        const m = mergeRows(parent, r);
        if (m !== undefined) yield m;
      }
      return;
    }
    // Index the rows on the variables the parent binds. Rows that leave one of them unbound may
    // still be compatible, so they are kept apart and always checked.
    let perShared = this.indexes.get(memoKey);
    if (perShared === undefined) this.indexes.set(memoKey, (perShared = new Map()));
    let index = perShared.get(shared.join(','));
    if (index === undefined) {
      index = { byKey: new Map(), partial: [] };
      for (const r of rows) {
        if (shared.some((s) => r[s] === undefined)) index.partial.push(r);
        else {
          const k = rowKey(r, shared);
          const list = index.byKey.get(k);
          if (list === undefined) index.byKey.set(k, [r]);
          else list.push(r);
        }
      }
      perShared.set(shared.join(','), index);
    }
    for (const r of index.byKey.get(rowKey(parent, shared)) ?? []) {
      const m = mergeRows(parent, r);
      if (m !== undefined) yield m;
    }
    for (const r of index.partial) {
      const m = mergeRows(parent, r);
      if (m !== undefined) yield m;
    }
  }

  private memoKey(op: Algebra.Operation, g: ActiveGraph): object {
    const k = g.kind === 'default' ? 'd' : g.kind === 'id' ? `i${g.id}` : `v${g.slot}`;
    let perOp = this.ctx.memo.get(op) as Map<string, object> | undefined;
    if (perOp === undefined) this.ctx.memo.set(op, (perOp = new Map()));
    let key = perOp.get(k);
    if (key === undefined) perOp.set(k, (key = { op, k }));
    return key;
  }

  /** The operator's own semantics; `passed` holds bindings to respect (all of them when `subst`). */
  run(op: Algebra.Operation, passed: Row, g: ActiveGraph, subst: boolean): Iterable<Row> {
    return this.profile === undefined ? this.runOp(op, passed, g, subst) : this.counted(op, this.runOp(op, passed, g, subst));
  }

  private *counted(op: Algebra.Operation, rows: Iterable<Row>): Generator<Row> {
    const ops = this.profile!.ops;
    let stat = ops.get(op);
    if (stat === undefined) ops.set(op, (stat = { calls: 0, rows: 0 }));
    stat.calls++;
    for (const r of rows) {
      stat.rows++;
      yield r;
    }
  }

  /**
   * Picks the operator's evaluation. Not a generator itself: each operator is its own (small)
   * generator, returned as is, so a row does not pass through one more delegating generator per
   * operator, and a call does not allocate this switch's large generator frame (a hook's queries
   * run thousands of operators per second, each mostly set-up).
   */
  private runOp(op: Algebra.Operation, passed: Row, g: ActiveGraph, subst: boolean): Iterable<Row> {
    this.ctx.tick();
    switch (op.type) {
      case 'bgp':
        return this.bgp(op as Algebra.Bgp, passed, g);
      case 'path':
        return this.path(op as Algebra.Path, passed, g);
      case 'join':
        return this.join(op as Algebra.Join, passed, g, subst);
      case 'leftjoin':
        return this.leftJoin(op as Algebra.LeftJoin, passed, g, subst);
      case 'union':
        return this.union(op as Algebra.Union, passed, g, subst);
      case 'minus':
        return this.minus(op as Algebra.Minus, passed, g, subst);
      case 'filter':
        return this.filter(op as Algebra.Filter, passed, g, subst);
      case 'extend':
        return this.extend(op as Algebra.Extend, passed, g, subst);
      case 'graph':
        return this.graph(op as Algebra.Graph, passed, subst);
      case 'project':
        return this.project(op as Algebra.Project, passed, g, subst);
      case 'distinct':
      case 'reduced':
        return this.distinct(op as Algebra.Distinct, passed, g, subst);
      case 'orderby':
        return this.orderBy(op as Algebra.OrderBy, passed, g, subst);
      case 'slice':
        return this.slice(op as Algebra.Slice, passed, g, subst);
      case 'group':
        return computeAggregates(this, op as Algebra.Group, this.sub((op as Algebra.Group).input, passed, g, subst), g);
      case 'values':
        return this.values(op as Algebra.Values, passed);
      case 'from':
        return this.from(op as Algebra.From, passed, g, subst);
      case 'nop':
        return [passed];
      case 'service':
        throw new KnowdError('NOT_SUPPORTED', 'SERVICE (federated query to other endpoints) is not supported by Knowd');
      default:
        throw new KnowdError('NOT_SUPPORTED', `The SPARQL operator "${op.type}" is not supported here`);
    }
  }

  private join(j: Algebra.Join, passed: Row, g: ActiveGraph, subst: boolean): Iterable<Row> {
    let vars = this.joinVars.get(j);
    if (vars === undefined) this.joinVars.set(j, (vars = [...inScopeVars(j)].sort().map((name) => ({ name, slot: this.slot(name) }))));
    let key = '';
    for (const v of vars) if (passed[v.slot] !== undefined) key += `${v.name},`;
    let perJoin = this.joinOrders.get(j);
    if (perJoin === undefined) this.joinOrders.set(j, (perJoin = new Map()));
    let order = perJoin.get(key);
    if (order === undefined) {
      const bound = new Set(vars.filter((v) => passed[v.slot] !== undefined).map((v) => v.name));
      perJoin.set(key, (order = orderJoin(this.ctx, j.input, bound)));
    }
    return this.joinChain(order, passed, g, subst);
  }

  private *leftJoin(lj: Algebra.LeftJoin, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    for (const a of this.sub(lj.input[0], passed, g, subst)) {
      let found = false;
      for (const b of this.sub(lj.input[1], a, g, subst)) {
        if (lj.expression !== undefined && !this.filterTest(lj.expression, b, g)) continue;
        found = true;
        yield b;
      }
      if (!found) yield a;
    }
  }

  private *union(op: Algebra.Union, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    for (const input of op.input) yield* this.sub(input, passed, g, subst);
  }

  private *minus(m: Algebra.Minus, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    const right = this.materialize(m.input[1], g);
    for (const a of this.sub(m.input[0], passed, g, subst)) {
      const excluded = right.some((b) => {
        let shared = false;
        for (let i = 0; i < b.length; i++) {
          const x = a[i];
          const y = b[i];
          if (x === undefined || y === undefined) continue;
          if (!sameVal(x, y)) return false;
          shared = true;
        }
        return shared;
      });
      if (!excluded) yield a;
    }
  }

  private *filter(f: Algebra.Filter, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    for (const r of this.sub(f.input, passed, g, subst)) if (this.filterTest(f.expression, r, g)) yield r;
  }

  private *extend(e: Algebra.Extend, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    const s = this.slot(e.variable.value);
    // BNODE(str) is scoped to one solution: a chain of BINDs / SELECT expressions shares one
    // scope, started by the innermost extend (evaluation is lazy, so the outer ones see the
    // same solution before the inner one moves on).
    const startsScope = e.input.type !== 'extend';
    for (const r of this.sub(e.input, passed, g, subst)) {
      this.existsGraph = g;
      if (startsScope) this.expr.newRow();
      const v = this.expr.tryEval(e.expression, r);
      if (v === undefined) {
        yield r;
        continue;
      }
      const val = this.ctx.canon(v);
      if (r[s] !== undefined) {
        if (sameVal(r[s]!, val)) yield r;
        continue;
      }
      const out = r.slice();
      out[s] = val;
      yield out;
    }
  }

  private *project(p: Algebra.Project, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    const slots = p.variables.map((v) => this.slot(v.value));
    for (const r of this.sub(p.input, passed, g, subst)) {
      const out: Row = [];
      for (const s of slots) if (r[s] !== undefined) out[s] = r[s];
      yield out;
    }
  }

  private *distinct(op: Algebra.Distinct | Algebra.Reduced, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    const seen = new Set<string>();
    const all = Array.from({ length: this.ctx.vars.size }, (_, i) => i);
    for (const r of this.sub(op.input, passed, g, subst)) {
      const k = rowKey(r, all);
      if (seen.has(k)) continue;
      seen.add(k);
      this.ctx.hold(1);
      yield r;
    }
  }

  private *slice(s: Algebra.Slice, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    let skipped = 0;
    let taken = 0;
    if (s.length === 0) return;
    for (const r of this.sub(s.input, passed, g, subst)) {
      if (skipped < s.start) {
        skipped++;
        continue;
      }
      yield r;
      if (s.length !== undefined && ++taken >= s.length) return;
    }
  }

  /** Evaluates a child: with substitution (EXISTS) every binding goes in; otherwise a normal join. */
  private sub(op: Algebra.Operation, row: Row, g: ActiveGraph, subst: boolean): Iterable<Row> {
    return subst ? this.runMerged(op, row, g) : this.exec(op, row, g);
  }

  private *runMerged(op: Algebra.Operation, row: Row, g: ActiveGraph): Generator<Row> {
    for (const r of this.run(op, row, g, true)) {
      const m = mergeRows(row, r);
      if (m !== undefined) yield m;
    }
  }

  filterTest(e: Algebra.Expression, r: Row, g: ActiveGraph): boolean {
    this.existsGraph = g;
    this.expr.newRow();
    return this.expr.test(e, r);
  }

  /**
   * The nested loops of a join's ordered inputs, on an explicit iterator stack (as patterns()): a
   * solution is yielded once, not passed up through one generator per input. A VALUES input whose
   * variables the row already binds is a membership test, done on a hash set without running it.
   */
  private *joinChain(inputs: readonly Algebra.Operation[], row: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    const n = inputs.length;
    if (n === 0) {
      yield row;
      return;
    }
    const iters: (Iterator<Row> | undefined)[] = new Array<Iterator<Row> | undefined>(n);
    const rows: Row[] = new Array<Row>(n);
    // Entering level d with a row: a filter-VALUES level passes the row on or drops it at once.
    let d = 0;
    let cur: Row = row;
    try {
      for (;;) {
        // Descend as far as possible with `cur` at level d.
        while (d < n) {
          const test = subst ? undefined : this.valuesFilter(inputs[d]!, cur);
          if (test === false) break;
          if (test === true) {
            iters[d] = undefined;
            rows[d] = cur;
            d++;
            continue;
          }
          iters[d] = this.sub(inputs[d]!, cur, g, subst)[Symbol.iterator]();
          break;
        }
        if (d === n) yield cur;
        // Find the deepest level with another row.
        let next: Row | undefined;
        for (;;) {
          if (d === n) d--;
          while (d >= 0 && iters[d] === undefined) d--;
          if (d < 0) return;
          const r = iters[d]!.next();
          if (r.done !== true) {
            next = r.value;
            break;
          }
          iters[d] = undefined;
          d--;
          if (d < 0) return;
        }
        cur = next;
        d++;
      }
    } finally {
      // Stopped early (ASK, LIMIT, EXISTS): the inputs still open must close their index scans, or
      // each leaves a cursor holding its read transaction, and LMDB runs out of reader slots.
      closeAll(iters);
    }
  }

  /**
   * For a VALUES block all of whose variables `row` binds, and whose rows bind all of them: whether
   * the row is one of its rows (hashed once per query). Undefined when the block is not such a filter.
   */
  private valuesFilter(op: Algebra.Operation, row: Row): boolean | undefined {
    if (op.type !== 'values') return undefined;
    let f = this.valueSets.get(op as Algebra.Values);
    if (f === undefined) {
      const v = op as Algebra.Values;
      const slots = v.variables.map((x) => this.slot(x.value));
      let keys: Set<string> | null = new Set<string>();
      for (const b of this.ctx.bindingsOf(v)) {
        const r: Row = [];
        for (const x of v.variables) {
          const t = b[`?${x.value}`];
          if (t === undefined) {
            keys = null; // an unbound cell is compatible with anything: run it as a join
            break;
          }
          r[this.slot(x.value)] = this.ctx.canon(t);
        }
        if (keys === null) break;
        keys.add(rowKey(r, slots));
      }
      this.valueSets.set(op as Algebra.Values, (f = { slots, keys }));
    }
    if (f.keys === null) return undefined;
    for (const s of f.slots) if (row[s] === undefined) return undefined;
    return f.keys.has(rowKey(row, f.slots));
  }

  /** The graphs a pattern reads in the active graph, or 'var' when the pattern binds the graph. */
  private graphsOf(g: ActiveGraph, row: Row): number[] | 'var' {
    if (g.kind === 'default') return this.ctx.defaultGraphs ?? [0];
    if (g.kind === 'id') return [g.id];
    const v = row[g.slot];
    if (v === undefined) return 'var';
    if (typeof v !== 'number' || !this.isNamedGraphVisible(v)) return [];
    return [v];
  }

  private isNamedGraphVisible(id: number): boolean {
    return id !== 0 && (this.ctx.namedGraphs === undefined || this.ctx.namedGraphs.includes(id));
  }

  private *bgp(op: Algebra.Bgp, passed: Row, g: ActiveGraph): Generator<Row> {
    if (op.patterns.length === 0) {
      yield passed;
      return;
    }
    if (hasSimilar(op.patterns)) {
      yield* this.similarBgp(op, passed, g);
      return;
    }
    // One pattern has one order: planning it would only count its matches.
    if (op.patterns.length === 1 && this.profile === undefined) {
      yield* this.patterns(op.patterns, passed, g);
      return;
    }
    const bound = new Set<string>();
    for (const p of op.patterns) for (const t of [p.subject, p.predicate, p.object]) if ((t.termType === 'Variable' || t.termType === 'BlankNode') && passed[this.slot(varName(t))] !== undefined) bound.add(varName(t));
    const planGraph = g.kind === 'id' ? g.id : g.kind === 'var' ? 'named' : (this.ctx.defaultGraphs?.[0] ?? 0);
    // A BGP inside a join is planned once per outer row, with that row's values as constants, and
    // planning costs a range count per pattern: as much as the scans themselves when the BGP is
    // small. Once the same order has come out STABLE_PLANS times in a row for this shape of entry,
    // it is kept for the rest of the query.
    let plans = this.bgpPlans.get(op);
    if (plans === undefined) this.bgpPlans.set(op, (plans = new Map()));
    const shape = `${[...bound].sort().join(' ')}|${planGraph}`;
    const memo = plans.get(shape);
    if (memo !== undefined && memo.agreeing >= STABLE_PLANS) {
      yield* this.patterns(memo.order, passed, g);
      return;
    }
    const plan = planBgp(this.ctx, op.patterns, bound, planGraph, (v) => {
      const val = passed[this.slot(v)];
      return typeof val === 'number' ? val : undefined;
    });
    if (this.profile !== undefined) {
      plan.forEach((x, order) => {
        const st = this.profile!.patterns.get(x.pattern);
        if (st === undefined) this.profile!.patterns.set(x.pattern, { estimate: x.estimate, rows: 0, order });
      });
    }
    const order = plan.map((x) => x.pattern);
    if (memo !== undefined && memo.order.every((p, i) => order[i] === p)) memo.agreeing++;
    else plans.set(shape, { order, agreeing: 1 });
    yield* this.patterns(order, passed, g);
  }

  /** knowd:similarTo groups (eval/similar.ts) run first; their hits flow into the other patterns as bindings. */
  private *similarBgp(op: Algebra.Bgp, passed: Row, g: ActiveGraph): Generator<Row> {
    let split = this.similarSplits.get(op);
    if (split === undefined) {
      const { groups, rest } = splitSimilar(op.patterns);
      this.similarSplits.set(op, (split = { groups, rest: { ...op, patterns: rest } }));
    }
    yield* this.similarChain(split.groups, split.rest, 0, passed, g);
  }

  private *similarChain(groups: readonly SimilarGroup[], rest: Algebra.Bgp, i: number, row: Row, g: ActiveGraph): Generator<Row> {
    if (i === groups.length) {
      yield* this.bgp(rest, row, g);
      return;
    }
    for (const r of similarRows(this.ctx, groups[i]!, row)) yield* this.similarChain(groups, rest, i + 1, r, g);
  }

  /**
   * The nested loops of a planned BGP, as one loop over an explicit stack of per-pattern iterators:
   * a solution is yielded once, not passed up through one generator frame per pattern (which made
   * the cost of a row grow with the BGP's length).
   */
  private *patterns(ps: readonly Algebra.Pattern[], row: Row, g: ActiveGraph): Generator<Row> {
    const n = ps.length;
    if (n === 0) {
      yield row;
      return;
    }
    const stats = this.profile === undefined ? undefined : ps.map((p) => this.profile!.patterns.get(p));
    const iters: Iterator<Row>[] = [this.matchPattern(ps[0]!, row, g)];
    let d = 0;
    try {
      while (d >= 0) {
        const r = iters[d]!.next();
        if (r.done === true) {
          d--;
          continue;
        }
        const stat = stats?.[d];
        if (stat !== undefined) stat.rows++;
        if (d === n - 1) {
          yield r.value;
          continue;
        }
        d++;
        iters[d] = this.matchPattern(ps[d]!, r.value, g);
      }
    } finally {
      closeAll(iters); // as joinChain
    }
  }

  /** A pattern's positions resolved once per query: constant ids (null: not in the store) and variable slots. */
  private compiled(p: Algebra.Pattern): CompiledPattern {
    let c = this.compiledPatterns.get(p);
    if (c === undefined) {
      const pos = (t: Term): { id: number | undefined | null; slot: number | undefined } =>
        t.termType === 'Variable' || t.termType === 'BlankNode' ? { id: undefined, slot: this.slot(varName(t)) } : { id: this.ctx.data.lookup(t) ?? null, slot: undefined };
      const [s, pr, o] = [pos(p.subject), pos(p.predicate), pos(p.object)];
      c = { ids: [s.id, pr.id, o.id], slots: [s.slot, pr.slot, o.slot], sites: new Map() };
      this.compiledPatterns.set(p, c);
    }
    return c;
  }

  private *matchPattern(p: Algebra.Pattern, row: Row, active: ActiveGraph): Generator<Row> {
    // Update WHERE clauses are translated with graphs inside the patterns (quads mode).
    let g = active;
    if (p.graph.termType === 'NamedNode') {
      const id = this.ctx.data.lookup(p.graph);
      // GRAPH <g> reads g only if the dataset names it (USING without USING NAMED names none).
      if (id === undefined || !this.isNamedGraphVisible(id)) return;
      g = { kind: 'id', id };
    } else if (p.graph.termType === 'Variable') g = { kind: 'var', slot: this.slot(p.graph.value) };
    const c = this.compiled(p);
    // Each position: a constant id, a value bound in the row (a "varying" position of the probe
    // site), or free (undefined id, bound from the quads below).
    const ids: (number | undefined)[] = [undefined, undefined, undefined];
    const free: (number | undefined)[] = [undefined, undefined, undefined];
    let mask = 0;
    for (let i = 0; i < 3; i++) {
      const slot = c.slots[i];
      if (slot === undefined) {
        const id = c.ids[i];
        if (id === null) return; // a constant the store has never seen matches nothing
        ids[i] = id;
        continue;
      }
      const v = row[slot];
      if (v === undefined) free[i] = slot;
      else if (typeof v !== 'number') return; // a computed term the store does not know
      else {
        ids[i] = v;
        mask |= 1 << i;
      }
    }
    const [sId, pId, oId] = ids;
    const [sSlot, pSlot, oSlot] = free;
    const graphs = this.graphsOf(g, row);
    const gslot = graphs === 'var' && g.kind === 'var' ? g.slot : undefined;
    const targets: (number | 'named')[] = graphs === 'var' ? ['named'] : graphs;
    const dedupe = targets.length > 1 ? new Set<string>() : undefined;
    const seekAt = this.seekPosition(p, free);
    const slices = this.partition?.filter.slices ?? [];
    for (const target of targets) {
      // One plain graph: the adaptive probe site (probe.ts), which may seek to a part's share; GRAPH ?g
      // and merged FROM graphs scan, seeking only when nothing comes from outer rows (run once).
      // Rows of a seek are all this part's own.
      let seeked: Iterable<IdQuad> | undefined;
      let quads: Iterable<IdQuad>;
      if (typeof target === 'number' && dedupe === undefined) {
        const k = mask + target * 8;
        let site = c.sites.get(k);
        if (site === undefined) c.sites.set(k, (site = this.ctx.probeSite([c.ids[0] ?? undefined, c.ids[1] ?? undefined, c.ids[2] ?? undefined], [(mask & 1) !== 0, (mask & 2) !== 0, (mask & 4) !== 0], target)));
        seeked = seekAt === undefined ? undefined : site.seek(sId, pId, oId, seekAt, slices);
        quads = seeked ?? site.match(sId, pId, oId);
      } else {
        seeked = seekAt === undefined || mask !== 0 ? undefined : this.ctx.data.seek?.(sId, pId, oId, target, seekAt, slices);
        quads = seeked ?? this.ctx.data.match(sId, pId, oId, target);
      }
      for (const q of quads) {
        this.ctx.tick();
        if (gslot !== undefined && !this.isNamedGraphVisible(q[3])) continue;
        if (dedupe !== undefined) {
          const k = `${q[0]} ${q[1]} ${q[2]}`;
          if (dedupe.has(k)) continue;
          dedupe.add(k);
        }
        const out = row.slice();
        if (!bind(out, sSlot, q[0]) || !bind(out, pSlot, q[1]) || !bind(out, oSlot, q[2])) continue;
        if (gslot !== undefined && !bind(out, gslot, q[3])) continue;
        if (seeked === undefined && !this.inPartition(p, out)) continue;
        yield out;
      }
    }
  }

  private *path(op: Algebra.Path, passed: Row, g: ActiveGraph): Generator<Row> {
    const end = (t: Term): { val: Val | undefined; slot: number | undefined } => {
      if (t.termType === 'Variable' || t.termType === 'BlankNode') {
        const s = this.slot(varName(t));
        return { val: passed[s], slot: passed[s] === undefined ? s : undefined };
      }
      return { val: this.ctx.canon(t), slot: undefined };
    };
    const s = end(op.subject);
    const o = end(op.object);
    const graphs = this.graphsOf(g, passed);
    if (graphs === 'var' && g.kind === 'var') {
      // GRAPH ?g with a path: one evaluation per visible named graph.
      for (const gid of this.visibleNamedGraphs()) {
        const row = passed.slice();
        row[g.slot] = gid;
        yield* this.pathIn(op, row, s, o, [gid]);
      }
      return;
    }
    yield* this.pathIn(op, passed, s, o, graphs === 'var' ? [] : graphs);
  }

  private *pathIn(op: Algebra.Path, row: Row, s: { val: Val | undefined; slot: number | undefined }, o: { val: Val | undefined; slot: number | undefined }, graphs: number[]): Generator<Row> {
    const sameVar = op.subject.termType === op.object.termType && (op.subject.termType === 'Variable' || op.subject.termType === 'BlankNode') && op.subject.value === op.object.value;
    const isConst = (t: Term): boolean => t.termType !== 'Variable' && t.termType !== 'BlankNode';
    for (const [a, b] of evalPath(this.ctx, op.predicate, s.val, o.val, graphs, { s: isConst(op.subject), o: isConst(op.object) })) {
      if (sameVar && !sameVal(a, b)) continue;
      const out = row.slice();
      if (!bind(out, s.slot, a) || !bind(out, o.slot, b)) continue;
      if (!this.inPartition(op, out)) continue;
      yield out;
    }
  }

  visibleNamedGraphs(): number[] {
    return this.ctx.namedGraphs ?? [...this.ctx.data.namedGraphs()];
  }

  private *graph(op: Algebra.Graph, passed: Row, subst: boolean): Generator<Row> {
    if (op.name.termType === 'NamedNode') {
      const id = this.ctx.data.lookup(op.name);
      if (id === undefined || !this.isNamedGraphVisible(id)) {
        // A graph with no triples: only patterns that match nothing... an empty group still matches once.
        if (isEmptyGroup(op.input) && this.ctx.namedGraphs !== undefined && id !== undefined && this.ctx.namedGraphs.includes(id)) yield passed;
        return;
      }
      yield* this.sub(op.input, passed, { kind: 'id', id }, subst);
      return;
    }
    const slot = this.slot(op.name.value);
    const bound = passed[slot];
    if (bound !== undefined) {
      if (typeof bound !== 'number' || !this.isNamedGraphVisible(bound)) return;
      yield* this.sub(op.input, passed, { kind: 'id', id: bound }, subst);
      return;
    }
    if (op.input.type === 'bgp' && (op.input as Algebra.Bgp).patterns.length > 0) {
      yield* this.sub(op.input, passed, { kind: 'var', slot }, subst);
      return;
    }
    for (const gid of this.visibleNamedGraphs()) {
      const row = passed.slice();
      row[slot] = gid;
      yield* this.sub(op.input, row, { kind: 'id', id: gid }, subst);
    }
  }

  private *values(op: Algebra.Values, passed: Row): Generator<Row> {
    const known = knownValues(op);
    if (known !== undefined) {
      const slots = op.variables.map((v) => this.slot(v.value));
      for (const k of known) {
        const row: Row = [];
        for (let i = 0; i < slots.length; i++) {
          const v = k[i];
          // A term may still be one the store knows (a part computed it, or read it later): its id.
          if (v !== undefined) row[slots[i]!] = typeof v === 'number' ? v : this.ctx.canon(v);
        }
        const m = passed.length === 0 ? row : mergeRows(passed, row);
        if (m !== undefined) yield m;
      }
      return;
    }
    for (const b of this.ctx.bindingsOf(op)) {
      const row: Row = [];
      for (const v of op.variables) {
        const t = b[`?${v.value}`];
        if (t !== undefined) row[this.slot(v.value)] = this.ctx.canon(t);
      }
      const m = mergeRows(passed, row);
      if (m !== undefined) yield m;
    }
  }

  private *from(op: Algebra.From, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    const ids = (list: readonly Term[]): number[] => list.map((t) => this.ctx.data.lookup(t)).filter((x): x is number => x !== undefined);
    const prevDefault = this.ctx.defaultGraphs;
    const prevNamed = this.ctx.namedGraphs;
    // FROM without FROM NAMED leaves no named graphs, and the reverse leaves an empty default graph.
    this.ctx.defaultGraphs = ids(op.default);
    this.ctx.namedGraphs = ids(op.named);
    try {
      yield* this.sub(op.input, passed, g, subst);
    } finally {
      this.ctx.defaultGraphs = prevDefault;
      this.ctx.namedGraphs = prevNamed;
    }
  }

  private *orderBy(op: Algebra.OrderBy, passed: Row, g: ActiveGraph, subst: boolean): Generator<Row> {
    const keys = op.expressions.map((e) => {
      const desc = e.expressionType === 'operator' && (e as Algebra.OperatorExpression).operator === 'desc';
      const inner = desc || (e.expressionType === 'operator' && (e as Algebra.OperatorExpression).operator === 'asc') ? (e as Algebra.OperatorExpression).args[0]! : e;
      return { inner, desc };
    });
    const rows: { row: Row; vals: (Term | undefined)[] }[] = [];
    for (const r of this.sub(op.input, passed, g, subst)) {
      this.ctx.tick();
      this.existsGraph = g;
      this.expr.newRow();
      rows.push({ row: r, vals: keys.map((k) => this.expr.tryEval(k.inner, r)) });
      this.ctx.hold(r.length + keys.length);
    }
    rows.sort((a, b) => {
      for (let i = 0; i < keys.length; i++) {
        const c = orderValueCompare(a.vals[i], b.vals[i]);
        if (c !== 0) return keys[i]!.desc ? -c : c;
      }
      // Tied on every key by value: the terms' order keeps the result deterministic.
      for (let i = 0; i < keys.length; i++) {
        const c = orderCompare(a.vals[i], b.vals[i]);
        if (c !== 0) return keys[i]!.desc ? -c : c;
      }
      return 0;
    });
    for (const r of rows) yield r.row;
  }
}

interface CompiledPattern {
  /** Constant ids by position (s, p, o); null: a constant the store does not have; undefined: a variable. */
  readonly ids: readonly (number | null | undefined)[];
  /** Variable slots by position. */
  readonly slots: readonly (number | undefined)[];
  /** This pattern's probe sites by mask + 8 × graph (shared with patterns of the same shape: Context.probeSite). */
  readonly sites: Map<number, ProbeSite>;
}

/** Blank nodes in a query pattern are variables that cannot be projected (§4.1.4). */
export function varName(t: Term): string {
  return t.termType === 'BlankNode' ? `_:${t.value}` : t.value;
}

function isEmptyGroup(op: Algebra.Operation): boolean {
  return op.type === 'bgp' && (op as Algebra.Bgp).patterns.length === 0;
}

function bind(row: Row, slot: number | undefined, v: Val): boolean {
  if (slot === undefined) return true;
  const cur = row[slot];
  if (cur === undefined) {
    row[slot] = v;
    return true;
  }
  return sameVal(cur, v);
}
