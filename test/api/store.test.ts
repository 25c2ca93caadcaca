/** SPARQL 1.1 Graph Store HTTP Protocol at /store and /ns/{name}/store. */
import test from 'ava';
import type { FastifyInstance } from 'fastify';
import { json, makeApp, rdfSet, sorted, storeStats, fingerprint, type ErrorBody, type TxResponse } from '../helpers/http-app.js';

const G = 'http://example.org/graph/one';
const gq = (iri: string): string => `graph=${encodeURIComponent(iri)}`;

const TTL_A = `@prefix ex: <http://example.org/> .
ex:s ex:p ex:o ;
     ex:label "hello"@en , "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
`;
const TTL_B = '@prefix ex: <http://example.org/> .\nex:t ex:p ex:u .\n';

async function getAs(app: FastifyInstance, url: string, accept: string): Promise<{ status: number; type: string; body: string }> {
  const res = await app.inject({ url, headers: { accept } });
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), body: res.body };
}

for (const base of ['/store', '/ns/other/store']) {
  test(`PUT/GET/POST/DELETE round trip at ${base}`, async (t) => {
    const { app, close } = await makeApp();
    t.teardown(close);
    const created = await app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'other' } });
    t.is(created.statusCode, 201);
    const expectA = rdfSet(TTL_A, 'Turtle');
    const expectB = rdfSet(TTL_B, 'Turtle');

    // PUT ?default
    const put = await app.inject({ method: 'PUT', url: `${base}?default`, headers: { 'content-type': 'text/turtle' }, payload: TTL_A });
    t.true(put.statusCode === 200 || put.statusCode === 201, put.body);
    t.is(json<TxResponse>(put).delta.added, 3);
    const asTtl = await getAs(app, `${base}?default`, 'text/turtle');
    t.is(asTtl.status, 200);
    t.regex(asTtl.type, /^text\/turtle/);
    t.deepEqual(sorted(rdfSet(asTtl.body, 'Turtle')), sorted(expectA));
    const asNt = await getAs(app, `${base}?default`, 'application/n-triples');
    t.is(asNt.status, 200);
    t.regex(asNt.type, /^application\/n-triples/);
    t.deepEqual(sorted(rdfSet(asNt.body, 'N-Triples')), sorted(expectA));

    // PUT ?graph=IRI
    const putG = await app.inject({ method: 'PUT', url: `${base}?${gq(G)}`, headers: { 'content-type': 'text/turtle; charset=utf-8' }, payload: TTL_B });
    t.true(putG.statusCode === 200 || putG.statusCode === 201, putG.body);
    const g = await getAs(app, `${base}?${gq(G)}`, 'application/n-triples');
    t.is(g.status, 200);
    t.deepEqual(sorted(rdfSet(g.body, 'N-Triples')), sorted(expectB));
    // The default graph did not change.
    t.deepEqual(sorted(rdfSet((await getAs(app, `${base}?default`, 'application/n-triples')).body, 'N-Triples')), sorted(expectA));
    // Without ?default/?graph: the whole dataset as N-Quads.
    const all = await getAs(app, base, 'application/n-quads');
    t.is(all.status, 200);
    t.is(rdfSet(all.body, 'N-Quads').size, expectA.size + expectB.size);

    // POST merges into the graph.
    const post = await app.inject({ method: 'POST', url: `${base}?${gq(G)}`, headers: { 'content-type': 'application/n-triples' }, payload: '<http://example.org/v> <http://example.org/p> "merged" .\n' });
    t.is(post.statusCode, 200, post.body);
    const merged = rdfSet((await getAs(app, `${base}?${gq(G)}`, 'application/n-triples')).body, 'N-Triples');
    t.deepEqual(sorted(merged), sorted(new Set([...expectB, ...rdfSet('<http://example.org/v> <http://example.org/p> "merged" .', 'N-Triples')])));

    // PUT replaces the graph.
    const replace = await app.inject({ method: 'PUT', url: `${base}?${gq(G)}`, headers: { 'content-type': 'text/turtle' }, payload: '<http://example.org/only> <http://example.org/p> <http://example.org/me> .' });
    t.is(replace.statusCode, 200, replace.body);
    t.deepEqual(json<TxResponse>(replace).delta, { added: 1, removed: 2 });
    const replaced = rdfSet((await getAs(app, `${base}?${gq(G)}`, 'text/turtle')).body, 'Turtle');
    t.deepEqual(sorted(replaced), ['<http://example.org/only> <http://example.org/p> <http://example.org/me>']);

    // DELETE ?graph= removes it; then GET and DELETE are 404.
    const del = await app.inject({ method: 'DELETE', url: `${base}?${gq(G)}` });
    t.is(del.statusCode, 200, del.body);
    t.is((await getAs(app, `${base}?${gq(G)}`, 'text/turtle')).status, 404);
    const before = fingerprint(await storeStats(app));
    const delAgain = await app.inject({ method: 'DELETE', url: `${base}?${gq(G)}` });
    t.is(delAgain.statusCode, 404);
    t.is(json<ErrorBody>(delAgain).error.code, 'NOT_FOUND');
    t.is(fingerprint(await storeStats(app)), before, 'a DELETE of a missing graph logs nothing and creates no receipt');

    // DELETE ?default empties the default graph.
    t.is((await app.inject({ method: 'DELETE', url: `${base}?default` })).statusCode, 200);
    t.is(rdfSet((await getAs(app, `${base}?default`, 'application/n-triples')).body, 'N-Triples').size, 0);
  });
}

