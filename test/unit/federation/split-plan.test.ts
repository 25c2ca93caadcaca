/**
 * The split planner and merger on seeded random data and queries (joins, OPTIONAL, UNION, MINUS,
 * FILTER, paths, DISTINCT, ORDER BY + LIMIT, GROUP BY with every foldable aggregate), plus the shape
 * of plans for the cases the rules single out. Set KNOWD_TEST_SEED to replay a failure.
 */
import test from 'ava';
import type { Term } from '@rdfjs/types';
import { FakeClock } from '../../../src/base/index.js';
import type { Engine } from '../../../src/engine/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { encodeTerm } from '../../../src/rdf/index.js';
import { executeQuery, mergedValues, parseQuery, planSplit, prepareQuery, splitRanges, termHash, HASH_SPACE, type ParsedQuery, type QueryOptions, type QueryResult } from '../../../src/sparql/index.js';
import { factory } from '../../../src/rdf/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';
import { pickOne, seededRandom, testSeed } from '../../helpers/random.js';
import { runSplitPlan, type IdMode } from '../../helpers/split-run.js';

const EX = 'http://e/';
const limits = (): QueryOptions => ({ deadlineMs: Date.now() + 30_000, timeoutMs: 30_000, maxHeldValues: 5_000_000, nowMs: () => 0 });
const plan = (q: string) => planSplit(prepareQuery(parseQuery(q), {}));

function data(random: () => number): string {
  const lines = new Set<string>();
  for (let i = 0; i < 120; i++) {
    const s = `<${EX}n${Math.floor(random() * 12)}>`;
    const p = `<${EX}${pickOne(random, ['p', 'q', 'r'])}>`;
    const r = random();
    const o = r < 0.5 ? `<${EX}n${Math.floor(random() * 12)}>` : r < 0.7 ? `"${pickOne(random, ['a', 'b', 'c'])}"` : r < 0.9 ? `"${Math.floor(random() * 7)}"^^<http://www.w3.org/2001/XMLSchema#integer>` : `"${(random() * 4).toFixed(1)}"^^<http://www.w3.org/2001/XMLSchema#decimal>`;
    lines.add(`${s} ${p} ${o} .`);
  }
  return [...lines].join('\n');
}

function query(random: () => number): string {
  const v = (): string => `?${pickOne(random, ['a', 'b', 'c', 'd'])}`;
  const term = (): string => (random() < 0.8 ? v() : `<${EX}n${Math.floor(random() * 12)}>`);
  const pred = (): string => {
    const p = `<${EX}${pickOne(random, ['p', 'q', 'r'])}>`;
    const r = random();
    return r < 0.1 ? `${p}+` : r < 0.15 ? `^${p}` : r < 0.2 ? `${p}/<${EX}q>` : p;
  };
  const triple = (): string => `${term()} ${pred()} ${term()} .`;
  const group = (depth: number): string => {
    const parts = [triple()];
    if (random() < 0.6) parts.push(triple());
    const r = random();
    if (depth < 2 && r < 0.2) parts.push(`OPTIONAL { ${group(depth + 1)} }`);
    else if (depth < 2 && r < 0.35) parts.push(`{ ${group(depth + 1)} } UNION { ${group(depth + 1)} }`);
    else if (depth < 2 && r < 0.45) parts.push(`MINUS { ${group(depth + 1)} }`);
    else if (r < 0.55) parts.push(`FILTER(BOUND(${v()}) || ${v()} != <${EX}n1>)`);
    else if (depth < 2 && r < 0.62) parts.push(`FILTER NOT EXISTS { ${triple()} }`);
    else if (r < 0.7) parts.push(`BIND(STR(${v()}) AS ?e)`);
    return parts.join(' ');
  };
  const where = group(0);
  const agg = (): string => pickOne(random, ['COUNT(*)', 'COUNT(?b)', 'SUM(?c)', 'AVG(?c)', 'MIN(?b)', 'MAX(?c)', 'GROUP_CONCAT(?d)', 'COUNT(DISTINCT ?b)', 'SAMPLE(?a)']);
  const r = random();
  if (r < 0.15) return `SELECT ?a (${agg()} AS ?x) (${agg()} AS ?y) WHERE { ${where} } GROUP BY ?a`;
  if (r < 0.3) return `SELECT (${agg()} AS ?x) WHERE { ${where} }`;
  if (r < 0.4) return `SELECT ?a (COUNT(*) AS ?n) WHERE { ${where} } GROUP BY ?a HAVING (COUNT(*) > 1) ORDER BY DESC(?n) ?a`;
  if (r < 0.5) return `SELECT DISTINCT ?a WHERE { ${where} }`;
  if (r < 0.6) return `SELECT * WHERE { ${where} } ORDER BY ?a ?b ?c ?d ?e LIMIT 5 OFFSET 2`;
  if (r < 0.65) return `ASK { ${where} }`;
  return `SELECT * WHERE { ${where} }`;
}

type Answer = { kind: 'boolean'; value: boolean } | { kind: 'rows'; keys: string[] };

