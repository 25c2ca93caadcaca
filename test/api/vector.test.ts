/**
 * The vector API in-process (memory store, usearch index): upsert/search/delete, bad input (400 and
 * nothing changes), namespace isolation, text through the built-in embedder and through an
 * OpenAI-compatible service on 127.0.0.1, SPARQL filters, the knowd:similarTo extension, and
 * KNOWD_VEC_ENABLED=false.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import type { FastifyInstance } from 'fastify';
import { commitTx, json, makeApp, storeStats, type ErrorBody } from '../helpers/http-app.js';

interface Hits {
  readonly items: readonly { readonly id: string; readonly score: number }[];
}

const upsert = (app: FastifyInstance, payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/v1/vector/upsert', payload });
const similar = (app: FastifyInstance, payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/v1/similar', payload });

async function ok<T>(p: Promise<{ statusCode: number; body: string }>): Promise<T> {
  const res = await p;
  if (res.statusCode !== 200) throw new Error(`answered ${res.statusCode}: ${res.body}`);
  return json<T>(res);
}

test('upsert, search, replace and delete', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const r = await ok<{ upserted: number; logIndex: number }>(upsert(app, { id: 'http://ex/a', vector: [1, 0, 0] }));
  t.is(r.upserted, 1);
  t.true(r.logIndex > 0);
  await ok(upsert(app, { items: [{ id: 'http://ex/b', vector: [0, 1, 0] }, { id: 'c', vector: [0.9, 0.1, 0] }] }));
  const hits = await ok<Hits>(similar(app, { vector: [1, 0, 0], topK: 2 }));
  t.deepEqual(hits.items.map((h) => h.id), ['http://ex/a', 'c']);
  t.true(Math.abs(hits.items[0]!.score - 1) < 1e-5);
  // default topK (5) returns all three; by id finds the item itself first
  t.is((await ok<Hits>(similar(app, { vector: [1, 0, 0] }))).items.length, 3);
  t.is((await ok<Hits>(similar(app, { id: 'http://ex/b', topK: 1 }))).items[0]!.id, 'http://ex/b');
  // replacing a vector moves it
  await ok(upsert(app, { id: 'http://ex/a', vector: [0, 0, 1] }));
  t.is((await ok<Hits>(similar(app, { vector: [1, 0, 0], topK: 1 }))).items[0]!.id, 'c');
  // delete (an IRI id in the path, percent-encoded)
  const del = await app.inject({ method: 'DELETE', url: `/v1/vector/${encodeURIComponent('http://ex/a')}` });
  t.is(del.statusCode, 200, del.body);
  t.is(json<{ deleted: number }>(del).deleted, 1);
  t.deepEqual((await ok<Hits>(similar(app, { vector: [0, 0, 1], topK: 5 }))).items.map((h) => h.id).sort(), ['c', 'http://ex/b']);
  const again = await app.inject({ method: 'DELETE', url: `/v1/vector/${encodeURIComponent('http://ex/a')}` });
  t.is(again.statusCode, 404);
  t.is(json<ErrorBody>(again).error.code, 'VECTOR_NOT_FOUND');
});

test('bad vectors get 400 and change nothing', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  await ok(upsert(app, { id: 'a', vector: [1, 2, 3] }));
  const before = JSON.stringify(await storeStats(app));
  const bad: [string, Record<string, unknown>][] = [
    ['dimension mismatch', { id: 'b', vector: [1, 2] }],
    ['NaN (as JSON can carry it)', { id: 'b', vector: [1, 'NaN', 3] }],
    ['null component', { id: 'b', vector: [1, null, 3] }],
    ['outside f32', { id: 'b', vector: [1e39, 0, 0] }],
    ['empty vector', { id: 'b', vector: [] }],
    ['empty batch', { items: [] }],
    ['no id', { vector: [1, 2, 3] }],
    ['both vector and text', { id: 'b', vector: [1, 2, 3], text: 'x' }],
    ['one bad item spoils the batch', { items: [{ id: 'ok', vector: [1, 1, 1] }, { id: 'bad', vector: [1, 1] }] }],
    ['duplicate ids', { items: [{ id: 'd', vector: [1, 1, 1] }, { id: 'd', vector: [1, 0, 1] }] }],
    ['zero vector under cosine', { id: 'z', vector: [0, 0, 0] }],
    ['unknown field', { id: 'b', vector: [1, 2, 3], colour: 'red' }],
  ];
  for (const [what, body] of bad) {
    const res = await upsert(app, body);
    t.is(res.statusCode, 400, `${what}: ${res.body}`);
    t.is(json<ErrorBody>(res).error.code, 'BAD_REQUEST', what);
  }
  t.is(JSON.stringify(await storeStats(app)), before, 'no log entry was written');
  for (const body of [{ vector: [1, 2] }, { vector: [1, 'x', 3] }, { vector: [1, 2, 3], text: 'x' }, { vector: [1, 2, 3], topK: 0 }, { vector: [1, 2, 3], topK: 5000 }]) {
    t.is((await similar(app, body)).statusCode, 400, JSON.stringify(body));
  }
  t.deepEqual((await ok<Hits>(similar(app, { vector: [1, 2, 3] }))).items.map((h) => h.id), ['a']);
});

test('namespaces are isolated, each with its own dimension', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  t.is((await app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'other' } })).statusCode, 201);
  await ok(upsert(app, { id: 'x', vector: [1, 0] }));
  await ok(upsert(app, { namespace: 'other', id: 'y', vector: [1, 0, 0, 0] }));
  t.deepEqual((await ok<Hits>(similar(app, { vector: [1, 0] }))).items.map((h) => h.id), ['x']);
  t.deepEqual((await ok<Hits>(similar(app, { namespace: 'other', vector: [1, 0, 0, 0] }))).items.map((h) => h.id), ['y']);
  t.is((await similar(app, { namespace: 'other', vector: [1, 0] })).statusCode, 400);
  t.is((await similar(app, { namespace: 'nope', vector: [1, 0] })).statusCode, 404);
  // deleting a namespace deletes its vectors; a new one of that name starts empty
  t.is((await app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/other' })).statusCode, 200);
  await app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'other' } });
  t.deepEqual((await ok<Hits>(similar(app, { namespace: 'other', vector: [1, 0, 0] }))).items, []);
});

test('text through the built-in lexical embedder', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  await ok(upsert(app, { items: [
    { id: 'shoes', text: 'red running shoes for the marathon' },
    { id: 'pasta', text: 'fresh pasta with tomato sauce' },
    { id: 'boots', text: 'hiking boots, waterproof' },
  ] }));
  const hits = await ok<Hits>(similar(app, { text: 'running shoes', topK: 3 }));
  t.is(hits.items[0]!.id, 'shoes');
  t.is(hits.items.length, 3);
});

test('text through an OpenAI-compatible embedding service (KNOWD_EMBED_URL)', async (t) => {
  const seen: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { input: string[]; model?: string };
      seen.push({ url: req.url, ...parsed });
      // A toy model: the vector counts a, b and c letters.
      const data = parsed.input.map((s, index) => ({ index, embedding: ['a', 'b', 'c'].map((ch) => s.split(ch).length - 1 + 0.01) }));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ object: 'list', data }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}?model=toy`;
  const { app, close } = await makeApp({ argv: ['--embed-url', url] });
  t.teardown(close);
  await ok(upsert(app, { items: [{ id: 'as', text: 'aaaa' }, { id: 'bs', text: 'bbbb' }, { id: 'cs', text: 'cccc' }] }));
  t.is((await ok<Hits>(similar(app, { text: 'bb', topK: 1 }))).items[0]!.id, 'bs');
  t.deepEqual(seen[0], { url: '/v1/embeddings', input: ['aaaa', 'bbbb', 'cccc'], model: 'toy' });
  // a service answering with the wrong dimension is a 400 for the namespace's index
  await ok(upsert(app, { id: 'v', vector: [1, 1, 1] }));
  t.is((await similar(app, { vector: [1, 1] })).statusCode, 400);
});

test('an unreachable embedding service is a 503 that names it', async (t) => {
  const { app, close } = await makeApp({ argv: ['--embed-url', 'http://127.0.0.1:9'] });
  t.teardown(close);
  const res = await upsert(app, { id: 'a', text: 'hello' });
  t.is(res.statusCode, 503);
  t.regex(json<ErrorBody>(res).error.message, /KNOWD_EMBED_URL/);
});

test('a SPARQL filter keeps only ids matching the pattern', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  await commitTx(app, { add: '<http://ex/a> a <http://ex/Doc> . <http://ex/c> a <http://ex/Doc> . <http://ex/b> a <http://ex/Image> .' });
  await ok(upsert(app, { items: [{ id: 'http://ex/a', vector: [1, 0] }, { id: 'http://ex/b', vector: [0.99, 0.01] }, { id: 'http://ex/c', vector: [0, 1] }] }));
  const all = await ok<Hits>(similar(app, { vector: [1, 0], topK: 2 }));
  t.deepEqual(all.items.map((h) => h.id), ['http://ex/a', 'http://ex/b']);
  const docs = await ok<Hits>(similar(app, { vector: [1, 0], topK: 2, filter: 'PREFIX ex: <http://ex/> { ?id a ex:Doc }' }));
  t.deepEqual(docs.items.map((h) => h.id), ['http://ex/a', 'http://ex/c']);
  const bare = await ok<Hits>(similar(app, { vector: [1, 0], topK: 5, filter: '?id a <http://ex/Image>' }));
  t.deepEqual(bare.items.map((h) => h.id), ['http://ex/b']);
  t.is((await similar(app, { vector: [1, 0], filter: '{ ?x a <http://ex/Doc> }' })).statusCode, 400);
  t.is((await similar(app, { vector: [1, 0], filter: '{ ?id a ' })).statusCode, 400);
});

test('SPARQL: knowd:similarTo joins with triple patterns', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  await commitTx(app, {
    add: '@prefix ex: <http://ex/> . ex:a ex:title "Alpha" ; a ex:Doc . ex:b ex:title "Beta" ; a ex:Doc . ex:c ex:title "Gamma" ; a ex:Image .',
  });
  await ok(upsert(app, { items: [{ id: 'http://ex/a', vector: [1, 0, 0] }, { id: 'http://ex/b', vector: [0.8, 0.2, 0] }, { id: 'http://ex/c', vector: [0.9, 0.1, 0] }, { id: 'loose', vector: [1, 0.05, 0] }] }));
  const query = `PREFIX knowd: <urn:knowd:> PREFIX ex: <http://ex/>
    SELECT ?doc ?title ?score WHERE {
      ?doc knowd:similarTo "[1, 0, 0]" ; knowd:topK 4 ; knowd:score ?score .
      ?doc a ex:Doc ; ex:title ?title .
    } ORDER BY DESC(?score)`;
  const res = await ok<{ rows: { doc: string; title: string; score: string }[] }>(app.inject({ method: 'POST', url: '/v1/query', payload: { query } }));
  t.deepEqual(res.rows.map((r) => [r.doc, r.title]), [['http://ex/a', 'Alpha'], ['http://ex/b', 'Beta']]);
  t.true(Number(res.rows[0]!.score) > Number(res.rows[1]!.score));
  // by a stored item's IRI, topK 2: ex:a itself and "loose" (a plain id, bound as a string)
  const byId = await ok<{ rows: { x: string }[] }>(app.inject({ method: 'POST', url: '/v1/query', payload: { query: 'PREFIX knowd: <urn:knowd:> SELECT ?x WHERE { ?x knowd:similarTo <http://ex/a> ; knowd:topK 2 }' } }));
  t.deepEqual(byId.rows.map((r) => r.x).sort(), ['http://ex/a', 'loose']);
  // text, through the built-in embedder (dimension of the namespace's index)
  const text = await app.inject({ method: 'POST', url: '/v1/query', payload: { query: 'PREFIX knowd: <urn:knowd:> SELECT ?x WHERE { ?x knowd:similarTo "alpha" }' } });
  t.is(text.statusCode, 200, text.body);
  // malformed groups are 400s
  for (const q of ['SELECT * WHERE { ?x <urn:knowd:topK> 3 }', 'SELECT * WHERE { ?x <urn:knowd:similarTo> "[1,0,0]" ; <urn:knowd:topK> "many" }', 'SELECT * WHERE { ?x <urn:knowd:similarTo> ?free }']) {
    t.is((await app.inject({ method: 'POST', url: '/v1/query', payload: { query: q } })).statusCode, 400, q);
  }
  // never in an update: approximate results could differ between replicas
  const upd = await app.inject({ method: 'POST', url: '/sparql', headers: { 'content-type': 'application/sparql-update' }, payload: 'INSERT { ?x <http://ex/near> true } WHERE { ?x <urn:knowd:similarTo> "[1,0,0]" }' });
  t.is(upd.statusCode, 501, upd.body);
});

test('KNOWD_VEC_ENABLED=false answers 501 with the setting named', async (t) => {
  const { app, close } = await makeApp({ argv: ['--vec-enabled', 'false'] });
  t.teardown(close);
  for (const res of [await upsert(app, { id: 'a', vector: [1] }), await similar(app, { vector: [1] }), await app.inject({ method: 'DELETE', url: '/v1/vector/a' })]) {
    t.is(res.statusCode, 501);
    t.regex(json<ErrorBody>(res).error.message, /KNOWD_VEC_ENABLED/);
  }
});

test('vector writes get receipts in the namespace chain that verify against the logged entry, online and offline', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const up = await ok<{ receipt: { id: string; kind: string; added: number } }>(upsert(app, { items: [{ id: 'b', vector: [0, 1] }, { id: 'a', vector: [1, 0] }] }));
  t.is(up.receipt.kind, 'vector');
  t.is(up.receipt.added, 2);
  const del = await app.inject({ method: 'DELETE', url: '/v1/vector/a' });
  t.is(del.statusCode, 200, del.body);
  const delReceipt = json<{ receipt: { id: string; removed: number } }>(del).receipt;
  t.is(delReceipt.removed, 1);
  for (const id of [up.receipt.id, delReceipt.id]) {
    const v = json<{ valid: boolean; reason?: string }>(await app.inject({ url: `/v1/receipts/${id}/verify` }));
    t.true(v.valid, v.reason);
  }
  // Offline: the export carries the logged entries; knowdctl's verifier re-hashes them.
  const exported = (await app.inject({ url: '/v1/receipts/export' })).body;
  const { parseExport, verifyFromExport } = await import('../../src/cli/verify-export.js');
  const out = await verifyFromExport(parseExport(exported), delReceipt.id);
  t.true(out.valid, out.reason);
  t.is(out.checked, 2);
});

test('GET /v1/vector/indexes lists each namespace\'s index and size; /metrics counts searches and items', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  await ok(upsert(app, { items: [{ id: 'a', vector: [1, 0, 0] }, { id: 'b', vector: [0, 1, 0] }] }));
  await ok(similar(app, { vector: [1, 0, 0], topK: 1 }));
  const bad = await similar(app, { vector: [1, 0], topK: 1 });
  t.is(bad.statusCode, 400);
  const list = await ok<{ indexes: { namespace: string; dims: number; metric: string; size: number }[] }>(app.inject({ method: 'GET', url: '/v1/vector/indexes' }));
  t.deepEqual(list.indexes.map((i) => [i.dims, i.metric, i.size]), [[3, 'cos', 2]]);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.regex(metrics, /knowd_vector_searches_total\{outcome="ok"\} 1/);
  t.regex(metrics, /knowd_vector_searches_total\{outcome="error"\} 1/);
  t.regex(metrics, new RegExp(`knowd_vector_items\\{namespace="${list.indexes[0]!.namespace}"\\} 2`));
});
