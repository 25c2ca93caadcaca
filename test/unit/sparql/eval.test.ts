/** SPARQL evaluation semantics over the engine (memory store): joins, scoping, graphs, paths, aggregates, updates. */
import test from 'ava';
import type { Term } from '@rdfjs/types';
import { FakeClock, KnowdError } from '../../../src/base/index.js';
import { Engine } from '../../../src/engine/index.js';
import { openStandaloneEngine } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { parseQuery, type QueryResult } from '../../../src/sparql/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';

const signer = createEd25519Signer(generateSigningKeyPem());
const PREFIX = 'PREFIX : <http://e/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n';

const DATA = `
@prefix : <http://e/> .
:alice :name "Alice" ; :age 30 ; :knows :bob , :carol .
:bob :name "Bob" ; :age 25 ; :knows :carol .
:carol :name "Carol" ; :knows :alice .
:dave :name "Dave" .
`;

const GRAPHS = `
<http://e/g1> { <http://e/x> <http://e/p> "in g1" . <http://e/x> <http://e/q> 1 . }
<http://e/g2> { <http://e/x> <http://e/p> "in g2" . <http://e/y> <http://e/p> "y in g2" . }
`;

async function engine(): Promise<Engine> {
  const e = await openStandaloneEngine({ storage: openMemoryStorage(), signer, clock: new FakeClock(1_700_000_000_000), maxTxQuads: 100_000 });
  await e.createNamespace('t', 'tester');
  await e.transact({ namespace: 't', format: 'turtle', actor: 'a', add: DATA });
  await e.transact({ namespace: 't', format: 'trig', actor: 'a', add: GRAPHS });
  return e;
}

function show(t: Term | undefined): string {
  if (t === undefined) return '-';
  if (t.termType === 'NamedNode') return t.value.replace('http://e/', ':');
  return t.value;
}

async function select(e: Engine, q: string, opts: { timeoutMs?: number; params?: Record<string, Term>; maxHeldValues?: number } = {}): Promise<string[]> {
  const parsed = parseQuery(PREFIX + q);
  const clock = Date.now();
  return e.query('t', parsed, { deadlineMs: clock + (opts.timeoutMs ?? 10_000), timeoutMs: opts.timeoutMs ?? 10_000, maxHeldValues: opts.maxHeldValues ?? 1_000_000, nowMs: Date.now, ...(opts.params !== undefined && { params: opts.params }) }, (r: QueryResult) => {
    if (r.kind === 'boolean') return [String(r.value)];
    if (r.kind === 'quads') return [...r.quads].map((q) => `${show(q.subject)} ${show(q.predicate)} ${show(q.object)}`).sort();
    return [...r.rows].map((row) => r.vars.map((v) => show(row[v])).join(' '));
  });
}

const sorted = (xs: string[]): string[] => [...xs].sort();

test('BGP joins and OPTIONAL', async (t) => {
  const e = await engine();
  t.deepEqual(sorted(await select(e, 'SELECT ?a ?b WHERE { ?a :knows ?b . ?b :knows ?a }')), [':alice :carol', ':carol :alice']);
  t.deepEqual(sorted(await select(e, 'SELECT ?n ?age WHERE { ?p :name ?n OPTIONAL { ?p :age ?age } }')), ['Alice 30', 'Bob 25', 'Carol -', 'Dave -']);
});

test('FILTER sees only its group; OPTIONAL filters see the merged solution', async (t) => {
  const e = await engine();
  // ?n is not bound inside the inner group, so the filter there is an error → false.
  t.deepEqual(await select(e, 'SELECT ?p WHERE { ?p :name ?n { ?p :age ?a FILTER(?n = "Alice") } }'), []);
  t.deepEqual(sorted(await select(e, 'SELECT ?n ?a WHERE { ?p :name ?n OPTIONAL { ?p :age ?a FILTER(?n = "Alice") } }')), ['Alice 30', 'Bob -', 'Carol -', 'Dave -']);
});