test('GET of a graph that never existed → 404; receipts are not created by failed deletes', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const res = await app.inject({ url: `/store?${gq('http://example.org/nothing')}`, headers: { accept: 'text/turtle' } });
  t.is(res.statusCode, 404);
  t.is(json<ErrorBody>(res).error.code, 'NOT_FOUND');
  const receiptsBefore = (await app.inject({ url: '/v1/receipts/search' })).body;
  const del = await app.inject({ method: 'DELETE', url: `/store?${gq('http://example.org/nothing')}` });
  t.is(del.statusCode, 404);
  t.is((await app.inject({ url: '/v1/receipts/search' })).body, receiptsBefore);
});

test('unsupported media type → 415, nothing changed', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const before = fingerprint(await storeStats(app));
  for (const type of ['application/xml', 'application/json', 'image/png']) {
    const payload = type === 'application/json' ? '{"a":1}' : '<x/>';
    const res = await app.inject({ method: 'PUT', url: '/store?default', headers: { 'content-type': type }, payload });
    t.is(res.statusCode, 415, `${type}: ${res.body}`);
    t.is(json<ErrorBody>(res).error.code, 'UNSUPPORTED_MEDIA_TYPE', type);
    const post = await app.inject({ method: 'POST', url: `/store?${gq(G)}`, headers: { 'content-type': type }, payload });
    t.is(post.statusCode, 415, `POST ${type}`);
  }
  t.is(fingerprint(await storeStats(app)), before);
});

test('Accept with nothing offered → 406; wildcards and q-values are honoured', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  await app.inject({ method: 'PUT', url: '/store?default', headers: { 'content-type': 'text/turtle' }, payload: TTL_B });
  const no = await getAs(app, '/store?default', 'application/rdf+xml');
  t.is(no.status, 406);
  t.is(json<ErrorBody>(no).error.code, 'NOT_ACCEPTABLE');
  const noDataset = await getAs(app, '/store', 'text/turtle');
  t.is(noDataset.status, 406, 'a dataset has no Turtle form');
  const star = await getAs(app, '/store?default', '*/*');
  t.is(star.status, 200);
  const q = await getAs(app, '/store?default', 'text/turtle;q=0.2, application/n-triples;q=0.9');
  t.regex(q.type, /^application\/n-triples/);
});

