/** POST /v1/tx: formats, response shape, rejected writes change nothing, body limit, idempotency. */
import test from 'ava';
import {
  commitTx,
  fingerprint,
  json,
  makeApp,
  postTx,
  quadsIn,
  rdfSet,
  sorted,
  storeStats,
  type ErrorBody,
  type TestApp,
  type TxResponse,
} from '../helpers/http-app.js';

async function fresh(t: { teardown(fn: () => Promise<void>): void }, argv: readonly string[] = []): Promise<TestApp> {
  const a = await makeApp({ argv });
  t.teardown(() => a.close());
  return a;
}

const TTL = `@prefix ex: <http://example.org/> .
ex:alice ex:knows ex:bob ;
         ex:name "Alice"@en .
ex:bob ex:age 42 .
`;

test('turtle add and remove: receipt and delta, store follows', async (t) => {
  const { app } = await fresh(t);
  const before = await storeStats(app);
  const r = await commitTx(app, { add: TTL, format: 'turtle', actor: 'tester' });
  t.deepEqual(r.delta, { added: 3, removed: 0 });
  t.is(r.receipt.namespace, 'default');
  t.is(r.receipt.actor, 'tester');
  t.is(r.receipt.added, 3);
  t.is(r.receipt.removed, 0);
  t.is(typeof r.receipt.id, 'string');
  t.is(typeof r.receipt.sig, 'string');
  t.is(typeof r.receipt.pub, 'string');
  t.regex(r.receipt.deltaHash, /^[0-9a-f]{64}$/);
  const mid = await storeStats(app);
  t.is(quadsIn(mid), quadsIn(before) + 3);
  t.is(mid.position.lastIndex, before.position.lastIndex + 1);

  const rm = await commitTx(app, { remove: '@prefix ex: <http://example.org/> . ex:bob ex:age 42 .', format: 'turtle' });
  t.deepEqual(rm.delta, { added: 0, removed: 1 });
  t.is(quadsIn(await storeStats(app)), quadsIn(before) + 2);
  // Default format is turtle.
  const again = await commitTx(app, { add: TTL });
  t.deepEqual(again.delta, { added: 1, removed: 0 }, 'set semantics: only the removed triple is new');
});

test('n-triples, n-quads and trig add and remove', async (t) => {
  const { app } = await fresh(t);
  const nt = '<http://e/s1> <http://e/p> <http://e/o1> .\n<http://e/s2> <http://e/p> "two" .\n';
  t.deepEqual((await commitTx(app, { add: nt, format: 'n-triples' })).delta, { added: 2, removed: 0 });

  const nq = '<http://e/s> <http://e/p> <http://e/o> <http://e/g1> .\n<http://e/s> <http://e/p> <http://e/o> <http://e/g2> .\n<http://e/s> <http://e/p> <http://e/o> .\n';
  t.deepEqual((await commitTx(app, { add: nq, format: 'n-quads' })).delta, { added: 3, removed: 0 });

  const trig = '@prefix e: <http://e/> .\ne:g3 { e:x e:p e:y . e:x e:p e:z . }\ne:top e:p e:w .\n';
  t.deepEqual((await commitTx(app, { add: trig, format: 'trig' })).delta, { added: 3, removed: 0 });
  t.is(quadsIn(await storeStats(app)), 8);

  // The named graph holds exactly what TriG put there.
  const g3 = await app.inject({ method: 'GET', url: `/store?graph=${encodeURIComponent('http://e/g3')}`, headers: { accept: 'application/n-triples' } });
  t.is(g3.statusCode, 200);
  t.deepEqual(sorted(rdfSet(g3.body, 'N-Triples')), sorted(rdfSet('<http://e/x> <http://e/p> <http://e/y> .\n<http://e/x> <http://e/p> <http://e/z> .', 'N-Triples')));

  // Removal is graph-exact.
  t.deepEqual((await commitTx(app, { remove: '<http://e/s> <http://e/p> <http://e/o> <http://e/g1> .', format: 'n-quads' })).delta, { added: 0, removed: 1 });
  t.deepEqual((await commitTx(app, { remove: '@prefix e: <http://e/> . e:g3 { e:x e:p e:y . }', format: 'trig' })).delta, { added: 0, removed: 1 });
  t.deepEqual((await commitTx(app, { remove: nt, format: 'nt' })).delta, { added: 0, removed: 2 }, 'format aliases are accepted');
  t.is(quadsIn(await storeStats(app)), 4);
  // add and remove in one transaction
  const both = await commitTx(app, { add: '<http://e/n> <http://e/p> <http://e/o> .', remove: '<http://e/top> <http://e/p> <http://e/w> .', format: 'n-triples' });
  t.deepEqual(both.delta, { added: 1, removed: 1 });
});