test('UNION, MINUS, NOT EXISTS, VALUES, BIND', async (t) => {
  const e = await engine();
  t.deepEqual(sorted(await select(e, 'SELECT ?x WHERE { { :alice :knows ?x } UNION { :bob :knows ?x } }')), [':bob', ':carol', ':carol']);
  t.deepEqual(sorted(await select(e, 'SELECT ?p WHERE { ?p :name ?n MINUS { ?p :age ?a } }')), [':carol', ':dave']);
  t.deepEqual(sorted(await select(e, 'SELECT ?p WHERE { ?p :name ?n FILTER NOT EXISTS { ?p :knows ?q } }')), [':dave']);
  t.deepEqual(sorted(await select(e, 'SELECT ?p ?n WHERE { VALUES ?p { :bob :dave :nobody } ?p :name ?n }')), [':bob Bob', ':dave Dave']);
  t.deepEqual(await select(e, 'SELECT ?y WHERE { :alice :age ?a BIND(?a + 1 AS ?y) }'), ['31']);
});

test('aggregates, GROUP BY, HAVING, ORDER BY, LIMIT, subquery with LIMIT', async (t) => {
  const e = await engine();
  t.deepEqual(sorted(await select(e, 'SELECT ?p (COUNT(?q) AS ?c) WHERE { ?p :knows ?q } GROUP BY ?p HAVING (COUNT(?q) > 1)')), [':alice 2']);
  t.deepEqual(await select(e, 'SELECT (SUM(?a) AS ?s) (AVG(?a) AS ?m) (MIN(?a) AS ?lo) (MAX(?a) AS ?hi) WHERE { ?p :age ?a }'), ['55 27.5 25 30']);
  t.deepEqual(await select(e, 'SELECT ?n WHERE { ?p :name ?n } ORDER BY DESC(?n) LIMIT 2'), ['Dave', 'Carol']);
  t.deepEqual(await select(e, 'SELECT (COUNT(*) AS ?c) WHERE { ?p :name ?n }'), ['4']);
  // The LIMIT applies inside the subquery, before the outer join.
  t.deepEqual(await select(e, 'SELECT ?n WHERE { { SELECT ?p WHERE { ?p :name ?x } ORDER BY ?x LIMIT 1 } ?p :name ?n }'), ['Alice']);
  t.deepEqual(await select(e, 'SELECT (COUNT(*) AS ?c) WHERE { ?p :nothing ?n }'), ['0']);
});

test('aggregates fold rows as they come: a bound on held values that the rows exceed does not stop them', async (t) => {
  const e = await engine();
  const items = Array.from({ length: 200 }, (_, i) => `:s${i} :v ${i} .`).join('\n');
  await e.transact({ namespace: 't', format: 'turtle', actor: 'a', add: `@prefix : <http://e/> .\n${items}` });
  // 200 rows of two values each, against a bound of 40 held values.
  const small = { maxHeldValues: 40 };
  t.deepEqual(await select(e, 'SELECT (COUNT(*) AS ?c) (SUM(?x) AS ?s) (AVG(?x) AS ?m) WHERE { ?s :v ?x }', small), ['200 19900 99.5']);
  t.deepEqual(await select(e, 'SELECT (MIN(?x) AS ?lo) (MAX(?x) AS ?hi) (COUNT(?x) AS ?c) WHERE { ?s :v ?x }', small), ['0 199 200']);
  t.deepEqual(
    sorted(await select(e, 'SELECT ?k (COUNT(*) AS ?c) WHERE { ?s :v ?x BIND(?x - 3 * FLOOR(?x / 3) AS ?k) } GROUP BY ?k', small)),
    ['0.0 67', '1.0 67', '2.0 66'],
  );
  // DISTINCT has to keep what it has seen: 200 distinct values are more than the bound allows.
  const err = await t.throwsAsync(select(e, 'SELECT (COUNT(DISTINCT ?x) AS ?c) WHERE { ?s :v ?x }', small));
  t.is((err as KnowdError).code, 'TOO_LARGE');
});

test('aggregate errors: SUM, AVG and GROUP_CONCAT over an error are unbound; COUNT, MIN and MAX skip it', async (t) => {
  const e = await engine();
  // ?a is unbound for Carol and Dave; "Alice" + 1 is a type error.
  t.deepEqual(await select(e, 'SELECT (SUM(?a) AS ?s) (AVG(?a) AS ?m) (COUNT(?a) AS ?c) (MIN(?a) AS ?lo) (GROUP_CONCAT(?a) AS ?g) WHERE { ?p :name ?n OPTIONAL { ?p :age ?a } }'), ['- - 2 25 -']);
  t.deepEqual(await select(e, 'SELECT (SUM(?x) AS ?s) (MAX(?x) AS ?hi) (COUNT(?x) AS ?c) WHERE { ?p :name ?n BIND(IF(?n = "Alice", ?n, 1) AS ?x) }'), ['- Alice 4']);
  t.deepEqual(await select(e, 'SELECT (GROUP_CONCAT(DISTINCT ?n; separator="|") AS ?g) (AVG(?a) AS ?m) WHERE { ?p :age ?a . ?p :name ?n } '), ['Alice|Bob 27.5']);
});

