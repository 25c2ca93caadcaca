/**
 * Evaluates a hook's condition. Deterministic: it reads only the given datasets, the entry's time
 * and the window count, and its budget counts quads read and rows produced (not time), so every
 * replica reaches the same verdict. A wall-clock limit (`overtime`) is the one exception, and the
 * caller treats it as a failure of this node only.
 */
import type { Quad, Term } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import { encodeTerm } from '../rdf/index.js';
import type { JsonValue } from '../receipts/index.js';
import type { ShaclReport } from '../shacl/index.js';
import { executeQuery, type Algebra, type EvalEntropy, type QueryableDataset, type QueryIdQuad } from '../sparql/index.js';
import { DEFAULT_BUDGET, parsedQuery, type CompareOp, type Condition, type StoredHook } from './definition.js';

/** Evidence rows kept per query (the first ones). */
export const EVIDENCE_ROWS = 10;

export interface EvalEnv {
  /** The state the transaction produced (pre and post hooks) or the current data (dry run). */
  readonly after: QueryableDataset;
  /** The state without the transaction's delta (DELTA conditions). */
  readonly before: QueryableDataset;
  /** The transaction's effective delta (SHACL focus nodes). */
  readonly delta: { readonly added: readonly Quad[]; readonly removed: readonly Quad[] };
  /** SHACL validation of the delta's focus nodes in the `after` state. */
  shacl(shapes: string): ShaclReport;
  /** Transactions of the namespace in the window ending at the entry's time, this one included. */
  windowCount(): number;
  readonly timeMs: number;
  readonly entropy?: EvalEntropy;
  /** The nodes the transaction changed (the subjects of its delta): ?this of a hook of scope 'delta'. Absent in a dry run: ?this is unbound there. */
  readonly focus?: readonly Term[];
  /** Called every 1024 steps; throws (transient) when this node ran out of wall-clock time. */
  overtime?(): void;
}

export interface Verdict {
  readonly value: boolean;
  readonly evidence: JsonValue;
}

/** A hook exceeded its deterministic budget. */
export class BudgetExceeded extends KnowdError {
  constructor(what: string) {
    super('REJECTED', `exceeded its budget: ${what}`, { budget: true });
  }
}

interface Meter {
  /** ?this rows for the queries (a hook of scope 'delta' with a delta), else undefined. */
  readonly thisRows: readonly Readonly<Record<string, Term>>[] | undefined;
  steps: number;
  readonly maxSteps: number;
  readonly maxRows: number;
  readonly overtime: (() => void) | undefined;
}

function metered(ds: QueryableDataset, m: Meter): QueryableDataset {
  return {
    lookup: (t) => ds.lookup(t),
    term: (id) => ds.term(id),
    count: (s, p, o, g) => ds.count(s, p, o, g),
    namedGraphs: () => ds.namedGraphs(),
    match: (s, p, o, g) => meteredMatch(ds.match(s, p, o, g), m),
  };
}

// Module-level generators, not `*match()` in the literal: see sparql/query.ts on per-call generator functions.
function* meteredMatch(quads: Iterable<QueryIdQuad>, m: Meter): Generator<QueryIdQuad> {
  for (const q of quads) {
    if (++m.steps > m.maxSteps) throw new BudgetExceeded(`read more than ${m.maxSteps} quads`);
    if ((m.steps & 1023) === 0) m.overtime?.();
    yield q;
  }
}

const compare = (a: number, op: CompareOp, b: number): boolean => {
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
};

const numberOf = (t: Term | undefined): number | undefined => {
  if (t === undefined || t.termType !== 'Literal') return undefined;
  const n = Number(t.value);
  return t.value.trim() === '' || !Number.isFinite(n) ? undefined : n;
};

type Row = Readonly<Record<string, Term>>;
const rowJson = (r: Row): JsonValue => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, encodeTerm(v)]));

function select(text: string, ds: QueryableDataset, env: EvalEnv, m: Meter): Row[] {
  const res = executeQuery(parsedQuery(text, 'select'), ds, { deadlineMs: Number.MAX_SAFE_INTEGER, timeoutMs: 0, maxHeldValues: m.maxSteps, nowMs: () => env.timeMs, ...(env.entropy !== undefined && { entropy: env.entropy }), ...(m.thisRows !== undefined && { paramRows: m.thisRows }) });
  if (res.kind !== 'bindings') throw new KnowdError('BAD_REQUEST', 'a SELECT condition did not produce bindings');
  const rows: Row[] = [];
  for (const r of res.rows) {
    if (rows.length >= m.maxRows) throw new BudgetExceeded(`produced more than ${m.maxRows} rows`);
    rows.push(r);
  }
  return rows;
}

