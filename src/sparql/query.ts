import type { Quad, Term } from '@rdfjs/types';
import { factory } from '../rdf/index.js';
import { Context, type EvalLimits } from './eval/context.js';
import type { QueryableDataset } from './eval/dataset.js';
import { Evaluator } from './eval/evaluate.js';
import { explainPlan, type PlanNode } from './explain.js';
import type { Algebra, ParsedQuery } from './parse/index.js';
import type { Val } from './eval/rows.js';
import type { PartitionFilter } from './split/partition.js';

export interface QueryOptions extends EvalLimits, QueryOptionsExplain {
  readonly baseIRI?: string;
  /** Initial bindings (`params` of /v1/query): joined as VALUES, never spliced into the text. */
  readonly params?: Readonly<Record<string, Term>>;
  /**
   * Initial bindings as several rows of the same variables (a hook's ?this, one row per node the
   * transaction changed), joined as one VALUES block; an empty list yields no solutions.
   */
  readonly paramRows?: readonly Readonly<Record<string, Term>>[];
  /** The protocol's default-graph-uri / named-graph-uri: replaces the query's own FROM clauses. */
  readonly dataset?: { readonly default: readonly Term[]; readonly named: readonly Term[] };
  /** A split query's part (split/plan.ts): only solutions in this hash range of the driving variable. */
  readonly partition?: PartitionFilter;
}

export type Solution = Readonly<Record<string, Term>>;

export interface QueryOptionsExplain {
  /** Collect row counts per operator (see explain.ts); read them with `plan()` after consuming the rows. */
  readonly explain?: boolean;
}

/**
 * The same rows as `rows`, as evaluator values in `vars` order (undefined: unbound): a stored term
 * stays its dictionary id, so a federated part can ship ids instead of text. Read either `rows` or
 * `vals`, once; `term` decodes a value in the same snapshot.
 */
export interface ValRows {
  readonly rows: Iterable<readonly (Val | undefined)[]>;
  term(v: Val): Term;
}

export type QueryResult =
  | { readonly kind: 'bindings'; readonly vars: readonly string[]; readonly rows: Iterable<Solution>; readonly vals?: ValRows; readonly plan?: () => PlanNode }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'quads'; readonly quads: Iterable<Quad> };

const WRAPPERS = new Set(['slice', 'distinct', 'reduced', 'project', 'orderby', 'construct', 'describe', 'ask']);

/** Puts the parameter VALUES at the bottom of the solution modifiers, joined with the WHERE clause. */
function injectParams(op: Algebra.Operation, values: Algebra.Values): Algebra.Operation {
  if (WRAPPERS.has(op.type)) {
    return { ...op, input: injectParams((op as Algebra.Single).input, values) } as Algebra.Operation;
  }
  return { type: 'join', input: [values, op] } as Algebra.Join;
}

/** Operators with one input that a row-set of initial bindings may sink through (see injectDeep). */
const SINGLE_INPUT = new Set([...WRAPPERS, 'group', 'extend', 'filter']);

/**
 * Joins VALUES as deep as single-input operators go, i.e. under GROUP BY, BIND and FILTER too: the
 * rows then flow into the patterns' index scans, where a join above a GROUP would first aggregate
 * the whole store. For variables the patterns bind this is substitution, the semantics of initial
 * bindings; used for a hook's ?this (paramRows), not for /v1/query's params (kept as they were).
 */
function injectDeep(op: Algebra.Operation, values: Algebra.Values): Algebra.Operation {
  if (SINGLE_INPUT.has(op.type) && !Array.isArray((op as Algebra.Single).input)) {
    return { ...op, input: injectDeep((op as Algebra.Single).input, values) } as Algebra.Operation;
  }
  return { type: 'join', input: [values, op] } as Algebra.Join;
}

/**
 * sparqlalgebrajs puts FROM and LIMIT/OFFSET above ASK/CONSTRUCT/DESCRIBE; the query form belongs on
 * top, with the slice under it: a CONSTRUCT's LIMIT counts solutions, not triples (§16.2).
 */
const ABOVE_FORM = new Set(['from', 'slice']);

function formOnTop(op: Algebra.Operation): Algebra.Operation {
  if (!ABOVE_FORM.has(op.type)) return op;
  const inner = formOnTop((op as Algebra.Single).input);
  if (inner.type !== 'ask' && inner.type !== 'construct' && inner.type !== 'describe') return op;
  return { ...inner, input: { ...op, input: (inner as Algebra.Single).input } } as Algebra.Operation;
}

function stripFrom(op: Algebra.Operation): Algebra.Operation {
  if (op.type === 'from') return (op as Algebra.From).input;
  if (WRAPPERS.has(op.type)) return { ...op, input: stripFrom((op as Algebra.Single).input) } as Algebra.Operation;
  return op;
}

