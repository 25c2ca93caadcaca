/**
 * QuadStore against a brute-force oracle: a random dataset over small term pools, then every pattern
 * shape (S, P, O each bound or not × default / named / all / one graph) compared with a filter over the
 * quads that were inserted; again after removing a random third. Runs on both storage kinds.
 *
 * Replay a failure with KNOWD_TEST_SEED=<seed printed in the failure>.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Quad, Term } from '@rdfjs/types';
import { DataFactory } from 'n3';
import { DEFAULT_GRAPH_ID, Dictionary, QuadStore, createNamespace, dropNamespaceEntry, getNamespace } from '../../../src/dataset/index.js';
import type { GraphSel, IdPattern } from '../../../src/dataset/index.js';
import { encodeTerm, parseRdf } from '../../../src/rdf/index.js';
import type { Storage } from '../../../src/storage/index.js';
import { pickOne, seededRandom, shuffled, testSeed } from '../../helpers/random.js';
import { STORAGE_KINDS, withStorage } from '../../helpers/storages.js';

const { namedNode, blankNode, literal, quad, defaultGraph } = DataFactory;
const EX = 'http://example.org/';
const XSD = 'http://www.w3.org/2001/XMLSchema#';

type Subject = Quad['subject'];
type Predicate = Quad['predicate'];
type ObjectTerm = Quad['object'];
type GraphTerm = Quad['graph'];

/** An oracle key independent of the store's own term encoding. */
function termKey(t: Term): string {
  return t.termType === 'Literal' ? `L|${t.value}|${t.language}|${t.datatype.value}` : `${t.termType}|${t.value}`;
}
function quadKey(q: Quad): string {
  return [q.subject, q.predicate, q.object, q.graph].map(termKey).join(' ');
}
const sameTerm = (a: Term, b: Term): boolean => termKey(a) === termKey(b);

// Term pools. Roles overlap on purpose (a predicate IRI also used as subject and object, a graph name
// used as subject), so an index that swaps components answers wrongly.
const P = [0, 1, 2, 3, 4, 5].map((i) => namedNode(`${EX}p${i}`));
const G_NAMED: GraphTerm[] = [namedNode(`${EX}g1`), namedNode(`${EX}g2`), blankNode('graph3')];
const S: Subject[] = [
  ...[0, 1, 2, 3, 4, 5, 6].map((i) => namedNode(`${EX}s${i}`)),
  blankNode('b1'),
  blankNode('b2'),
  blankNode('b3'),
  P[0]!,
  G_NAMED[0] as Subject,
];
const O: ObjectTerm[] = [
  namedNode(`${EX}s0`),
  namedNode(`${EX}s1`),
  namedNode(`${EX}o1`),
  P[1]!,
  blankNode('b1'),
  blankNode('b4'),
  literal('a'),
  literal('a', 'en'),
  literal('a', 'en-gb'),
  literal('A'),
  literal(''),
  literal('1', namedNode(`${XSD}integer`)),
  literal('01', namedNode(`${XSD}integer`)),
  literal('abc', namedNode(`${XSD}integer`)),
  literal('1', namedNode(`${XSD}string`)),
  literal('1'),
  literal('say "hi"\nnew line\ttab \\ backslash'),
  literal('unicode é 中文 😀'),
  literal('http://example.org/s0'), // a literal that spells an IRI of the pool
  literal('true', namedNode(`${XSD}boolean`)),
];

function randomQuad(random: () => number): Quad {
  // About half the quads in the default graph, the rest spread over the named graphs.
  const g = random() < 0.5 ? defaultGraph() : pickOne(random, G_NAMED);
  return quad(pickOne(random, S), pickOne(random, P), pickOne(random, O), g);
}

