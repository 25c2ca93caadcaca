/**
 * A namespace's shapes graph: parsed once per distinct text (keyed by its SHA-256) and indexed by
 * what selects focus nodes (targets) and how far validation looks from them (paths), which is what
 * the transaction check needs to find the focus nodes a delta can affect.
 */
import { createHash } from 'node:crypto';
import type { Quad, Term } from '@rdfjs/types';
import { Store } from 'n3';
import { encodeTerm, factory, parseRdf, quadToNQuads } from '../rdf/index.js';
import { ShapesValidator } from './library.js';
import { RDF, SH, rdfList } from './vocab.js';

const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';

/** Hops the check follows back from a changed node; paths that look farther are validated only this far. */
export const MAX_REACH_HOPS = 4;

export interface ShapesIndex {
  readonly hash: string;
  readonly quads: readonly Quad[];
  /** Encoded term → shapes that target it (sh:targetNode). */
  readonly byTargetNode: ReadonlyMap<string, readonly Term[]>;
  /** Encoded class → shapes (sh:targetClass and implicit class targets). */
  readonly byClass: ReadonlyMap<string, readonly Term[]>;
  readonly bySubjectsOf: ReadonlyMap<string, readonly Term[]>;
  readonly byObjectsOf: ReadonlyMap<string, readonly Term[]>;
  /** Predicates that some sh:path follows forwards / backwards (sh:inversePath), encoded. */
  readonly forwardPreds: readonly string[];
  readonly inversePreds: readonly string[];
  /** How many edges away from a focus node validation looks (capped at MAX_REACH_HOPS). */
  readonly reach: number;
}

export function shapesHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Parses shapes deterministically: blank nodes become `sh<n>` by first appearance, on every replica alike. */
export function parseShapes(text: string): Quad[] {
  return parseRdf(text, { format: 'turtle', blankNodePrefix: 'shape', source: 'shapes' });
}

/**
 * One shapes graph from several Turtle texts (a user's and policy packs' files), as N-Triples (which
 * is Turtle): each text's blank nodes get their own prefix, so `_:b` of two files stay two nodes.
 * Deterministic, so every replica that applies a pack computes the same text (and hash).
 */
export function combineShapes(texts: readonly string[]): string {
  const lines: string[] = [];
  texts.forEach((text, i) => {
    for (const q of parseRdf(text, { format: 'turtle', blankNodePrefix: `c${i}_`, source: 'shapes' })) lines.push(`${quadToNQuads(q)}\n`);
  });
  return lines.join('');
}

/** Parses, checks (400 on syntax or ill-formed shapes) and indexes a shapes text. */
export function indexShapes(text: string, hash = shapesHash(text)): ShapesIndex {
  const quads = parseShapes(text);
  ShapesValidator.fromQuads(quads);
  return analyse(hash, quads);
}

