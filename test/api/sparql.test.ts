/** SPARQL 1.1 Protocol and the Knowd query API over HTTP (in-process inject). */
import test from 'ava';
import { json, makeApp, postTx, type ErrorBody } from '../helpers/http-app.js';

const DATA = '@prefix : <http://e/> . :a :name "Alice"@en ; :age 30 . :b :name "Bob" ; :knows :a .';

async function app() {
  const a = await makeApp();
  const r = await postTx(a.app, { add: DATA });
  if (r.statusCode !== 200) throw new Error(r.body);
  return a;
}

test('GET and POST queries, in every result format', async (t) => {
  const { app: server, close } = await app();
  t.teardown(close);
  const q = 'PREFIX : <http://e/> SELECT ?n WHERE { ?p :name ?n } ORDER BY ?n';
  const get = await server.inject({ url: `/sparql?query=${encodeURIComponent(q)}` });
  t.is(get.statusCode, 200);
  t.regex(get.headers['content-type'] as string, /application\/sparql-results\+json/);
  const body = json<{ head: { vars: string[] }; results: { bindings: { n: { value: string; 'xml:lang'?: string } }[] } }>(get);
  t.deepEqual(body.head.vars, ['n']);
  t.deepEqual(body.results.bindings.map((b) => b.n.value), ['Alice', 'Bob']);
  t.is(body.results.bindings[0]?.n['xml:lang'], 'en');
  const post = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-query', accept: 'text/csv' }, payload: q });
  t.is(post.statusCode, 200);
  t.is(post.body, 'n\r\nAlice\r\nBob\r\n');
  const form = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/sparql-results+xml' }, payload: `query=${encodeURIComponent(q)}` });
  t.regex(form.body, /<literal xml:lang="en">Alice<\/literal>/);
  const tsv = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-query', accept: 'text/tab-separated-values' }, payload: q });
  t.is(tsv.body.split('\n')[0], '?n');
  const ask = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-query' }, payload: 'ASK { ?s ?p ?o }' });
  t.deepEqual(json<{ boolean: boolean }>(ask).boolean, true);
  const construct = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-query', accept: 'application/n-triples' }, payload: 'CONSTRUCT WHERE { ?s <http://e/knows> ?o }' });
  t.is(construct.body.trim(), '<http://e/b> <http://e/knows> <http://e/a> .');
  const notAcceptable = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-query', accept: 'image/png' }, payload: q });
  t.is(notAcceptable.statusCode, 406);
});

test('syntax errors are 400 with line and column; SERVICE is a clear 501', async (t) => {
  const { app: server, close } = await app();
  t.teardown(close);
  const bad = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-query' }, payload: 'SELECT * WHERE {\n  ?s ?p \n}' });
  t.is(bad.statusCode, 400);
  const err = json<ErrorBody>(bad).error as { code: string; line?: number; column?: number };
  t.is(err.code, 'SPARQL_SYNTAX');
  t.true(err.line === 2 || err.line === 3, String(err.line));
  t.truthy(err.column);
  const service = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-query' }, payload: 'SELECT * WHERE { SERVICE <http://x/sparql> { ?s ?p ?o } }' });
  t.is(service.statusCode, 501);
  t.is(json<ErrorBody>(service).error.code, 'NOT_SUPPORTED');
});

test('updates through the protocol go through the transaction pipeline with a receipt', async (t) => {
  const { app: server, close } = await app();
  t.teardown(close);
  const up = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-update' }, payload: 'PREFIX : <http://e/> DELETE { ?p :age ?a } INSERT { ?p :age ?b } WHERE { ?p :age ?a BIND(?a + 1 AS ?b) }' });
  t.is(up.statusCode, 200, up.body);
  const r = json<{ receipt: { id: string; deltaHash: string }; delta: { added: number; removed: number } }>(up);
  t.deepEqual(r.delta, { added: 1, removed: 1 });
  const verify = await server.inject({ url: `/v1/receipts/${r.receipt.id}/verify` });
  t.true(json<{ valid: boolean }>(verify).valid, verify.body);
  const q = await server.inject({ method: 'POST', url: '/v1/query', payload: { query: 'SELECT ?a WHERE { <http://e/a> <http://e/age> ?a }' } });
  t.deepEqual(json<{ rows: { a: string }[] }>(q).rows, [{ a: '31' }]);
  const viaGet = await server.inject({ url: `/sparql?update=${encodeURIComponent('CLEAR ALL')}` });
  t.is(viaGet.statusCode, 400, 'updates are not accepted by GET');
  const load = await server.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-update' }, payload: 'LOAD <http://example.org/data.ttl>' });
  t.is(load.statusCode, 501);
});

test('/v1/query binds params as terms and /v1/query/stream writes NDJSON with stats last', async (t) => {
  const { app: server, close } = await app();
  t.teardown(close);
  const q = await server.inject({ method: 'POST', url: '/v1/query', payload: { query: 'SELECT ?n WHERE { ?p <http://e/name> ?n }', params: { p: '<http://e/b>' } } });
  t.is(q.statusCode, 200, q.body);
  const body = json<{ vars: string[]; rows: { n: string }[]; stats: { rows: number } }>(q);
  t.deepEqual(body.rows, [{ n: 'Bob' }]);
  t.is(body.stats.rows, 1);
  const injection = await server.inject({ method: 'POST', url: '/v1/query', payload: { query: 'SELECT ?n WHERE { ?p <http://e/name> ?n }', params: { p: '<http://e/b> . } SELECT * { ?x ?y ?z' } } });
  t.is(injection.statusCode, 400, 'a param is one term, never spliced');
  const s = await server.inject({ method: 'POST', url: '/v1/query/stream', payload: { query: 'SELECT ?s WHERE { ?s ?p ?o }' } });
  const lines = s.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(lines.length, 5);
  t.deepEqual(lines.at(-1)?.['stats'] !== undefined, true);
  const ask = await server.inject({ method: 'POST', url: '/v1/query', payload: { query: 'ASK { <http://e/a> ?p ?o }' } });
  t.true(json<{ boolean: boolean }>(ask).boolean);
  // Variables named like Object.prototype's members, or numbers, stay plain bindings.
  const odd = await server.inject({ method: 'POST', url: '/v1/query', payload: { query: 'SELECT ?__proto__ ?constructor ?1 WHERE { <http://e/b> <http://e/name> ?__proto__ BIND("c" AS ?constructor) BIND(1 AS ?1) }' } });
  t.is(odd.statusCode, 200, odd.body);
  t.is(odd.body.match(/"rows":\[(.*)\],"stats"/)?.[1], '{"1":"1","__proto__":"Bob","constructor":"c"}');
});

test('a query over its time limit answers 408 naming the limit', async (t) => {
  const { app: server, close } = await app();
  t.teardown(close);
  const lines = Array.from({ length: 300 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" .`).join('\n');
  await postTx(server, { add: lines, format: 'n-triples' });
  const slow = await server.inject({ method: 'POST', url: '/v1/query', payload: { query: 'SELECT (COUNT(*) AS ?c) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }', timeoutMs: 50 } });
  t.is(slow.statusCode, 408, slow.body);
  t.is(json<ErrorBody>(slow).error.code, 'QUERY_TIMEOUT');
  t.regex(json<ErrorBody>(slow).error.message, /50 ms/);
  const metrics = await server.inject({ url: '/metrics' });
  t.regex(metrics.body, /knowd_queries_total\{outcome="timeout"\} 1/);
});

test('namespaces have their own endpoint and readers need the namespace', async (t) => {
  const { app: server, close } = await app();
  t.teardown(close);
  await server.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'other' } });
  const q = 'SELECT (COUNT(*) AS ?c) WHERE { ?s ?p ?o }';
  const other = await server.inject({ method: 'POST', url: '/ns/other/sparql', headers: { 'content-type': 'application/sparql-query' }, payload: q });
  t.is(json<{ results: { bindings: { c: { value: string } }[] } }>(other).results.bindings[0]?.c.value, '0');
  const missing = await server.inject({ method: 'POST', url: '/ns/nope/sparql', headers: { 'content-type': 'application/sparql-query' }, payload: q });
  t.is(missing.statusCode, 404);
});

test('"explain": true returns the plan with estimated and actual row counts', async (t) => {
  const { app: server, close } = await app();
  t.teardown(close);
  const res = await server.inject({ method: 'POST', url: '/v1/query', payload: { query: 'SELECT ?n WHERE { ?p <http://e/knows> ?q . ?q <http://e/name> ?n }', explain: true } });
  t.is(res.statusCode, 200, res.body);
  interface Node { op: string; rows: number; calls: number; patterns?: { pattern: string; order: number; estimate: number; rows: number }[]; children: Node[] }
  const body = json<{ rows: { n: string }[]; plan: Node }>(res);
  t.deepEqual(body.rows, [{ n: 'Alice' }]);
  t.is(body.plan.op, 'project');
  t.is(body.plan.rows, 1);
  const bgp = body.plan.children[0]!;
  t.is(bgp.op, 'bgp');
  t.is(bgp.patterns?.length, 2);
  // The planner starts from the rarer predicate (:knows, 1 quad) and then follows the join.
  t.is(bgp.patterns?.[0]?.pattern, '?p <http://e/knows> ?q');
  t.is(bgp.patterns?.[0]?.estimate, 1);
  t.is(bgp.patterns?.[0]?.rows, 1);
  t.is(bgp.patterns?.[1]?.rows, 1);
});

test('GET on the endpoint without a query is its SPARQL 1.1 Service Description, with the endpoint the client used', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const res = await app.inject({ url: '/sparql', headers: { host: 'knowd.example:8090', accept: 'application/n-triples' } });
  t.is(res.statusCode, 200);
  t.regex(String(res.headers['content-type']), /^application\/n-triples/);
  t.regex(res.body, /<http:\/\/www\.w3\.org\/ns\/sparql-service-description#endpoint> <http:\/\/knowd\.example:8090\/sparql> \./);
  t.regex(res.body, /#supportedLanguage> <http:\/\/www\.w3\.org\/ns\/sparql-service-description#SPARQL11Update> \./);
  const turtle = await app.inject({ url: '/ns/default/sparql' });
  t.is(turtle.statusCode, 200);
  t.regex(String(turtle.headers['content-type']), /^text\/turtle/);
  t.is((await app.inject({ url: '/ns/nope/sparql' })).statusCode, 404);
  t.is((await app.inject({ url: '/sparql', headers: { accept: 'application/sparql-results+json' } })).statusCode, 406);
});
