import type { Term } from '@rdfjs/types';
import { Parser } from 'n3';
import { KnowdError } from '../base/index.js';
import { requireNamespace, type QuadStore } from '../dataset/index.js';
import type { Quad } from '../rdf/index.js';
import { factory } from '../rdf/index.js';
import { executeQuery, parseQuery, planSplit, prepareQuery, type ParsedQuery, type PartitionShare, type QueryOptions, type QueryResult, type SimilarSearch } from '../sparql/index.js';
import {
  createBindingsWriter,
  createGraphWriter,
  formatFromName,
  isBindingsFormat,
  isBooleanFormat,
  isGraphFormat,
  serializeBindings,
  serializeGraph,
  writeBoolean,
  type ResultFormatName,
} from '../sparql/results/index.js';
import type { ReadTxn, Storage } from '../storage/index.js';
import { partLines, type PartIds } from './part-lines.js';
import { yieldToLoop, type ChunkPause } from './chunk-pause.js';
import { queryableDataset } from './queryable.js';

/**
 * A query as plain data, so it can run on the main thread (memory store) or in a query worker
 * (LMDB): the text, where to run it, and how to write its result.
 */
export interface QueryJob {
  readonly namespace: string;
  readonly query: string;
  readonly baseIRI?: string;
  /** Initial bindings as single RDF terms in Turtle syntax ("<iri>", "\"text\"@en", "42"). */
  readonly params?: Readonly<Record<string, string>>;
  readonly dataset?: { readonly default: readonly string[]; readonly named: readonly string[] };
  readonly timeoutMs: number;
  /** When the query was taken (ms since epoch): its time limit counts from here, a wait for a worker included. Default: when it starts. */
  readonly acceptedAtMs?: number;
  readonly maxHeldValues: number;
  /**
   * A W3C result format, or Knowd's JSON API ('v1-json' whole document, 'v1-ndjson' a row a line),
   * or 'knowd-part': one part of a federated query (rows as arrays of encoded terms, a line each).
   */
  readonly format: ResultFormatName | 'v1-json' | 'v1-ndjson' | 'knowd-part';
  readonly explain?: boolean;
  /** Run only this share of the split plan (sparql/split) of the query: a federated query's part. */
  readonly part?: QueryPart;
}

export interface QueryPart {
  /** The ids and computed values this part owns (sparql/split/partition.ts). */
  readonly share: PartitionShare;
  /** The driving variable the coordinator chose (every part must split on the same one). */
  readonly driving: string;
  /** The coordinator's NOW(), so every part and the merge agree on it. */
  readonly queryTimeMs: number;
  /** Which stored terms may travel as ids (part-lines.ts); absent: all as text. */
  readonly ids?: PartIds;
}


/** `params` values are single RDF terms, parsed as terms: never spliced into the query text. */
export function parseParamTerm(name: string, text: string): Term {
  let quads: Quad[];
  try {
    quads = new Parser({ format: 'Turtle' }).parse(`<urn:knowd:s> <urn:knowd:p> ${text} .`) as Quad[];
  } catch {
    throw new KnowdError('BAD_REQUEST', `params.${name}: not an RDF term: ${text.slice(0, 100)}`);
  }
  const q = quads[0];
  if (quads.length !== 1 || q === undefined || q.subject.value !== 'urn:knowd:s' || q.predicate.value !== 'urn:knowd:p' || q.object.termType === 'BlankNode') {
    throw new KnowdError('BAD_REQUEST', `params.${name}: give exactly one IRI or literal, e.g. "<http://example.org/x>" or "\\"text\\"@en"`);
  }
  return q.object;
}

// Parsing costs ~0.5 ms a query; clients repeat their queries, so the algebra of recent texts is
// kept (the evaluator never mutates it).
const parsedCache = new Map<string, ReturnType<typeof parseQuery>>();
const PARSED_CACHE_MAX = 256;

