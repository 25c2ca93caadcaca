/**
 * The one place that calls rdf-canonize. The library ships no types, so the slice of its API we use
 * is typed here instead of in a global module declaration another folder could collide with.
 */
import { createRequire } from 'node:module';
import type { Quad, Term } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import { languageTag } from './nquads.js';

interface CanonizeTerm {
  readonly termType: string;
  readonly value: string;
  readonly datatype?: CanonizeTerm;
  readonly language?: string;
}

interface CanonizeQuad {
  readonly subject: CanonizeTerm;
  readonly predicate: CanonizeTerm;
  readonly object: CanonizeTerm;
  readonly graph: CanonizeTerm;
}

interface RdfCanonize {
  canonize(
    dataset: readonly CanonizeQuad[],
    options: { algorithm: 'RDFC-1.0'; maxWorkFactor: number; signal?: AbortSignal },
  ): Promise<string>;
  /** Synchronous twin (exported by the library with a leading underscore; used where a write transaction cannot wait). */
  _canonizeSync(dataset: readonly CanonizeQuad[], options: { algorithm: 'RDFC-1.0'; maxWorkFactor: number }): string;
}

const rdfCanonize = createRequire(import.meta.url)('rdf-canonize') as RdfCanonize;

const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';

/**
 * How much deep (N-degree) hashing RDFC-1.0 may do, as a power of the number of blank nodes that
 * share a first-degree hash. rdf-canonize's default of 1 already fails on a Turtle list of repeated
 * values such as `(0 0 0)`; 2 handles such lists of a few hundred items and still stops "poison"
 * graphs. The limit only decides whether canonicalization finishes, never what it outputs, so changing
 * it cannot change the hash of an existing receipt.
 */
const MAX_WORK_FACTOR = 2;

function toCanonizeTerm(term: Term): CanonizeTerm {
  if (term.termType !== 'Literal') return { termType: term.termType, value: term.value };
  // rdf-canonize ignores base direction, so a directional literal goes in as a language-tagged one
  // whose tag carries the direction; see languageTag.
  const tag = languageTag(term);
  if (tag !== '') {
    return { termType: 'Literal', value: term.value, datatype: { termType: 'NamedNode', value: RDF_LANG_STRING }, language: tag };
  }
  return { termType: 'Literal', value: term.value, datatype: { termType: 'NamedNode', value: term.datatype.value } };
}

function toCanonizeDataset(quads: readonly Quad[]): CanonizeQuad[] {
  return quads.map((q) => ({ subject: toCanonizeTerm(q.subject), predicate: toCanonizeTerm(q.predicate), object: toCanonizeTerm(q.object), graph: toCanonizeTerm(q.graph) }));
}

/** RDFC-1.0 canonical N-Quads of a set of quads (the caller removes duplicates; the library does not). */
export async function canonizeRdfc10(quads: readonly Quad[], signal?: AbortSignal): Promise<string> {
  const dataset = toCanonizeDataset(quads);
  try {
    // The library looks at the signal only while permuting, so an already-aborted one stops here.
    signal?.throwIfAborted();
    return await rdfCanonize.canonize(dataset, {
      algorithm: 'RDFC-1.0',
      maxWorkFactor: MAX_WORK_FACTOR,
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (e) {
    // The library's only expected failures: its work limit, and our signal.
    const message = e instanceof Error ? e.message : String(e);
    if (signal?.aborted === true || message.startsWith('Maximum deep iterations exceeded')) {
      throw new KnowdError(
        'TOO_LARGE',
        `Cannot canonicalize the ${quads.length} quads with blank nodes: ${signal?.aborted === true ? 'took too long' : 'their blank nodes are too symmetric'} (give the blank nodes IRIs to avoid this)`,
        { quads: quads.length },
        { cause: e },
      );
    }
    throw e;
  }
}

/**
 * Synchronous RDFC-1.0, for hashing inside a write transaction (SPARQL updates are evaluated when
 * their log entry is applied). The work factor bounds it as it bounds the asynchronous path.
 */
export function canonizeRdfc10Sync(quads: readonly Quad[]): string {
  const dataset = toCanonizeDataset(quads);
  try {
    return rdfCanonize._canonizeSync(dataset, { algorithm: 'RDFC-1.0', maxWorkFactor: MAX_WORK_FACTOR });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith('Maximum deep iterations exceeded')) {
      throw new KnowdError('TOO_LARGE', `Cannot canonicalize the ${quads.length} quads with blank nodes: their blank nodes are too symmetric (give the blank nodes IRIs to avoid this)`, { quads: quads.length }, { cause: e });
    }
    throw e;
  }
}
