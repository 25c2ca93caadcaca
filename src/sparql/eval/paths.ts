import type { Algebra } from '../parse/index.js';
import type { Context } from './context.js';
import { sameVal, valMapKey, type Val } from './rows.js';

/**
 * Property paths over one or more graphs (several when FROM merges graphs into the default graph).
 * Sequences and alternatives keep duplicates (they are joins and unions); `*`, `+` and `?` are
 * evaluated as sets with a visited set per start node, so cycles terminate (SPARQL 1.1 §18.4 ALP).
 */
export type Pair = readonly [Val, Val];

/**
 * `constEnds` says which ends are constants written in the query: a zero-length path relates such a
 * constant to itself even on an empty graph, while a value bound from elsewhere (VALUES, a join)
 * must occur in the graph (W3C property-path zero_or_*_set_* and values_and_path).
 */
export interface ConstEnds {
  readonly s: boolean;
  readonly o: boolean;
}
const NO_CONST: ConstEnds = { s: false, o: false };

export function* evalPath(ctx: Context, path: Algebra.PropertyPathSymbol, s: Val | undefined, o: Val | undefined, graphs: readonly number[], constEnds: ConstEnds = NO_CONST): Generator<Pair> {
  switch (path.type) {
    case 'link': {
      const p = ctx.linkId(path as Algebra.Link);
      if (p === undefined) return;
      const sid = typeof s === 'number' ? s : undefined;
      const oid = typeof o === 'number' ? o : undefined;
      if ((s !== undefined && sid === undefined) || (o !== undefined && oid === undefined)) return;
      const seen = graphs.length > 1 ? new Set<string>() : undefined;
      // An end bound from outside the path (a join, a closure's frontier) varies from call to call:
      // probe sites (probe.ts) turn many such calls into one scan and a hash table. Constants of the
      // query are fixed parts of the site.
      const vs = sid !== undefined && !constEnds.s;
      const vo = oid !== undefined && !constEnds.o;
      for (const g of graphs) {
        const quads = graphs.length === 1 && (vs || vo) ? ctx.probeSite([vs ? undefined : sid, p, vo ? undefined : oid], [vs, false, vo], g).match(sid, p, oid) : ctx.data.match(sid, p, oid, g);
        for (const q of quads) {
          ctx.tick();
          if (seen !== undefined) {
            const k = `${q[0]} ${q[2]}`;
            if (seen.has(k)) continue;
            seen.add(k);
          }
          yield [q[0], q[2]];
        }
      }
      return;
    }
    case 'inv':
      for (const [a, b] of evalPath(ctx, (path as Algebra.Inv).path, o, s, graphs, { s: constEnds.o, o: constEnds.s })) yield [b, a];
      return;
    case 'seq': {
      const [first, ...rest] = (path as Algebra.Seq).input;
      if (first === undefined) return;
      if (rest.length === 0) {
        yield* evalPath(ctx, first, s, o, graphs, constEnds);
        return;
      }
      const tail: Algebra.PropertyPathSymbol = rest.length === 1 ? rest[0]! : ({ type: 'seq', input: rest } as Algebra.Seq);
      if (s === undefined && o !== undefined) {
        // Bound end: walk from the object side so the first step is selective.
        for (const [m, b] of evalPath(ctx, tail, undefined, o, graphs, { s: false, o: constEnds.o })) for (const [a] of evalPath(ctx, first, undefined, m, graphs)) yield [a, b];
        return;
      }
      for (const [a, m] of evalPath(ctx, first, s, undefined, graphs, { s: constEnds.s, o: false })) for (const [, b] of evalPath(ctx, tail, m, o, graphs, { s: false, o: constEnds.o })) yield [a, b];
      return;
    }
    case 'alt':
      for (const p of (path as Algebra.Alt).input) yield* evalPath(ctx, p, s, o, graphs, constEnds);
      return;
    case 'nps': {
      const excluded = new Set((path as Algebra.Nps).iris.map((i) => ctx.data.lookup(i)).filter((x): x is number => x !== undefined));
      const sid = typeof s === 'number' ? s : undefined;
      const oid = typeof o === 'number' ? o : undefined;
      if ((s !== undefined && sid === undefined) || (o !== undefined && oid === undefined)) return;
      for (const g of graphs) {
        for (const q of ctx.data.match(sid, undefined, oid, g)) {
          ctx.tick();
          if (!excluded.has(q[1])) yield [q[0], q[2]];
        }
      }
      return;
    }
    case 'ZeroOrOnePath':
      yield* closure(ctx, (path as Algebra.ZeroOrOnePath).path, s, o, graphs, 'zeroOrOne', constEnds);
      return;
    case 'ZeroOrMorePath':
      yield* closure(ctx, (path as Algebra.ZeroOrMorePath).path, s, o, graphs, 'zeroOrMore', constEnds);
      return;
    case 'OneOrMorePath':
      yield* closure(ctx, (path as Algebra.OneOrMorePath).path, s, o, graphs, 'oneOrMore', constEnds);
      return;
    default:
      throw new Error(`unknown path operator ${path.type}`);
  }
}

