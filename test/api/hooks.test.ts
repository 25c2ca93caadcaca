/** Knowledge hooks over HTTP: definitions, vetoes of every condition kind, post-hook firings with receipts, dry runs, SSE. */
import test from 'ava';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { commitTx, json, makeApp, postTx, storeStats, type ErrorBody, type TestApp, type TxResponse } from '../helpers/http-app.js';

async function fresh(t: { teardown(fn: () => Promise<void>): void }): Promise<TestApp> {
  const a = await makeApp();
  t.teardown(() => a.close());
  return a;
}

const P = '@prefix ex: <http://ex/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n';
const Q = 'PREFIX ex: <http://ex/> ';
const SHAPES = '@prefix ex: <http://ex/> . @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\nex:S a sh:NodeShape ; sh:targetClass ex:Account ; sh:property [ sh:path ex:balance ; sh:datatype xsd:integer ; sh:minCount 1 ] .';

type Rejection = ErrorBody & { error: { hook: string; evidence: Record<string, unknown> } };
interface Firing { namespace: string; hook: string; logIndex: number; timeMs: number; ok: boolean; evidence: unknown; error?: string; receiptId: string }

async function putHook(app: TestApp['app'], def: unknown): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/v1/hooks', payload: def as object });
  if (res.statusCode !== 200) throw new Error(`POST /v1/hooks answered ${res.statusCode}: ${res.body}`);
}

async function firings(app: TestApp['app'], id: string): Promise<Firing[]> {
  return json<{ firings: Firing[] }>(await app.inject({ method: 'GET', url: `/v1/hooks/${id}/firings` })).firings;
}

const vetoes = [
  ['ASK', { ask: `${Q} ASK { ?a ex:balance ?b FILTER(?b < 0) }` }],
  ['THRESHOLD', { select: `${Q} SELECT ?a ?b { ?a ex:balance ?b }`, threshold: { var: 'b', op: '<', value: 0 } }],
  ['COUNT', { select: `${Q} SELECT ?a { ?a ex:balance ?b FILTER(?b < 0) }`, count: { op: '>=', value: 1 } }],
  ['DELTA', { select: `${Q} SELECT ?a ?b { ?a ex:balance ?b }`, delta: { var: 'b', op: '<', value: -50 } }],
  ['SHACL (not conforms)', { not: { shacl: SHAPES } }],
  ['WINDOW', { window: { count: { op: '>', value: 2 } } }],
  ['AND', { and: [{ ask: `${Q} ASK { ?a ex:balance ?b }` }, { ask: `${Q} ASK { ?a ex:balance ?b FILTER(?b < 0) }` }] }],
  ['OR', { or: [{ ask: `${Q} ASK { ?a ex:frozen true }` }, { ask: `${Q} ASK { ?a ex:balance ?b FILTER(?b < 0) }` }] }],
] as const;

for (const [kind, condition] of vetoes) {
  test(`a pre hook with a ${kind} condition vetoes with 422 naming the hook; the store and receipts are unchanged`, async (t) => {
    const { app } = await fresh(t);
    await commitTx(app, { add: `${P} ex:acc a ex:Account ; ex:balance 100 .` });
    await putHook(app, { id: 'guard', phase: 'pre', condition, description: 'no overdraft' });
    // Passes: a change that keeps the balance positive (and, for WINDOW, the 2nd tx in the window).
    if (kind !== 'WINDOW') await commitTx(app, { add: `${P} ex:acc ex:balance 90 .`, remove: `${P} ex:acc ex:balance 100 .` });
    else await commitTx(app, { add: `${P} ex:acc ex:note "a" .` });
    // The entry is logged (the check runs at apply, on every replica) but its effects are undone.
    const before = (await storeStats(app)).namespaces;
    const receiptsBefore = (await app.inject({ method: 'GET', url: '/v1/receipts/search?namespace=default' })).body;
    const bad = kind === 'SHACL (not conforms)' ? `${P} ex:acc2 a ex:Account ; ex:balance "lots" .` : kind === 'WINDOW' ? `${P} ex:acc ex:note "b" .` : `${P} ex:acc ex:balance -10 .`;
    const remove = kind === 'WINDOW' || kind.startsWith('SHACL') ? '' : `${P} ex:acc ex:balance 90 .`;
    const res = await postTx(app, { add: bad, remove });
    t.is(res.statusCode, 422, res.body);
    const body = json<Rejection>(res);
    t.is(body.error.code, 'REJECTED');
    t.regex(body.error.message, /^Vetoed by hook guard/);
    t.is(body.error.hook, 'guard');
    t.truthy(body.error.evidence);
    t.deepEqual((await storeStats(app)).namespaces, before);
    t.is((await app.inject({ method: 'GET', url: '/v1/receipts/search?namespace=default' })).body, receiptsBefore);
  });
}