test('malformed Turtle → 400 RDF_SYNTAX with line; store and log unchanged', async (t) => {
  const { app } = await fresh(t);
  await commitTx(app, { add: TTL });
  const before = fingerprint(await storeStats(app));
  const res = await postTx(app, { add: '@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:a ex:q ex:c ex:d .\n', format: 'turtle' });
  t.is(res.statusCode, 400);
  const e = json<ErrorBody>(res).error;
  t.is(e.code, 'RDF_SYNTAX');
  t.is(e.line, 3);
  t.is(typeof e.column, 'number');
  t.is(typeof e.message, 'string');
  t.is(fingerprint(await storeStats(app)), before);

  // A good add with a bad remove is rejected as a whole.
  const mixed = await postTx(app, { add: '<http://e/a> <http://e/b> <http://e/c> .', remove: '<http://e/a> <http://e/b> .', format: 'n-triples' });
  t.is(mixed.statusCode, 400);
  t.is(json<ErrorBody>(mixed).error.code, 'RDF_SYNTAX');
  t.is(fingerprint(await storeStats(app)), before);
});

test('malformed N-Quads → 400 RDF_SYNTAX with line; store and log unchanged', async (t) => {
  const { app } = await fresh(t);
  const before = fingerprint(await storeStats(app));
  const body = '<http://a> <http://b> <http://c> <http://g> .\n<http://a> <http://b> <http://c> .\n<http://a> <http://b> .\n';
  const res = await postTx(app, { add: body, format: 'n-quads' });
  t.is(res.statusCode, 400);
  const e = json<ErrorBody>(res).error;
  t.is(e.code, 'RDF_SYNTAX');
  t.is(e.line, 3);
  t.is(fingerprint(await storeStats(app)), before);
});

test('turtle with a named graph block is a syntax error, not a silent graph write', async (t) => {
  const { app } = await fresh(t);
  const before = fingerprint(await storeStats(app));
  const res = await postTx(app, { add: '<http://e/g> { <http://e/s> <http://e/p> <http://e/o> . }', format: 'turtle' });
  t.is(res.statusCode, 400);
  t.is(json<ErrorBody>(res).error.code, 'RDF_SYNTAX');
  t.is(fingerprint(await storeStats(app)), before);
});

test('bad requests → 400/404 with the error shape, nothing changed', async (t) => {
  const { app } = await fresh(t);
  const before = fingerprint(await storeStats(app));
  const cases: { name: string; status: number; code?: string; send: () => ReturnType<typeof postTx> }[] = [
    { name: 'bad JSON', status: 400, code: 'BAD_REQUEST', send: () => app.inject({ method: 'POST', url: '/v1/tx', payload: '{"add": "x', headers: { 'content-type': 'application/json' } }) },
    { name: 'unknown field', status: 400, code: 'BAD_REQUEST', send: () => app.inject({ method: 'POST', url: '/v1/tx', payload: { add: '<http://a> <http://b> <http://c> .', format: 'n-triples', colour: 'blue' } }) },
    { name: 'wrong type', status: 400, code: 'BAD_REQUEST', send: () => app.inject({ method: 'POST', url: '/v1/tx', payload: { add: 42 } }) },
    { name: 'neither add nor remove', status: 400, code: 'BAD_REQUEST', send: () => postTx(app, { actor: 'x' }) },
    { name: 'unknown format', status: 400, send: () => postTx(app, { add: '<http://a> <http://b> <http://c> .', format: 'rdf-xml' }) },
    { name: 'unknown namespace', status: 404, code: 'NAMESPACE_NOT_FOUND', send: () => postTx(app, { add: '<http://a> <http://b> <http://c> .', format: 'n-triples', namespace: 'nope' }) },
  ];
  for (const c of cases) {
    const res = await c.send();
    t.is(res.statusCode, c.status, `${c.name}: ${res.body}`);
    const e = json<ErrorBody>(res).error;
    t.is(typeof e.code, 'string', c.name);
    t.is(typeof e.message, 'string', c.name);
    if (c.code !== undefined) t.is(e.code, c.code, c.name);
  }
  const unknownField = await app.inject({ method: 'POST', url: '/v1/tx', payload: { add: '', colour: 'blue' } });
  t.regex(json<ErrorBody>(unknownField).error.message, /colour/, 'the message names the unknown field');
  t.is(fingerprint(await storeStats(app)), before);
});

