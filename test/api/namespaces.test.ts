/** Namespaces: create, duplicate, bad names, list, isolation, delete. */
import test from 'ava';
import { commitTx, json, makeApp, postTx, quadsIn, rdfSet, storeStats, type ErrorBody } from '../helpers/http-app.js';

interface NamespaceList {
  readonly namespaces: readonly { readonly name: string; readonly quads: number }[];
}

const createNs = (app: Awaited<ReturnType<typeof makeApp>>['app'], name: unknown) => app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name } });

test('create → 201, duplicate → 409, bad names → 400, list shows it', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const res = await createNs(app, 'alpha');
  t.is(res.statusCode, 201, res.body);
  t.is(json<{ name: string }>(res).name, 'alpha');

  const dup = await createNs(app, 'alpha');
  t.is(dup.statusCode, 409);
  t.is(json<ErrorBody>(dup).error.code, 'NAMESPACE_EXISTS');
  const dupDefault = await createNs(app, 'default');
  t.is(dupDefault.statusCode, 409);

  for (const bad of ['', '-lead', 'a/b', 'sp ace', 'x'.repeat(65), 'ü']) {
    const r = await createNs(app, bad);
    t.is(r.statusCode, 400, `name ${JSON.stringify(bad)}: ${r.body}`);
    t.is(json<ErrorBody>(r).error.code, 'BAD_REQUEST');
  }
  const notString = await createNs(app, 7);
  t.is(notString.statusCode, 400);
  const extra = await app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'beta', colour: 'red' } });
  t.is(extra.statusCode, 400);

  const list = await app.inject({ url: '/v1/admin/namespaces' });
  t.is(list.statusCode, 200);
  t.deepEqual(json<NamespaceList>(list).namespaces.map((n) => n.name).sort(), ['alpha', 'default']);
});

test('data in namespace A is not visible in B (tx and Graph Store)', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  t.is((await createNs(app, 'A')).statusCode, 201);
  t.is((await createNs(app, 'B')).statusCode, 201);
  await commitTx(app, { add: '<http://e/a> <http://e/p> "in A" .', format: 'n-triples', namespace: 'A' });
  const put = await app.inject({ method: 'PUT', url: '/ns/A/store?graph=http%3A%2F%2Fe%2Fg', headers: { 'content-type': 'text/turtle' }, payload: '<http://e/x> <http://e/p> "A graph" .' });
  t.true(put.statusCode === 200 || put.statusCode === 201, put.body);

  const inA = await app.inject({ url: '/ns/A/store?default', headers: { accept: 'application/n-triples' } });
  t.is(inA.statusCode, 200);
  t.deepEqual([...rdfSet(inA.body, 'N-Triples')], ['<http://e/a> <http://e/p> "in A"^^<http://www.w3.org/2001/XMLSchema#string>']);

  const inB = await app.inject({ url: '/ns/B/store?default', headers: { accept: 'application/n-triples' } });
  t.is(inB.statusCode, 200);
  t.is(rdfSet(inB.body, 'N-Triples').size, 0);
  const gB = await app.inject({ url: '/ns/B/store?graph=http%3A%2F%2Fe%2Fg', headers: { accept: 'text/turtle' } });
  t.is(gB.statusCode, 404);
  const dsB = await app.inject({ url: '/ns/B/store', headers: { accept: 'application/n-quads' } });
  t.is(dsB.statusCode, 200);
  t.is(rdfSet(dsB.body, 'N-Quads').size, 0);
  const defaultNs = await app.inject({ url: '/store', headers: { accept: 'application/n-quads' } });
  t.is(rdfSet(defaultNs.body, 'N-Quads').size, 0, 'nor in the default namespace');

  const stats = await storeStats(app);
  t.is(quadsIn(stats, 'A'), 2);
  t.is(quadsIn(stats, 'B'), 0);
  t.is(quadsIn(stats, 'default'), 0);

  // Same triple in both namespaces counts once in each.
  await commitTx(app, { add: '<http://e/a> <http://e/p> "in A" .', format: 'n-triples', namespace: 'B' });
  t.is(quadsIn(await storeStats(app), 'B'), 1);
  t.is(quadsIn(await storeStats(app), 'A'), 2);
});

test('delete a namespace: gone from the list, its data and endpoints 404; recreating starts empty', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  t.is((await createNs(app, 'tmp')).statusCode, 201);
  await commitTx(app, { add: '<http://e/a> <http://e/p> <http://e/b> .', format: 'n-triples', namespace: 'tmp', idempotencyKey: 'k' });
  const del = await app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/tmp' });
  t.is(del.statusCode, 200, del.body);

  const list = json<NamespaceList>(await app.inject({ url: '/v1/admin/namespaces' }));
  t.false(list.namespaces.some((n) => n.name === 'tmp'));
  const get = await app.inject({ url: '/ns/tmp/store?default' });
  t.is(get.statusCode, 404);
  t.is(json<ErrorBody>(get).error.code, 'NAMESPACE_NOT_FOUND');
  const tx = await postTx(app, { add: '<http://e/a> <http://e/p> <http://e/b> .', format: 'n-triples', namespace: 'tmp' });
  t.is(tx.statusCode, 404);

  const again = await app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/tmp' });
  t.is(again.statusCode, 404);
  const defaultDel = await app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/default' });
  t.is(defaultDel.statusCode, 409, 'the default namespace cannot be deleted');

  t.is((await createNs(app, 'tmp')).statusCode, 201);
  t.is(quadsIn(await storeStats(app), 'tmp'), 0);
  // The idempotency key of the deleted namespace does not replay into the new one.
  const r = await commitTx(app, { add: '<http://e/a> <http://e/p> <http://e/b> .', format: 'n-triples', namespace: 'tmp', idempotencyKey: 'k' });
  t.not(r.replayed, true);
  t.deepEqual(r.delta, { added: 1, removed: 0 });
});
