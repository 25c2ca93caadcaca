import type { FastifyReply, FastifyRequest } from 'fastify';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import { inlineQueryExecutor, resultKindOf, type QueryExecutor, type QueryJob } from '../../../engine/index.js';
import { createGraphWriter, formatFromName, graphToString, negotiateResults } from '../../../sparql/results/index.js';
import { serviceDescription } from '../service-description.js';
import { updateWithDataset } from '../../../sparql/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { drained } from '../snapshot-stream.js';
import { localIri, parseWith } from './common.js';

/** SPARQL 1.1 Protocol (/sparql, /ns/{name}/sparql) and the Knowd JSON query API (/v1/query). */

interface ProtocolRequest {
  readonly query?: string;
  readonly update?: string;
  readonly defaultGraphs: string[];
  readonly namedGraphs: string[];
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

function protocolRequest(req: FastifyRequest): ProtocolRequest {
  const q = (req.query ?? {}) as Record<string, unknown>;
  const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const fromQuery = { defaultGraphs: list(q['default-graph-uri'] ?? q['using-graph-uri']), namedGraphs: list(q['named-graph-uri'] ?? q['using-named-graph-uri']) };
  if (req.method === 'GET') {
    if (q['update'] !== undefined) throw new KnowdError('BAD_REQUEST', 'Updates must be sent with POST');
    if (typeof q['query'] !== 'string') throw new KnowdError('BAD_REQUEST', 'Give the query as ?query=');
    return { query: q['query'], ...fromQuery };
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new KnowdError('UNSUPPORTED_MEDIA_TYPE', `SPARQL requests are UTF-8 (SPARQL 1.1 Protocol); the body says charset=${charset}`);
  const body = typeof req.body === 'string' ? req.body : '';
  if (ct === 'application/sparql-query') return { query: body, ...fromQuery };
  if (ct === 'application/sparql-update') return { update: body, ...fromQuery };
  if (ct === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(body);
    if (form.getAll('query').length > 1 || form.getAll('update').length > 1) throw new KnowdError('BAD_REQUEST', 'Give one query= or one update= per request');
    const query = form.get('query');
    const update = form.get('update');
    const dg = [...form.getAll('default-graph-uri'), ...form.getAll('using-graph-uri')];
    const ng = [...form.getAll('named-graph-uri'), ...form.getAll('using-named-graph-uri')];
    const ds = { defaultGraphs: dg.length > 0 ? dg : fromQuery.defaultGraphs, namedGraphs: ng.length > 0 ? ng : fromQuery.namedGraphs };
    if (query !== null && update !== null) throw new KnowdError('BAD_REQUEST', 'Give either query= or update=, not both');
    if (query !== null) return { query, ...ds };
    if (update !== null) return { update, ...ds };
    throw new KnowdError('BAD_REQUEST', 'The form needs a query= or update= field');
  }
  throw new KnowdError('UNSUPPORTED_MEDIA_TYPE', 'POST a query as application/sparql-query, an update as application/sparql-update, or either as an HTML form');
}

const MAX_HELD_VALUES = 20_000_000;

/**
 * The base IRI of requests to a namespace's SPARQL endpoint, for relative IRIs in a query or update
 * without BASE (SPARQL 1.1 Protocol: "service-defined", which "MAY be the service endpoint").
 */
const serviceBase = (ns: string): string => localIri(ns, 'sparql');

export function registerSparqlRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  const vectors = deps.vectors;
  const executor: QueryExecutor = deps.queries ?? inlineQueryExecutor(deps.engine.storage, deps.engine.quads, vectors === undefined ? undefined : (ns) => vectors.sparqlSearch(ns));
  const nsOf = (req: FastifyRequest): string => (req.params as { name?: string }).name ?? deps.config.defaultNamespace;

  const outcomeOf = (e: unknown): string => {
    const code = (e as KnowdError).code;
    return code === 'QUERY_TIMEOUT' ? 'timeout' : code === 'QUERY_CANCELLED' ? 'cancelled' : 'error';
  };

  /**
   * Runs a job and streams its chunks: the first chunk (or error) is awaited before the status
   * line, so early errors are proper JSON errors; later ones cut the response. A client that goes
   * away stops the query.
   */
  /**
   * Where a query runs: here, or split across the cluster (federation/) when the client asks
   * ("federated": true, X-Knowd-Federated: true) or its estimated cost reaches
   * KNOWD_FEDERATION_MIN_COST. X-Knowd-Federation tells which, and why.
   */
  const runnerOf = (req: FastifyRequest, reply: FastifyReply, job: QueryJob, bodyFlag: boolean | undefined): ((signal: AbortSignal) => AsyncIterable<string>) => {
    const local = (signal: AbortSignal): AsyncIterable<string> => executor.run(job, signal);
    const fed = deps.federation;
    const header = req.headers['x-knowd-federated'];
    const asked = bodyFlag ?? (header === 'true' ? true : header === 'false' ? false : undefined);
    if (fed === undefined || asked === false) return local;
    const d = fed.coordinator.decide(job, asked === true);
    if (!d.federate) {
      if (asked === true) {
        deps.metrics.federatedQueries.inc({ outcome: 'local' });
        void reply.header('x-knowd-federation', ascii(`local; ${d.reason}`));
      }
      return local;
    }
    void reply.header('x-knowd-federation', ascii(`split; ${d.plan!.kind} on ?${d.plan!.driving}; ${d.reason}`));
    return (signal) => fed.coordinator.run(job, d, signal);
  };

  const respond = async (reply: FastifyReply, job: QueryJob, contentType: string, run: (signal: AbortSignal) => AsyncIterable<string> = (signal) => executor.run(job, signal)): Promise<FastifyReply> => {
    const started = performance.now();
    const ac = new AbortController();
    // The request's own 'close' fires once its body is read; the response's when the client goes.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) ac.abort();
    });
    let outcome = 'ok';
    const it = run(ac.signal)[Symbol.asyncIterator]();
    try {
      const first = await it.next();
      // Most answers are one chunk: sent as a string they skip a stream's set-up and piping (~0.1 ms
      // of a sub-millisecond query) and carry a Content-Length.
      const second = first.done === true ? first : await it.next();
      if (second.done === true) return await reply.type(contentType).send(first.done === true ? '' : first.value);
      const out = new PassThrough();
      void reply.type(contentType).send(out);
      out.write(first.value);
      out.write(second.value);
      try {
        for (let r = await it.next(); r.done !== true; r = await it.next()) {
          if (!out.write(r.value)) await drained(out, ac.signal);
        }
        out.end();
      } catch (e) {
        // Headers are gone: the only way left to tell the client is to cut the response.
        outcome = outcomeOf(e);
        if (outcome !== 'cancelled') deps.log.warn({ err: e, ns: job.namespace }, 'query failed while streaming its result');
        out.destroy(e as Error);
      }
    } catch (e) {
      outcome = outcomeOf(e);
      throw e;
    } finally {
      await it.return?.();
      deps.metrics.queries.inc({ outcome });
      deps.metrics.queryDuration.observe((performance.now() - started) / 1000);
    }
    return reply;
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const ns = nsOf(req);
    const params = (req.query ?? {}) as Record<string, unknown>;
    if (req.method === 'GET' && params['query'] === undefined && params['update'] === undefined) {
      // No query: the endpoint describes itself (SPARQL 1.1 Service Description, §2). Its address is
      // the one the client used, so the sd:endpoint triple matches what it dereferenced.
      can(req, 'reader', ns);
      deps.engine.namespace(ns);
      const fmt = negotiateResults(req.headers.accept, 'graph');
      const endpoint = `${req.protocol}://${req.headers.host ?? 'localhost'}${req.url.split('?')[0]}`;
      void reply.type(fmt.contentType);
      return graphToString(createGraphWriter(fmt, { prefixes: { sd: 'http://www.w3.org/ns/sparql-service-description#' } }), serviceDescription(endpoint));
    }
    const p = protocolRequest(req);
    if (p.update !== undefined) {
      can(req, 'writer', ns);
      if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
      const text = p.defaultGraphs.length > 0 || p.namedGraphs.length > 0 ? updateWithDataset(p.update, { default: p.defaultGraphs, named: p.namedGraphs }, serviceBase(ns)) : p.update;
      const r = await deps.engine.update(ns, text, req.principal.sub, serviceBase(ns));
      deps.metrics.txTotal.inc({ outcome: 'committed' });
      return { receipt: r.receipt, delta: r.delta };
    }
    can(req, 'reader', ns);
    deps.engine.namespace(ns);
    const query = p.query!;
    // Parsed here too: a syntax error or an unacceptable format answers before any work is queued.
    const kind = resultKindOf(query, serviceBase(ns));
    const fmt = typeof params['format'] === 'string' ? formatFromName(params['format'], kind) : negotiateResults(req.headers.accept, kind);
    const job: QueryJob = {
      namespace: ns,
      query,
      timeoutMs: deps.config.clusterReadTimeoutMs,
      maxHeldValues: MAX_HELD_VALUES,
      format: fmt.name,
      baseIRI: serviceBase(ns),
      ...((p.defaultGraphs.length > 0 || p.namedGraphs.length > 0) && { dataset: { default: p.defaultGraphs, named: p.namedGraphs } }),
    };
    return respond(reply, job, fmt.contentType, runnerOf(req, reply, job, undefined));
  };

  for (const prefix of ['', '/ns/:name']) {
    app.get(`${prefix}/sparql`, handle);
    app.post(`${prefix}/sparql`, handle);
  }

  const QueryBody = z
    .object({
      query: z.string().min(1),
      namespace: z.string().optional(),
      params: z.record(z.string(), z.string()).optional(),
      timeoutMs: z.number().int().min(1).max(24 * 3600 * 1000).optional(),
      explain: z.boolean().optional(),
      /** Split the query across the cluster (true), or never (false); absent: by estimated cost. */
      federated: z.boolean().optional(),
    })
    .strict();

  const jobOf = (req: FastifyRequest, format: QueryJob['format']): { job: QueryJob; federated: boolean | undefined } => {
    const body = parseWith(QueryBody, req.body, 'query request');
    const ns = body.namespace ?? deps.config.defaultNamespace;
    can(req, 'reader', ns);
    deps.engine.namespace(ns);
    resultKindOf(body.query);
    const job: QueryJob = {
      namespace: ns,
      query: body.query,
      timeoutMs: body.timeoutMs ?? deps.config.clusterReadTimeoutMs,
      maxHeldValues: MAX_HELD_VALUES,
      format,
      ...(body.params !== undefined && { params: body.params }),
      ...(body.explain === true && { explain: true }),
    };
    return { job, federated: body.federated };
  };

  const v1 = async (req: FastifyRequest, reply: FastifyReply, format: 'v1-json' | 'v1-ndjson', contentType: string): Promise<FastifyReply> => {
    const { job, federated } = jobOf(req, format);
    return respond(reply, job, contentType, runnerOf(req, reply, job, federated));
  };

  // Plain JSON: {"vars": [...], "rows": [{"var": "value"}], "stats"} with each value the term's lexical form.
  app.post('/v1/query', async (req, reply) => v1(req, reply, 'v1-json', 'application/json; charset=utf-8'));
  // NDJSON: one row a line, last line {"stats": {...}}; constant memory.
  app.post('/v1/query/stream', async (req, reply) => v1(req, reply, 'v1-ndjson', 'application/x-ndjson'));
}

/** Header values are ASCII. */
function ascii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 400);
}
