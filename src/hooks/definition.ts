/**
 * Knowledge hook definitions: a JSON document validated with zod. A hook watches one namespace;
 * its condition is a tree of leaves (ASK, SELECT + threshold / count / delta, SHACL, WINDOW) under
 * and/or/not. A `pre` hook vetoes a transaction when its condition is TRUE; a `post` hook fires when
 * it is TRUE. Definitions are stored and replicated through the log (engine 'hook-put').
 */
import { z } from 'zod';
import { KnowdError } from '../base/index.js';
import { parseQuery, type ParsedQuery } from '../sparql/index.js';

const Op = z.enum(['>', '>=', '<', '<=', '==', '!=']);
export type CompareOp = z.infer<typeof Op>;
const Compare = z.object({ op: Op, value: z.number().finite() }).strict();

export type Condition =
  | { readonly ask: string }
  | { readonly select: string; readonly threshold: { readonly var: string; readonly op: CompareOp; readonly value: number } }
  | { readonly select: string; readonly count: { readonly op: CompareOp; readonly value: number } }
  | { readonly select: string; readonly delta: { readonly var?: string | undefined; readonly op: CompareOp; readonly value: number } }
  | { readonly shacl: string }
  | { readonly window: { readonly count: { readonly op: CompareOp; readonly value: number } } }
  | { readonly and: readonly Condition[] }
  | { readonly or: readonly Condition[] }
  | { readonly not: Condition };

const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ ask: z.string().min(1) }).strict(),
    z.object({ select: z.string().min(1), threshold: z.object({ var: z.string().min(1), op: Op, value: z.number().finite() }).strict() }).strict(),
    z.object({ select: z.string().min(1), count: Compare }).strict(),
    z.object({ select: z.string().min(1), delta: z.object({ var: z.string().min(1).optional(), op: Op, value: z.number().finite() }).strict() }).strict(),
    z.object({ shacl: z.string().min(1) }).strict(),
    z.object({ window: z.object({ count: Compare }).strict() }).strict(),
    z.object({ and: z.array(ConditionSchema).min(1).max(32) }).strict(),
    z.object({ or: z.array(ConditionSchema).min(1).max(32) }).strict(),
    z.object({ not: ConditionSchema }).strict(),
  ]),
);

/** Deterministic limits of one evaluation (quads read from the store, result rows per query). */
export const DEFAULT_BUDGET = { steps: 1_000_000, rows: 10_000 } as const;

export const HookSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" or "-", at most 128, starting with a letter or digit'),
    namespace: z.string().min(1).optional(),
    phase: z.enum(['pre', 'post']),
    condition: ConditionSchema,
    description: z.string().max(4096).optional(),
    /**
     * 'delta': the queries' ?this is bound to each node the transaction changed (the subjects of its
     * effective added and removed quads), so a per-entity rule reads that entity, not the store.
     */
    scope: z.enum(['store', 'delta']).optional(),
    budget: z
      .object({ steps: z.number().int().min(1).max(DEFAULT_BUDGET.steps).optional(), rows: z.number().int().min(1).max(DEFAULT_BUDGET.rows).optional() })
      .strict()
      .optional(),
  })
  .strict();

export type HookDefinition = z.infer<typeof HookSchema>;
/** A definition as stored: its namespace is always set. */
export type StoredHook = HookDefinition & { readonly namespace: string };

type Issue = { readonly code: string; readonly path: readonly PropertyKey[]; readonly message: string; readonly errors?: readonly (readonly Issue[])[] };

const pathOf = (i: Issue, prefix: readonly PropertyKey[]): string => [...prefix, ...i.path].map(String).join('.') || 'hook';

/** The most specific issues: a union's members' issues (the deepest, i.e. the member that got furthest). */
function flatten(i: Issue, prefix: readonly PropertyKey[]): { path: string; message: string }[] {
  if (i.code === 'invalid_union' && i.errors !== undefined && i.errors.length > 0) {
    const inner = i.errors.map((errs) => errs.flatMap((e) => flatten(e, [...prefix, ...i.path])));
    const depth = (xs: { path: string }[]): number => Math.max(0, ...xs.map((x) => x.path.split('.').length));
    const best = inner.filter((xs) => xs.length > 0 && !xs.some((x) => /unrecognized key/i.test(x.message))).sort((a, b) => depth(b) - depth(a))[0];
    if (best !== undefined) return best;
    return [{ path: pathOf(i, prefix), message: 'not a valid condition (one of ask, select + threshold|count|delta, shacl, window, and, or, not)' }];
  }
  return [{ path: pathOf(i, prefix), message: i.message }];
}

/**
 * Validates a definition (schema, then every SPARQL text parses and has the right form). Throws
 * BAD_REQUEST naming the field, or SPARQL_SYNTAX from the parser.
 */
export function parseHook(body: unknown, defaultNamespace: string): StoredHook {
  const r = HookSchema.safeParse(body);
  if (!r.success) {
    const issues = (r.error.issues as unknown as Issue[]).flatMap((i) => flatten(i, []));
    const first = issues[0] ?? { path: 'hook', message: 'invalid' };
    throw new KnowdError('BAD_REQUEST', `Invalid hook definition: ${first.path}: ${first.message}`, { field: first.path, issues });
  }
  const hook: StoredHook = { ...r.data, namespace: r.data.namespace ?? defaultNamespace };
  checkQueries(hook.condition, hook.scope === 'delta', 'condition');
  return hook;
}

/** `?this` or `$this` as a variable of the query text (a crude scan; the parser checked the syntax). */
const usesThis = (text: string): boolean => /[?$]this\b/.test(text);

function checkQueries(c: Condition, scoped: boolean, at: string): void {
  if ('and' in c) c.and.forEach((x, i) => checkQueries(x, scoped, `${at}.and.${i}`));
  else if ('or' in c) c.or.forEach((x, i) => checkQueries(x, scoped, `${at}.or.${i}`));
  else if ('not' in c) checkQueries(c.not, scoped, `${at}.not`);
  else if ('ask' in c || 'select' in c) {
    const form = 'ask' in c ? 'ask' : 'select';
    const text = 'ask' in c ? c.ask : c.select;
    parsedQuery(text, form);
    if (scoped && !usesThis(text)) {
      throw new KnowdError('BAD_REQUEST', `Invalid hook definition: ${at}.${form}: a hook of scope "delta" binds ?this to each changed node; this query does not use ?this`, { field: `${at}.${form}` });
    }
  }
}

const parsedCache = new Map<string, ParsedQuery>();

/** Parses (and caches) a hook's query, checking its form. */
export function parsedQuery(text: string, form: 'ask' | 'select'): ParsedQuery {
  const key = `${form}\0${text}`;
  let p = parsedCache.get(key);
  if (p === undefined) {
    p = parseQuery(text);
    if (p.form !== form) throw new KnowdError('BAD_REQUEST', `Invalid hook definition: condition.${form} must be a SPARQL ${form.toUpperCase()} query, got ${p.form.toUpperCase()}`);
    if (parsedCache.size > 1000) parsedCache.clear();
    parsedCache.set(key, p);
  }
  return p;
}