test('DELTA: the change the tx makes (after minus before), not the total', async (t) => {
  const { app } = await fresh(t);
  await commitTx(app, { add: `${P} ex:a ex:item 1 . ex:b ex:item 2 . ex:c ex:item 3 .` });
  // Veto a tx that adds more than 2 items at once, whatever is already there.
  await putHook(app, { id: 'burst', phase: 'pre', condition: { select: `${Q} SELECT ?s { ?s ex:item ?v }`, delta: { op: '>', value: 2 } } });
  await commitTx(app, { add: `${P} ex:d ex:item 4 . ex:e ex:item 5 .` });
  // Removing and adding one is a delta of 0; re-adding an existing quad is no change.
  await commitTx(app, { add: `${P} ex:f ex:item 6 . ex:a ex:item 1 .`, remove: `${P} ex:b ex:item 2 .` });
  const res = await postTx(app, { add: `${P} ex:g ex:item 7 . ex:h ex:item 8 . ex:i ex:item 9 .` });
  t.is(res.statusCode, 422, res.body);
  t.deepEqual(json<Rejection>(res).error.evidence, { before: 5, after: 8, delta: 3 });
});

test('post hooks of every condition kind fire with a verifiable receipt; a failing one is recorded as failed', async (t) => {
  const { app } = await fresh(t);
  const conds: Record<string, unknown> = {
    ask: { ask: `${Q} ASK { ?a ex:balance ?b FILTER(?b > 1000) }` },
    threshold: { select: `${Q} SELECT ?b { ?a ex:balance ?b }`, threshold: { var: 'b', op: '>', value: 1000 } },
    count: { select: `${Q} SELECT ?a { ?a a ex:Account }`, count: { op: '==', value: 1 } },
    delta: { select: `${Q} SELECT ?b { ?a ex:balance ?b }`, delta: { var: 'b', op: '>=', value: 5000 } },
    shacl: { shacl: SHAPES },
    window: { window: { count: { op: '>=', value: 1 } } },
    and: { and: [{ ask: `${Q} ASK { ?a a ex:Account }` }, { shacl: SHAPES }] },
    or: { or: [{ ask: `${Q} ASK { ?a ex:frozen true }` }, { ask: `${Q} ASK { ?a a ex:Account }` }] },
    quiet: { ask: `${Q} ASK { ?a ex:frozen true }` },
    broken: { select: `${Q} SELECT ?a { ?a ex:balance ?b }`, count: { op: '>', value: 0 } },
  };
  for (const [id, condition] of Object.entries(conds)) await putHook(app, { id, phase: 'post', condition, ...(id === 'broken' && { budget: { rows: 1 } }) });
  const tx = await commitTx(app, { add: `${P} ex:acc a ex:Account ; ex:balance 5000 . ex:acc2 ex:balance 1 .` });
  for (const id of Object.keys(conds)) {
    const fs = await firings(app, id);
    if (id === 'quiet') {
      t.deepEqual(fs, []);
      continue;
    }
    t.is(fs.length, 1, id);
    const f = fs[0]!;
    t.is(f.logIndex, tx.receipt.logIndex);
    t.is(f.timeMs, tx.receipt.timeMs);
    t.is(f.ok, id !== 'broken', `${id}: ${JSON.stringify(f)}`);
    if (id === 'broken') t.regex(f.error!, /budget/);
    const verify = await app.inject({ method: 'GET', url: `/v1/receipts/${encodeURIComponent(f.receiptId)}/verify` });
    t.true(json<{ valid: boolean }>(verify).valid, verify.body);
    const receipt = json<{ kind: string }>(await app.inject({ method: 'GET', url: `/v1/receipts/${encodeURIComponent(f.receiptId)}` }));
    t.is(receipt.kind, 'hook');
  }
  // Only hooks whose predicates the delta uses are evaluated: this tx touches none of ex:balance/rdf:type.
  await commitTx(app, { add: `${P} ex:acc ex:note "n" .` });
  t.is((await firings(app, 'ask')).length, 1);
  t.is((await firings(app, 'window')).length, 2, 'a WINDOW leaf is evaluated for every tx');
});