type GraphChoice = { kind: 'default' } | { kind: 'named' } | { kind: 'all' } | { kind: 'graph'; term: GraphTerm };
const GRAPH_CHOICES: readonly GraphChoice[] = [
  { kind: 'default' },
  { kind: 'named' },
  { kind: 'all' },
  ...G_NAMED.map((term) => ({ kind: 'graph' as const, term })),
  { kind: 'graph', term: defaultGraph() },
];
function describeGraph(g: GraphChoice): string {
  return g.kind === 'graph' ? `graph ${termKey(g.term)}` : g.kind;
}
function graphMatches(g: GraphChoice, q: Quad): boolean {
  switch (g.kind) {
    case 'default':
      return q.graph.termType === 'DefaultGraph';
    case 'named':
      return q.graph.termType !== 'DefaultGraph';
    case 'all':
      return true;
    case 'graph':
      return sameTerm(q.graph, g.term);
  }
}

interface Bound {
  s?: Subject;
  p?: Predicate;
  o?: ObjectTerm;
}

/** One namespace's store and the quads the test believes it holds. */
class Fixture {
  readonly store = new QuadStore(new Dictionary());
  readonly oracle = new Map<string, Quad>();
  constructor(
    readonly storage: Storage,
    readonly nsId: number,
    readonly seed: number,
  ) {}

  /** Adds in one transaction; checks each add's return value against the oracle. */
  async add(t: ExecutionContext, quads: readonly Quad[]): Promise<void> {
    const expected = quads.map((q) => {
      const k = quadKey(q);
      const isNew = !this.oracle.has(k);
      this.oracle.set(k, q);
      return isNew;
    });
    const got = await this.storage.write((w) => {
      const qw = this.store.writer(w, this.nsId);
      const out = quads.map((q) => qw.add(q));
      qw.finish();
      return { out, created: qw.dict.created };
    });
    this.store.dict.publish(this.nsId, got.created);
    t.deepEqual(got.out, expected, `add results (seed ${this.seed})`);
  }

  async remove(t: ExecutionContext, quads: readonly Quad[]): Promise<void> {
    const expected = quads.map((q) => this.oracle.delete(quadKey(q)));
    const got = await this.storage.write((w) => {
      const qw = this.store.writer(w, this.nsId);
      const out = quads.map((q) => qw.remove(q));
      qw.finish();
      return out;
    });
    t.deepEqual(got, expected, `remove results (seed ${this.seed})`);
  }

  id(t: Term): number | undefined {
    return this.storage.read((r) => this.store.dict.lookup(r, this.nsId, encodeTerm(t)));
  }

  /** Compares one pattern through match (ids, decoded), matchTerms and count with the oracle. */
  check(t: ExecutionContext, bound: Bound, g: GraphChoice): void {
    const label = `s=${bound.s ? termKey(bound.s) : '?'} p=${bound.p ? termKey(bound.p) : '?'} o=${bound.o ? termKey(bound.o) : '?'} ${describeGraph(g)} (seed ${this.seed})`;
    const want = [...this.oracle.values()]
      .filter((q) => (bound.s === undefined || sameTerm(q.subject, bound.s)) && (bound.p === undefined || sameTerm(q.predicate, bound.p)) && (bound.o === undefined || sameTerm(q.object, bound.o)) && graphMatches(g, q))
      .map(quadKey)
      .sort();

    this.storage.read((r) => {
      // Term-level API: null = unbound; for the graph, 'all', null (= any named graph) or a term.
      const gArg: Term | null | 'all' = g.kind === 'all' ? 'all' : g.kind === 'named' ? null : g.kind === 'default' ? defaultGraph() : g.term;
      const viaTerms = [...this.store.matchTerms(r, this.nsId, bound.s ?? null, bound.p ?? null, bound.o ?? null, gArg)].map(quadKey);
      t.deepEqual([...viaTerms].sort(), want, `matchTerms ${label}`);
      t.is(new Set(viaTerms).size, viaTerms.length, `matchTerms has duplicates: ${label}`);

      // Id-level API: only when every bound term is in the dictionary (else matchTerms covered it).
      const ids = { s: bound.s && this.store.dict.lookup(r, this.nsId, encodeTerm(bound.s)), p: bound.p && this.store.dict.lookup(r, this.nsId, encodeTerm(bound.p)), o: bound.o && this.store.dict.lookup(r, this.nsId, encodeTerm(bound.o)) };
      if ((bound.s && ids.s === undefined) || (bound.p && ids.p === undefined) || (bound.o && ids.o === undefined)) {
        t.deepEqual(want, [], `a term missing from the dictionary yet matching quads: ${label}`);
        return;
      }
      let graph: GraphSel;
      if (g.kind !== 'graph') graph = { kind: g.kind };
      else if (g.term.termType === 'DefaultGraph') graph = { kind: 'graph', id: DEFAULT_GRAPH_ID };
      else {
        const gid = this.store.dict.lookup(r, this.nsId, encodeTerm(g.term));
        if (gid === undefined) {
          t.deepEqual(want, [], label);
          return;
        }
        graph = { kind: 'graph', id: gid };
      }
      const pattern: IdPattern = { graph, ...(ids.s !== undefined && { s: ids.s }), ...(ids.p !== undefined && { p: ids.p }), ...(ids.o !== undefined && { o: ids.o }) };
      const viaIds = [...this.store.match(r, this.nsId, pattern)].map((q) => quadKey(this.store.decode(r, this.nsId, q)));
      t.deepEqual([...viaIds].sort(), want, `match ${label}`);
      t.is(this.store.count(r, this.nsId, pattern), want.length, `count ${label}`);
    });
  }