test('malformed body and bad targets → 400, nothing changed; unknown namespace → 404', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const before = fingerprint(await storeStats(app));
  const bad = await app.inject({ method: 'PUT', url: '/store?default', headers: { 'content-type': 'text/turtle' }, payload: '<http://e/s> <http://e/p> .' });
  t.is(bad.statusCode, 400);
  t.is(json<ErrorBody>(bad).error.code, 'RDF_SYNTAX');
  const both = await app.inject({ method: 'PUT', url: `/store?default&${gq(G)}`, headers: { 'content-type': 'text/turtle' }, payload: TTL_B });
  t.is(both.statusCode, 400);
  const relative = await app.inject({ method: 'PUT', url: '/store?graph=not-an-iri', headers: { 'content-type': 'text/turtle' }, payload: TTL_B });
  t.is(relative.statusCode, 400);
  const putDataset = await app.inject({ method: 'PUT', url: '/store', headers: { 'content-type': 'text/turtle' }, payload: TTL_B });
  t.is(putDataset.statusCode, 400);
  t.is(fingerprint(await storeStats(app)), before);
  const unknown = await app.inject({ url: '/ns/nope/store?default', headers: { accept: 'text/turtle' } });
  t.is(unknown.statusCode, 404);
  t.is(json<ErrorBody>(unknown).error.code, 'NAMESPACE_NOT_FOUND');
  const unknownPut = await app.inject({ method: 'PUT', url: '/ns/nope/store?default', headers: { 'content-type': 'text/turtle' }, payload: TTL_B });
  t.is(unknownPut.statusCode, 404);
});

test('literals, language tags, datatypes and unusual IRIs survive PUT and GET in every format', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const nt = [
    '<http://e/s> <http://e/p> "line1\\nline2\\ttab \\"q\\" back\\\\slash" .',
    '<http://e/s> <http://e/p> "héllo wörld ✓ 😀"@de-AT .',
    '<http://e/s> <http://e/p> "3.14"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
    '<http://e/s> <http://e/p> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .',
    '<http://e/s> <http://e/p> "" .',
    '<http://e/ü/é?x=1&y=2#frag> <http://e/p> <http://e/o%20x> .',
    '<http://e/s> <http://e/p> "\\u0001ctrl" .',
    '<http://e/s> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://e/T> .',
    '<http://e/s> <http://e/p> "-5"^^<http://www.w3.org/2001/XMLSchema#integer> .',
    '<http://e/s> <http://e/p> "1e3"^^<http://www.w3.org/2001/XMLSchema#double> .',
    '<http://e/s> <http://e/p> "custom"^^<http://e/dt> .',
  ].join('\n');
  const put = await app.inject({ method: 'PUT', url: `/store?${gq(G)}`, headers: { 'content-type': 'application/n-triples' }, payload: nt });
  t.is(put.statusCode, 201, put.body);
  const expected = sorted(rdfSet(nt, 'N-Triples'));
  t.is(expected.length, 11);
  for (const [accept, format] of [['text/turtle', 'Turtle'], ['application/n-triples', 'N-Triples'], ['application/n-quads', 'N-Quads'], ['application/trig', 'TriG']] as const) {
    const got = await getAs(app, `/store?${gq(G)}`, accept);
    t.is(got.status, 200, accept);
    const set = rdfSet(got.body, format);
    // N-Quads and TriG name the graph; compare the triples.
    const triples = sorted(new Set([...set].map((q) => q.replace(` <${G}>`, ''))));
    t.deepEqual(triples, expected, accept);
  }
});