function withDataset(op: Algebra.Operation, ds: NonNullable<QueryOptions['dataset']>): Algebra.Operation {
  const from = (input: Algebra.Operation): Algebra.From =>
    ({ type: 'from', input, default: ds.default as Algebra.From['default'], named: ds.named as Algebra.From['named'] }) as Algebra.From;
  const inner = stripFrom(op);
  if (inner.type === 'ask' || inner.type === 'construct' || inner.type === 'describe') return { ...inner, input: from((inner as Algebra.Single).input) } as Algebra.Operation;
  return from(inner);
}

/**
 * Runs a parsed query over a dataset. Results are lazy: rows are produced as they are pulled, so
 * the caller must consume them while the dataset's snapshot is open.
 */
/**
 * The algebra as it runs: parameter VALUES joined in, the protocol's dataset in place of FROM, the
 * query form on top. A split query is planned on this (both the coordinator and each participant
 * plan the same prepared algebra, so they agree on the plan).
 */
export function prepareQuery(parsed: ParsedQuery, opts: Pick<QueryOptions, 'params' | 'paramRows' | 'dataset'>): ParsedQuery {
  let algebra = parsed.algebra;
  if (opts.params !== undefined && Object.keys(opts.params).length > 0) {
    const names = Object.keys(opts.params);
    const values: Algebra.Values = {
      type: 'values' as Algebra.Values['type'],
      variables: names.map((n) => factory.variable(n)),
      bindings: [Object.fromEntries(names.map((n) => [`?${n}`, opts.params![n] as Algebra.Values['bindings'][number][string]]))],
    };
    algebra = injectParams(algebra, values);
  }
  if (opts.paramRows !== undefined) {
    const names = [...new Set(opts.paramRows.flatMap((r) => Object.keys(r)))];
    const values: Algebra.Values = {
      type: 'values' as Algebra.Values['type'],
      variables: names.map((n) => factory.variable(n)),
      bindings: opts.paramRows.map((r) => Object.fromEntries(Object.entries(r).map(([n, t]) => [`?${n}`, t as Algebra.Values['bindings'][number][string]]))),
    };
    algebra = injectDeep(algebra, values);
  }
  if (opts.dataset !== undefined) algebra = withDataset(algebra, opts.dataset);
  algebra = formOnTop(algebra);
  return algebra === parsed.algebra ? parsed : { ...parsed, algebra };
}

type Prepared = { readonly algebra: Algebra.Operation; readonly values: Algebra.Values };
const templates = new WeakMap<ParsedQuery, Map<string, Prepared>>();

/**
 * A query run again and again with other rows of the same parameters (a hook's ?this, once per
 * transaction): its prepared algebra is built once, around a VALUES node with no rows of its own
 * that each run fills through its Context. So the plan's nodes are the same objects every run, and
 * what is worked out per node and cached by node (variable scopes) is worked out once, not per run.
 * Only when every row binds every parameter (else a row's unbound cell would change which
 * variables are certain) and nothing else is injected.
 */
function paramTemplate(parsed: ParsedQuery, opts: Pick<QueryOptions, 'params' | 'paramRows' | 'dataset'>): { algebra: Algebra.Operation; params: NonNullable<Context['params']> } | undefined {
  const rows = opts.paramRows;
  if (rows === undefined || rows.length === 0 || opts.dataset !== undefined || (opts.params !== undefined && Object.keys(opts.params).length > 0)) return undefined;
  const names = Object.keys(rows[0]!).sort();
  if (!rows.every((r) => Object.keys(r).length === names.length && names.every((n) => r[n] !== undefined))) return undefined;
  const key = names.join('\0');
  let byNames = templates.get(parsed);
  if (byNames === undefined) templates.set(parsed, (byNames = new Map()));
  let t = byNames.get(key);
  if (t === undefined) {
    const values: Algebra.Values = { type: 'values' as Algebra.Values['type'], variables: names.map((n) => factory.variable(n)), bindings: [] };
    t = { algebra: formOnTop(injectDeep(parsed.algebra, values)), values };
    byNames.set(key, t);
  }
  const bindings = rows.map((r) => Object.fromEntries(names.map((n) => [`?${n}`, r[n] as Algebra.Values['bindings'][number][string]])));
  return { algebra: t.algebra, params: { node: t.values, bindings } };
}

/**
 * Runs a parsed query over a dataset. Results are lazy: rows are produced as they are pulled, so
 * the caller must consume them while the dataset's snapshot is open.
 */