  /** Every shape × every graph choice, with bindings drawn from present quads and from the pools. */
  checkAllPatterns(t: ExecutionContext, random: () => number): number {
    const present = [...this.oracle.values()];
    let patterns = 0;
    for (let mask = 0; mask < 8; mask++) {
      for (const g of GRAPH_CHOICES) {
        const inGraph = present.filter((q) => graphMatches(g, q));
        const samples: Bound[] = [];
        const draws = mask === 0 ? 1 : 8;
        for (let i = 0; i < draws; i++) {
          // Mostly bindings that match something; some from the pools, which often match nothing.
          const fromData = i < 5 && inGraph.length > 0;
          const q = fromData ? pickOne(random, inGraph) : quad(pickOne(random, S), pickOne(random, P), pickOne(random, O));
          samples.push({ ...((mask & 1) !== 0 && { s: q.subject }), ...((mask & 2) !== 0 && { p: q.predicate }), ...((mask & 4) !== 0 && { o: q.object }) });
        }
        for (const bound of samples) {
          this.check(t, bound, g);
          patterns++;
        }
      }
    }
    // Terms the store has never seen, in every position.
    const unseen = { s: namedNode(`${EX}never`), p: namedNode(`${EX}neverP`), o: literal('never') };
    for (const g of GRAPH_CHOICES) {
      this.check(t, { s: unseen.s }, g);
      this.check(t, { p: unseen.p }, g);
      this.check(t, { o: unseen.o }, g);
      patterns += 3;
    }
    return patterns;
  }

  checkStats(t: ExecutionContext): void {
    const all = [...this.oracle.values()];
    const dflt = all.filter((q) => q.graph.termType === 'DefaultGraph').length;
    const graphs = new Set(all.filter((q) => q.graph.termType !== 'DefaultGraph').map((q) => termKey(q.graph)));
    this.storage.read((r) => {
      const st = this.store.stats(r, this.nsId);
      t.is(st.quads, all.length, `stats.quads (seed ${this.seed})`);
      t.is(st.defaultGraphQuads, dflt, `stats.defaultGraphQuads (seed ${this.seed})`);
      t.is(st.namedGraphQuads, all.length - dflt, `stats.namedGraphQuads (seed ${this.seed})`);
      t.is(st.graphs, graphs.size, `stats.graphs (seed ${this.seed})`);
      const perP = new Map<string, { default: number; named: number }>();
      for (const q of all) {
        const e = perP.get(q.predicate.value) ?? { default: 0, named: 0 };
        if (q.graph.termType === 'DefaultGraph') e.default++;
        else e.named++;
        perP.set(q.predicate.value, e);
      }
      const got = this.store.predicateCounts(r, this.nsId).map((c) => [c.predicate, c.default, c.named]);
      const want = [...perP].map(([p, c]) => [p, c.default, c.named]);
      const byName = (a: (string | number)[], b: (string | number)[]): number => String(a[0]).localeCompare(String(b[0]));
      t.deepEqual(got.sort(byName), want.sort(byName), `predicateCounts (seed ${this.seed})`);
    });
  }
}

