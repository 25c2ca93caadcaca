/**
 * The shares of a split query (sparql/split/partition.ts): id slices dealt round-robin plus a hash
 * range for computed values. Every value has exactly one owner; the slices tile the id space; the
 * parts of a skewed-but-smooth id density come out even; a part that seeks gets exactly the rows the
 * filter would keep.
 */
import test from 'ava';
import { FakeClock } from '../../../src/base/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { encodeTerm, factory } from '../../../src/rdf/index.js';
import {
  executeQuery,
  HASH_SPACE,
  ID_SPACE,
  inSlices,
  owns,
  parseQuery,
  planShares,
  planSplit,
  prepareQuery,
  shareLabel,
  shareProblem,
  SLICES_PER_PART,
  type PartitionShare,
  type QueryableDataset,
  type QueryOptions,
} from '../../../src/sparql/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';

const owners = (shares: readonly PartitionShare[], v: Parameters<typeof owns>[1]): number => shares.filter((s) => owns(s, v)).length;

test('the slices of all parts tile [0, 2^40) in order, without gaps or overlap, for any count and id bound', (t) => {
  for (const k of [1, 2, 3, 5, 16]) {
    for (const idEnd of [0, 1, 2, 7, 48, 49, 1000, 123_457, 2 ** 40, 2 ** 41]) {
      const shares = planShares(k, idEnd);
      t.is(shares.length, k);
      for (const sh of shares) t.is(shareProblem(sh), undefined, `${k} parts, idEnd ${idEnd}: ${shareLabel(sh)}`);
      const all = shares.flatMap((s) => s.slices).sort((a, b) => a.lo - b.lo);
      t.is(all[0]!.lo, 0);
      t.is(all[all.length - 1]!.hi, ID_SPACE);
      for (let i = 1; i < all.length; i++) t.is(all[i]!.lo, all[i - 1]!.hi, `${k} parts, idEnd ${idEnd}: gap or overlap at ${i}`);
      // Computed values: the hash ranges tile [0, 2^32) too.
      const terms = shares.map((s) => s.terms).sort((a, b) => a.lo - b.lo);
      t.is(terms[0]!.lo, 0);
      t.is(terms[terms.length - 1]!.hi, HASH_SPACE);
      for (let i = 1; i < terms.length; i++) t.is(terms[i]!.lo, terms[i - 1]!.hi);
    }
  }
  t.is(planShares(1, 1000)[0]!.slices.length, 1, 'one part: its adjacent slices merge into one seek');
  t.is(planShares(3, 3000)[1]!.slices.length, SLICES_PER_PART);
  t.throws(() => planShares(0, 10));
});

test('every id and every computed value has exactly one owner, at slice bounds too', (t) => {
  for (const k of [1, 2, 3, 7]) {
    const shares = planShares(k, 10_000);
    const bounds = shares.flatMap((s) => s.slices.flatMap((x) => [x.lo - 1, x.lo, x.hi - 1, x.hi])).filter((id) => id >= 0 && id < ID_SPACE);
    for (const id of [...bounds, 0, 1, 9_999, 10_000, 10_001, 2 ** 32, ID_SPACE - 1]) t.is(owners(shares, id), 1, `${k} parts: id ${id}`);
    for (let id = 0; id < 12_000; id += 7) t.is(owners(shares, id), 1, `${k} parts: id ${id}`);
    const computed = [factory.literal('1'), factory.literal('x', 'en'), factory.namedNode('http://e/not-stored'), factory.blankNode('b1'), ...Array.from({ length: 200 }, (_, i) => factory.literal(`v${i}`))];
    for (const c of computed) t.is(owners(shares, c), 1, `${k} parts: ${encodeTerm(c)}`);
  }
});

test('a smoothly varying id density is shared evenly: each part within 5 % of its third', (t) => {
  // Values of one variable get denser along the id space (load order): id i is a value with
  // probability i / N, and a run of ids without any (another class loaded in between).
  const N = 300_000;
  const shares = planShares(3, N + 1);
  const counts = [0, 0, 0];
  let total = 0;
  for (let id = 1; id <= N; id++) {
    if (id > 100_000 && id < 130_000) continue;
    if ((id * 2654435761) % N >= id) continue;
    total++;
    counts[shares.findIndex((s) => inSlices(s.slices, id))]!++;
  }
  for (const n of counts) t.true(Math.abs(n - total / 3) < total * 0.05, `${counts.join(', ')} of ${total}`);
});

