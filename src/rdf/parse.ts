import { Parser, StreamParser } from 'n3';
import { DataFactory } from 'n3';
import type { BlankNode, Quad, Term } from '@rdfjs/types';
import type { Readable } from 'node:stream';
import { KnowdError } from '../base/index.js';
import { n3FormatName, type RdfFormat } from './formats.js';

export interface ParseOptions {
  readonly format: RdfFormat;
  readonly baseIRI?: string;
  /**
   * Prefix for blank node labels. Blank nodes are scoped to one document, so each added document gets
   * a fresh prefix (skolemized labels); removals keep the labels as written so that an exported
   * blank node can be deleted.
   */
  readonly blankNodePrefix?: string;
  /**
   * 'ordinal' (default): labels become prefix + order of first appearance in this text.
   * 'prefix': labels become prefix + the label as written, so one document split into several
   * texts (a bulk import's batches) keeps a blank node that spans batches one node.
   */
  readonly blankNodeMode?: 'ordinal' | 'prefix';
  /** Line of the first line of `text` in a larger document (error messages of split imports). */
  readonly firstLine?: number;
  /** Which field of a request the text came from, for error messages ("add", "remove", "body"). */
  readonly source?: string;
}

interface N3ErrorContext {
  line?: number;
  token?: { start?: number } | null;
}

/** Turns n3's error into a 400 naming line and column, so the user can find the typo. */
export function syntaxError(e: unknown, source: string | undefined, lineOffset = 0): KnowdError {
  const err = e as Error & { context?: N3ErrorContext };
  const line = err.context?.line === undefined ? undefined : err.context.line + lineOffset;
  const start = err.context?.token?.start;
  const column = typeof start === 'number' ? start + 1 : undefined;
  const where = source === undefined ? '' : ` in "${source}"`;
  const details: Record<string, unknown> = {};
  if (line !== undefined) details['line'] = line;
  if (column !== undefined) details['column'] = column;
  if (source !== undefined) details['source'] = source;
  const msg = err.message.replace(/ on line \d+\.?$/, line === undefined ? '' : ` on line ${line}`).replace(/\.$/, '');
  return new KnowdError('RDF_SYNTAX', `RDF syntax error${where}: ${msg}${column !== undefined ? `, column ${column}` : ''}`, details);
}

function n3Options(opts: ParseOptions): { format: string; baseIRI?: string; blankNodePrefix: string } {
  // Labels are renamed here, not by n3: n3 names anonymous nodes ([], lists) `n3-N` from a
  // process-wide counter, which would make re-parsing the same text give different labels. The
  // USER_LABEL prefix keeps a written `_:n3-7` apart from a generated `n3-7`.
  const o: { format: string; baseIRI?: string; blankNodePrefix: string } = { format: n3FormatName(opts.format), blankNodePrefix: USER_LABEL };
  if (opts.baseIRI !== undefined) o.baseIRI = opts.baseIRI;
  return o;
}

const USER_LABEL = 'u.';

/** Applies `rename` to every blank node of the quads (the one place quads are rebuilt for labels). */
function mapBlankNodes(quads: Quad[], rename: (label: string) => BlankNode): Quad[] {
  return quads.map((q) => renameBlankNodes(q, rename));
}

function renameBlankNodes(q: Quad, rename: (label: string) => BlankNode): Quad {
  if (q.subject.termType !== 'BlankNode' && q.object.termType !== 'BlankNode' && q.graph.termType !== 'BlankNode') return q;
  const map = <T extends Term>(t: T): T => (t.termType === 'BlankNode' ? (rename(t.value) as unknown as T) : t);
  return DataFactory.quad(map(q.subject), q.predicate, map(q.object), map(q.graph));
}

const asWritten = (label: string): string => (label.startsWith(USER_LABEL) ? label.slice(USER_LABEL.length) : label);

/** Restores the labels as written (removals name stored blank nodes by their label). */
function unprefix(quads: Quad[]): Quad[] {
  return mapBlankNodes(quads, (label) => DataFactory.blankNode(asWritten(label)));
}

/** Renames blank nodes to prefix + their order of first appearance: deterministic for a given text. */
function relabel(quads: Quad[], prefix: string): Quad[] {
  const names = new Map<string, BlankNode>();
  return mapBlankNodes(quads, (label) => {
    let b = names.get(label);
    if (b === undefined) names.set(label, (b = DataFactory.blankNode(`${prefix}${names.size}`)));
    return b;
  });
}

/** Parses a whole document held in memory. */
export function parseRdf(text: string, opts: ParseOptions): Quad[] {
  if (text.trim() === '') return [];
  try {
    const raw = new Parser(n3Options(opts)).parse(text) as Quad[];
    const prefix = opts.blankNodePrefix ?? '';
    const quads = prefix === '' ? unprefix(raw) : opts.blankNodeMode === 'prefix' ? prefixLabels(raw, prefix) : relabel(raw, prefix);
    if (opts.format === 'turtle' || opts.format === 'n-triples') {
      // Turtle and N-Triples cannot name graphs; n3 accepts TriG syntax in Turtle mode only in lenient cases.
      for (const q of quads) if (q.graph.termType !== 'DefaultGraph') throw new KnowdError('RDF_SYNTAX', `RDF syntax error in "${opts.source ?? 'input'}": ${opts.format} cannot contain named graphs`);
    }
    return quads;
  } catch (e) {
    if (e instanceof KnowdError) throw e;
    throw syntaxError(e, opts.source, (opts.firstLine ?? 1) - 1);
  }
}

/** prefix + label as written (the USER_LABEL marker dropped). */
function prefixLabels(quads: Quad[], prefix: string): Quad[] {
  return mapBlankNodes(quads, (label) => DataFactory.blankNode(prefix + asWritten(label)));
}

/** Streams quads from a byte stream (import of large files): constant memory. */
export async function* parseRdfStream(input: Readable, opts: ParseOptions): AsyncGenerator<Quad> {
  // Streams are parsed once (the log keeps the relabelled text), so prefix + n3's label is enough.
  const sp = new StreamParser(n3Options(opts));
  const prefix = opts.blankNodePrefix ?? '';
  const rename = (label: string): BlankNode => DataFactory.blankNode(prefix + label);
  input.on('error', (e) => sp.destroy(e));
  input.pipe(sp);
  try {
    for await (const q of sp as AsyncIterable<Quad>) yield prefix === '' ? q : renameBlankNodes(q, rename);
  } catch (e) {
    if (e instanceof KnowdError) throw e;
    throw syntaxError(e, opts.source);
  }
}