const keyOf = (vars: readonly string[], row: Readonly<Record<string, Term>>): string => vars.map((v) => (row[v] === undefined ? '-' : encodeTerm(row[v]!))).join(' | ');

function materialize(r: QueryResult): Answer {
  if (r.kind === 'boolean') return { kind: 'boolean', value: r.value };
  if (r.kind !== 'bindings') throw new Error('quads');
  return { kind: 'rows', keys: [...r.rows].map((row) => keyOf(r.vars, row)) };
}

async function split(e: Engine, prepared: ParsedQuery, k: number, mode: IdMode): Promise<{ answer: Answer; partSizes: number[] } | undefined> {
  const d = planSplit(prepared);
  if (!d.splittable) return undefined;
  return runSplitPlan(e, 't', d.plan, prepared.variables, k, mode, limits, (r, parts) => ({
    answer: materialize(r),
    partSizes: parts.map((x) => (x.kind === 'bindings' ? x.rows : Number(x.value))),
  }));
}

test('random queries: split into k parts equals unsplit (ordered where ORDER BY decides the order)', async (t) => {
  const seed = testSeed(20261128);
  t.log(`seed ${seed} (KNOWD_TEST_SEED=${seed} replays it)`);
  const random = seededRandom(seed);
  const signer = createEd25519Signer(generateSigningKeyPem());
  let compared = 0;
  let splitCount = 0;
  let unevenParts = 0;
  for (let round = 0; round < 3; round++) {
    const { engine: e, node } = await openStandalone({ storage: openMemoryStorage(), signer, clock: new FakeClock(1), maxTxQuads: 10_000 });
    try {
      await e.createNamespace('t', 'x');
      await e.transact({ namespace: 't', format: 'n-triples', actor: 'x', add: data(random) });
      for (let i = 0; i < 60; i++) {
        const q = query(random);
        const parsed = parseQuery(q);
        const single = await e.query('t', parsed, limits(), materialize);
        const prepared = prepareQuery(parsed, {});
        for (const [k, mode] of [[2, 'ids'], [3, 'half'], [7, 'text']] as const) {
          const got = await split(e, prepared, k, mode);
          if (got === undefined) break;
          splitCount++;
          if (got.partSizes.filter((n) => n > 0).length > 1) unevenParts++;
          // ORDER BY over all projected variables with LIMIT: the exact sequence; otherwise a multiset.
          const exact = /LIMIT/.test(q);
          // GROUP_CONCAT's order is not defined by SPARQL: its text is compared as a multiset of tokens.
          const tokens = (k: string): string => (/GROUP_CONCAT/.test(q) ? k.replace(/"([^"]*)"/g, (_, x: string) => `"${x.split(' ').sort().join(' ')}"`) : k);
          const norm = (a: Answer): string => (a.kind === 'rows' ? JSON.stringify(exact ? a.keys.map(tokens) : a.keys.map(tokens).sort()) : JSON.stringify(a));
          if (norm(single) !== norm(got.answer)) {
            t.fail(`seed ${seed}, round ${round}, query ${i}, k=${k} (${mode}) differs:\n${q}\nsingle: ${norm(single).slice(0, 800)}\nsplit:  ${norm(got.answer).slice(0, 800)}`);
            return;
          }
        }
        compared++;
      }
    } finally {
      await node.stop();
    }
  }
  t.is(compared, 180);
  t.true(splitCount > 250, `${splitCount} splits`);
  // The parts did share the work: rows came from more than one part in most splits.
  t.true(unevenParts > splitCount / 3, `${unevenParts} of ${splitCount} splits had rows from more than one part`);
});

test('hash ranges (of computed values) cover the hash space without overlap', (t) => {
  for (const k of [1, 2, 3, 7, 64]) {
    const rs = splitRanges(k);
    t.is(rs[0]!.lo, 0);
    t.is(rs[rs.length - 1]!.hi, HASH_SPACE);
    for (let i = 1; i < rs.length; i++) t.is(rs[i]!.lo, rs[i - 1]!.hi);
  }
  t.throws(() => splitRanges(0));
  t.is(termHash(factory.namedNode('http://e/x')), termHash(factory.namedNode('http://e/x')));
  t.not(termHash(factory.literal('1')), termHash(factory.literal('1', factory.namedNode('http://www.w3.org/2001/XMLSchema#integer'))));
});