function ask(text: string, ds: QueryableDataset, env: EvalEnv, m: Meter): boolean {
  const res = executeQuery(parsedQuery(text, 'ask'), ds, { deadlineMs: Number.MAX_SAFE_INTEGER, timeoutMs: 0, maxHeldValues: DEFAULT_BUDGET.steps, nowMs: () => env.timeMs, ...(env.entropy !== undefined && { entropy: env.entropy }), ...(m.thisRows !== undefined && { paramRows: m.thisRows }) });
  if (res.kind !== 'boolean') throw new KnowdError('BAD_REQUEST', 'an ASK condition did not produce a boolean');
  return res.value;
}

/** Count of rows, or the sum of `v`'s numeric values (non-numeric and unbound count as 0). */
const measure = (rows: readonly Row[], v: string | undefined): number => (v === undefined ? rows.length : rows.reduce((s, r) => s + (numberOf(r[v]) ?? 0), 0));

function evalCondition(c: Condition, env: EvalEnv, after: QueryableDataset, before: QueryableDataset, m: Meter): Verdict {
  if ('and' in c) {
    const parts: JsonValue[] = [];
    for (const x of c.and) {
      const v = evalCondition(x, env, after, before, m);
      parts.push(v.evidence);
      if (!v.value) return { value: false, evidence: { and: parts } };
    }
    return { value: true, evidence: { and: parts } };
  }
  if ('or' in c) {
    const parts: JsonValue[] = [];
    for (const x of c.or) {
      const v = evalCondition(x, env, after, before, m);
      parts.push(v.evidence);
      if (v.value) return { value: true, evidence: { or: parts } };
    }
    return { value: false, evidence: { or: parts } };
  }
  if ('not' in c) {
    const v = evalCondition(c.not, env, after, before, m);
    return { value: !v.value, evidence: { not: v.evidence } };
  }
  if ('ask' in c) {
    const value = ask(c.ask, after, env, m);
    return { value, evidence: { ask: value } };
  }
  if ('shacl' in c) {
    const r = env.shacl(c.shacl);
    return { value: r.conforms, evidence: { conforms: r.conforms, results: r.results.slice(0, EVIDENCE_ROWS) as unknown as JsonValue } };
  }
  if ('window' in c) {
    const n = env.windowCount();
    return { value: compare(n, c.window.count.op, c.window.count.value), evidence: { window: n } };
  }
  if ('threshold' in c) {
    const { var: v, op, value } = c.threshold;
    const rows = select(c.select, after, env, m);
    const hits = rows.filter((r) => {
      const n = numberOf(r[v]);
      return n !== undefined && compare(n, op, value);
    });
    return { value: hits.length > 0, evidence: { rows: hits.slice(0, EVIDENCE_ROWS).map(rowJson), matching: hits.length } };
  }
  if ('count' in c) {
    const rows = select(c.select, after, env, m);
    return { value: compare(rows.length, c.count.op, c.count.value), evidence: { count: rows.length, rows: rows.slice(0, EVIDENCE_ROWS).map(rowJson) } };
  }
  const rowsAfter = select(c.select, after, env, m);
  const rowsBefore = select(c.select, before, env, m);
  const a = measure(rowsAfter, c.delta.var);
  const b = measure(rowsBefore, c.delta.var);
  return { value: compare(a - b, c.delta.op, c.delta.value), evidence: { before: b, after: a, delta: a - b } };
}

/** Evaluates a hook's condition within its budget; BudgetExceeded or a query error propagate. */
export function evaluateHook(hook: StoredHook, env: EvalEnv): Verdict {
  const thisRows = hook.scope === 'delta' && env.focus !== undefined ? env.focus.map((t) => ({ this: t })) : undefined;
  const m: Meter = { thisRows, steps: 0, maxSteps: hook.budget?.steps ?? DEFAULT_BUDGET.steps, maxRows: hook.budget?.rows ?? DEFAULT_BUDGET.rows, overtime: env.overtime?.bind(env) };
  return evalCondition(hook.condition, env, metered(env.after, m), metered(env.before, m), m);
}

/**
 * What a transaction must touch for a hook to see it: per graph it reads ('' the default graph, an
 * IRI a named graph, '*' any named graph), the predicate IRIs its queries match there; or 'any' when
 * one of its leaves can be affected by any transaction (a variable or negated predicate, a SHACL or
 * a WINDOW leaf) or reads graphs it does not name (FROM / FROM NAMED).
 */
export type HookFilter = ReadonlyMap<string, ReadonlySet<string>> | 'any';

export function hookFilter(c: Condition): HookFilter {
  const byGraph = new Map<string, Set<string>>();
  const visit = (x: Condition): boolean => {
    if ('and' in x) return x.and.every(visit);
    if ('or' in x) return x.or.every(visit);
    if ('not' in x) return visit(x.not);
    if ('shacl' in x || 'window' in x) return false;
    const text = 'ask' in x ? x.ask : x.select;
    return algebraFilter(parsedQuery(text, 'ask' in x ? 'ask' : 'select').algebra, byGraph);
  };
  return visit(c) ? byGraph : 'any';
}

