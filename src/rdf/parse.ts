import { Parser, StreamParser } from 'n3';
import type { Quad } from '@rdfjs/types';
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
  /** Which field of a request the text came from, for error messages ("add", "remove", "body"). */
  readonly source?: string;
}

interface N3ErrorContext {
  line?: number;
  token?: { start?: number } | null;
}

/** Turns n3's error into a 400 naming line and column, so the user can find the typo. */
export function syntaxError(e: unknown, source: string | undefined): KnowdError {
  const err = e as Error & { context?: N3ErrorContext };
  const line = err.context?.line;
  const start = err.context?.token?.start;
  const column = typeof start === 'number' ? start + 1 : undefined;
  const where = source === undefined ? '' : ` in "${source}"`;
  const details: Record<string, unknown> = {};
  if (line !== undefined) details['line'] = line;
  if (column !== undefined) details['column'] = column;
  if (source !== undefined) details['source'] = source;
  const msg = err.message.replace(/\.$/, '');
  return new KnowdError('RDF_SYNTAX', `RDF syntax error${where}: ${msg}${column !== undefined ? `, column ${column}` : ''}`, details);
}

function parser(opts: ParseOptions): Parser {
  const o: { format: string; baseIRI?: string; blankNodePrefix?: string } = { format: n3FormatName(opts.format) };
  if (opts.baseIRI !== undefined) o.baseIRI = opts.baseIRI;
  if (opts.blankNodePrefix !== undefined) o.blankNodePrefix = opts.blankNodePrefix;
  return new Parser(o);
}

/** Parses a whole document held in memory. */
export function parseRdf(text: string, opts: ParseOptions): Quad[] {
  if (text.trim() === '') return [];
  try {
    const quads = parser(opts).parse(text) as Quad[];
    if (opts.format === 'turtle' || opts.format === 'n-triples') {
      // Turtle and N-Triples cannot name graphs; n3 accepts TriG syntax in Turtle mode only in lenient cases.
      for (const q of quads) if (q.graph.termType !== 'DefaultGraph') throw new KnowdError('RDF_SYNTAX', `RDF syntax error in "${opts.source ?? 'input'}": ${opts.format} cannot contain named graphs`);
    }
    return quads;
  } catch (e) {
    if (e instanceof KnowdError) throw e;
    throw syntaxError(e, opts.source);
  }
}

/** Streams quads from a byte stream (import of large files): constant memory. */
export async function* parseRdfStream(input: Readable, opts: ParseOptions): AsyncGenerator<Quad> {
  const o: { format: string; baseIRI?: string; blankNodePrefix?: string } = { format: n3FormatName(opts.format) };
  if (opts.baseIRI !== undefined) o.baseIRI = opts.baseIRI;
  if (opts.blankNodePrefix !== undefined) o.blankNodePrefix = opts.blankNodePrefix;
  const sp = new StreamParser(o);
  input.on('error', (e) => sp.destroy(e));
  input.pipe(sp);
  try {
    for await (const q of sp) yield q as Quad;
  } catch (e) {
    if (e instanceof KnowdError) throw e;
    throw syntaxError(e, opts.source);
  }
}
