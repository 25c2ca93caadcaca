/**
 * SPARQL text → algebra. The only importer of sparqljs and sparqlalgebrajs' translator: everything
 * after this works on the algebra (sparqlalgebrajs' types, re-exported as our algebra).
 */
import { Generator, Parser, type IriTerm, type SparqlQuery, type Update } from 'sparqljs';
import { Algebra, translate } from 'sparqlalgebrajs';
import { KnowdError } from '../../base/index.js';

export { Algebra };

export type QueryForm = 'select' | 'ask' | 'construct' | 'describe';

export interface ParsedQuery {
  readonly kind: 'query';
  readonly form: QueryForm;
  readonly algebra: Algebra.Operation;
  /** Projected variable names in order (SELECT); empty for other forms. */
  readonly variables: readonly string[];
  /** The query's BASE (what IRI() resolves against), if it declares one. */
  readonly baseIRI?: string;
}

export interface ParsedUpdate {
  readonly kind: 'update';
  readonly algebra: Algebra.Operation;
}

interface SparqljsError extends Error {
  hash?: { line?: number; loc?: { first_line?: number; first_column?: number } };
}

function syntaxError(e: unknown, what: string): KnowdError {
  const err = e as SparqljsError;
  const line = err.hash?.loc?.first_line ?? err.hash?.line;
  const column = err.hash?.loc?.first_column;
  const details: Record<string, unknown> = {};
  if (line !== undefined) details['line'] = line;
  if (column !== undefined) details['column'] = column + 1;
  // sparqljs puts the offending text and the expected tokens on the following lines.
  const lines = (err.message ?? String(e)).split('\n');
  const got = (err as SparqljsError & { hash?: { text?: string } }).hash?.text;
  const first = got !== undefined ? `unexpected "${got}"` : (lines[0] ?? 'syntax error');
  const where = line !== undefined ? ` at line ${line}${column !== undefined ? `, column ${column + 1}` : ''}` : '';
  return new KnowdError('SPARQL_SYNTAX', `SPARQL ${what} syntax error${where}: ${first}`, details);
}

function parser(baseIRI: string | undefined): InstanceType<typeof Parser> {
  // sparqlStar off: plain SPARQL 1.1; skipValidation off so scoping errors (BIND to a bound
  // variable, aggregates without GROUP BY) are reported as the spec requires.
  return new Parser(baseIRI === undefined ? {} : { baseIRI });
}

export function parseQuery(text: string, baseIRI?: string): ParsedQuery {
  let ast: SparqlQuery;
  try {
    ast = parser(baseIRI).parse(text);
  } catch (e) {
    throw syntaxError(e, 'query');
  }
  if ((ast as { type?: string }).type === undefined) throw new KnowdError('SPARQL_SYNTAX', 'The query is empty: there is nothing after the prologue (BASE/PREFIX)');
  if (ast.type !== 'query') throw new KnowdError('BAD_REQUEST', 'Expected a query, got an update: send updates as application/sparql-update or update=');
  let algebra: Algebra.Operation;
  try {
    // Walking the trees costs a query with a large VALUES block; only a text with a LIMIT 0 needs it.
    const limitZero = LIMIT_ZERO_TEXT.test(text);
    if (limitZero) markLimitZero(ast);
    algebra = translate(ast, { quads: false, ...(baseIRI !== undefined && { baseIRI }) });
    if (limitZero) restoreLimitZero(algebra);
  } catch (e) {
    throw new KnowdError('SPARQL_SYNTAX', `SPARQL query error: ${(e as Error).message}`);
  }
  const form = ast.queryType.toLowerCase() as QueryForm;
  const variables = ast.queryType === 'SELECT' ? projectedVars(algebra) : [];
  const base = (ast as { base?: string }).base ?? baseIRI;
  return { kind: 'query', form, algebra, variables, ...(base !== undefined && { baseIRI: base }) };
}

/**
 * sparqlalgebrajs only adds a slice when `offset || limit` is truthy, so LIMIT 0 (of the query or of
 * a subquery) would vanish and return every row. The syntax tree's LIMIT 0 becomes -1 for the
 * translator, and the slice it then creates gets its length 0 back.
 */
const LIMIT_ZERO = -1;
const LIMIT_ZERO_TEXT = /limit\s+0+(?![0-9])/i;

