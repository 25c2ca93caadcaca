import { Store } from 'n3';
import type { QuadStore } from '../dataset/index.js';
import type { ReadTxn } from '../storage/index.js';
import type { Quad } from '@rdfjs/types';
import { ShapesValidator, type FullReport } from './library.js';
import { parseShapes } from './shapes.js';
import { MatchDataset, txnMatcher } from './view.js';

/** Full validation of given data (POST /v1/validate with "data"). */
export async function validateQuads(shapesText: string, data: readonly Quad[]): Promise<FullReport> {
  const v = ShapesValidator.fromQuads(parseShapes(shapesText));
  return v.validateAll(new Store([...data]));
}

/**
 * Full validation of a namespace's data in one read snapshot, read pattern by pattern (the library
 * resolves the targets). The caller bounds the namespace's size.
 */
export async function validateNamespace(shapesText: string, quads: QuadStore, txn: ReadTxn, nsId: number): Promise<FullReport> {
  const v = ShapesValidator.fromQuads(parseShapes(shapesText));
  const size = quads.count(txn, nsId, { graph: { kind: 'all' } });
  const match = txnMatcher(quads, txn, nsId, { insideWrite: false, maxTriplesPerMatch: Number.MAX_SAFE_INTEGER });
  return v.validateAll(new MatchDataset(match, size));
}
