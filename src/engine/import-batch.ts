/**
 * A bulk-import batch in the form apply consumes: every distinct term once (in encodeTerm's form, in
 * order of first appearance) and each quad as four indexes into that list. Parsing, checking and
 * hashing a batch is most of an import's CPU and needs nothing from the store, so it can run on
 * another thread (the daemon's import worker) while this one applies the previous batch; and apply
 * interns each distinct term once instead of once per occurrence.
 *
 * The first-appearance order matters: it is the order in which apply allocates term ids, the same
 * order as interning quad by quad (s, p, o, g), so replicas and replays allocate identical ids.
 */
import type { Quad } from '@rdfjs/types';
import { checkQuad, decodeTerm, encodeTerm, factory, parseRdf } from '../rdf/index.js';
import { deltaHash } from '../receipts/index.js';

/** The graph slot of a quad in the default graph (term indexes stay far below it). */
export const DEFAULT_GRAPH_SLOT = 0xffff_ffff;

export interface EncodedBatch {
  /** Distinct terms (encodeTerm form) in order of first appearance. */
  readonly terms: readonly string[];
  /** Four entries per quad: indexes into `terms` for s, p, o, g (g = DEFAULT_GRAPH_SLOT for the default graph). */
  readonly quads: Uint32Array;
}

export interface ImportBatchRequest {
  readonly text: string;
  readonly format: 'n-triples' | 'n-quads';
  readonly bnodePrefix: string;
  /** Line of the text's first line in the whole input, for error positions. */
  readonly firstLine: number;
  /** Limit on canonicalizing the batch (blank nodes make RDFC-1.0 expensive). */
  readonly canonTimeoutMs: number;
}

export interface PreparedImportBatch extends EncodedBatch {
  /** The receipt's delta hash of this batch as an addition (see receipts/canonical). */
  readonly deltaHash: string;
}

/** Parses, checks and hashes a batch exactly as apply would re-parse it from the log. */
export async function prepareImportBatch(req: ImportBatchRequest): Promise<PreparedImportBatch> {
  const quads = parseImportText(req.text, req.format, req.bnodePrefix, req.firstLine);
  const encoded = encodeQuads(quads);
  const hash = await deltaHash(quads, [], { timeoutMs: req.canonTimeoutMs });
  return { ...encoded, deltaHash: hash };
}

/** The one parse of an import batch's text, shared by the proposer and by apply on every replica. */
export function parseImportText(text: string, format: 'n-triples' | 'n-quads', bnodePrefix: string, firstLine: number): Quad[] {
  return parseRdf(text, { format, blankNodePrefix: bnodePrefix, blankNodeMode: 'prefix', firstLine, source: 'import' });
}

/** Checks every quad (as apply's QuadWriter.add would) and encodes the batch. */
export function encodeQuads(quads: readonly Quad[]): EncodedBatch {
  const index = new Map<string, number>();
  const terms: string[] = [];
  const out = new Uint32Array(quads.length * 4);
  const slot = (t: Quad['subject'] | Quad['object']): number => {
    const s = encodeTerm(t);
    let i = index.get(s);
    if (i === undefined) {
      i = terms.length;
      terms.push(s);
      index.set(s, i);
    }
    return i;
  };
  for (let k = 0; k < quads.length; k++) {
    const q = quads[k] as Quad;
    checkQuad(q);
    out[k * 4] = slot(q.subject);
    out[k * 4 + 1] = slot(q.predicate);
    out[k * 4 + 2] = slot(q.object);
    out[k * 4 + 3] = q.graph.termType === 'DefaultGraph' ? DEFAULT_GRAPH_SLOT : slot(q.graph);
  }
  return { terms, quads: out };
}

/** The quads of a batch as RDF/JS objects (for SHACL, hooks and receipts' consumers). */
export function decodeQuads(b: EncodedBatch, keep?: (k: number) => boolean): Quad[] {
  const terms = b.terms.map((t) => decodeTerm(t));
  const out: Quad[] = [];
  for (let k = 0; k < b.quads.length / 4; k++) {
    if (keep !== undefined && !keep(k)) continue;
    const g = b.quads[k * 4 + 3] as number;
    out.push(
      factory.quad(
        terms[b.quads[k * 4] as number] as Quad['subject'],
        terms[b.quads[k * 4 + 1] as number] as Quad['predicate'],
        terms[b.quads[k * 4 + 2] as number] as Quad['object'],
        (g === DEFAULT_GRAPH_SLOT ? factory.defaultGraph() : terms[g]) as Quad['graph'],
      ),
    );
  }
  return out;
}

/** Number of quads in a batch. */
export function batchSize(b: EncodedBatch): number {
  return b.quads.length / 4;
}

/**
 * Prepares import batches: in this thread by default; the daemon plugs in a worker thread so that
 * parsing the next batch overlaps applying this one.
 */
export interface ImportPreparer {
  prepare(req: ImportBatchRequest): Promise<PreparedImportBatch>;
  close(): Promise<void>;
}

export const inThreadPreparer: ImportPreparer = {
  prepare: prepareImportBatch,
  close: async () => undefined,
};
