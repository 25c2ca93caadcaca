import { KnowdError } from '../base/index.js';
import { decodeTerm, encodeTerm } from '../rdf/index.js';
import type { QueryResult, Val } from '../sparql/index.js';
import { yieldToLoop, type ChunkPause } from './chunk-pause.js';

/**
 * The wire format of a federated query's part ('knowd-part'): lines of JSON, each a batch of rows,
 * the ASK answer, or the closing stats line, which proves the part whole (a cut stream never ends
 * with it).
 *
 * A batch is `{"n":rows,"vals":[v,v,...]}`: flat, the part's variables in order, row after row. A
 * number is a dictionary id, a string an encoded term, null unbound. Ids are only sent when the
 * coordinator asked for them (PartIds): a term id means the same term on every replica, because
 * every replica assigns ids from a counter in its store while applying the log in order (bulk
 * imports included; a rejected entry is undone alike), a snapshot install copies the store with its
 * counter, ids are never reused, and a deleted namespace's id is never reused either. So an id the
 * coordinator's own store had already allocated (≤ `upTo`, in namespace `nsId`) decodes there to the
 * term the participant meant, whatever later snapshot either side reads. Anything else travels as
 * text: values the query computed (BIND, aggregates, functions), and stored terms newer than `upTo`.
 *
 * Without PartIds (a coordinator of an older version) rows travel as `{"row":[text,...]}`, a line each.
 */
export interface PartIds {
  /** The namespace's id in the coordinator's store: a re-created namespace has another. */
  readonly nsId: number;
  /** The highest term id the coordinator's store had allocated when it planned the query. */
  readonly upTo: number;
}

export type PartLine =
  | { readonly n: number; readonly vals: readonly (number | string | null)[] }
  | { readonly row: readonly (string | null)[] }
  | { readonly boolean: boolean }
  | { readonly stats: { readonly rows: number; readonly elapsedMs: number } };

const CHUNK_CHARS = 65536;

/** A part's result as lines, in chunks of about 64 KiB; `ids` undefined: every value as text. */
export async function* partLines(result: QueryResult, started: number, ids: PartIds | undefined, pause: ChunkPause = yieldToLoop): AsyncGenerator<string> {
  const line = (l: PartLine): string => `${JSON.stringify(l)}\n`;
  const close = (rows: number): string => line({ stats: { rows, elapsedMs: Math.round((performance.now() - started) * 1000) / 1000 } });
  if (result.kind === 'boolean') {
    yield `${line({ boolean: result.value })}${close(0)}`;
    return;
  }
  if (result.kind !== 'bindings') throw new KnowdError('NOT_SUPPORTED', 'CONSTRUCT and DESCRIBE are not split');
  let total = 0;
  if (ids === undefined || result.vals === undefined) {
    let buf = '';
    const vars = result.vars;
    for (const r of result.rows) {
      buf += line({ row: vars.map((v) => (r[v] === undefined ? null : encodeTerm(r[v]!))) });
      total++;
      if (buf.length >= CHUNK_CHARS) {
        yield buf;
        buf = '';
        await pause();
      }
    }
    yield `${buf}${close(total)}`;
    return;
  }
  const { rows, term } = result.vals;
  const upTo = ids.upTo;
  // Built as text: JSON.stringify of an array per row would allocate it twice.
  let body = '';
  let n = 0;
  for (const r of rows) {
    for (const v of r) {
      const cell = v === undefined ? 'null' : typeof v === 'number' && v <= upTo ? String(v) : JSON.stringify(encodeTerm(term(v)));
      body = body === '' ? cell : `${body},${cell}`;
    }
    n++;
    if (body.length >= CHUNK_CHARS) {
      yield `{"n":${n},"vals":[${body}]}\n`;
      total += n;
      body = '';
      n = 0;
      await pause();
    }
  }
  total += n;
  yield `${n > 0 ? `{"n":${n},"vals":[${body}]}\n` : ''}${close(total)}`;
}

/** A value as the coordinator holds it: a dictionary id of its own store, or a term. */
export type PartVal = Val | undefined;

/**
 * Reads a part's lines as they arrive (chunks may split lines anywhere). Rows are kept flat,
 * `width` values each, so a large part costs no array per row.
 */
export class PartReader {
  readonly vals: PartVal[] = [];
  rows = 0;
  value: boolean | undefined;
  closed = false;
  private buf = '';

  constructor(private readonly width: number) {}

  push(chunk: string): void {
    let buf = this.buf === '' ? chunk : this.buf + chunk;
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
      this.line(JSON.parse(buf.slice(start, nl)) as PartLine);
      start = nl + 1;
    }
    buf = buf.slice(start);
    this.buf = buf;
  }

  private line(l: PartLine): void {
    if (this.closed) throw new KnowdError('INTERNAL', 'A query part sent lines after its closing line');
    if ('vals' in l) {
      if (l.vals.length !== l.n * this.width) throw new KnowdError('INTERNAL', `A query part sent ${l.vals.length} values for ${l.n} rows of ${this.width} variables`);
      const out = this.vals;
      for (const v of l.vals) out.push(v === null ? undefined : typeof v === 'number' ? v : decodeTerm(v));
      this.rows += l.n;
    } else if ('row' in l) {
      if (l.row.length !== this.width) throw new KnowdError('INTERNAL', `A query part sent a row of ${l.row.length} values for ${this.width} variables`);
      for (const v of l.row) this.vals.push(v === null ? undefined : decodeTerm(v));
      this.rows++;
    } else if ('boolean' in l) this.value = l.boolean;
    else if ('stats' in l) {
      if (l.stats.rows !== this.rows) throw new KnowdError('INTERNAL', `A query part announced ${l.stats.rows} rows and sent ${this.rows}`);
      this.closed = true;
    } else throw new KnowdError('INTERNAL', 'A query part sent an unknown line');
  }
}