test('body over KNOWD_MAX_BODY_BYTES → 413 TOO_LARGE, nothing changed', async (t) => {
  const { app, config } = await fresh(t, ['--max-body-bytes', '1KiB']);
  t.is(config.maxBodyBytes, 1024);
  const before = fingerprint(await storeStats(app));
  const res = await postTx(app, { add: `<http://e/s> <http://e/p> "${'x'.repeat(2000)}" .`, format: 'n-triples' });
  t.is(res.statusCode, 413);
  t.is(json<ErrorBody>(res).error.code, 'TOO_LARGE');
  t.is(fingerprint(await storeStats(app)), before);
  // Just under the limit still works.
  const ok = await postTx(app, { add: `<http://e/s> <http://e/p> "${'x'.repeat(800)}" .`, format: 'n-triples' });
  t.is(ok.statusCode, 200);
});

test('more quads than KNOWD_MAX_TX_QUADS → 413, nothing changed', async (t) => {
  const { app } = await fresh(t, ['--max-tx-quads', '3']);
  const before = fingerprint(await storeStats(app));
  const nt = [1, 2, 3, 4].map((i) => `<http://e/s${i}> <http://e/p> <http://e/o> .`).join('\n');
  const res = await postTx(app, { add: nt, format: 'n-triples' });
  t.is(res.statusCode, 413);
  t.is(json<ErrorBody>(res).error.code, 'TOO_LARGE');
  t.is(fingerprint(await storeStats(app)), before);
});

test('idempotencyKey: a retry returns the same receipt and changes neither data nor log', async (t) => {
  const { app } = await fresh(t);
  const body = { add: '<http://e/s> <http://e/p> <http://e/o> .\n<http://e/s> <http://e/p> <http://e/o2> .', format: 'n-triples', idempotencyKey: 'order-17' };
  const first = await commitTx(app, body);
  const after1 = await storeStats(app);
  const second = await commitTx(app, body);
  t.is(second.receipt.id, first.receipt.id);
  t.is(second.receipt.hash, first.receipt.hash);
  t.deepEqual(second.delta, first.delta);
  t.is(fingerprint(await storeStats(app)), fingerprint(after1));

  // Same key, different body → 409, nothing changed.
  const clash = await postTx(app, { ...body, add: '<http://e/s> <http://e/p> <http://e/other> .' });
  t.is(clash.statusCode, 409);
  t.is(json<ErrorBody>(clash).error.code, 'IDEMPOTENCY_MISMATCH');
  t.is(fingerprint(await storeStats(app)), fingerprint(after1));

  // Keys are per namespace-independent requests: a new key is a new transaction.
  const other = await commitTx(app, { ...body, idempotencyKey: 'order-18' });
  t.not(other.receipt.id, first.receipt.id);
  t.deepEqual(other.delta, { added: 0, removed: 0 });
});

test('idempotencyKey: concurrent retries get one receipt and apply the data once', async (t) => {
  const { app } = await fresh(t);
  const before = await storeStats(app);
  const body = { add: '<http://e/c> <http://e/p> <http://e/o> .', format: 'n-triples', idempotencyKey: 'race-1' };
  const results = await Promise.all([postTx(app, body), postTx(app, body), postTx(app, body)]);
  for (const r of results) t.is(r.statusCode, 200, r.body);
  const ids = new Set(results.map((r) => json<TxResponse>(r).receipt.id));
  t.is(ids.size, 1, 'every retry answers with the same receipt');
  t.is(quadsIn(await storeStats(app)), quadsIn(before) + 1);
  const search = await app.inject({ url: '/v1/receipts/search?limit=10000' });
  const receipts = json<{ receipts: { id: string }[] }>(search).receipts;
  t.is(receipts.length, 1, 'one receipt for one logical transaction');
});
