/**
 * Runs a split query in process as a coordinator and its participants would, through the wire
 * format of the parts (engine/part-lines.ts: ids and text mixed), over one engine's store.
 */
import type { Engine, PartIds } from '../../src/engine/index.js';
import { PartReader, partLines } from '../../src/engine/index.js';
import { gather, type Gathered, type PartResult } from '../../src/federation/index.js';
import { executeQuery, planShares, type QueryOptions, type QueryResult, type SplitPlan } from '../../src/sparql/index.js';

/** How the parts send stored terms: 'text' (no ids), 'ids' (every stored term), 'half' (ids up to half the allocated ids, text above). */
export type IdMode = 'text' | 'ids' | 'half';

/** One part's result, encoded as a participant does and read back as the coordinator does. */
export async function shipPart(r: QueryResult, width: number, ids: PartIds | undefined): Promise<PartResult> {
  const reader = new PartReader(width);
  for await (const chunk of partLines(r, 0, ids)) reader.push(chunk);
  if (!reader.closed) throw new Error('the part did not close');
  return r.kind === 'boolean' ? { kind: 'boolean', value: reader.value === true } : { kind: 'bindings', rows: reader.rows, vals: reader.vals };
}

/**
 * The parts of `plan` over k shares (id slices of the ids the store has, as a coordinator cuts them), gathered, and `finish` given the merged answer (the
 * coordinator's result) while the coordinator's snapshot is open.
 */
export async function runSplitPlan<T>(e: Engine, ns: string, plan: SplitPlan, vars: readonly string[], k: number, mode: IdMode, limits: () => QueryOptions, finish: (r: QueryResult, parts: readonly PartResult[], g: Gathered) => T): Promise<T> {
  const ids = e.withDataset(ns, (_d, info): PartIds | undefined => (mode === 'text' ? undefined : { nsId: info.id, upTo: mode === 'ids' ? info.termIds : Math.floor(info.termIds / 2) }));
  const idEnd = e.withDataset(ns, (_d, info) => info.termIds + 1);
  const out: PartResult[] = [];
  for (const share of planShares(k, idEnd)) {
    out.push(await e.query(ns, plan.participant, { ...limits(), partition: { ...share, variable: plan.driving, points: plan.points } }, (r) => shipPart(r, plan.participant.variables.length, ids)));
  }
  return e.withDataset(ns, (data) => {
    const g = gather(plan, vars, out, (id) => data.term(id));
    const r: QueryResult = g.kind === 'boolean' ? { kind: 'boolean', value: g.value } : g.kind === 'rows' ? { kind: 'bindings', vars: g.vars, rows: g.rows } : executeQuery(g.query, data, limits());
    return finish(r, out, g);
  });
}
