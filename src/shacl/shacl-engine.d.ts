// Just the surface of shacl-engine (untyped JS) that src/shacl/library.ts uses.
declare module 'shacl-engine' {
  import type { DatasetCore, Quad, Term } from '@rdfjs/types';

  export interface EngineFactory {
    namedNode(value: string): Term;
    blankNode(value?: string): Term;
    literal(value: string, langOrDt?: string | Term): Term;
    defaultGraph(): Term;
    quad(s: Term, p: Term, o: Term, g?: Term): Quad;
    dataset(quads?: Quad[]): DatasetCore;
  }

  export interface EngineShape {
    readonly path: unknown;
    readonly shapeValidator: { readonly compiled: unknown };
  }

  export interface EngineResult {
    readonly severity: Term;
  }

  export interface EngineReport {
    readonly conforms: boolean;
    readonly results: EngineResult[];
    readonly dataset: DatasetCore;
  }

  export class Validator {
    constructor(shapes: DatasetCore, options: { factory: EngineFactory });
    readonly shapes: Map<Term, EngineShape>;
    readonly options: Record<string, unknown>;
    validate(data: { dataset: DatasetCore; terms?: Iterable<Term> }, shapes?: { terms: Term[] }[]): Promise<EngineReport>;
  }
}

declare module 'shacl-engine/lib/Report.js' {
  import type { EngineFactory, EngineReport, EngineResult } from 'shacl-engine';
  export default class Report implements EngineReport {
    constructor(opts: { factory: EngineFactory; options: Record<string, unknown>; results: EngineResult[] });
    readonly conforms: boolean;
    readonly results: EngineResult[];
    readonly dataset: import('@rdfjs/types').DatasetCore;
  }
}
