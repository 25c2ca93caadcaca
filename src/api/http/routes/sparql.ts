import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Quad, Term } from '@rdfjs/types';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Parser } from 'n3';
import { z } from 'zod';
import { KnowdError, systemClock } from '../../../base/index.js';
import { factory } from '../../../rdf/index.js';
import { parseQuery, type ParsedQuery, type QueryOptions, type QueryResult } from '../../../sparql/index.js';
import { createBindingsWriter, createGraphWriter, formatFromName, isBindingsFormat, isBooleanFormat, isGraphFormat, negotiateResults, serializeBindings, serializeGraph, writeBoolean, type ResultFormat } from '../../../sparql/results/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { parseWith } from './common.js';

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
  const body = typeof req.body === 'string' ? req.body : '';
  if (ct === 'application/sparql-query') return { query: body, ...fromQuery };
  if (ct === 'application/sparql-update') return { update: body, ...fromQuery };
  if (ct === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(body);
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

/** `params` values are single RDF terms in Turtle syntax (<iri>, "text"@en, 42, "1"^^<dt>), parsed as terms: never spliced. */
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

function resultKind(p: ParsedQuery): 'bindings' | 'boolean' | 'graph' {
  return p.form === 'select' ? 'bindings' : p.form === 'ask' ? 'boolean' : 'graph';
}

async function* chunksOf(result: QueryResult, fmt: ResultFormat): AsyncGenerator<string> {
  // negotiateResults picked fmt for this result's kind, so the guards only fail on a programmer error.
  let chunks: AsyncGenerator<string>;
  if (result.kind === 'boolean' && isBooleanFormat(fmt)) {
    yield writeBoolean(fmt, result.value);
    return;
  } else if (result.kind === 'bindings' && isBindingsFormat(fmt)) chunks = serializeBindings(createBindingsWriter(fmt), result.vars, result.rows);
  else if (result.kind === 'quads' && isGraphFormat(fmt)) chunks = serializeGraph(createGraphWriter(fmt), result.quads);
  else throw new KnowdError('NOT_ACCEPTABLE', `${fmt.mediaType} cannot carry this result`);
  for await (const c of chunks) {
    yield c;
    // Evaluation is synchronous between chunks: let other requests, and this client's
    // disconnect (which cancels the query), get a turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export function registerSparqlRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  const nsOf = (req: FastifyRequest): string => (req.params as { name?: string }).name ?? deps.config.defaultNamespace;

  const queryOptions = (req: FastifyRequest, reply: FastifyReply, timeoutMs: number, extra: Partial<QueryOptions> = {}): QueryOptions => {
    const ac = new AbortController();
    // A client that goes away stops its query. (The request's own 'close' fires once its body is
    // read; the response's fires when the connection goes, before the response finished.)
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) ac.abort();
    });
    const now = systemClock.nowMs();
    return { deadlineMs: now + timeoutMs, timeoutMs, maxHeldValues: 20_000_000, signal: ac.signal, nowMs: () => systemClock.nowMs(), ...extra };
  };

  const outcomeOf = (e: unknown): string => {
    const code = (e as KnowdError).code;
    return code === 'QUERY_TIMEOUT' ? 'timeout' : code === 'QUERY_CANCELLED' ? 'cancelled' : 'error';
  };

  /**
   * Streams a result: the first chunk is computed before the status line, so errors found early
   * (time limit, bad function use) still become a proper JSON error; later ones cut the stream.
   */
  /** Runs a query and counts its outcome; `late` records a failure after the response has started. */
  const tracked = async <T>(run: (late: (e: unknown) => void) => Promise<T>): Promise<T> => {
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await run((e) => {
        outcome = outcomeOf(e);
      });
    } catch (e) {
      outcome = outcomeOf(e);
      throw e;
    } finally {
      deps.metrics.queries.inc({ outcome });
      deps.metrics.queryDuration.observe((performance.now() - started) / 1000);
    }
  };

  const stream = async (reply: FastifyReply, ns: string, parsed: ParsedQuery, fmt: ResultFormat, opts: QueryOptions): Promise<FastifyReply> => {
    await tracked((late) =>
      deps.engine.query(ns, parsed, opts, async (result) => {
        const it = chunksOf(result, fmt);
        const first = await it.next();
        const out = new PassThrough();
        void reply.type(fmt.contentType).send(out);
        if (first.done !== true) out.write(first.value);
        try {
          for (let r = await it.next(); r.done !== true; r = await it.next()) {
            if (!out.write(r.value)) await once(out, 'drain');
          }
          out.end();
        } catch (e) {
          // Headers are gone: the only way left to tell the client is to cut the response.
          late(e);
          if (outcomeOf(e) !== 'cancelled') deps.log.warn({ err: e, ns }, 'query failed while streaming its result');
          out.destroy(e as Error);
        }
      }),
    );
    return reply;
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const ns = nsOf(req);
    const p = protocolRequest(req);
    const iri = (x: string): Term => factory.namedNode(x);
    if (p.update !== undefined) {
      can(req, 'writer', ns);
      if (!deps.ready()) throw new KnowdError('NOT_READY', 'The node is not ready for writes');
      if (p.defaultGraphs.length > 0 || p.namedGraphs.length > 0) throw new KnowdError('NOT_SUPPORTED', 'using-graph-uri / using-named-graph-uri are not supported; use USING in the update');
      const r = await deps.engine.update(ns, p.update, req.principal.sub);
      deps.metrics.txTotal.inc({ outcome: 'committed' });
      return { receipt: r.receipt, delta: r.delta };
    }
    can(req, 'reader', ns);
    const parsed = parseQuery(p.query!);
    const q = (req.query ?? {}) as Record<string, unknown>;
    const kind = resultKind(parsed);
    const fmt = typeof q['format'] === 'string' ? formatFromName(q['format'], kind) : negotiateResults(req.headers.accept, kind);
    const dataset = p.defaultGraphs.length > 0 || p.namedGraphs.length > 0 ? { dataset: { default: p.defaultGraphs.map(iri), named: p.namedGraphs.map(iri) } } : {};
    return stream(reply, ns, parsed, fmt, queryOptions(req, reply, deps.config.clusterReadTimeoutMs, dataset));
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
    })
    .strict();

  const prepare = (req: FastifyRequest, reply: FastifyReply) => {
    const body = parseWith(QueryBody, req.body, 'query request');
    const ns = body.namespace ?? deps.config.defaultNamespace;
    can(req, 'reader', ns);
    const parsed = parseQuery(body.query);
    const params = body.params === undefined ? undefined : Object.fromEntries(Object.entries(body.params).map(([k, v]) => [k.replace(/^[?$]/, ''), parseParamTerm(k, v)]));
    const opts = queryOptions(req, reply, body.timeoutMs ?? deps.config.clusterReadTimeoutMs, { ...(params !== undefined && { params }), ...(body.explain === true && { explain: true }) });
    return { ns, parsed, opts };
  };

  // Plain JSON: {"vars": [...], "rows": [{"var": "value"}]} with each value the term's lexical value.
  app.post('/v1/query', async (req, reply) => {
    const { ns, parsed, opts } = prepare(req, reply);
    const started = performance.now();
    return tracked(() => deps.engine.query(ns, parsed, opts, (result) => {
      const stats = (rows: number) => ({ rows, elapsedMs: Math.round((performance.now() - started) * 1000) / 1000 });
      if (result.kind === 'boolean') return { boolean: result.value, stats: stats(1) };
      if (result.kind === 'quads') {
        const quads = [...result.quads].map((q) => ({ s: q.subject.value, p: q.predicate.value, o: q.object.value, g: q.graph.value }));
        return { quads, stats: stats(quads.length) };
      }
      const rows = [...result.rows].map((r) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.value])));
      return { vars: result.vars, rows, stats: stats(rows.length), ...(result.plan !== undefined && { plan: result.plan() }) };
    }));
  });

  // NDJSON: one row a line, last line {"stats": {...}}; constant memory.
  app.post('/v1/query/stream', async (req, reply) => {
    const { ns, parsed, opts } = prepare(req, reply);
    const started = performance.now();
    await tracked((late) => deps.engine.query(ns, parsed, opts, async (result) => {
      const out = new PassThrough();
      void reply.type('application/x-ndjson').send(out);
      let n = 0;
      try {
        let buf = '';
        const flush = async (): Promise<void> => {
          if (!out.write(buf)) await once(out, 'drain');
          buf = '';
        };
        if (result.kind === 'boolean') buf += `${JSON.stringify({ boolean: result.value })}\n`;
        else if (result.kind === 'bindings') {
          for (const r of result.rows) {
            buf += `${JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.value])))}\n`;
            n++;
            if (buf.length > 65536) await flush();
          }
        } else {
          for (const q of result.quads) {
            buf += `${JSON.stringify({ s: q.subject.value, p: q.predicate.value, o: q.object.value, g: q.graph.value })}\n`;
            n++;
            if (buf.length > 65536) await flush();
          }
        }
        buf += `${JSON.stringify({ stats: { rows: n, elapsedMs: Math.round(performance.now() - started) } })}\n`;
        out.end(buf);
      } catch (e) {
        late(e);
        out.end(`${JSON.stringify({ error: { code: (e as KnowdError).code ?? 'INTERNAL', message: (e as Error).message } })}\n`);
      }
    }));
    return reply;
  });
}
