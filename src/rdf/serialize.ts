import { Writer } from 'n3';
import type { Quad } from '@rdfjs/types';
import { n3FormatName, type RdfFormat } from './formats.js';

/** Serializes quads to text; N-Quads/N-Triples are line-based and safe to concatenate. */
export function serializeRdf(quads: Iterable<Quad>, format: RdfFormat, prefixes: Record<string, string> = {}): Promise<string> {
  const w = new Writer({ format: n3FormatName(format), prefixes });
  for (const q of quads) w.addQuad(q as Parameters<Writer['addQuad']>[0]);
  return new Promise((resolve, reject) => w.end((err: Error | null, out: string) => (err ? reject(err) : resolve(out))));
}

/** One quad as an N-Quads line without the newline, synchronously (hot paths: log entries, export). */
export function quadToNQuads(q: Quad): string {
  const w = new Writer({ format: 'N-Quads' });
  return w.quadToString(q.subject as never, q.predicate as never, q.object as never, q.graph as never).trimEnd();
}
