import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KnowdError, hasAny } from '../../../base/index.js';
import { FORMAT_MEDIA_TYPE, factory, formatFromFileName, formatFromMediaType, parseRdf, quadToNQuads, type Quad, type RdfFormat } from '../../../rdf/index.js';
import { RESULT_FORMATS, createGraphWriter, serializeGraph, type GraphFormatName } from '../../../sparql/results/index.js';
import type { ReadTxn } from '../../../storage/index.js';
import { sendFromSnapshot } from '../snapshot-stream.js';
import { isMultipart, type MultipartBody } from '../multipart.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { localIri } from './common.js';

/** SPARQL 1.1 Graph Store HTTP Protocol; writes go through the same transaction pipeline. */
type Target = { kind: 'default' } | { kind: 'graph'; iri: string } | { kind: 'dataset' };

function target(query: Record<string, unknown>): Target {
  const hasDefault = Object.prototype.hasOwnProperty.call(query, 'default');
  const graph = query['graph'];
  if (hasDefault && graph !== undefined) throw new KnowdError('BAD_REQUEST', 'Give either ?default or ?graph=IRI, not both');
  if (hasDefault) return { kind: 'default' };
  if (typeof graph === 'string') {
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>"{}|\\^`]*$/.test(graph)) throw new KnowdError('BAD_REQUEST', `?graph must be an absolute IRI, got "${graph}"`);
    return { kind: 'graph', iri: graph };
  }
  if (graph !== undefined) throw new KnowdError('BAD_REQUEST', 'Give ?graph once');
  return { kind: 'dataset' };
}

/** What GET offers, the default first: a graph in every RDF format; a dataset (several graphs) only in quad formats. */
const GRAPH_OFFERS: readonly GraphFormatName[] = ['turtle', 'n-triples', 'n-quads', 'trig', 'json-ld'];
const DATASET_OFFERS: readonly GraphFormatName[] = ['n-quads', 'trig', 'json-ld'];

function graphFormatOf(mediaType: string): GraphFormatName | undefined {
  return GRAPH_OFFERS.find((n) => RESULT_FORMATS[n].mediaType === mediaType || RESULT_FORMATS[n].aliases.includes(mediaType));
}

function negotiate(accept: string | undefined, dataset: boolean): GraphFormatName {
  const offers = dataset ? DATASET_OFFERS : GRAPH_OFFERS;
  if (accept === undefined || accept.trim() === '' || accept.includes('*/*')) return offers[0]!;
  const wanted = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type!.trim().toLowerCase(), q: q === undefined ? 1 : Number(q.slice(2)) };
    })
    .sort((a, b) => b.q - a.q);
  for (const w of wanted) {
    const f = graphFormatOf(w.type);
    if (f !== undefined && offers.includes(f) && w.q > 0) return f;
  }
  throw new KnowdError('NOT_ACCEPTABLE', `Cannot produce ${accept}; offered: ${offers.map((f) => RESULT_FORMATS[f].mediaType).join(', ')}`);
}

/** A graph's quads as triples (Turtle and N-Triples have no graphs). */
function* asTriples(quads: Iterable<Quad>): Generator<Quad> {
  for (const q of quads) yield factory.quad(q.subject, q.predicate, q.object);
}

