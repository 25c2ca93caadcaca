/**
 * The differential oracle of split execution, in process: every W3C SPARQL 1.1 query-evaluation
 * query runs unsplit and split into k hash ranges over one in-memory store (each part with its
 * range pushed into evaluation, then merged by federation/gather and the coordinator's query), and
 * the answers must be equal as multisets (as sequences of ORDER BY keys where the query orders).
 * The 3-node e2e test (test/e2e/federation.test.ts) covers the same path over the wire.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import type { Term } from '@rdfjs/types';
import { FakeClock } from '../../../src/base/index.js';
import type { Engine } from '../../../src/engine/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { encodeTerm } from '../../../src/rdf/index.js';
import { parseQuery, patternCost, planSplit, prepareQuery, type ParsedQuery, type QueryOptions, type QueryResult } from '../../../src/sparql/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';
import { w3cQueryTests, W3C_SPARQL11 } from '../../helpers/w3c-queries.js';
import { runSplitPlan, type IdMode } from '../../helpers/split-run.js';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const limits = (): QueryOptions => ({ deadlineMs: Date.now() + 30_000, timeoutMs: 30_000, maxHeldValues: 5_000_000, nowMs: () => NOW });

type Answer = { kind: 'boolean'; value: boolean } | { kind: 'rows'; keys: string[] } | { kind: 'quads'; n: number };

/** A row as text; computed blank nodes (BNODE()) get fresh labels per run, so only their kind counts. */
function rowKey(vars: readonly string[], row: Readonly<Record<string, Term>>): string {
  return vars.map((v) => (row[v] === undefined ? '-' : row[v]!.termType === 'BlankNode' ? '_:' : encodeTerm(row[v]!))).join(' | ');
}

function materialize(r: QueryResult): Answer {
  if (r.kind === 'boolean') return { kind: 'boolean', value: r.value };
  if (r.kind === 'quads') return { kind: 'quads', n: [...r.quads].length };
  return { kind: 'rows', keys: [...r.rows].map((row) => rowKey(r.vars, row)) };
}

async function load(e: Engine, t: ReturnType<typeof w3cQueryTests>[number]): Promise<boolean> {
  const files = [...t.data.map((file) => ({ file, graph: undefined as string | undefined })), ...t.graphs.map((g) => ({ file: g.file, graph: g.iri }))];
  for (const { file, graph } of files) {
    if (!/\.(ttl|nt)$/.test(file)) return false;
    const add = fs.readFileSync(file, 'utf8');
    if (add.trim() === '') continue;
    await e.transact({ namespace: 't', format: file.endsWith('.nt') ? 'n-triples' : 'turtle', add, baseIRI: pathToFileURL(file).href, actor: 'x', ...(graph !== undefined && { graph }) });
  }
  return true;
}

/** Runs a query split into k parts over the engine's store, as a coordinator would, through the parts' wire format. */
async function runSplit(e: Engine, prepared: ParsedQuery, k: number, mode: IdMode): Promise<Answer | undefined> {
  // As in a cluster: the coordinator picks the driving variable from statistics, each part plans
  // again with that variable forced.
  const d = e.withDataset('t', (data) => planSplit(prepared, { cost: (p) => patternCost(p, data) }));
  if (!d.splittable) return undefined;
  const forced = planSplit(prepared, { variable: d.plan.driving });
  if (!forced.splittable) throw new Error(`the parts cannot plan on ?${d.plan.driving}: ${forced.reason}`);
  return runSplitPlan(e, 't', forced.plan, prepared.variables, k, mode, limits, (r) => materialize(r));
}

function ordered(q: string): boolean {
  return /ORDER\s+BY/i.test(q);
}

test('every W3C SPARQL 1.1 query gives the same answer split into 1, 2, 3 and 5 parts as unsplit', async (t) => {
  if (!fs.existsSync(W3C_SPARQL11)) {
    if (process.env['CI'] === 'true') t.fail(`the W3C suite is missing at ${W3C_SPARQL11}`);
    else t.pass(`SKIPPED: no W3C suite at ${W3C_SPARQL11}`);
    return;
  }
  const signer = createEd25519Signer(generateSigningKeyPem());
  const tests = w3cQueryTests();
  t.true(tests.length > 150, `found ${tests.length} tests`);
  let split = 0;
  let compared = 0;
  const reasons = new Map<string, number>();
  const failures: string[] = [];
  for (const w of tests) {
    const { engine: e, node } = await openStandalone({ storage: openMemoryStorage(), signer, clock: new FakeClock(1), maxTxQuads: 100_000 });
    try {
      await e.createNamespace('t', 'x');
      if (!(await load(e, w))) continue;
      let parsed: ParsedQuery;
      try {
        parsed = parseQuery(w.query, w.baseIRI);
      } catch {
        continue;
      }
      const prepared = prepareQuery(parsed, {});
      let single: Answer;
      try {
        single = await e.query('t', parsed, limits(), materialize);
      } catch {
        continue; // the single-node engine rejects it (a known conformance gap): nothing to compare
      }
      compared++;
      const d = planSplit(prepared);
      if (!d.splittable) {
        reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
        continue;
      }
      split++;
      // Stored terms travel as text, as ids, or (half) some as ids and newer ones as text.
      for (const [k, mode] of [[1, 'text'], [2, 'ids'], [3, 'half'], [5, 'ids']] as const) {
        const parts = await runSplit(e, prepared, k, mode);
        const same = (a: Answer, b: Answer | undefined): boolean => {
          if (b === undefined || a.kind !== b.kind) return false;
          if (a.kind === 'rows' && b.kind === 'rows') {
            const sliced = /LIMIT|OFFSET/i.test(w.query) && !ordered(w.query);
            if (sliced) return a.keys.length === b.keys.length;
            if (ordered(w.query) && !/LIMIT|OFFSET/i.test(w.query)) return JSON.stringify([...a.keys].sort()) === JSON.stringify([...b.keys].sort());
            return JSON.stringify([...a.keys].sort()) === JSON.stringify([...b.keys].sort());
          }
          return JSON.stringify(a) === JSON.stringify(b);
        };
        if (!same(single, parts)) {
          failures.push(`${w.name} (k=${k}, ${mode}, ${d.plan.kind} on ?${d.plan.driving}):\n${w.query}\nsingle: ${JSON.stringify(single).slice(0, 600)}\nsplit:  ${JSON.stringify(parts).slice(0, 600)}`);
          break;
        }
      }
    } finally {
      await node.stop();
    }
  }
  t.log(`${compared} queries compared, ${split} split; not split: ${[...reasons].map(([r, n]) => `${n} × ${r}`).join('; ')}`);
  if (failures.length > 0) t.fail(`${failures.length} differ:\n${failures.join('\n\n')}`);
  t.true(split > 100, `only ${split} queries were split`);
});