async function newFixture(storage: Storage, name: string, seed: number): Promise<Fixture> {
  const info = await storage.write((w) => createNamespace(w, name, 0));
  return new Fixture(storage, info.id, seed);
}

for (const kind of STORAGE_KINDS) {
  test(`${kind}: every pattern shape equals a brute-force filter, before and after removing a third`, async (t) => {
    const seed = testSeed(20240611);
    t.log(`seed ${seed} (replay with KNOWD_TEST_SEED=${seed})`);
    const random = seededRandom(seed);
    await withStorage(kind, async ({ storage }) => {
      const f = await newFixture(storage, 'data', seed);
      // ~2000 draws in four transactions (so term ids and counters carry across commits), with
      // duplicates both inside a transaction and across transactions.
      const draws = Array.from({ length: 2000 }, () => randomQuad(random));
      for (let i = 0; i < 4; i++) await f.add(t, draws.slice(i * 500, (i + 1) * 500));
      t.true(f.oracle.size > 1000, `only ${f.oracle.size} distinct quads`);
      t.true(draws.length > f.oracle.size, 'the sample should contain duplicates');
      f.checkStats(t);
      const n1 = f.checkAllPatterns(t, random);
      t.true(n1 > 300);

      // Remove a random third, plus quads that are not there (never added, or removed twice).
      const present = shuffled(random, [...f.oracle.values()]);
      const third = present.slice(0, Math.floor(present.length / 3));
      const absent = Array.from({ length: 50 }, () => randomQuad(random)).filter((q) => !f.oracle.has(quadKey(q)));
      t.true(absent.length > 0);
      await f.remove(t, [...third.slice(0, 300), ...absent, ...third.slice(0, 10)]);
      await f.remove(t, third.slice(300));
      f.checkStats(t);
      f.checkAllPatterns(t, random);

      // Empty one named graph entirely: its counter must go, not linger at zero.
      const g3 = G_NAMED[2]!;
      await f.remove(t, [...f.oracle.values()].filter((q) => sameTerm(q.graph, g3)));
      f.checkStats(t);
      for (const g of GRAPH_CHOICES) f.check(t, {}, g);
      storage.read((r) => {
        const gid = f.store.dict.lookup(r, f.nsId, encodeTerm(g3));
        t.not(gid, undefined);
        t.is(f.store.count(r, f.nsId, { graph: { kind: 'graph', id: gid ?? -1 } }), 0);
      });

      // Put some back: ids are reused for known terms, counts climb again.
      await f.add(t, third.slice(0, 100));
      f.checkStats(t);
      for (const g of GRAPH_CHOICES) f.check(t, {}, g);
    });
  });

  test(`${kind}: adding an existing quad returns false and changes no count; removing a missing quad returns false`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      const f = await newFixture(storage, 'ns', 0);
      const q1 = quad(namedNode(`${EX}a`), namedNode(`${EX}p`), literal('x'));
      const q1g = quad(namedNode(`${EX}a`), namedNode(`${EX}p`), literal('x'), namedNode(`${EX}g`));
      await f.add(t, [q1, q1g]);
      const before = storage.read((r) => ({ stats: f.store.stats(r, f.nsId), counts: [...r.scan('counts', {})].map((e) => Buffer.from(e.value).toString('hex')) }));
      // Again in a later transaction, and twice in one transaction.
      const again = await storage.write((w) => {
        const qw = f.store.writer(w, f.nsId);
        const out = [qw.add(q1), qw.add(q1g), qw.add(quad(namedNode(`${EX}a`), namedNode(`${EX}p`), literal('x')))];
        qw.finish();
        return out;
      });
      t.deepEqual(again, [false, false, false]);
      const after = storage.read((r) => ({ stats: f.store.stats(r, f.nsId), counts: [...r.scan('counts', {})].map((e) => Buffer.from(e.value).toString('hex')) }));
      t.deepEqual(after, before);
      t.is(before.stats.quads, 2);

      const removed = await storage.write((w) => {
        const qw = f.store.writer(w, f.nsId);
        const out = [
          qw.remove(quad(namedNode(`${EX}unknown`), namedNode(`${EX}p`), literal('x'))), // term never seen
          qw.remove(quad(namedNode(`${EX}a`), namedNode(`${EX}p`), namedNode(`${EX}a`))), // known terms, absent quad
          qw.remove(quad(namedNode(`${EX}a`), namedNode(`${EX}p`), literal('x'), namedNode(`${EX}p`))), // wrong graph
          qw.remove(quad(namedNode(`${EX}a`), namedNode(`${EX}p`), literal('x', 'en'))), // same lexical form, other term
        ];
        qw.finish();
        return out;
      });
      t.deepEqual(removed, [false, false, false, false]);
      t.deepEqual(storage.read((r) => f.store.stats(r, f.nsId)), before.stats);
      // Removing never allocates term ids.
      t.is(f.id(namedNode(`${EX}unknown`)), undefined);

      // Add and remove of the same quad inside one transaction nets out.
      const q2 = quad(namedNode(`${EX}b`), namedNode(`${EX}p`), literal('y'));
      const net = await storage.write((w) => {
        const qw = f.store.writer(w, f.nsId);
        const out = [qw.add(q2), qw.remove(q2), qw.remove(q2), qw.add(q2), qw.remove(q1)];
        qw.finish();
        return out;
      });
      t.deepEqual(net, [true, true, false, true, true]);
      f.oracle.delete(quadKey(q1));
      f.oracle.set(quadKey(q2), q2);
      f.checkStats(t);
    });
  });

  test(`${kind}: literals are kept exactly as written, not normalised`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      const f = await newFixture(storage, 'ns', 0);
      const ttl = `@prefix xsd: <${XSD}> . @prefix ex: <${EX}> .
        ex:s ex:p "01"^^xsd:integer, "1"^^xsd:integer, "+1"^^xsd:integer, "abc"^^xsd:integer,
                  "1.0"^^xsd:decimal, "1"^^xsd:decimal, "1E0"^^xsd:double, "1"^^xsd:boolean, "true"^^xsd:boolean,
                  "2024-01-01T00:00:00Z"^^xsd:dateTime, "2024-01-01T00:00:00.000Z"^^xsd:dateTime,
                  "x"@EN, "x"@en, " padded ", "x"^^xsd:string, "x" .`;
      const quads = parseRdf(ttl, { format: 'turtle' });
      t.is(quads.length, 16);
      await f.add(t, quads);
      const stored = storage.read((r) => [...f.store.matchTerms(r, f.nsId, namedNode(`${EX}s`), null, null, 'all')]);
      // n3 lower-cases language tags; "x" and "x"^^xsd:string are the same RDF term.
      t.is(stored.length, 14);
      const lexical = stored.map((q) => `${q.object.value}|${q.object.termType === 'Literal' ? q.object.datatype.value.replace(XSD, 'xsd:') : ''}`).sort();
      t.deepEqual(
        lexical,
        [
          ' padded |xsd:string', '+1|xsd:integer', '01|xsd:integer', '1.0|xsd:decimal', '1E0|xsd:double', '1|xsd:boolean', '1|xsd:decimal', '1|xsd:integer',
          '2024-01-01T00:00:00.000Z|xsd:dateTime', '2024-01-01T00:00:00Z|xsd:dateTime', 'abc|xsd:integer', 'true|xsd:boolean', 'x|http://www.w3.org/1999/02/22-rdf-syntax-ns#langString', 'x|xsd:string',
        ].sort(),
      );
      // Each exact form is matchable by itself.
      storage.read((r) => {
        t.is([...f.store.matchTerms(r, f.nsId, null, null, literal('01', namedNode(`${XSD}integer`)), 'all')].length, 1);
        t.is([...f.store.matchTerms(r, f.nsId, null, null, literal('abc', namedNode(`${XSD}integer`)), 'all')].length, 1);
        t.is([...f.store.matchTerms(r, f.nsId, null, null, literal('001', namedNode(`${XSD}integer`)), 'all')].length, 0);
      });
    });
  });

  test(`${kind}: literals longer than 1000 bytes round-trip, and similar long literals stay distinct`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      const f = await newFixture(storage, 'ns', 0);
      const base = 'é'.repeat(400) + 'x'.repeat(500) + ' 中文 😀 "quoted" \n';
      t.true(Buffer.byteLength(base) > 1000);
      const s = namedNode(`${EX}s`);
      const p = namedNode(`${EX}p`);
      const longs = [literal(base), literal(`${base}1`), literal(`${base}2`), literal(base, 'en'), literal(base, namedNode(`${EX}dt`))];
      const longIri = namedNode(`${EX}${'seg/'.repeat(300)}end`);
      await f.add(t, [...longs.map((o) => quad(s, p, o)), quad(longIri, p, literal(base)), quad(s, p, longs[1]!, longIri)]);
      storage.read((r) => {
        for (const o of longs) {
          const got = [...f.store.matchTerms(r, f.nsId, s, null, o, defaultGraph())];
          t.is(got.length, 1);
          t.true(sameTerm(got[0]!.object, o));
          t.is(got[0]!.object.value, o.value);
        }
        t.is([...f.store.matchTerms(r, f.nsId, longIri, null, null, 'all')].length, 1);
        t.is([...f.store.matchTerms(r, f.nsId, null, null, null, longIri)].length, 1);
      });
      f.checkStats(t);
      // And can be removed by value.
      await f.remove(t, [quad(s, p, longs[2]!), quad(s, p, literal(`${base}3`))]);
      f.checkStats(t);
      for (const g of GRAPH_CHOICES) f.check(t, { o: longs[2]! }, g);
    });
  });

  test(`${kind}: namespaces are isolated, and deleting one leaves the other intact`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      const a = await newFixture(storage, 'alpha', 0);
      const b = await newFixture(storage, 'beta', 0);
      t.not(a.nsId, b.nsId);
      const q = quad(namedNode(`${EX}s`), namedNode(`${EX}p`), literal('same'));
      const qg = quad(namedNode(`${EX}s`), namedNode(`${EX}p`), literal('same'), namedNode(`${EX}g`));
      await a.add(t, [q, qg, quad(namedNode(`${EX}only-a`), namedNode(`${EX}p`), literal('a'))]);
      await b.add(t, [q, qg]);
      // Beta's ids are its own: the same term may have a different id per namespace, and beta's
      // extra term must not leak into alpha.
      await b.add(t, [quad(namedNode(`${EX}only-b`), namedNode(`${EX}p`), literal('b'))]);
      t.is(a.id(namedNode(`${EX}only-b`)), undefined);
      t.is(b.id(namedNode(`${EX}only-a`)), undefined);
      for (const f of [a, b]) {
        f.checkStats(t);
        for (const g of GRAPH_CHOICES) f.check(t, {}, g);
      }

      await storage.write((w) => {
        const info = dropNamespaceEntry(w, 'alpha');
        a.store.deleteNamespaceData(w, info.id);
      });
      storage.read((r) => {
        t.is(getNamespace(r, 'alpha'), undefined);
        t.not(getNamespace(r, 'beta'), undefined);
        t.deepEqual(a.store.stats(r, a.nsId), { quads: 0, defaultGraphQuads: 0, namedGraphQuads: 0, graphs: 0, terms: 0 });
        t.is([...a.store.match(r, a.nsId, { graph: { kind: 'all' } })].length, 0);
      });
      a.oracle.clear();
      b.checkStats(t);
      for (const g of GRAPH_CHOICES) {
        b.check(t, {}, g);
        b.check(t, { o: literal('same') }, g);
      }
      // Beta still takes writes, and a new namespace gets a fresh id that does not see alpha's data.
      await b.add(t, [quad(namedNode(`${EX}s`), namedNode(`${EX}p`), literal('more'))]);
      b.checkStats(t);
      const c = await newFixture(storage, 'alpha', 0);
      t.true(c.nsId > b.nsId);
      c.checkStats(t);
      t.is(c.id(namedNode(`${EX}only-a`)), undefined);
    });
  });
}
