import type { Term } from '@rdfjs/types';
import { KnowdError } from '../../base/index.js';
import { factory } from '../../rdf/index.js';
import { formatDouble } from '../functions/numeric.js';
import type { Algebra } from '../parse/index.js';
import type { Context } from './context.js';
import type { SimilarHit, SimilarTarget } from './dataset.js';
import { sameVal, type Row } from './rows.js';

/**
 * The vector-search extension: magic predicates in a basic graph pattern, grouped by subject.
 *
 *   ?doc knowd:similarTo "running shoes" ;   # text, a vector literal "[0.1, ...]", or an item's IRI
 *        knowd:topK 10 ;                     # optional (default KNOWD_VEC_TOPK_DEFAULT)
 *        knowd:ef 200 ;                      # optional search breadth
 *        knowd:score ?score .                # optional
 *   ?doc ex:title ?title .                   # joins with ordinary patterns
 *
 * with PREFIX knowd: <urn:knowd:>. The group yields one solution per hit, ?doc bound to the id (an
 * IRI when the id is an absolute IRI, else a string literal) and ?score to an xsd:double.
 */
export const KNOWD_VOCAB = 'urn:knowd:';
export const SIMILAR_TO = `${KNOWD_VOCAB}similarTo`;
const TOP_K = `${KNOWD_VOCAB}topK`;
const EF = `${KNOWD_VOCAB}ef`;
const SCORE = `${KNOWD_VOCAB}score`;
const MAGIC = new Set([SIMILAR_TO, TOP_K, EF, SCORE]);
const XSD_DOUBLE = 'http://www.w3.org/2001/XMLSchema#double';
/** Datatype a vector literal may carry; any string literal starting with "[" is read as one too. */
export const VECTOR_DATATYPE = `${KNOWD_VOCAB}vector`;

export interface SimilarGroup {
  readonly subject: Term;
  readonly target: Term;
  readonly topK?: number;
  readonly ef?: number;
  readonly score?: Term;
}

function isMagic(p: Algebra.Pattern): boolean {
  return p.predicate.termType === 'NamedNode' && MAGIC.has(p.predicate.value);
}

export function hasSimilar(patterns: readonly Algebra.Pattern[]): boolean {
  return patterns.some(isMagic);
}

function positiveInt(t: Term, what: string): number {
  const n = t.termType === 'Literal' ? Number(t.value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new KnowdError('BAD_REQUEST', `${what} takes a positive integer constant, not ${t.termType === 'Literal' ? JSON.stringify(t.value) : t.value}`);
  return n;
}

const key = (t: Term): string => `${t.termType}:${t.value}`;

/** Splits a BGP into its similarity groups and the ordinary patterns; throws on a malformed group. */
export function splitSimilar(patterns: readonly Algebra.Pattern[]): { groups: SimilarGroup[]; rest: Algebra.Pattern[] } {
  const bySubject = new Map<string, { subject: Term; target?: Term; topK?: number; ef?: number; score?: Term }>();
  const rest: Algebra.Pattern[] = [];
  for (const p of patterns) {
    if (!isMagic(p)) {
      rest.push(p);
      continue;
    }
    let g = bySubject.get(key(p.subject));
    if (g === undefined) bySubject.set(key(p.subject), (g = { subject: p.subject }));
    const once = (have: unknown, name: string): void => {
      if (have !== undefined) throw new KnowdError('BAD_REQUEST', `knowd:${name} is given twice for the same subject`);
    };
    switch (p.predicate.value) {
      case SIMILAR_TO:
        once(g.target, 'similarTo');
        g.target = p.object;
        break;
      case TOP_K:
        once(g.topK, 'topK');
        g.topK = positiveInt(p.object, 'knowd:topK');
        break;
      case EF:
        once(g.ef, 'ef');
        g.ef = positiveInt(p.object, 'knowd:ef');
        break;
      default:
        once(g.score, 'score');
        g.score = p.object;
    }
  }
  const groups = [...bySubject.values()].map((g) => {
    if (g.target === undefined) throw new KnowdError('BAD_REQUEST', 'knowd:topK, knowd:ef and knowd:score need a knowd:similarTo on the same subject');
    return { subject: g.subject, target: g.target, ...(g.topK !== undefined && { topK: g.topK }), ...(g.ef !== undefined && { ef: g.ef }), ...(g.score !== undefined && { score: g.score }) };
  });
  return { groups, rest };
}

/** The search target a term names. */
export function targetOf(t: Term): SimilarTarget {
  if (t.termType === 'NamedNode') return { kind: 'id', id: t.value };
  if (t.termType !== 'Literal') throw new KnowdError('BAD_REQUEST', 'The object of knowd:similarTo must be a text, a vector literal "[...]" or the IRI of a stored item');
  const text = t.value.trim();
  if (t.datatype.value === VECTOR_DATATYPE || text.startsWith('[')) {
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch {
      values = undefined;
    }
    if (!Array.isArray(values)) throw new KnowdError('BAD_REQUEST', `knowd:similarTo: ${JSON.stringify(text.slice(0, 60))} is not a JSON array of numbers`);
    return { kind: 'vector', values: values as number[] };
  }
  return { kind: 'text', text: t.value };
}

/** An id as an RDF term: IRIs stay IRIs (so they join with triples), anything else is a string. */
export function idTerm(id: string): Term {
  return /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]*$/.test(id) ? factory.namedNode(id) : factory.literal(id);
}