test('Graph Store body over KNOWD_MAX_BODY_BYTES → 413, nothing changed', async (t) => {
  const { app, close } = await makeApp({ argv: ['--max-body-bytes', '1KiB'] });
  t.teardown(close);
  const before = fingerprint(await storeStats(app));
  const res = await app.inject({ method: 'PUT', url: '/store?default', headers: { 'content-type': 'text/turtle' }, payload: `<http://e/s> <http://e/p> "${'y'.repeat(3000)}" .` });
  t.is(res.statusCode, 413);
  t.is(json<ErrorBody>(res).error.code, 'TOO_LARGE');
  t.is(fingerprint(await storeStats(app)), before);
});

const multipart = (boundary: string, parts: { name: string; type: string; body: string }[]): string =>
  parts.map((p) => `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.name}"\r\nContent-Type: ${p.type}\r\n\r\n${p.body}\r\n`).join('') + `--${boundary}--\r\n`;

test('POST to the Graph Store itself makes a new graph: 201 with its IRI in Location, GETtable with ?graph=', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const res = await app.inject({ method: 'POST', url: '/store', headers: { 'content-type': 'text/turtle' }, payload: TTL_B });
  t.is(res.statusCode, 201, res.body);
  const iri = String(res.headers['location']);
  t.regex(iri, /^http:\/\/knowd\.local\/ns\/default\/graphs\/[0-9a-f-]{36}$/);
  t.is(json<{ graph: string }>(res).graph, iri);
  const got = await getAs(app, `/store?${gq(iri)}`, 'application/n-triples');
  t.is(got.status, 200);
  t.deepEqual(rdfSet(got.body, 'N-Triples'), rdfSet(TTL_B, 'Turtle'));
  // A second POST makes another graph; a dataset POSTed there is merged graph by graph, as before.
  const again = await app.inject({ method: 'POST', url: '/store', headers: { 'content-type': 'text/turtle' }, payload: TTL_B });
  t.not(String(again.headers['location']), iri);
  const quads = await app.inject({ method: 'POST', url: '/store', headers: { 'content-type': 'application/n-quads' }, payload: `<http://example.org/a> <http://example.org/b> <http://example.org/c> <${G}> .\n` });
  t.is(quads.statusCode, 200);
  t.is(quads.headers['location'], undefined);
  t.is((await getAs(app, `/store?${gq(G)}`, 'application/n-triples')).status, 200);
});

test('multipart/form-data POST merges every part (each its own document: blank nodes apart); a part in no RDF format → 415, nothing changed', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const boundary = 'b0undary42';
  const body = multipart(boundary, [
    { name: 'a.ttl', type: 'text/turtle; charset=utf-8', body: '@prefix ex: <http://example.org/> .\n_:x ex:name "first" .' },
    { name: 'b.nt', type: 'application/n-triples', body: '_:x <http://example.org/name> "second" .' },
  ]);
  const res = await app.inject({ method: 'POST', url: `/store?${gq(G)}`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
  t.is(res.statusCode, 200, res.body);
  t.is(json<TxResponse>(res).delta.added, 2);
  const got = await getAs(app, `/store?${gq(G)}`, 'application/n-triples');
  const subjects = new Set(got.body.trim().split('\n').map((l) => l.split(' ')[0]));
  t.is(subjects.size, 2, 'the two parts\' _:x are two nodes');

  const before = fingerprint(await storeStats(app));
  const bad = multipart(boundary, [
    { name: 'ok.ttl', type: 'text/turtle', body: '<http://example.org/s> <http://example.org/p> 1 .' },
    { name: 'notes.txt', type: 'application/pdf', body: 'not rdf' },
  ]);
  const refused = await app.inject({ method: 'POST', url: `/store?${gq(G)}`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: bad });
  t.is(refused.statusCode, 415);
  t.regex(json<ErrorBody>(refused).error.message, /notes\.txt/);
  const malformed = await app.inject({ method: 'POST', url: `/store?${gq(G)}`, headers: { 'content-type': 'multipart/form-data' }, payload: 'garbage' });
  t.is(malformed.statusCode, 400);
  t.is(fingerprint(await storeStats(app)), before);
});
