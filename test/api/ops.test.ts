/** Operations endpoints: /healthz, /readyz, /metrics, /v1/cluster/status. */
import test from 'ava';
import { TOKEN_SECRET, commitTx, json, makeApp, postTx, type ClusterStatus, type ErrorBody } from '../helpers/http-app.js';

test('/healthz and /readyz are 200 when ready; /readyz and writes are 503 when not', async (t) => {
  const { app, close, setReady } = await makeApp();
  t.teardown(close);
  t.is((await app.inject({ url: '/healthz' })).statusCode, 200);
  t.is((await app.inject({ url: '/readyz' })).statusCode, 200);

  setReady(false);
  const notReady = await app.inject({ url: '/readyz' });
  t.is(notReady.statusCode, 503);
  const w = await postTx(app, { add: '<http://e/s> <http://e/p> <http://e/o> .', format: 'n-triples' });
  t.is(w.statusCode, 503);
  t.is(json<ErrorBody>(w).error.code, 'NOT_READY');
  t.is((await app.inject({ url: '/healthz' })).statusCode, 200, 'not ready is not unhealthy');

  setReady(true);
  t.is((await app.inject({ url: '/readyz' })).statusCode, 200);
});

test('/metrics is Prometheus text with knowd_tx_total and knowd_cluster_applied_index', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  await commitTx(app, { add: '<http://e/s> <http://e/p> <http://e/o> .', format: 'n-triples' });
  await postTx(app, { add: '<http://e/s> <http://e/p> .', format: 'n-triples' });
  const res = await app.inject({ url: '/metrics' });
  t.is(res.statusCode, 200);
  t.regex(String(res.headers['content-type']), /^text\/plain/);
  t.regex(res.body, /^# TYPE knowd_tx_total counter$/m);
  t.regex(res.body, /^knowd_tx_total\{outcome="committed"\} 1$/m);
  t.regex(res.body, /^knowd_tx_total\{outcome="rejected"\} 1$/m);
  t.regex(res.body, /^knowd_cluster_applied_index \d+$/m);
  const applied = /^knowd_cluster_applied_index (\d+)$/m.exec(res.body)?.[1];
  const commit = /^knowd_cluster_commit_index (\d+)$/m.exec(res.body)?.[1];
  t.is(applied, commit);
  t.true(Number(applied) >= 2);
});

test('/metrics forgets a deleted namespace (no series per namespace ever made)', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  t.is((await app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'gone' } })).statusCode, 201);
  t.regex((await app.inject({ url: '/metrics' })).body, /^knowd_store_quads\{namespace="gone"\} 0$/m);
  t.is((await app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/gone' })).statusCode, 200);
  const after = (await app.inject({ url: '/metrics' })).body;
  t.notRegex(after, /namespace="gone"/);
  t.regex(after, /^knowd_store_quads\{namespace="default"\} \d+$/m);
});

test('/v1/cluster/status has every SPEC field with sensible single-mode values', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const r = await commitTx(app, { add: '<http://e/s> <http://e/p> <http://e/o> .', format: 'n-triples' });
  const res = await app.inject({ url: '/v1/cluster/status' });
  t.is(res.statusCode, 200);
  const s = json<ClusterStatus & Record<string, unknown>>(res);
  for (const field of ['mode', 'nodeId', 'term', 'leader', 'followers', 'lagSec', 'lastSnapshot', 'walSize', 'commitIndex', 'appliedIndex', 'peers']) {
    t.true(Object.prototype.hasOwnProperty.call(s, field), `missing ${field}`);
  }
  t.is(s.mode, 'single');
  t.is(s.nodeId, 'test-node');
  t.is(s.leader, 'test-node');
  t.true(Array.isArray(s.followers));
  t.true(Array.isArray(s.peers));
  t.is(typeof s.term, 'number');
  t.is(typeof s.lagSec, 'number');
  t.is(typeof s.walSize, 'number');
  t.true(s.walSize > 0);
  t.is(s.commitIndex, r.receipt.logIndex);
  t.is(s.appliedIndex, s.commitIndex);
});

test('unknown routes → 404 with the error shape', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const res = await app.inject({ url: '/v1/nothing-here' });
  t.is(res.statusCode, 404);
  t.is(json<ErrorBody>(res).error.code, 'NOT_FOUND');
});

test('malformed URLs and impossible namespace names get the error shape and a 4xx, never a 500', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  for (const url of ['/v1/receipts/%ff%fe', '/v1/hooks/%zz/firings']) {
    const res = await app.inject({ url });
    t.is(res.statusCode, 400, url);
    t.is(json<ErrorBody>(res).error.code, 'BAD_REQUEST', url);
  }
  // Longer than any namespace name may be (and than the store's largest key).
  for (const url of [`/v1/shapes?namespace=${'x'.repeat(5000)}`, `/v1/hooks?namespace=${'x'.repeat(5000)}`, '/v1/shapes?namespace=..%2Fetc']) {
    const res = await app.inject({ url });
    t.is(res.statusCode, 400, url);
    t.regex(json<ErrorBody>(res).error.message, /namespace name/, url);
  }
});

test('/healthz includes the hook-execution self-test (a trivial ASK through the hook evaluator)', async (t) => {
  const { app, close } = await makeApp();
  t.teardown(close);
  const res = await app.inject({ url: '/healthz' });
  t.is(res.statusCode, 200);
  t.deepEqual(json<{ checks: Record<string, { ok: boolean }> }>(res).checks['hooks'], { ok: true });
});

test('the join route is the one route that needs no bearer token (its join token authenticates it)', async (t) => {
  const { app, close } = await makeApp({ argv: ['--token-secret', TOKEN_SECRET] });
  t.teardown(close);
  const join = await app.inject({ method: 'POST', url: '/v1/cluster/join', payload: { tokenId: 'nope' } });
  t.is(join.statusCode, 400, join.body);
  const token = await app.inject({ method: 'POST', url: '/v1/cluster/token' });
  t.is(token.statusCode, 401);
});