function termOf(ctx: Context, t: Term, row: Row): Term | undefined {
  if (t.termType !== 'Variable' && t.termType !== 'BlankNode') return t;
  const v = row[ctx.vars.slot(t.termType === 'BlankNode' ? `_:${t.value}` : t.value)];
  return v === undefined ? undefined : ctx.term(v);
}

function slotOf(ctx: Context, t: Term): number | undefined {
  if (t.termType !== 'Variable' && t.termType !== 'BlankNode') return undefined;
  return ctx.vars.slot(t.termType === 'BlankNode' ? `_:${t.value}` : t.value);
}

/** Runs one group's search (memoized per query) and binds its subject and score in `row`. */
export function* similarRows(ctx: Context, group: SimilarGroup, row: Row): Generator<Row> {
  const search = ctx.data.similar;
  if (search === undefined) {
    throw new KnowdError('NOT_SUPPORTED', 'knowd:similarTo needs vector search: it is off on this node (KNOWD_VEC_ENABLED=false), or used in an update (its results may differ between replicas)');
  }
  const targetTerm = termOf(ctx, group.target, row);
  if (targetTerm === undefined) throw new KnowdError('BAD_REQUEST', `The object of knowd:similarTo (?${group.target.value}) must be bound before the search`);
  const req = { target: targetOf(targetTerm), ...(group.topK !== undefined && { topK: group.topK }), ...(group.ef !== undefined && { ef: group.ef }) };
  const memoKey = `knowd:similar ${JSON.stringify(req)}`;
  let hits = ctx.memo.get(memoKey) as readonly SimilarHit[] | undefined;
  if (hits === undefined) ctx.memo.set(memoKey, (hits = search(req)));
  const subjectSlot = slotOf(ctx, group.subject);
  const scoreSlot = group.score === undefined ? undefined : slotOf(ctx, group.score);
  for (const h of hits) {
    ctx.tick();
    const out = row.slice();
    if (!bindVal(ctx, out, subjectSlot, group.subject, idTerm(h.id))) continue;
    if (group.score !== undefined && !bindVal(ctx, out, scoreSlot, group.score, factory.literal(formatDouble(h.score), factory.namedNode(XSD_DOUBLE)))) continue;
    yield out;
  }
}

/** Binds a variable, or checks a constant, against a term. */
function bindVal(ctx: Context, row: Row, slot: number | undefined, pattern: Term, t: Term): boolean {
  const val = ctx.canon(t);
  if (slot === undefined) return sameVal(ctx.canon(pattern), val);
  const cur = row[slot];
  if (cur === undefined) {
    row[slot] = val;
    return true;
  }
  return sameVal(cur, val);
}
