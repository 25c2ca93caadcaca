/**
 * Drives a writer over a (possibly async) sequence of rows and yields text in chunks of about
 * `chunkChars` characters: one tiny string per row would cost a stream write (and often a syscall)
 * per row. Memory stays constant (a chunk) except for the formats that buffer (JSON-LD).
 *
 * For the HTTP layer: `reply.send(Readable.from(serializeBindings(writer, vars, rows)))`.
 */
import type { Quad } from '@rdfjs/types';
import { assert } from '../../base/index.js';
import type { BindingsWriter, GraphWriter, ResultRow } from './writers.js';

export interface ChunkOptions {
  /** Yield once this many characters have accumulated (default 64 Ki). */
  readonly chunkChars?: number;
}

const CHUNK_CHARS_DEFAULT = 64 * 1024;

class Chunker {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly limit: number) {
    assert(Number.isInteger(limit) && limit > 0, `chunkChars must be a positive integer, got ${limit}`);
  }
  /** Adds text; returns a chunk when the limit is reached. */
  add(s: string): string | undefined {
    if (s === '') return undefined;
    this.parts.push(s);
    this.size += s.length;
    return this.size >= this.limit ? this.take() : undefined;
  }
  take(): string | undefined {
    if (this.size === 0) return undefined;
    const out = this.parts.join('');
    this.parts = [];
    this.size = 0;
    return out;
  }
}

/** The whole SELECT result document, in chunks. */
export async function* serializeBindings(
  writer: BindingsWriter,
  vars: readonly string[],
  rows: Iterable<ResultRow> | AsyncIterable<ResultRow>,
  options: ChunkOptions = {},
): AsyncGenerator<string, void, undefined> {
  const c = new Chunker(options.chunkChars ?? CHUNK_CHARS_DEFAULT);
  let chunk = c.add(writer.head(vars));
  if (chunk !== undefined) yield chunk;
  for await (const row of rows) {
    chunk = c.add(writer.row(row));
    if (chunk !== undefined) yield chunk;
  }
  chunk = c.add(writer.end()) ?? c.take();
  if (chunk !== undefined) yield chunk;
}

/** The whole CONSTRUCT/DESCRIBE result document, in chunks. */
export async function* serializeGraph(
  writer: GraphWriter,
  quads: Iterable<Quad> | AsyncIterable<Quad>,
  options: ChunkOptions = {},
): AsyncGenerator<string, void, undefined> {
  const c = new Chunker(options.chunkChars ?? CHUNK_CHARS_DEFAULT);
  let chunk = c.add(writer.head());
  if (chunk !== undefined) yield chunk;
  for await (const q of quads) {
    chunk = c.add(writer.row(q));
    if (chunk !== undefined) yield chunk;
  }
  chunk = c.add(writer.end()) ?? c.take();
  if (chunk !== undefined) yield chunk;
}

/** Synchronous whole-document helpers (tests, small results, the Knowd JSON API). */
export function bindingsToString(writer: BindingsWriter, vars: readonly string[], rows: Iterable<ResultRow>): string {
  const parts = [writer.head(vars)];
  for (const row of rows) parts.push(writer.row(row));
  parts.push(writer.end());
  return parts.join('');
}

export function graphToString(writer: GraphWriter, quads: Iterable<Quad>): string {
  const parts = [writer.head()];
  for (const q of quads) parts.push(writer.row(q));
  parts.push(writer.end());
  return parts.join('');
}
