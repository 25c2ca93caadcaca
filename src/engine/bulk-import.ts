import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Writer } from 'n3';
import type { Quad } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import { parseRdfStream, type RdfFormat } from '../rdf/index.js';
import type { Engine, ImportBatchOrder, PreparedImport, TxResult } from './engine.js';

export interface ImportOptions {
  readonly namespace: string;
  readonly format: RdfFormat;
  readonly actor: string;
  /** Quads (lines, for line-based formats) per batch: one log entry and one receipt each. */
  readonly batchQuads?: number;
}

export interface ImportResult {
  readonly namespace: string;
  readonly quads: number;
  readonly added: number;
  readonly batches: number;
  readonly receipts: string[];
  readonly durationMs: number;
}

const DEFAULT_BATCH = 20_000;

/** Batches prepared ahead of the one committing: enough to keep the worker busy, few enough to bound memory. */
const PREPARE_AHEAD = 2;
/**
 * Batches submitted before the earlier ones committed: with two, one is applied while the one
 * before it is flushed to disk. Each applies only if the one before it did (import-order.ts).
 */
const COMMITS_IN_FLIGHT = 2;

/**
 * Bulk load in constant memory: the input is cut into batches, each committed as one log entry with
 * one receipt. Preparing the next batches overlaps the commits of the previous ones; at most
 * COMMITS_IN_FLIGHT batches commit at a time and PREPARE_AHEAD wait prepared, which bounds memory
 * to a few batches; batches commit in input order. A failed batch stops the load: the batches
 * before it stay committed (and are reported in the error), the one behind it is refused.
 */
export async function bulkImport(engine: Engine, input: Readable, opts: ImportOptions): Promise<ImportResult> {
  engine.namespace(opts.namespace);
  const started = performance.now();
  // One prefix for the whole input: a blank node label names one node across all batches.
  const bnodePrefix = `i${randomBytes(6).toString('hex')}_`;
  const batchQuads = opts.batchQuads ?? DEFAULT_BATCH;
  const receipts: string[] = [];
  let quads = 0;
  let added = 0;
  const importId = bnodePrefix;
  let seq = 0;
  const inFlight: Promise<void>[] = [];
  /** Waits for the oldest batch in flight; its failure (the first, in input order) is raised. */
  const settleOldest = async (): Promise<void> => {
    await inFlight.shift();
  };
  const submit = async (commit: (batch: ImportBatchOrder) => Promise<TxResult>): Promise<void> => {
    while (inFlight.length >= COMMITS_IN_FLIGHT) await settleOldest();
    const p = commit({ id: importId, seq: seq++ }).then((r) => {
      receipts.push(r.receipt.id);
      added += r.delta.added;
    });
    // Marked handled here; the rejection is raised when the batch is the oldest in flight.
    p.catch(() => undefined);
    inFlight.push(p);
  };

  try {
    if (opts.format === 'n-triples' || opts.format === 'n-quads') {
      // Line-based formats are cut at line ends and logged as sent: no re-serialization. Batches
      // are prepared (parsed, checked, hashed: the import worker's job) up to PREPARE_AHEAD ahead of
      // the one committing, and committed strictly in input order.
      const format = opts.format;
      const ahead: Promise<PreparedImport>[] = [];
      const commitOldest = async (): Promise<void> => {
        const prepared = await (ahead.shift() as Promise<PreparedImport>);
        await submit(async (order) => {
          const r = await engine.commitImport(opts.namespace, prepared, opts.actor, order);
          quads += r.quads;
          return r;
        });
      };
      for await (const batch of lineBatches(input, batchQuads)) {
        const p = engine.prepareImport(opts.namespace, { text: batch.text, format, bnodePrefix, firstLine: batch.firstLine });
        // Marked handled here; its failure is raised in order, once the batches before it committed.
        p.catch(() => undefined);
        ahead.push(p);
        if (ahead.length > PREPARE_AHEAD) await commitOldest();
      }
      while (ahead.length > 0) await commitOldest();
    } else {
      const writer = new Writer({ format: 'N-Quads' });
      let batch: Quad[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const b = batch;
        batch = [];
        const text = writer.quadsToString(b as Parameters<Writer['quadsToString']>[0]);
        await submit((order) => engine.transactQuads(opts.namespace, b, text, opts.actor, 'import', order));
      };
      for await (const quad of parseRdfStream(input, { format: opts.format, blankNodePrefix: bnodePrefix, source: 'import' })) {
        batch.push(quad);
        quads++;
        if (batch.length >= batchQuads) await flush();
      }
      await flush();
    }
    while (inFlight.length > 0) await settleOldest();
  } catch (e) {
    // The batches behind a failed one are refused (or never sent); wait for them to be answered.
    await Promise.allSettled(inFlight);
    if (e instanceof KnowdError) {
      throw new KnowdError(e.code, `${e.message} (${receipts.length} batches committed before it)`, { ...e.details, committedBatches: receipts.length });
    }
    throw e;
  }
  return { namespace: opts.namespace, quads, added, batches: receipts.length, receipts, durationMs: Math.round(performance.now() - started) };
}

interface LineBatch {
  readonly text: string;
  /** Lines in the text (comments and blank lines included), for error line numbers. */
  readonly lines: number;
  readonly firstLine: number;
}

/** Cuts a byte stream into texts of about `maxLines` lines, each ending at a line end. */
async function* lineBatches(input: Readable, maxLines: number): AsyncGenerator<LineBatch> {
  let carry = '';
  let parts: string[] = [];
  let lines = 0;
  let firstLine = 1;
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    const text = carry + chunk;
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      carry = text;
      continue;
    }
    const whole = text.slice(0, cut + 1);
    carry = text.slice(cut + 1);
    parts.push(whole);
    for (let i = whole.indexOf('\n'); i >= 0; i = whole.indexOf('\n', i + 1)) lines++;
    if (lines >= maxLines) {
      yield { text: parts.join(''), lines, firstLine };
      firstLine += lines;
      parts = [];
      lines = 0;
    }
  }
  if (carry !== '') {
    parts.push(carry);
    lines++;
  }
  if (parts.length > 0) yield { text: parts.join(''), lines, firstLine };
}