/** Calls `visit` on every object in a syntax tree or algebra (plain data, no cycles). */
function eachObject(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) eachObject(n, visit);
    return;
  }
  const o = node as Record<string, unknown>;
  visit(o);
  for (const v of Object.values(o)) eachObject(v, visit);
}

function markLimitZero(ast: SparqlQuery): void {
  eachObject(ast, (o) => {
    if (o['type'] === 'query' && o['limit'] === 0) o['limit'] = LIMIT_ZERO;
  });
}

function restoreLimitZero(algebra: Algebra.Operation): void {
  eachObject(algebra, (o) => {
    if (o['type'] === 'slice' && o['length'] === LIMIT_ZERO) o['length'] = 0;
  });
}

function projectedVars(op: Algebra.Operation): string[] {
  let cur: Algebra.Operation = op;
  for (let i = 0; i < 8 && cur.type !== 'project'; i++) cur = (cur as Algebra.Single).input;
  return cur.type === 'project' ? (cur as Algebra.Project).variables.map((v) => v.value) : [];
}

/**
 * An update request's syntax tree, or undefined for a prologue alone (or nothing): a valid, empty
 * update request (grammar: Update ::= Prologue ( Update1 … )?).
 */
function updateAst(text: string, baseIRI: string | undefined): Update | undefined {
  let ast: SparqlQuery;
  try {
    ast = parser(baseIRI).parse(text);
  } catch (e) {
    throw syntaxError(e, 'update');
  }
  if ((ast as { type?: string }).type === undefined) return undefined;
  if (ast.type !== 'update') throw new KnowdError('BAD_REQUEST', 'Expected an update, got a query: send queries as application/sparql-query or query=');
  return ast;
}

export function parseUpdate(text: string, baseIRI?: string): ParsedUpdate {
  const ast = updateAst(text, baseIRI);
  if (ast === undefined) return { kind: 'update', algebra: { type: 'compositeupdate', updates: [] } as unknown as Algebra.Operation };
  try {
    return { kind: 'update', algebra: translate(ast, { quads: true, ...(baseIRI !== undefined && { baseIRI }) }) };
  } catch (e) {
    throw new KnowdError('SPARQL_SYNTAX', `SPARQL update error: ${(e as Error).message}`);
  }
}

/** The dataset of a SPARQL Protocol update request (using-graph-uri / using-named-graph-uri). */
export interface ProtocolDataset {
  readonly default: readonly string[];
  readonly named: readonly string[];
}

/**
 * An update request with the protocol's dataset written into it, as USING / USING NAMED on every
 * operation that has a WHERE clause (a DELETE WHERE becomes the DELETE … USING … WHERE it abbreviates).
 * Rewritten as text so that the log entry stays an update string: every replica, older ones
 * included, applies the same request. SPARQL 1.1 Protocol §2.2.3: a request that names a dataset
 * both ways (USING, USING NAMED or WITH in the text, and the parameters) is refused.
 */
export function updateWithDataset(text: string, dataset: ProtocolDataset, baseIRI?: string): string {
  const ast = updateAst(text, baseIRI);
  if (ast === undefined) return text;
  const iri = (v: string): IriTerm => ({ termType: 'NamedNode', value: v }) as IriTerm;
  const using = { default: dataset.default.map(iri), named: dataset.named.map(iri) };
  const updates = ast.updates.map((op) => {
    const o = op as unknown as Record<string, unknown>;
    if (o['updateType'] === 'insertdelete') {
      if (o['using'] !== undefined || o['graph'] !== undefined) {
        throw new KnowdError('BAD_REQUEST', 'The update names its dataset with USING, USING NAMED or WITH and the request names one with using-graph-uri / using-named-graph-uri: give one or the other');
      }
      return { ...o, using };
    }
    if (o['updateType'] === 'deletewhere') {
      const quads = o['delete'] as { type: string; name?: unknown; triples: unknown[] }[];
      const where = quads.map((q) => (q.type === 'graph' ? { type: 'graph', name: q.name, patterns: [{ type: 'bgp', triples: q.triples }] } : { type: 'bgp', triples: q.triples }));
      return { updateType: 'insertdelete', delete: quads, insert: [], where, using };
    }
    return o;
  });
  return new Generator().stringify({ ...ast, updates } as unknown as Update);
}