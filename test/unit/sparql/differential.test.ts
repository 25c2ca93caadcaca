/**
 * Differential testing against oxigraph (a devDependency): seeded random data and random queries
 * (joins, OPTIONAL, UNION, MINUS, FILTER, paths, DISTINCT, aggregates) must give the same multiset of
 * solutions in both engines. Data uses only IRIs, plain strings and small integers, whose lexical
 * forms both engines keep as written. Set KNOWD_TEST_SEED to replay a failure.
 */
import test from 'ava';
import oxigraph from 'oxigraph';
import type { Term } from '@rdfjs/types';
import { FakeClock } from '../../../src/base/index.js';
import { openStandaloneEngine } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { parseQuery, type QueryResult } from '../../../src/sparql/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';
import { pickOne, seededRandom, testSeed } from '../../helpers/random.js';

const EX = 'http://e/';
const PREDS = ['p', 'q', 'r'];
const NODES = Array.from({ length: 8 }, (_, i) => `n${i}`);

function data(random: () => number): string {
  const lines = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const s = `<${EX}${pickOne(random, NODES)}>`;
    const p = `<${EX}${pickOne(random, PREDS)}>`;
    const r = random();
    const o = r < 0.6 ? `<${EX}${pickOne(random, NODES)}>` : r < 0.8 ? `"${pickOne(random, ['a', 'b', 'c'])}"` : `"${Math.floor(random() * 5)}"^^<http://www.w3.org/2001/XMLSchema#integer>`;
    lines.add(`${s} ${p} ${o} .`);
  }
  return [...lines].join('\n');
}

function query(random: () => number): string {
  const v = (): string => `?${pickOne(random, ['a', 'b', 'c', 'd'])}`;
  const term = (): string => (random() < 0.7 ? v() : `<${EX}${pickOne(random, NODES)}>`);
  const pred = (): string => {
    const p = `<${EX}${pickOne(random, PREDS)}>`;
    const r = random();
    if (r < 0.1) return `${p}+`;
    if (r < 0.15) return `${p}*`;
    if (r < 0.2) return `^${p}`;
    if (r < 0.25) return `${p}/<${EX}${pickOne(random, PREDS)}>`;
    // No alternatives `(p|q)` or negated sets `!p`: how often a pair of nodes linked by two matching
    // predicates is returned differs between engines (oxigraph collapses such pairs in some plans
    // and not in others); Knowd returns one solution per matching triple, as for a triple pattern.
    return p;
  };
  const triple = (): string => `${term()} ${pred()} ${term()} .`;
  const group = (depth: number): string => {
    const parts = [triple()];
    if (random() < 0.5) parts.push(triple());
    const r = random();
    if (depth < 2 && r < 0.2) parts.push(`OPTIONAL { ${group(depth + 1)} }`);
    else if (depth < 2 && r < 0.35) parts.push(`{ ${group(depth + 1)} } UNION { ${group(depth + 1)} }`);
    else if (depth < 2 && r < 0.45) parts.push(`MINUS { ${group(depth + 1)} }`);
    else if (r < 0.6) parts.push(`FILTER(BOUND(${v()}) || ${v()} != <${EX}n1>)`);
    // Nothing nested inside NOT EXISTS: engines read "substitute the solution" (§18.6) differently
    // for MINUS and FILTER scopes inside it (Knowd replaces the variables, oxigraph joins them).
    else if (depth < 2 && r < 0.65) parts.push(`FILTER NOT EXISTS { ${group(2)} }`);
    return parts.join(' ');
  };
  const where = group(0);
  const r = random();
  if (r < 0.2) return `SELECT ?a (COUNT(*) AS ?n) WHERE { ${where} } GROUP BY ?a`;
  if (r < 0.4) return `SELECT DISTINCT * WHERE { ${where} }`;
  return `SELECT * WHERE { ${where} }`;
}

function key(row: Record<string, Term | undefined>, vars: readonly string[]): string {
  return vars.map((k) => {
    const t = row[k];
    if (t === undefined) return '-';
    return t.termType === 'Literal' ? `"${t.value}"^^${(t as { datatype: { value: string } }).datatype.value}` : `${t.termType}:${t.value}`;
  }).join(' | ');
}

test('random queries give the same solutions as oxigraph', async (t) => {
  const seed = testSeed(20261127);
  t.log(`seed ${seed} (KNOWD_TEST_SEED=${seed} replays it)`);
  const random = seededRandom(seed);
  let compared = 0;
  for (let round = 0; round < 4; round++) {
    const text = data(random);
    const ox = new oxigraph.Store();
    ox.load(text, { format: 'application/n-triples' });
    const e = await openStandaloneEngine({ storage: openMemoryStorage(), signer: createEd25519Signer(generateSigningKeyPem()), clock: new FakeClock(1), maxTxQuads: 10_000 });
    await e.createNamespace('t', 'x');
    await e.transact({ namespace: 't', format: 'n-triples', actor: 'x', add: text });
    for (let i = 0; i < 60; i++) {
      const q = query(random);
      const parsed = parseQuery(q);
      const ours = await e.query('t', parsed, { deadlineMs: Date.now() + 10_000, timeoutMs: 10_000, maxHeldValues: 1_000_000, nowMs: Date.now }, (r: QueryResult) => {
        if (r.kind !== 'bindings') throw new Error('expected bindings');
        return [...r.rows].map((row) => key(row, r.vars)).sort();
      });
      const theirs = (ox.query(q) as Map<string, Term>[]).map((b) => key(Object.fromEntries(parsed.variables.map((v) => [v, b.get(v)])), parsed.variables)).sort();
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        t.fail(`seed ${seed}, round ${round}, query ${i} differs:\n${q}\nknowd (${ours.length}): ${ours.slice(0, 10).join('\n  ')}\noxigraph (${theirs.length}): ${theirs.slice(0, 10).join('\n  ')}`);
        return;
      }
      compared++;
    }
  }
  t.is(compared, 240);
});