test('a share from the wire is checked: out of order, overlapping, empty or out-of-space slices are refused', (t) => {
  const ok = planShares(3, 100)[0]!;
  t.is(shareProblem(ok), undefined);
  t.truthy(shareProblem({ ...ok, slices: [{ lo: 10, hi: 20 }, { lo: 15, hi: 30 }] }));
  t.truthy(shareProblem({ ...ok, slices: [{ lo: 10, hi: 10 }] }));
  t.truthy(shareProblem({ ...ok, slices: [{ lo: 0, hi: ID_SPACE + 1 }] }));
  t.truthy(shareProblem({ ...ok, terms: { lo: 5, hi: 5 } }));
  t.truthy(shareProblem({ ...ok, part: 3 }));
  t.is(shareLabel(ok), `part 1/3 (ids in ${ok.slices.length} slices [1, 2) … [96, 97); computed values hashing into [0x00000000, 0x55555555))`);
  t.is(shareLabel(planShares(3, 100)[2]!).includes('[99, 2^40);'), true, 'the last slice is open-ended');
  t.is(shareLabel(planShares(1, 100)[0]!), 'part 1/1 (ids [0, 2^40); computed values hashing into [0x00000000, 0x100000000))');
});

test('a part that seeks to its slices gets exactly the rows a filter over the whole scan keeps', async (t) => {
  const { engine: e, node } = await openStandalone({ storage: openMemoryStorage(), signer: createEd25519Signer(generateSigningKeyPem()), clock: new FakeClock(1), maxTxQuads: 100_000 });
  try {
    await e.createNamespace('t', 'x');
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      lines.push(`<http://e/s${i}> a <http://e/${i % 3 === 0 ? 'A' : 'B'}> .`);
      lines.push(`<http://e/s${i}> <http://e/v> "${i % 11}"^^<http://www.w3.org/2001/XMLSchema#integer> .`);
      if (i % 5 === 0) lines.push(`<http://e/s${i}> <http://e/k> <http://e/s${(i * 7) % 400}> .`);
    }
    await e.transact({ namespace: 't', format: 'turtle', actor: 'x', add: lines.join('\n') });
    const queries = [
      'SELECT ?x WHERE { ?x a <http://e/A> }',
      'SELECT ?x ?v WHERE { ?x a <http://e/A> . ?x <http://e/v> ?v }',
      'SELECT ?y (COUNT(*) AS ?n) WHERE { ?x <http://e/k> ?y . ?y <http://e/v> ?v } GROUP BY ?y',
      'SELECT ?v WHERE { ?x <http://e/v> ?v FILTER(?v > 3) }',
      'SELECT ?x ?z WHERE { ?x a <http://e/B> OPTIONAL { ?x <http://e/k> ?z } }',
      // The class comes from VALUES rows: the scan is a probe of a few outer rows, and still seeks.
      'SELECT ?x WHERE { VALUES ?c { <http://e/A> <http://e/B> } ?x a ?c }',
      // ?y is free where the index orders by it, but only after ?x's scan: probes beyond the first few filter.
      'SELECT ?y ?x WHERE { ?x a <http://e/A> . ?x <http://e/k> ?y }',
    ];
    const opts = (): QueryOptions => ({ deadlineMs: Date.now() + 10_000, timeoutMs: 10_000, maxHeldValues: 1_000_000, nowMs: () => 0 });
    let seeks = 0;
    for (const q of queries) {
      const prepared = prepareQuery(parseQuery(q), {});
      // The last query splits on ?y, which only the inner scan binds.
      const d = planSplit(prepared, q.startsWith('SELECT ?y ?x') ? { variable: 'y' } : {});
      if (!d.splittable) throw new Error(`${q}: ${d.reason}`);
      const { participant, driving, points } = d.plan;
      e.withDataset('t', (data, ns) => {
        const { seek, ...noSeek } = data;
        const counting: QueryableDataset = { ...data, seek: (...args) => (seeks++, seek!(...args)) };
        const rows = (ds: QueryableDataset, share: PartitionShare): string[] => {
          const r = executeQuery(participant, ds, { ...opts(), partition: { ...share, variable: driving, points } });
          if (r.kind !== 'bindings') throw new Error('bindings expected');
          return [...r.rows].map((row) => participant.variables.map((v) => (row[v] === undefined ? '-' : encodeTerm(row[v]!))).join(' ')).sort();
        };
        for (const share of planShares(3, ns.termIds + 1)) t.deepEqual(rows(counting, share), rows(noSeek, share), `${q}, ${shareLabel(share)}`);
      });
    }
    t.true(seeks >= 10, `${seeks} parts sought`);
  } finally {
    await node.stop();
  }
});
