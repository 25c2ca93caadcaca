/**
 * The adapter of the SHACL library (shacl-engine; see README "SHACL" for why this one): the only
 * module that imports it. Used on the main thread by POST /v1/validate and in the check worker.
 */
import type { DatasetCore, Quad, Term } from '@rdfjs/types';
import { DataFactory, Store } from 'n3';
import { Validator, type EngineFactory, type EngineResult } from 'shacl-engine';
import Report from 'shacl-engine/lib/Report.js';
import { KnowdError } from '../base/index.js';
import { reportFromDataset, type ShaclReport } from './report.js';

export const engineFactory: EngineFactory = {
  namedNode: (v) => DataFactory.namedNode(v),
  blankNode: (v) => DataFactory.blankNode(v),
  literal: (v, l) => DataFactory.literal(v, l as Parameters<typeof DataFactory.literal>[1]),
  defaultGraph: () => DataFactory.defaultGraph(),
  quad: (s, p, o, g) => DataFactory.quad(s as Quad['subject'], p as Quad['predicate'], o as Quad['object'], g as Quad['graph'] | undefined),
  dataset: (quads) => new Store(quads),
};

/** Which focus nodes to validate against one shape (targets already resolved by the caller). */
export interface FocusPairs {
  readonly shape: Term;
  readonly focus: readonly Term[];
}

export interface FullReport {
  readonly report: ShaclReport;
  /** The sh:ValidationReport graph, for Turtle answers. */
  readonly quads: readonly Quad[];
}

export class ShapesValidator {
  private constructor(private readonly v: Validator) {}

  /**
   * Builds the validator and compiles every shape now, so ill-formed shapes (a non-integer
   * sh:minCount, a broken path list) fail the request that brings them, not every later write.
   */
  static fromQuads(quads: readonly Quad[]): ShapesValidator {
    try {
      const v = new Validator(new Store([...quads]), { factory: engineFactory });
      for (const shape of v.shapes.values()) {
        void shape.path;
        void shape.shapeValidator.compiled;
      }
      return new ShapesValidator(v);
    } catch (e) {
      throw new KnowdError('BAD_REQUEST', `The shapes graph is not valid SHACL: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Full validation: the library resolves every target in `data`. */
  async validateAll(data: DatasetCore): Promise<FullReport> {
    const r = await this.v.validate({ dataset: data });
    const quads = [...r.dataset];
    return { report: reportFromDataset(r.dataset), quads };
  }

  /** Validates given focus nodes against given shapes only (the transaction check). */
  async validateFocus(data: DatasetCore, pairs: readonly FocusPairs[]): Promise<ShaclReport> {
    const results: EngineResult[] = [];
    for (const { shape, focus } of pairs) {
      if (focus.length === 0) continue;
      const r = await this.v.validate({ dataset: data, terms: focus }, [{ terms: [shape] }]);
      results.push(...r.results);
    }
    const merged = new Report({ factory: engineFactory, options: this.v.options, results });
    return reportFromDataset(merged.dataset);
  }
}