test('definitions: validated with a named field, listed, read, deleted; definition receipts verify', async (t) => {
  const { app } = await fresh(t);
  const bad = await app.inject({ method: 'POST', url: '/v1/hooks', payload: { id: 'x', phase: 'later', condition: { ask: 'ASK {}' } } });
  t.is(bad.statusCode, 400);
  t.regex(json<ErrorBody>(bad).error.message, /phase/);
  const badCond = await app.inject({ method: 'POST', url: '/v1/hooks', payload: { id: 'x', phase: 'pre', condition: { select: 'SELECT * {}', threshold: { var: 'v', op: '~', value: 1 } } } });
  t.is(badCond.statusCode, 400);
  t.regex(json<ErrorBody>(badCond).error.message, /condition\.threshold\.op/);
  const notAsk = await app.inject({ method: 'POST', url: '/v1/hooks', payload: { id: 'x', phase: 'pre', condition: { ask: 'SELECT * {}' } } });
  t.is(notAsk.statusCode, 400);
  const syntax = await app.inject({ method: 'POST', url: '/v1/hooks', payload: { id: 'x', phase: 'pre', condition: { ask: 'ASK {' } } });
  t.is(syntax.statusCode, 400);

  const res = await app.inject({ method: 'POST', url: '/v1/hooks', payload: { id: 'h1', phase: 'pre', condition: { ask: 'ASK { ?s <http://ex/p> 1 }' } } });
  t.is(res.statusCode, 200, res.body);
  const r = json<{ receipt: TxResponse['receipt'] }>(res).receipt;
  t.is(r.kind, 'hook');
  t.true(json<{ valid: boolean }>(await app.inject({ method: 'GET', url: `/v1/receipts/${r.id}/verify` })).valid);
  t.deepEqual(json<{ hooks: { id: string }[] }>(await app.inject({ method: 'GET', url: '/v1/hooks' })).hooks.map((h) => h.id), ['h1']);
  t.is(json<{ namespace: string }>(await app.inject({ method: 'GET', url: '/v1/hooks/h1' })).namespace, 'default');
  t.is((await app.inject({ method: 'GET', url: '/v1/hooks/nope' })).statusCode, 404);
  const del = await app.inject({ method: 'DELETE', url: '/v1/hooks/h1' });
  t.is(del.statusCode, 200, del.body);
  t.true(json<{ valid: boolean }>(await app.inject({ method: 'GET', url: `/v1/receipts/${json<{ receipt: { id: string } }>(del).receipt.id}/verify` })).valid);
  t.is((await app.inject({ method: 'GET', url: '/v1/hooks/h1' })).statusCode, 404);
  t.is((await app.inject({ method: 'DELETE', url: '/v1/hooks/h1' })).statusCode, 404);
  // Deleted: the veto no longer applies.
  await commitTx(app, { add: '<http://ex/a> <http://ex/p> 1 .' });
});

test('a pre hook over its budget rejects deterministically', async (t) => {
  const { app } = await fresh(t);
  await commitTx(app, { add: `${P} ex:a ex:v 1 . ex:b ex:v 2 . ex:c ex:v 3 . ex:d ex:v 4 .` });
  await putHook(app, { id: 'heavy', phase: 'pre', budget: { steps: 3 }, condition: { select: `${Q} SELECT ?s { ?s ex:v ?o }`, count: { op: '>', value: 100 } } });
  const res = await postTx(app, { add: `${P} ex:e ex:v 5 .` });
  t.is(res.statusCode, 422, res.body);
  t.regex(json<Rejection>(res).error.message, /Vetoed by hook heavy: it exceeded its budget/);
});

test('POST /v1/hooks/evaluate is a dry run against current data', async (t) => {
  const { app } = await fresh(t);
  await commitTx(app, { add: `${P} ex:acc a ex:Account ; ex:balance "x" .` });
  const ask = await app.inject({ method: 'POST', url: '/v1/hooks/evaluate', payload: { hook: { id: 'd', phase: 'pre', condition: { ask: `${Q} ASK { ?a a ex:Account }` } } } });
  t.deepEqual(json(ask), { fired: true, evidence: { ask: true } });
  const shacl = json<{ fired: boolean }>(await app.inject({ method: 'POST', url: '/v1/hooks/evaluate', payload: { hook: { id: 'd', phase: 'pre', condition: { shacl: SHAPES } } } }));
  t.false(shacl.fired);
  await putHook(app, { id: 'stored', phase: 'post', condition: { select: `${Q} SELECT ?a { ?a a ex:Account }`, count: { op: '==', value: 2 } } });
  t.deepEqual(json<{ fired: boolean }>(await app.inject({ method: 'POST', url: '/v1/hooks/evaluate', payload: { id: 'stored' } })).fired, false);
  t.deepEqual(await firings(app, 'stored'), [], 'a dry run records nothing');
});

test('GET /v1/events streams post-hook firings as server-sent events', async (t) => {
  const { app } = await fresh(t);
  await putHook(app, { id: 'big', phase: 'post', condition: { ask: `${Q} ASK { ?a ex:balance ?b FILTER(?b > 10) }` } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const got = new Promise<string>((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/v1/events' }, (res) => {
      t.regex(res.headers['content-type'] ?? '', /text\/event-stream/);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        if (buf.includes('\n\n') && buf.includes('event: firing')) {
          resolve(buf);
          req.destroy();
        }
        if (buf.startsWith(': knowd events')) void commitTx(app, { add: `${P} ex:acc ex:balance 100 .` }).catch(reject);
      });
    });
    req.on('error', reject);
  });
  const text = await got;
  const data = /data: (.*)\n/.exec(text.slice(text.indexOf('event: firing')))![1]!;
  const f = JSON.parse(data) as Firing;
  t.is(f.hook, 'big');
  t.true(f.ok);
  // A stream of a namespace that does not exist would never say anything: 404 at once instead.
  const none = await app.inject({ url: '/v1/events?namespace=nope' });
  t.is(none.statusCode, 404);
  t.is(json<{ error: { code: string } }>(none).error.code, 'NAMESPACE_NOT_FOUND');
});
