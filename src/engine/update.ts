import { createHash } from 'node:crypto';
import type { Quad, Term } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import { DEFAULT_GRAPH_ID, type QuadStore, type QuadWriter } from '../dataset/index.js';
import { factory } from '../rdf/index.js';
import { Context, Evaluator, parseUpdate, type Algebra, type EvalEntropy, type Row } from '../sparql/index.js';
import type { WriteTxn } from '../storage/index.js';
import { queryableDataset } from './queryable.js';

/**
 * SPARQL Update, evaluated when its log entry is applied: each operation sees the effects of the
 * ones before it (they share the write transaction), the whole request is atomic (one savepoint),
 * and it is serialized with every other write by the log, so DELETE/INSERT WHERE never acts on a
 * stale snapshot. Time and randomness come from the entry, so every replica computes the same.
 */
export interface UpdateEffect {
  readonly added: Quad[];
  readonly removed: Quad[];
}

/** A deterministic PRNG (sfc32) seeded from the entry. */
export function seededEntropy(seed: string): EvalEntropy {
  const h = createHash('sha256').update(seed).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  let blank = 0;
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join('');
  return {
    random: next,
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${((Math.floor(next() * 4) + 8) >>> 0).toString(16)}${hex(3)}-${hex(12)}`,
    blankLabel: () => `u${seed.slice(0, 12)}_${(blank++).toString(36)}`,
  };
}

type GraphRef = 'DEFAULT' | 'NAMED' | 'ALL' | Term;

/**
 * Refuses, before anything is logged, what can never apply: LOAD of a remote document (this
 * appliance fetches nothing). Checked again at apply time, where it is deterministic anyway.
 */
export function checkUpdate(text: string, baseIRI?: string): void {
  const parsed = parseUpdate(text, baseIRI);
  const ops: Algebra.Operation[] = parsed.algebra.type === 'compositeupdate' ? (parsed.algebra as Algebra.CompositeUpdate).updates : [parsed.algebra];
  for (const op of ops) {
    if (op.type !== 'load') continue;
    const l = op as Algebra.Load;
    if (!l.silent) throw loadRefused(l.source.value);
  }
}

function loadRefused(source: string): KnowdError {
  return new KnowdError('NOT_SUPPORTED', `LOAD <${source}>: this appliance does not fetch remote data; use knowdctl import or POST the data to /store`);
}

export function applyUpdate(txn: WriteTxn, quads: QuadStore, nsId: number, w: QuadWriter, text: string, opts: { baseIRI?: string; timeMs: number; seed: string }): UpdateEffect {
  const parsed = parseUpdate(text, opts.baseIRI);
  const ops: Algebra.Operation[] = parsed.algebra.type === 'compositeupdate' ? (parsed.algebra as Algebra.CompositeUpdate).updates : [parsed.algebra];
  const entropy = seededEntropy(opts.seed);
  const effect: UpdateEffect = { added: [], removed: [] };
  const data = queryableDataset(quads, txn, nsId, { insideWrite: true });

  const remove = (q: Quad): void => {
    if (w.remove(q)) effect.removed.push(q);
  };
  const add = (q: Quad): void => {
    if (w.add(q)) effect.added.push(q);
  };
  const graphQuads = (ref: GraphRef): Quad[] => {
    const out: Quad[] = [];
    const push = (gid: number | 'named'): void => {
      for (const q of data.match(undefined, undefined, undefined, gid)) {
        out.push(factory.quad(data.term(q[0]) as Quad['subject'], data.term(q[1]) as Quad['predicate'], data.term(q[2]) as Quad['object'], (q[3] === DEFAULT_GRAPH_ID ? factory.defaultGraph() : data.term(q[3])) as Quad['graph']));
      }
    };
    if (ref === 'DEFAULT') push(DEFAULT_GRAPH_ID);
    else if (ref === 'NAMED') push('named');
    else if (ref === 'ALL') {
      push(DEFAULT_GRAPH_ID);
      push('named');
    } else {
      const id = data.lookup(ref);
      if (id !== undefined) push(id);
    }
    return out;
  };
  const graphTerm = (ref: 'DEFAULT' | Term): Quad['graph'] => (ref === 'DEFAULT' ? factory.defaultGraph() : (ref as Quad['graph']));

  for (const op of ops) {
    switch (op.type) {
      case 'deleteinsert': {
        const di = op as Algebra.DeleteInsert;
        let rows: Row[] = [[]];
        const ctx = new Context(data, { deadlineMs: Number.MAX_SAFE_INTEGER, timeoutMs: 0, maxHeldValues: 50_000_000, nowMs: () => opts.timeMs, entropy });
        const ev = new Evaluator(ctx, opts.baseIRI);
        if (di.where !== undefined) rows = [...ev.exec(di.where, [])];
        // All deletions are computed before anything changes (§3.1.3: both templates use the same solutions).
        const dels: Quad[] = [];
        const ins: Quad[] = [];
        for (const r of rows) {
          if (di.delete !== undefined) for (const q of instantiate(di.delete, r, ev, undefined)) dels.push(q);
          if (di.insert !== undefined) {
            const fresh = new Map<string, Term>();
            for (const q of instantiate(di.insert, r, ev, (label) => {
              let b = fresh.get(label);
              if (b === undefined) fresh.set(label, (b = factory.blankNode(entropy.blankLabel())));
              return b;
            }))
              ins.push(q);
          }
        }
        for (const q of dels) remove(q);
        for (const q of ins) add(q);
        break;
      }
      case 'clear':
      case 'drop': {
        for (const q of graphQuads((op as Algebra.Clear).source)) remove(q);
        break;
      }
      case 'create': {
        const c = op as Algebra.Create;
        if (!c.silent && graphQuads(c.source).length > 0) throw new KnowdError('CONFLICT', `CREATE GRAPH <${c.source.value}>: the graph already exists`);
        break;
      }
      case 'add':
      case 'copy':
      case 'move': {
        const o = op as Algebra.Add;
        const same = o.source === o.destination || (typeof o.source !== 'string' && typeof o.destination !== 'string' && o.source.equals(o.destination));
        if (same) break;
        const src = graphQuads(o.source);
        if (op.type !== 'add') for (const q of graphQuads(o.destination)) remove(q);
        for (const q of src) add(factory.quad(q.subject, q.predicate, q.object, graphTerm(o.destination)));
        if (op.type === 'move') for (const q of src) remove(q);
        break;
      }
      case 'load': {
        const l = op as Algebra.Load;
        if (!l.silent) throw loadRefused(l.source.value);
        break;
      }
      case 'nop':
        break;
      default:
        throw new KnowdError('NOT_SUPPORTED', `The update operation "${op.type}" is not supported`);
    }
  }
  return effect;
}

/** Template quads for one solution; templates with unbound variables or invalid terms are skipped (§3.1.3). */
function* instantiate(template: readonly Algebra.Pattern[], row: Row, ev: Evaluator, blank: ((label: string) => Term) | undefined): Generator<Quad> {
  for (const t of template) {
    const val = (x: Term): Term | undefined => {
      if (x.termType === 'Variable') {
        const v = row[ev.slot(x.value)];
        return v === undefined ? undefined : ev.ctx.term(v);
      }
      if (x.termType === 'BlankNode') {
        if (blank === undefined) throw new KnowdError('SPARQL_SYNTAX', 'Blank nodes are not allowed in DELETE templates');
        return blank(x.value);
      }
      return x;
    };
    const s = val(t.subject);
    const p = val(t.predicate);
    const o = val(t.object);
    const g = val(t.graph);
    if (s === undefined || p === undefined || o === undefined || g === undefined) continue;
    if (s.termType === 'Literal' || p.termType !== 'NamedNode' || g.termType === 'Literal') continue;
    yield factory.quad(s as Quad['subject'], p as Quad['predicate'], o as Quad['object'], g as Quad['graph']);
  }
}