test('plans: GROUP BY key drives whole groups; other groupings fold partial aggregates', (t) => {
  const byKey = plan('SELECT ?s (COUNT(*) AS ?n) (SAMPLE(?o) AS ?x) WHERE { ?s ?p ?o } GROUP BY ?s');
  t.true(byKey.splittable && byKey.plan.kind === 'rows' && byKey.plan.driving === 's');
  const partial = plan('SELECT ?k (AVG(?o) AS ?a) (GROUP_CONCAT(?o; separator=",") AS ?g) WHERE { ?s <http://e/p> ?o } GROUP BY (STR(?o) AS ?k)');
  t.true(partial.splittable);
  if (partial.splittable && partial.plan.kind === 'partial') {
    t.deepEqual(partial.plan.aggregates.map((a) => a.aggregator), ['avg', 'group_concat']);
    t.is(partial.plan.aggregates[1]!.separator, ',');
  } else t.fail('expected a partial plan');
  const sample = plan('SELECT (SAMPLE(?o) AS ?x) WHERE { ?s ?p ?o }');
  t.false(sample.splittable);
  if (!sample.splittable) t.regex(sample.reason, /SAMPLE/);
  const countDistinct = plan('SELECT (COUNT(DISTINCT ?o) AS ?x) WHERE { ?s ?p ?o }');
  t.false(countDistinct.splittable);
});

test('plans: the driving variable is bound by a required pattern, never only by OPTIONAL, MINUS, EXISTS or a subquery', (t) => {
  const opt = plan('SELECT * WHERE { ?s <http://e/p> ?o OPTIONAL { ?o <http://e/q> ?z } }');
  t.true(opt.splittable && ['s', 'o'].includes(opt.plan.driving));
  const onlyOptional = plan('SELECT ?z WHERE { OPTIONAL { ?o <http://e/q> ?z } }');
  t.false(onlyOptional.splittable);
  const unionPartial = plan('SELECT * WHERE { { ?a <http://e/p> ?b } UNION { ?c <http://e/q> ?d } }');
  t.false(unionPartial.splittable);
  const unionBoth = plan('SELECT * WHERE { { ?a <http://e/p> ?b } UNION { ?a <http://e/q> ?d } }');
  t.true(unionBoth.splittable && unionBoth.plan.driving === 'a' && unionBoth.plan.points.size === 2);
  const sub = plan('SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 } ?s <http://e/q> ?z }');
  t.true(sub.splittable && sub.plan.points.size === 1 && [...sub.plan.points].every((p) => (p as { predicate: Term }).predicate.value === 'http://e/q'), 'only the outer pattern is checked');
  const onlySub = plan('SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 } { SELECT ?o WHERE { ?s ?p ?o } LIMIT 2 } }');
  t.false(onlySub.splittable);
  const construct = plan('CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }');
  t.false(construct.splittable);
  const similar = plan('PREFIX k: <urn:knowd:> SELECT ?d WHERE { ?d k:similarTo "shoes" }');
  t.false(similar.splittable);
});

test('plans: ORDER BY + LIMIT trims each part to offset+limit; DISTINCT does not', (t) => {
  const top = plan('SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 10 OFFSET 5');
  t.true(top.splittable && top.plan.kind === 'rows');
  if (top.splittable && top.plan.kind === 'rows') {
    t.is(top.plan.participant.algebra.type as string, 'slice');
    t.is((top.plan.participant.algebra as unknown as { length: number }).length, 15);
    t.true(top.plan.participant.variables.includes('o'), 'the sort key travels with the rows');
  }
  const distinct = plan('SELECT DISTINCT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 10');
  t.true(distinct.splittable && (distinct.plan.participant.algebra.type as string) !== 'slice');
  const plain = plan('SELECT ?s ?o WHERE { ?s ?p ?o }');
  t.true(plain.splittable && plain.plan.kind === 'rows' && plain.plan.top === undefined, 'a plain projection needs no coordinator query');
});

test('merged rows given as ids and terms: a term the store knows counts as its id (DISTINCT keeps one)', async (t) => {
  const { engine: e, node } = await openStandalone({ storage: openMemoryStorage(), signer: createEd25519Signer(generateSigningKeyPem()), clock: new FakeClock(1), maxTxQuads: 10_000 });
  try {
    await e.createNamespace('t', 'x');
    await e.transact({ namespace: 't', format: 'n-triples', actor: 'x', add: `<${EX}a> <${EX}p> "1" .\n<${EX}b> <${EX}p> "2" .` });
    const d = plan(`SELECT DISTINCT ?s WHERE { ?s <${EX}p> ?o }`);
    if (!d.splittable || d.plan.kind !== 'rows' || d.plan.top === undefined) throw new Error('expected a split with modifiers');
    const top = d.plan.top;
    const a = factory.namedNode(`${EX}a`);
    const fresh = factory.namedNode(`${EX}fresh`);
    const got = e.withDataset('t', (data) => {
      const idA = data.lookup(a)!;
      // The same stored term once as its id, once as text (a part that sent it as text); a term the store lacks stays a term.
      const values = mergedValues(['s'], [{ s: a }, { s: a }, { s: fresh }], [[idA], [a], [fresh]]);
      const r = executeQuery(top(values), data, limits());
      return r.kind === 'bindings' ? [...r.rows].map((row) => row['s']!.value).sort() : [];
    });
    t.deepEqual(got, [`${EX}a`, `${EX}fresh`]);
    t.throws(() => mergedValues(['s'], [{ s: a }], []), { instanceOf: RangeError });
  } finally {
    await node.stop();
  }
});