test('property paths, with cycles', async (t) => {
  const e = await engine();
  t.deepEqual(sorted(await select(e, 'SELECT ?x WHERE { :bob :knows+ ?x }')), [':alice', ':bob', ':carol']);
  t.deepEqual(sorted(await select(e, 'SELECT ?x WHERE { :dave :knows* ?x }')), [':dave']);
  t.deepEqual(sorted(await select(e, 'SELECT ?x WHERE { ?x :knows/:name "Alice" }')), [':carol']);
  t.deepEqual(sorted(await select(e, 'SELECT ?x WHERE { :alice ^:knows ?x }')), [':carol']);
  t.deepEqual(sorted(await select(e, 'SELECT ?x WHERE { :alice :knows? ?x }')), [':alice', ':bob', ':carol']);
});

test('named graphs: GRAPH ?g, GRAPH <g>, FROM, FROM NAMED', async (t) => {
  const e = await engine();
  t.deepEqual(sorted(await select(e, 'SELECT ?g ?o WHERE { GRAPH ?g { :x :p ?o } }')), [':g1 in g1', ':g2 in g2']);
  t.deepEqual(sorted(await select(e, 'SELECT ?s WHERE { GRAPH :g2 { ?s :p ?o } }')), [':x', ':y']);
  t.deepEqual(sorted(await select(e, 'SELECT ?o FROM :g1 FROM :g2 WHERE { :x :p ?o }')), ['in g1', 'in g2']);
  t.deepEqual(sorted(await select(e, 'SELECT ?g WHERE { GRAPH ?g { } }')), [':g1', ':g2']);
  t.deepEqual(sorted(await select(e, 'SELECT ?g ?o FROM NAMED :g1 WHERE { GRAPH ?g { ?s :p ?o } }')), [':g1 in g1']);
  t.deepEqual(await select(e, 'SELECT ?o WHERE { :x :p ?o }'), [], 'the default graph holds none of the named graphs');
});

test('ASK, CONSTRUCT, DESCRIBE', async (t) => {
  const e = await engine();
  t.deepEqual(await select(e, 'ASK { :alice :knows :bob }'), ['true']);
  t.deepEqual(await select(e, 'ASK { :bob :knows :alice }'), ['false']);
  t.deepEqual(await select(e, 'CONSTRUCT { ?b :knownBy ?a } WHERE { ?a :knows ?b FILTER(?a = :bob) }'), [':carol :knownBy :bob']);
  t.deepEqual(await select(e, 'DESCRIBE :dave'), [':dave :name Dave']);
});

test('CONSTRUCT, DESCRIBE and ASK with LIMIT, OFFSET, ORDER BY and FROM: the modifiers apply to the WHERE solutions', async (t) => {
  const e = await engine();
  // Ordered by ?b: alice, bob, carol, carol (alice and bob both know carol).
  t.deepEqual(await select(e, 'CONSTRUCT { ?b :knownBy ?a } WHERE { ?a :knows ?b } ORDER BY ?b ?a LIMIT 2'), [':alice :knownBy :carol', ':bob :knownBy :alice']);
  t.deepEqual(await select(e, 'CONSTRUCT { ?b :knownBy ?a } WHERE { ?a :knows ?b } ORDER BY ?b ?a LIMIT 1 OFFSET 2'), [':carol :knownBy :alice']);
  t.deepEqual(sorted(await select(e, 'CONSTRUCT WHERE { ?s :age ?o } LIMIT 5')), sorted([':alice :age 30', ':bob :age 25']));
  t.deepEqual(await select(e, 'CONSTRUCT { ?s :p ?o } WHERE { ?s :p ?o } LIMIT 0'), []);
  t.deepEqual(await select(e, 'DESCRIBE ?s WHERE { ?s :name "Dave" } LIMIT 1'), [':dave :name Dave']);
  t.deepEqual(await select(e, 'ASK { ?s :knows ?o } LIMIT 1'), ['true']);
  t.deepEqual(await select(e, 'ASK { ?s :knows ?o } OFFSET 10'), ['false']);
  t.deepEqual(await select(e, 'CONSTRUCT { ?s :p ?o } FROM <http://e/g2> WHERE { ?s :p ?o } ORDER BY ?s LIMIT 1'), [':x :p in g2']);
});

