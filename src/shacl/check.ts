import type { Quad } from '@rdfjs/types';
import { KnowdError } from '../base/index.js';
import type { QuadStore } from '../dataset/index.js';
import { encodeTerm } from '../rdf/index.js';
import type { ReadTxn, WriteTxn } from '../storage/index.js';
import { roundTrips, startValidation, validateBlocking } from './blocking.js';
import { planFocus, type DeltaTerms } from './focus.js';
import { prefetch } from './prefetch.js';
import { SH_VIOLATION, violations, type ShaclReport } from './report.js';
import { ShapesCache, shapesHash } from './shapes.js';
import { effectiveShapesOf, shapesHashOf } from './store.js';
import { txnMatcher } from './view.js';

/** What the check has done in this process: tests use it to see that cost follows the delta. */
export const shaclCounters = { transactions: 0, focusNodes: 0, get roundTrips(): number {
  return roundTrips.count;
} };

/** Inside a transaction, one pattern reading more than this is a runaway shape, not a check. */
const MAX_TRIPLES_PER_MATCH = 100_000;

/**
 * The transaction check (an engine ApplyCheck): validates the focus nodes the delta can affect
 * (focus.ts) against the namespace's stored shapes, in the post-state of the write transaction.
 * Only sh:Violation results reject; warnings and infos do not.
 */
export class ShaclCheck {
  readonly name = 'shacl';
  private readonly cache = new ShapesCache();

  /** `enabled`: this node's KNOWD_SHACL_ENABLED, for entries that do not say what their proposer's was. */
  constructor(private readonly enabled = true) {}

  check(txn: WriteTxn, quads: QuadStore, ns: { readonly name: string; readonly id: number }, delta: CheckDelta, entry?: { readonly shacl?: boolean }): void {
    this.begin(txn, quads, ns, delta, entry)?.finish();
  }

  /**
   * Plans the validation and hands it to the check worker; `finish` (before `txn` ends) waits for
   * the verdict and throws the rejection. In between, the applying thread may run other checks.
   * Undefined when there is nothing to validate.
   */
  begin(txn: WriteTxn, quads: QuadStore, ns: { readonly name: string; readonly id: number }, delta: CheckDelta, entry?: { readonly shacl?: boolean }): { finish(): void } | undefined {
    // Whether to validate is the proposer's setting, logged with the entry: every replica decides alike.
    if (!(entry?.shacl ?? this.enabled)) return undefined;
    const hash = shapesHashOf(txn, ns.id);
    if (hash === undefined || delta.added.length + delta.removed.length === 0) return undefined;
    const text = (): string => effectiveShapesOf(txn, ns.id) ?? '';
    const shapes = this.cache.get(hash, text);
    const match = txnMatcher(quads, txn, ns.id, { insideWrite: true, maxTriplesPerMatch: MAX_TRIPLES_PER_MATCH });
    const plan = planFocus(shapes, match, delta, encodeTerm);
    if (plan.pairs.length === 0) return undefined;
    shaclCounters.transactions++;
    shaclCounters.focusNodes += plan.focusNodes;
    const size = quads.count(txn, ns.id, { graph: { kind: 'all' } });
    // The shapes' text goes to the worker only if it does not hold these shapes yet.
    const pending = startValidation({ type: 'validate', shapesHash: hash, size, pairs: plan.pairs, known: prefetch(shapes, match, focusOf(plan)) }, match, text);
    return {
      finish: () => {
        const report = pending.finish();
        const n = violations(report);
        if (n > 0) throw rejection(ns.name, report, n);
      },
    };
  }
}

type CheckDelta = { readonly added: readonly Quad[]; readonly removed: readonly Quad[] };

const focusOf = (plan: { readonly pairs: readonly { readonly focus: readonly string[] }[] }): string[] => [...new Set(plan.pairs.flatMap((p) => p.focus))];

function rejection(ns: string, report: ShaclReport, n: number): KnowdError {
  const first = report.results.find((r) => r.resultSeverity === SH_VIOLATION);
  const where = first === undefined ? '' : `; first: ${first.focusNode}${first.resultPath !== undefined ? ` ${first.resultPath}` : ''}: ${first.resultMessage ?? first.sourceConstraintComponent}`;
  return new KnowdError('REJECTED', `SHACL: ${n} violation${n === 1 ? '' : 's'} of the shapes of namespace "${ns}"${where}`, { report: { conforms: false, results: report.results } });
}

const deltaShapes = new ShapesCache();

/**
 * Validates the focus nodes a delta can affect against given shapes (a hook's SHACL condition):
 * the same focus planning and validator as the transaction check, over `txn`'s state.
 */
export function validateDelta(shapesText: string, quads: QuadStore, txn: ReadTxn, ns: number, delta: DeltaTerms, insideWrite: boolean): ShaclReport {
  const hash = shapesHash(shapesText);
  const shapes = deltaShapes.get(hash, () => shapesText);
  const match = txnMatcher(quads, txn, ns, { insideWrite, maxTriplesPerMatch: MAX_TRIPLES_PER_MATCH });
  const plan = planFocus(shapes, match, delta, encodeTerm);
  if (plan.pairs.length === 0) return { conforms: true, results: [] };
  const size = quads.count(txn, ns, { graph: { kind: 'all' } });
  const report = validateBlocking({ type: 'validate', shapesHash: hash, size, pairs: plan.pairs, known: prefetch(shapes, match, focusOf(plan)) }, match, () => shapesText);
  return { conforms: violations(report) === 0, results: report.results };
}