export function registerStoreRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  const nsOf = (req: FastifyRequest): string => (req.params as { name?: string }).name ?? deps.config.defaultNamespace;

  const get = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const ns = nsOf(req);
    can(req, 'reader', ns);
    const info = deps.engine.namespace(ns);
    const t = target(req.query as Record<string, unknown>);
    const format = negotiate(req.headers.accept, t.kind === 'dataset');
    const g = t.kind === 'default' ? factory.defaultGraph() : t.kind === 'graph' ? factory.namedNode(t.iri) : 'all';
    const quads = (r: ReadTxn): Iterable<Quad> => deps.engine.quads.matchTerms(r, info.id, null, null, null, g);
    if (t.kind === 'graph' && !deps.engine.read((r) => hasAny(quads(r)))) throw new KnowdError('NOT_FOUND', `Graph <${t.iri}> does not exist in namespace "${ns}"`);
    const triplesOnly = format === 'turtle' || format === 'n-triples';
    // Streamed from one snapshot: a whole store is not built in memory, nor serialized in one go.
    return sendFromSnapshot(reply, RESULT_FORMATS[format].contentType, (fn) => deps.engine.read(fn), (r) => serializeGraph(createGraphWriter(format), triplesOnly ? asTriples(quads(r)) : quads(r)), deps.log);
  };

  const write = (mode: 'put' | 'post') => async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const ns = nsOf(req);
    can(req, 'writer', ns);
    const t = target(req.query as Record<string, unknown>);
    if (t.kind === 'dataset' && mode === 'put') throw new KnowdError('BAD_REQUEST', 'PUT needs ?default or ?graph=IRI');
    const storeBase = localIri(ns, 'store');
    let doc: { readonly format: RdfFormat; readonly text: string } | undefined;
    if (isMultipart(req.body)) {
      doc = { format: 'n-quads', text: mergeParts(req.body, t.kind === 'graph' ? t.iri : storeBase) };
    } else {
      const format = formatFromMediaType(req.headers['content-type']);
      if (format === undefined) throw new KnowdError('UNSUPPORTED_MEDIA_TYPE', `Send RDF as ${Object.values(FORMAT_MEDIA_TYPE).join(', ')}, or several documents as multipart/form-data`);
      doc = { format, text: typeof req.body === 'string' ? req.body : '' };
    }
    // GSP §5.5: triples POSTed to the Graph Store itself make a new graph, named by the store (its IRI
    // in Location, for ?graph=). A dataset (TriG, N-Quads) POSTed there is merged graph by graph.
    const minted = t.kind === 'dataset' && mode === 'post' && (doc.format === 'turtle' || doc.format === 'n-triples' || isMultipart(req.body)) ? localIri(ns, `graphs/${randomUUID()}`) : undefined;
    const graph = minted ?? (t.kind === 'default' ? '' : t.kind === 'graph' ? t.iri : undefined);
    const r = await deps.engine.transact({
      namespace: ns,
      format: doc.format,
      add: doc.text,
      actor: req.principal.sub,
      baseIRI: t.kind === 'graph' ? t.iri : (minted ?? storeBase),
      ...(graph !== undefined && { graph }),
      ...(mode === 'put' && graph !== undefined && { replace: graph }),
    });
    if (minted !== undefined) {
      void reply.status(201).header('location', minted);
      return { graph: minted, receipt: r.receipt, delta: r.delta };
    }
    void reply.status(mode === 'put' && r.delta.removed === 0 && r.delta.added > 0 ? 201 : 200);
    return { receipt: r.receipt, delta: r.delta };
  };

  const del = async (req: FastifyRequest): Promise<unknown> => {
    const ns = nsOf(req);
    can(req, 'writer', ns);
    const t = target(req.query as Record<string, unknown>);
    if (t.kind === 'dataset') throw new KnowdError('BAD_REQUEST', 'DELETE needs ?default or ?graph=IRI');
    const graph = t.kind === 'default' ? '' : t.iri;
    if (t.kind === 'graph') {
      const info = deps.engine.namespace(ns);
      const exists = deps.engine.read((r) => hasAny(deps.engine.quads.matchTerms(r, info.id, null, null, null, factory.namedNode(t.iri))));
      if (!exists) throw new KnowdError('NOT_FOUND', `Graph <${t.iri}> does not exist in namespace "${ns}"`);
    }
    const r = await deps.engine.transact({ namespace: ns, format: 'n-quads', actor: req.principal.sub, replace: graph });
    return { receipt: r.receipt, delta: r.delta };
  };

  for (const prefix of ['', '/ns/:name']) {
    app.get(`${prefix}/store`, get);
    app.put(`${prefix}/store`, write('put'));
    app.post(`${prefix}/store`, write('post'));
    app.delete(`${prefix}/store`, del);
  }
}

/**
 * The parts of a multipart POST as one N-Quads document: each part in the format its Content-Type
 * (or file name) names, with blank nodes kept apart per part, since each part is its own document.
 */
function mergeParts(body: MultipartBody, baseIRI: string): string {
  if (body.multipart.length === 0) throw new KnowdError('BAD_REQUEST', 'The multipart/form-data request has no parts');
  const lines: string[] = [];
  body.multipart.forEach((part, i) => {
    const what = part.filename ?? part.name;
    const format = formatFromMediaType(part.contentType) ?? formatFromFileName(part.filename ?? '');
    if (format === undefined) throw new KnowdError('UNSUPPORTED_MEDIA_TYPE', `Part "${what}" of the multipart request: send RDF as ${Object.values(FORMAT_MEDIA_TYPE).join(', ')} (its Content-Type was "${part.contentType}")`);
    for (const q of parseRdf(part.text, { format, baseIRI, blankNodePrefix: `part${i}_`, source: what })) lines.push(`${quadToNQuads(q)}\n`);
  });
  return lines.join('');
}