test('params are bound as values, never spliced into the text', async (t) => {
  const e = await engine();
  const { DataFactory } = await import('n3');
  t.deepEqual(await select(e, 'SELECT ?n WHERE { ?p :name ?n }', { params: { p: DataFactory.namedNode('http://e/bob') } }), ['Bob']);
  t.deepEqual(await select(e, 'SELECT ?p WHERE { ?p :name ?n }', { params: { n: DataFactory.literal('"} ; DROP ALL ; {') } }), []);
});

test('a query past its time limit fails with QUERY_TIMEOUT naming the limit', async (t) => {
  const e = await engine();
  const err = await t.throwsAsync(select(e, 'SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o }', { timeoutMs: 1 }));
  t.true(err instanceof KnowdError && err.code === 'QUERY_TIMEOUT', String(err));
  t.regex(err?.message ?? '', /1 ms/);
});

test('SPARQL update: operations see earlier ones, the request is atomic, WHERE runs at apply time', async (t) => {
  const e = await engine();
  const r = await e.update('t', `${PREFIX} INSERT DATA { :erin :name "Erin" } ; DELETE { ?p :name ?n } INSERT { ?p :label ?n } WHERE { ?p :name ?n FILTER(?n = "Erin") }`, 'u');
  t.deepEqual(r.delta, { added: 2, removed: 1 });
  t.deepEqual(await select(e, 'SELECT ?l WHERE { :erin :label ?l }'), ['Erin']);
  t.deepEqual(await select(e, 'SELECT ?n WHERE { :erin :name ?n }'), []);
  const before = e.position().lastIndex;
  const err = await t.throwsAsync(e.update('t', `${PREFIX} INSERT DATA { :zed :name "Zed" } ; LOAD <http://example.org/remote>`, 'u'));
  t.true(err instanceof KnowdError && err.code === 'NOT_SUPPORTED', String(err));
  t.deepEqual(await select(e, 'SELECT ?n WHERE { :zed :name ?n }'), [], 'the INSERT before the failing LOAD was rolled back');
  t.is(e.position().lastIndex, before, 'a failed update leaves no log entry');
  await e.update('t', `${PREFIX} COPY :g1 TO :g3 ; MOVE :g2 TO DEFAULT ; CLEAR GRAPH :g1`, 'u');
  t.deepEqual(sorted(await select(e, 'SELECT ?o WHERE { GRAPH :g3 { :x :p ?o } }')), ['in g1']);
  t.deepEqual(sorted(await select(e, 'SELECT ?o WHERE { :x :p ?o }')), ['in g2']);
  t.deepEqual(await select(e, 'SELECT ?o WHERE { GRAPH :g1 { ?s ?p ?o } }'), []);
});

test('syntax errors carry line and column', async (t) => {
  const err = t.throws(() => parseQuery('SELECT * WHERE {\n ?s ?p }'));
  t.true(err instanceof KnowdError && err.code === 'SPARQL_SYNTAX');
  t.is((err as KnowdError).details['line'], 2);
  t.truthy((err as KnowdError).details['column']);
});

test("IRI() resolves against the query's own BASE, even when the endpoint supplies a base of its own", async (t) => {
  const e = await engine();
  const parsed = parseQuery('BASE <http://example.org/> SELECT (IRI("iri") AS ?i) {}', 'http://knowd.local/ns/t/sparql');
  const rows = await e.query('t', parsed, { deadlineMs: Date.now() + 10_000, timeoutMs: 10_000, maxHeldValues: 1000, nowMs: Date.now, baseIRI: 'http://knowd.local/ns/t/sparql' }, (r: QueryResult) => (r.kind === 'bindings' ? [...r.rows].map((row) => row['i']?.value) : []));
  t.deepEqual(rows, ['http://example.org/iri']);
  const noBase = parseQuery('SELECT (IRI("iri") AS ?i) {}', 'http://knowd.local/ns/t/sparql');
  const fallback = await e.query('t', noBase, { deadlineMs: Date.now() + 10_000, timeoutMs: 10_000, maxHeldValues: 1000, nowMs: Date.now }, (r: QueryResult) => (r.kind === 'bindings' ? [...r.rows].map((row) => row['i']?.value) : []));
  t.deepEqual(fallback, ['http://knowd.local/ns/t/iri']);
});