function analyse(hash: string, quads: readonly Quad[]): ShapesIndex {
  const g = new Store([...quads]);
  const iri = (v: string): Term => factory.namedNode(v);
  const objects = (s: Term, p: string): Term[] => g.getObjects(s as never, iri(p) as never, null);
  const subjects = (p: string, o: Term | null): Term[] => g.getSubjects(iri(p) as never, o as never, null);
  const add = (m: Map<string, Term[]>, key: Term, shape: Term): void => {
    const k = encodeTerm(key);
    const list = m.get(k) ?? [];
    if (!list.some((x) => x.equals(shape))) list.push(shape);
    m.set(k, list);
  };
  const byTargetNode = new Map<string, Term[]>();
  const byClass = new Map<string, Term[]>();
  const bySubjectsOf = new Map<string, Term[]>();
  const byObjectsOf = new Map<string, Term[]>();
  for (const q of g.getQuads(null, iri(`${SH}targetNode`) as never, null, null)) add(byTargetNode, q.object, q.subject);
  for (const q of g.getQuads(null, iri(`${SH}targetClass`) as never, null, null)) add(byClass, q.object, q.subject);
  for (const q of g.getQuads(null, iri(`${SH}targetSubjectsOf`) as never, null, null)) add(bySubjectsOf, q.object, q.subject);
  for (const q of g.getQuads(null, iri(`${SH}targetObjectsOf`) as never, null, null)) add(byObjectsOf, q.object, q.subject);
  // Implicit class targets: a shape that is also an rdfs:Class targets that class's instances.
  for (const c of subjects(`${RDF}type`, iri(`${RDFS}Class`))) {
    const types = objects(c, `${RDF}type`).map((t) => t.value);
    if (types.includes(`${SH}NodeShape`) || types.includes(`${SH}PropertyShape`)) add(byClass, c, c);
  }

  const forward = new Set<string>();
  const inverse = new Set<string>();
  const list = (head: Term): Term[] => rdfList(head, objects);
  // Collects the predicates of a path and returns its length in edges (Infinity for * and +).
  const walk = (p: Term, inv: boolean, depth: number): number => {
    if (depth > 32) return Infinity;
    if (p.termType === 'NamedNode') {
      (inv ? inverse : forward).add(encodeTerm(p));
      return 1;
    }
    const one = (k: string): Term | undefined => objects(p, SH + k)[0];
    const i = one('inversePath');
    if (i !== undefined) return walk(i, !inv, depth + 1);
    const alt = one('alternativePath');
    if (alt !== undefined) return Math.max(0, ...list(alt).map((x) => walk(x, inv, depth + 1)));
    const star = one('zeroOrMorePath') ?? one('oneOrMorePath');
    if (star !== undefined) {
      walk(star, inv, depth + 1);
      return Infinity;
    }
    const opt = one('zeroOrOnePath');
    if (opt !== undefined) return walk(opt, inv, depth + 1);
    return list(p).reduce((n, x) => n + walk(x, inv, depth + 1), 0);
  };
  // reach(shape) = its path's length + the farthest its nested shapes look from the value nodes
  // (+1 for sh:class, which reads the value node's rdf:type edge).
  const memo = new Map<string, number>();
  const reachOf = (shape: Term, visiting: Set<string>): number => {
    const k = encodeTerm(shape);
    const known = memo.get(k);
    if (known !== undefined) return known;
    if (visiting.has(k)) return Infinity;
    visiting.add(k);
    const path = objects(shape, `${SH}path`)[0];
    const own = path === undefined ? 0 : walk(path, false, 0);
    const nested = [
      ...['node', 'property', 'qualifiedValueShape', 'not'].flatMap((p) => objects(shape, SH + p)),
      ...['and', 'or', 'xone'].flatMap((p) => objects(shape, SH + p).flatMap(list)),
    ];
    const cls = objects(shape, `${SH}class`).length > 0 ? 1 : 0;
    // At least one edge: comparisons with the focus node's other properties (sh:equals, sh:closed, …).
    const r = Math.max(1, own + Math.max(cls, ...nested.map((n) => reachOf(n, visiting))));
    visiting.delete(k);
    memo.set(k, r);
    return r;
  };
  let reach = 1;
  for (const q of g.getQuads(null, iri(`${SH}path`) as never, null, null)) walk(q.object, false, 0);
  const targeted = [...byTargetNode.values(), ...byClass.values(), ...bySubjectsOf.values(), ...byObjectsOf.values()].flat();
  for (const s of targeted) reach = Math.max(reach, reachOf(s, new Set()));
  return {
    hash,
    quads,
    byTargetNode,
    byClass,
    bySubjectsOf,
    byObjectsOf,
    forwardPreds: [...forward].sort(),
    inversePreds: [...inverse].sort(),
    reach: Math.min(reach, MAX_REACH_HOPS),
  };
}

/** Parsed shapes by text hash; a handful of namespaces' shapes are hot at a time. */
export class ShapesCache {
  private readonly map = new Map<string, ShapesIndex>();
  constructor(private readonly max = 64) {}

  get(hash: string, text: () => string): ShapesIndex {
    let s = this.map.get(hash);
    if (s === undefined) {
      s = indexShapes(text(), hash);
      if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as string);
      this.map.set(hash, s);
    } else {
      // Move to the back: least recently used first out.
      this.map.delete(hash);
      this.map.set(hash, s);
    }
    return s;
  }
}