export function executeQuery(parsed: ParsedQuery, data: QueryableDataset, opts: QueryOptions): QueryResult {
  const template = paramTemplate(parsed, opts);
  const ctx = new Context(data, opts, template?.params);
  // The query's own BASE wins; parsed.baseIRI already falls back to the base it was parsed with.
  const ev = new Evaluator(ctx, parsed.baseIRI ?? opts.baseIRI);
  if (opts.explain === true) ev.profile = { ops: new Map(), patterns: new Map() };
  if (opts.partition !== undefined) ev.restrict(opts.partition);
  const algebra = template?.algebra ?? prepareQuery(parsed, opts).algebra;
  switch (algebra.type) {
    case 'ask': {
      for (const _ of ev.exec((algebra as Algebra.Ask).input, [])) return { kind: 'boolean', value: true };
      return { kind: 'boolean', value: false };
    }
    case 'construct':
      return { kind: 'quads', quads: construct(ev, algebra as Algebra.Construct) };
    case 'describe':
      return { kind: 'quads', quads: describe(ev, algebra as Algebra.Describe) };
    default: {
      const vars = parsed.variables;
      const slots = vars.map((v) => ev.slot(v));
      const root = algebra;
      return {
        kind: 'bindings',
        vars,
        ...(ev.profile !== undefined && { plan: () => explainPlan(root, ev.profile!) }),
        vals: { rows: valRows(ev, algebra, slots), term: (v) => ctx.term(v) },
        rows: solutions(ev, algebra, slots, vars),
      };
    }
  }
}

/*
 * The generators below are module-level functions on purpose. A generator function created per call
 * (an inline `function*`, or a `*method()` of an object literal) gets its own prototype and hidden
 * class when first called; V8 keeps hidden classes outside the young generation, and the class points
 * back to the function and so to everything it closes over. Every query's state then outlived the
 * next minor GCs and was copied and promoted until a full GC: measured with 10 hooks per
 * transaction, 2-3 MB promoted per scavenge and 4-6 ms scavenges, the p95 of a checked transaction.
 */
function* valRows(ev: Evaluator, algebra: Algebra.Operation, slots: readonly number[]): Generator<(Val | undefined)[]> {
  for (const r of ev.exec(algebra, [])) yield slots.map((s) => r[s]);
}

function* solutions(ev: Evaluator, algebra: Algebra.Operation, slots: readonly number[], vars: readonly string[]): Generator<Record<string, Term>> {
  const ctx = ev.ctx;
  for (const r of ev.exec(algebra, [])) {
    // No prototype: a variable named ?__proto__ must stay a binding.
    const sol = Object.create(null) as Record<string, Term>;
    for (let i = 0; i < slots.length; i++) {
      const v = r[slots[i]!];
      if (v !== undefined) sol[vars[i]!] = ctx.term(v);
    }
    yield sol;
  }
}

function* construct(ev: Evaluator, op: Algebra.Construct): Generator<Quad> {
  const seen = new Set<string>();
  let n = 0;
  for (const r of ev.exec(op.input, [])) {
    n++;
    const fresh = new Map<string, Term>();
    for (const t of op.template) {
      const inst = (x: Term): Term | undefined => {
        if (x.termType === 'Variable') {
          const v = r[ev.slot(x.value)];
          return v === undefined ? undefined : ev.ctx.term(v);
        }
        if (x.termType === 'BlankNode') {
          let b = fresh.get(x.value);
          if (b === undefined) fresh.set(x.value, (b = factory.blankNode(`c${n}_${x.value}`)));
          return b;
        }
        return x;
      };
      const s = inst(t.subject);
      const p = inst(t.predicate);
      const o = inst(t.object);
      if (s === undefined || p === undefined || o === undefined) continue;
      if (s.termType === 'Literal' || p.termType !== 'NamedNode') continue;
      const q = factory.quad(s as Quad['subject'], p as Quad['predicate'], o as Quad['object']);
      const k = `${s.termType}${s.value}|${p.value}|${o.termType}${o.value}|${o.termType === 'Literal' ? `${(o as { language: string }).language}^${(o as { datatype: Term }).datatype.value}` : ''}`;
      if (seen.has(k)) continue;
      seen.add(k);
      ev.ctx.hold(1);
      yield q;
    }
  }
}

/** DESCRIBE: the concise bounded description (outgoing triples, following blank nodes) of each resource. */
function* describe(ev: Evaluator, op: Algebra.Describe): Generator<Quad> {
  const ctx = ev.ctx;
  const targets = new Map<string, number>();
  const add = (v: number | Term | undefined): void => {
    if (typeof v === 'number') targets.set(`#${v}`, v);
  };
  const varTerms = op.terms.filter((t) => t.termType === 'Variable');
  for (const t of op.terms) if (t.termType !== 'Variable') add(ctx.data.lookup(t));
  if (varTerms.length > 0) {
    for (const r of ev.exec(op.input, [])) for (const v of varTerms) add(r[ev.slot(v.value)] as number | Term | undefined);
  }
  const done = new Set<number>();
  const queue = [...targets.values()];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (done.has(id)) continue;
    done.add(id);
    for (const q of ctx.data.match(id, undefined, undefined, 0)) {
      ctx.tick();
      const o = ctx.data.term(q[2]);
      if (o.termType === 'BlankNode') queue.push(q[2]);
      yield factory.quad(ctx.data.term(q[0]) as Quad['subject'], ctx.data.term(q[1]) as Quad['predicate'], o as Quad['object']);
    }
  }
}