/** The predicates a hook's queries can match, in any graph, or 'any'. */
export function hookPredicates(c: Condition): Set<string> | 'any' {
  const f = hookFilter(c);
  return f === 'any' ? 'any' : new Set([...f.values()].flatMap((ps) => [...ps]));
}

/**
 * Adds, per graph read (the innermost GRAPH around a pattern, else the default graph), the IRIs in
 * predicate position. False when some predicate is not a fixed IRI or the query names its dataset.
 */
function algebraFilter(op: Algebra.Operation | unknown, byGraph: Map<string, Set<string>>): boolean {
  let fixed = true;
  const add = (g: string, p: string): void => {
    let set = byGraph.get(g);
    if (set === undefined) byGraph.set(g, (set = new Set()));
    set.add(p);
  };
  const walk = (n: unknown, inPath: boolean, g: string): void => {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x, inPath, g);
      return;
    }
    const o = n as Record<string, unknown>;
    if (o['type'] === 'from') fixed = false;
    if (o['type'] === 'graph') {
      const name = o['name'] as Term;
      walk(o['input'], inPath, name.termType === 'NamedNode' ? name.value : '*');
      return;
    }
    if (o['type'] === 'pattern') {
      const p = o['predicate'] as Term;
      if (p.termType === 'NamedNode') add(g, p.value);
      else fixed = false;
      return;
    }
    if (o['type'] === 'nps') {
      fixed = false;
      return;
    }
    if (o['type'] === 'link') {
      add(g, (o['iri'] as Term).value);
      return;
    }
    if (o['type'] === 'path') {
      walk(o['predicate'], true, g);
      return;
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'expression' || inPath || typeof v === 'object') walk(v, inPath, g);
  };
  walk(op, false, '');
  return fixed;
}

/**
 * Whether a delta's quads use a predicate a hook reads in the graph it reads it (a plain set: the
 * predicates in any graph).
 */
export function deltaTouches(filter: HookFilter | ReadonlySet<string>, delta: { readonly added: readonly Quad[]; readonly removed: readonly Quad[] }): boolean {
  if (filter === 'any') return true;
  const seen = (q: Quad): boolean => {
    const p = q.predicate.value;
    if (!(filter instanceof Map)) return (filter as ReadonlySet<string>).has(p);
    const f = filter as ReadonlyMap<string, ReadonlySet<string>>;
    if (q.graph.termType === 'DefaultGraph') return f.get('')?.has(p) ?? false;
    return (f.get('*')?.has(p) ?? false) || (f.get(q.graph.value)?.has(p) ?? false);
  };
  for (const q of delta.added) if (seen(q)) return true;
  for (const q of delta.removed) if (seen(q)) return true;
  return false;
}

/**
 * The state before a transaction, as a view over the state after it: the effective additions are
 * hidden and the effective removals shown again. `ids` are the delta quads as id quads (terms the
 * dataset does not know are dropped: such a quad cannot be in the store).
 */
export function beforeView(after: QueryableDataset, delta: { readonly added: readonly Quad[]; readonly removed: readonly Quad[] }): QueryableDataset {
  const idOf = (q: Quad): QueryIdQuad | undefined => {
    const ids = [q.subject, q.predicate, q.object].map((t) => after.lookup(t));
    const g = q.graph.termType === 'DefaultGraph' ? 0 : after.lookup(q.graph);
    if (ids.some((x) => x === undefined) || g === undefined) return undefined;
    return [ids[0]!, ids[1]!, ids[2]!, g];
  };
  const hidden = new Set<string>();
  for (const q of delta.added) {
    const id = idOf(q);
    if (id !== undefined) hidden.add(key(id));
  }
  const shown: QueryIdQuad[] = [];
  for (const q of delta.removed) {
    const id = idOf(q);
    if (id !== undefined) shown.push(id);
  }
  if (hidden.size === 0 && shown.length === 0) return after;
  return {
    lookup: (t) => after.lookup(t),
    term: (id) => after.term(id),
    count: (s, p, o, g) => after.count(s, p, o, g),
    namedGraphs: () => after.namedGraphs(),
    match: (s, p, o, g) => beforeMatch(after.match(s, p, o, g), hidden, shown, s, p, o, g),
  };
}

const key = (q: QueryIdQuad): string => q.join(' ');

function* beforeMatch(after: Iterable<QueryIdQuad>, hidden: ReadonlySet<string>, shown: readonly QueryIdQuad[], s: number | undefined, p: number | undefined, o: number | undefined, g: number | 'named'): Generator<QueryIdQuad> {
  for (const q of after) if (!hidden.has(key(q))) yield q;
  for (const q of shown) {
    if ((s === undefined || q[0] === s) && (p === undefined || q[1] === p) && (o === undefined || q[2] === o) && (g === 'named' ? q[3] !== 0 : q[3] === g)) yield q;
  }
}