export function parseCached(query: string, baseIRI?: string): ReturnType<typeof parseQuery> {
  const key = `${baseIRI ?? ''}\u0000${query}`;
  const hit = parsedCache.get(key);
  if (hit !== undefined) return hit;
  const parsed = parseQuery(query, baseIRI);
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.delete(parsedCache.keys().next().value as string);
  parsedCache.set(key, parsed);
  return parsed;
}

/** The form of a query's result, so a format can be negotiated before the query runs. */
export function resultKindOf(query: string, baseIRI?: string): 'bindings' | 'boolean' | 'graph' {
  const p = parseCached(query, baseIRI);
  return p.form === 'select' ? 'bindings' : p.form === 'ask' ? 'boolean' : 'graph';
}

/** A result in the job's format, chunk by chunk (also the coordinator's output of a federated query). */
export async function* resultChunks(
  result: QueryResult,
  job: Pick<QueryJob, 'format'>,
  started: number,
  extra?: Readonly<Record<string, unknown>>,
  pause: ChunkPause = yieldToLoop,
  ids?: PartIds,
): AsyncGenerator<string> {
  if (job.format === 'knowd-part') {
    yield* partLines(result, started, ids, pause);
    return;
  }
  if (job.format === 'v1-json' || job.format === 'v1-ndjson') {
    yield* knowdJson(result, job.format, started, pause, extra);
    return;
  }
  yield* chunks(result, job as QueryJob & { format: ResultFormatName }, started, pause);
}

async function* chunks(result: QueryResult, job: QueryJob & { format: ResultFormatName }, started: number, pause: ChunkPause): AsyncGenerator<string> {
  const fmt = formatFromName(job.format);
  let out: AsyncGenerator<string>;
  if (result.kind === 'boolean' && isBooleanFormat(fmt)) {
    yield writeBoolean(fmt, result.value);
    return;
  } else if (result.kind === 'bindings' && isBindingsFormat(fmt)) out = serializeBindings(createBindingsWriter(fmt), result.vars, result.rows);
  else if (result.kind === 'quads' && isGraphFormat(fmt)) out = serializeGraph(createGraphWriter(fmt), result.quads);
  else throw new KnowdError('NOT_ACCEPTABLE', `${fmt.mediaType} cannot carry this result`);
  for await (const c of out) {
    yield c;
    await pause();
  }
}

/** Knowd's JSON API: each value is the term's lexical form. */
async function* knowdJson(result: QueryResult, format: 'v1-json' | 'v1-ndjson', started: number, pause: ChunkPause, extra?: Readonly<Record<string, unknown>>): AsyncGenerator<string> {
  const stats = (rows: number) => ({ rows, elapsedMs: Math.round((performance.now() - started) * 1000) / 1000 });
  const quad = (q: Quad) => ({ s: q.subject.value, p: q.predicate.value, o: q.object.value, g: q.graph.value });
  if (format === 'v1-json') {
    if (result.kind === 'boolean') yield JSON.stringify({ boolean: result.value, stats: stats(1) });
    else if (result.kind === 'quads') {
      const quads = [...result.quads].map(quad);
      yield JSON.stringify({ quads, stats: stats(quads.length) });
    } else {
      const rows = [...plainRows(result)];
      yield JSON.stringify({ vars: result.vars, rows, stats: stats(rows.length), ...(result.plan !== undefined && { plan: result.plan() }), ...extra });
    }
    return;
  }
  let n = 0;
  let buf = '';
  if (result.kind === 'boolean') buf = `${JSON.stringify({ boolean: result.value })}\n`;
  else {
    const items: Iterable<unknown> = result.kind === 'bindings' ? plainRows(result) : mapIter(result.quads, quad);
    for (const item of items) {
      buf += `${JSON.stringify(item)}\n`;
      n++;
      if (buf.length >= 65536) {
        yield buf;
        buf = '';
        await pause();
      }
    }
  }
  yield `${buf}${JSON.stringify({ stats: stats(n) })}\n`;
}

/**
 * Solutions as Knowd's JSON API writes them: each value's lexical form, in a plain object filled in
 * a loop. From the evaluator's values where the result has them (`vals`: no solution object a row);
 * Object.fromEntries(Object.entries(...).map(...)) over solutions was about half of a large
 * answer's output time.
 */