type Mode = 'zeroOrOne' | 'zeroOrMore' | 'oneOrMore';

/** Every node reached from `start` (set semantics), including start itself for zero-length modes. */
function reach(ctx: Context, p: Algebra.PropertyPathSymbol, start: Val, graphs: readonly number[], mode: Mode, forward: boolean, startIsConst = false): Val[] {
  const seen = new Map<number | string, Val>();
  // Zero-length paths relate terms of the graph to themselves, not values the store has never
  // seen (W3C property-path/values_and_path).
  if (mode !== 'oneOrMore' && (startIsConst || inGraphs(ctx, start, graphs))) seen.set(valMapKey(start), start);
  let frontier: Val[] = [start];
  const visitedFrom = new Set<number | string>();
  while (frontier.length > 0) {
    const next: Val[] = [];
    for (const x of frontier) {
      const kx = valMapKey(x);
      if (visitedFrom.has(kx)) continue;
      visitedFrom.add(kx);
      const steps = forward ? evalPath(ctx, p, x, undefined, graphs) : evalPath(ctx, p, undefined, x, graphs);
      for (const [a, b] of steps) {
        const y = forward ? b : a;
        const ky = valMapKey(y);
        if (!seen.has(ky)) {
          seen.set(ky, y);
          ctx.hold(1);
        }
        if (mode !== 'zeroOrOne') next.push(y);
      }
    }
    frontier = mode === 'zeroOrOne' ? [] : next;
  }
  return [...seen.values()];
}

/** Whether a value occurs as a subject or object in one of the graphs (the dictionary keeps terms of removed quads). */
function inGraphs(ctx: Context, v: Val, graphs: readonly number[]): boolean {
  if (typeof v !== 'number') return false;
  for (const g of graphs) {
    for (const _ of ctx.data.match(v, undefined, undefined, g)) return true;
    for (const _ of ctx.data.match(undefined, undefined, v, g)) return true;
  }
  return false;
}

/** All subjects and objects of the graphs: the nodes a zero-length path relates to themselves. */
function allNodes(ctx: Context, graphs: readonly number[]): Val[] {
  const nodes = new Map<number, true>();
  for (const g of graphs) {
    for (const q of ctx.data.match(undefined, undefined, undefined, g)) {
      ctx.tick();
      nodes.set(q[0], true);
      nodes.set(q[2], true);
    }
  }
  ctx.hold(nodes.size);
  return [...nodes.keys()];
}

function* closure(ctx: Context, p: Algebra.PropertyPathSymbol, s: Val | undefined, o: Val | undefined, graphs: readonly number[], mode: Mode, constEnds: ConstEnds): Generator<Pair> {
  if (s !== undefined) {
    for (const y of reach(ctx, p, s, graphs, mode, true, constEnds.s)) if (o === undefined || sameVal(o, y)) yield [s, y];
    return;
  }
  if (o !== undefined) {
    for (const x of reach(ctx, p, o, graphs, mode, false, constEnds.o)) yield [x, o];
    return;
  }
  // Both ends free: start from every node that can begin a path (all nodes for zero-length modes).
  const starts =
    mode === 'oneOrMore'
      ? [...new Map([...evalPath(ctx, p, undefined, undefined, graphs)].map(([a]) => [valMapKey(a), a] as const)).values()]
      : allNodes(ctx, graphs);
  for (const x of starts) for (const y of reach(ctx, p, x, graphs, mode, true)) yield [x, y];
}
