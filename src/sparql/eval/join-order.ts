import type { Term } from '@rdfjs/types';
import type { Algebra } from '../parse/index.js';
import { planBgp } from './bgp.js';
import type { Context } from './context.js';
import { certainVars, inScopeVars } from './scope.js';
import { hasSimilar, splitSimilar } from './similar.js';

/**
 * Order of the inputs of a join: start from the most selective input, then always take a connected
 * one (sharing a variable already bound) with the lowest estimate, so bindings flow into index scans
 * instead of building cartesian products (LUBM's expanded queries join UNIONs of type patterns with
 * a BGP: in written order that is students × faculty before the BGP connects them).
 */
const UNKNOWN = 1e6;

const isVar = (t: Term): boolean => t.termType === 'Variable' || t.termType === 'BlankNode';
const name = (t: Term): string => (t.termType === 'BlankNode' ? `_:${t.value}` : t.value);

export function estimate(ctx: Context, op: Algebra.Operation, bound: ReadonlySet<string>): number {
  switch (op.type) {
    case 'bgp': {
      const b = op as Algebra.Bgp;
      if (b.patterns.length === 0) return 1;
      if (hasSimilar(b.patterns)) return similarEstimate(b, bound);
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
    case 'path':
      return pathEstimate(ctx, op as Algebra.Path, bound);
    default:
      return UNKNOWN;
  }
}

/** A similarity search yields topK rows, once its target is known; before that it cannot run at all. */
function similarEstimate(b: Algebra.Bgp, bound: ReadonlySet<string>): number {
  const { groups } = splitSimilar(b.patterns);
  const ready = groups.every((g) => g.target.termType !== 'Variable' || bound.has(g.target.value));
  return ready ? Math.min(...groups.map((g) => g.topK ?? 10)) : UNKNOWN * 1e3;
}

/** Links, alternatives and inverses of links are as large as their predicates; anything else is unknown. */
function pathEstimate(ctx: Context, op: Algebra.Path, bound: ReadonlySet<string>): number {
  const count = (p: Algebra.PropertyPathSymbol): number => {
    if (p.type === 'link') {
      const id = ctx.data.lookup((p as Algebra.Link).iri);
      return id === undefined ? 0 : ctx.count(undefined, id, undefined, 0);
    }
    if (p.type === 'inv') return count((p as Algebra.Inv).path);
    if (p.type === 'alt') return (p as Algebra.Alt).input.reduce((n, x) => n + count(x), 0);
    return UNKNOWN;
  };
  const isBound = (t: { termType: string; value: string }): boolean => t.termType !== 'Variable' || bound.has(t.value);
  // A constant end is known now: links, inverses and alternatives are counted exactly with it.
  const constId = (t: Term): number | undefined | null => (t.termType === 'Variable' || t.termType === 'BlankNode' ? undefined : (ctx.data.lookup(t) ?? null));
  const sc = constId(op.subject);
  const oc = constId(op.object);
  if (sc === null || oc === null) return 0;
  if (sc !== undefined || oc !== undefined) {
    const exact = exactLinks(ctx, op.predicate, sc, oc);
    if (exact !== undefined) return exact;
  }
  let est = count(op.predicate);
  if (isBound(op.subject)) est = Math.min(est, 4);
  if (isBound(op.object)) est = Math.min(est, 64);
  return est;
}

/** Matches of a path made of links, inverses and alternatives with the given ends; undefined for other paths. */
function exactLinks(ctx: Context, p: Algebra.PropertyPathSymbol, s: number | undefined, o: number | undefined): number | undefined {
  if (p.type === 'link') {
    const id = ctx.data.lookup((p as Algebra.Link).iri);
    return id === undefined ? 0 : ctx.count(s, id, o, 0);
  }
  if (p.type === 'inv') return exactLinks(ctx, (p as Algebra.Inv).path, o, s);
  if (p.type === 'alt') {
    let n = 0;
    for (const x of (p as Algebra.Alt).input) {
      const c = exactLinks(ctx, x, s, o);
      if (c === undefined) return undefined;
      n += c;
    }
    return n;
  }
  return undefined;
}

/**
 * Matches of `?s p o` are counted up to this cap (Context.countUpTo): an exact count is a range count, linear in the matches
 * (100k instances of a class at LUBM(10): ~5 ms, more than the whole of some queries), while the
 * weight only has to tell a selective block from a wide one.
 */
const WEIGHT_CAP = 512;

/**
 * What a VALUES block costs when it goes first: every later input then runs once per row, so its
 * size is what its values select, not its row count. For each pattern of the other inputs that has
 * a VALUES variable as its object, a constant predicate and a free subject (`?x a ?type` with the
 * types in VALUES), the matches summed over the rows are counted (each up to WEIGHT_CAP); the block weighs as much
 * as the largest such sum. Without this, LUBM's expanded queries scanned every instance of every
 * listed class first and then probed each against a selective pattern that could have gone first.
 */
function valuesWeight(ctx: Context, v: Algebra.Values, others: readonly Algebra.Operation[], bound: ReadonlySet<string>, limit = Infinity): number {
  const names = new Set(v.variables.map((x) => x.value));
  let weight = v.bindings.length;
  for (const op of others) {
    if (op.type !== 'bgp') continue;
    for (const p of (op as Algebra.Bgp).patterns) {
      if (p.object.termType !== 'Variable' || !names.has(p.object.value) || p.predicate.termType !== 'NamedNode') continue;
      if (!isVar(p.subject) || bound.has(name(p.subject)) || names.has(name(p.subject))) continue;
      const pid = ctx.data.lookup(p.predicate);
      if (pid === undefined) continue;
      let sum = 0;
      for (const b of v.bindings) {
        const t = b[`?${p.object.value}`];
        const id = t === undefined ? undefined : ctx.data.lookup(t);
        // Past `limit` the block loses anyway: read no further than it takes to know that.
        if (id !== undefined) sum += ctx.countUpTo(undefined, pid, id, 0, Math.min(WEIGHT_CAP, Math.floor(limit - sum) + 1));
        if (sum > limit) return sum;
      }
      weight = Math.max(weight, sum);
    }
  }
  return weight;
}

/**
 * The patterns of a BGP that shares a join with property paths become units of their own, so the order can interleave them: sparqlalgebrajs cuts `?a :p ?b . ?b :q* ?c .
 * ?c :r ?d` into BGP, path, BGP, and planning each BGP alone can pick a cartesian product.
 */
function units(inputs: readonly Algebra.Operation[]): Algebra.Operation[] {
  // Only around paths: elsewhere a whole BGP planned with the actual values passed in does better.
  if (!inputs.some((i) => i.type === 'path')) return [...inputs];
  return inputs.flatMap((op) =>
    op.type === 'bgp' && (op as Algebra.Bgp).patterns.length > 1 && !hasSimilar((op as Algebra.Bgp).patterns) ? (op as Algebra.Bgp).patterns.map((p) => ({ type: 'bgp', patterns: [p] }) as unknown as Algebra.Bgp) : [op],
  );
}

/**
 * A VALUES block of at most this many rows goes first without estimating the other inputs: initial
 * bindings (/v1/query params, a hook's ?this) and small inline data flow into the index scans, and
 * estimating the rest (exact range counts over e.g. every instance of a class) can cost more than
 * the whole join.
 */
const SMALL_VALUES = 64;
/** …unless its values select more than this many quads of another input (valuesWeight). */
const SMALL_VALUES_WEIGHT = 256;

export function orderJoin(ctx: Context, inputs: readonly Algebra.Operation[], bound: ReadonlySet<string>): Algebra.Operation[] {
  if (inputs.length < 2) return [...inputs];
  const known = new Set(bound);
  const remaining = units(inputs);
  const out: Algebra.Operation[] = [];
  const first = remaining.findIndex((op) => op.type === 'values' && (op as Algebra.Values).bindings.length <= SMALL_VALUES && valuesWeight(ctx, op as Algebra.Values, remaining, known, SMALL_VALUES_WEIGHT) <= SMALL_VALUES_WEIGHT);
  if (first >= 0) {
    const chosen = remaining.splice(first, 1)[0]!;
    out.push(chosen);
    for (const v of certainVars(chosen)) known.add(v);
  }
  while (remaining.length > 0) {
    // The last input has no competitor: no estimate needed.
    if (remaining.length === 1) {
      out.push(remaining.pop()!);
      break;
    }
    let best = -1;
    let bestScore = Infinity;
    const consider = (i: number, size: number, connected: boolean): void => {
      const score = size * (connected ? 1 : 1e6);
      if (score < bestScore || (score === bestScore && i < best)) {
        bestScore = score;
        best = i;
      }
    };
    // A VALUES block none of whose variables is bound yet would drive the rest: it weighs what it
    // selects (valuesWeight, which reads matches). It is weighed after the other inputs, only as far
    // as it takes to know whether it beats the best of them.
    const driving: number[] = [];
    remaining.forEach((op, i) => {
      const vars = inScopeVars(op);
      if (op.type === 'values' && ![...vars].some((v) => known.has(v))) driving.push(i);
      else consider(i, estimate(ctx, op, known), out.length === 0 || [...vars].some((v) => known.has(v)));
    });
    for (const i of driving) {
      const connected = out.length === 0;
      consider(i, valuesWeight(ctx, remaining[i] as Algebra.Values, remaining, known, connected ? bestScore : bestScore / 1e6), connected);
    }
    const chosen = remaining.splice(best < 0 ? 0 : best, 1)[0]!;
    out.push(chosen);
    for (const v of certainVars(chosen)) known.add(v);
  }
  return out;
}