function* plainRows(result: Extract<QueryResult, { kind: 'bindings' }>): Generator<Record<string, string>> {
  const set = (o: Record<string, string>, k: string, value: string): void => {
    // A variable named ?__proto__ must stay a binding, not set the prototype.
    if (k === '__proto__') Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
    else o[k] = value;
  };
  if (result.vals === undefined) {
    for (const r of result.rows) {
      const o: Record<string, string> = {};
      for (const k of Object.keys(r)) set(o, k, r[k]!.value);
      yield o;
    }
    return;
  }
  const { rows, term } = result.vals;
  const vars = result.vars;
  for (const r of rows) {
    const o: Record<string, string> = {};
    for (let i = 0; i < vars.length; i++) {
      const v = r[i];
      if (v !== undefined) set(o, vars[i]!, term(v).value);
    }
    yield o;
  }
}

function* mapIter<A, B>(it: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const a of it) yield f(a);
}

/** The vector search a query in namespace `ns` may use (knowd:similarTo), where the node has one. */
export type SimilarFor = (ns: string) => SimilarSearch;

/**
 * Runs a job in one read snapshot, handing each chunk to `emit` (which may wait: backpressure).
 * Errors before the first chunk propagate so the caller can still answer with a status.
 */
export async function runQueryJob(
  storage: Storage,
  quads: QuadStore,
  job: QueryJob,
  emit: (chunk: string) => Promise<void>,
  signal?: AbortSignal,
  similar?: SimilarFor,
  pause: ChunkPause = yieldToLoop,
): Promise<void> {
  const started = performance.now();
  const parsed = parseCached(job.query, job.baseIRI);
  const params = job.params === undefined ? undefined : Object.fromEntries(Object.entries(job.params).map(([k, v]) => [k.replace(/^[?$]/, ''), parseParamTerm(k, v)]));
  const now = Date.now();
  const opts: QueryOptions = {
    deadlineMs: (job.acceptedAtMs ?? now) + job.timeoutMs,
    timeoutMs: job.timeoutMs,
    maxHeldValues: job.maxHeldValues,
    nowMs: Date.now,
    ...(signal !== undefined && { signal }),
    ...(params !== undefined && { params }),
    ...(job.explain === true && { explain: true }),
    ...(job.baseIRI !== undefined && { baseIRI: job.baseIRI }),
    ...(job.dataset !== undefined && { dataset: { default: job.dataset.default.map((i) => factory.namedNode(i)), named: job.dataset.named.map((i) => factory.namedNode(i)) } }),
  };
  const { query, options } = job.part === undefined ? { query: parsed, options: opts } : partOf(parsed, opts, job.part);
  await storage.read(async (txn: ReadTxn) => {
    const ns = requireNamespace(txn, job.namespace);
    const result = executeQuery(query, queryableDataset(quads, txn, ns.id, similar === undefined ? {} : { similar: similar(job.namespace) }), options);
    // A namespace re-created since the coordinator planned has other ids: text only, then.
    const ids = job.part?.ids !== undefined && job.part.ids.nsId === ns.id ? job.part.ids : undefined;
    for await (const c of resultChunks(result, job, started, undefined, pause, ids)) await emit(c);
  });
}

/**
 * A federated query's part: the same split plan the coordinator made (planSplit is a pure function
 * of the prepared query), restricted to this part's share.
 */
function partOf(parsed: ParsedQuery, opts: QueryOptions, part: QueryPart): { query: ParsedQuery; options: QueryOptions } {
  const decision = planSplit(prepareQuery(parsed, opts), { variable: part.driving });
  if (!decision.splittable) throw new KnowdError('BAD_REQUEST', `The query cannot be split: ${decision.reason}`);
  const p = decision.plan;
  const { params: _p, dataset: _d, ...rest } = opts;
  return { query: p.participant, options: { ...rest, queryTimeMs: part.queryTimeMs, partition: { ...part.share, variable: p.driving, points: p.points } } };
}
