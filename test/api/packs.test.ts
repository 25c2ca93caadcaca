/**
 * Policy packs over HTTP: a directory of shapes and hooks per namespace, loaded as a whole in one
 * log entry; a broken pack changes nothing and lists every problem; a reload removes what a pack
 * no longer has and never touches what was defined through the API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { commitTx, json, makeApp, postTx, storeStats, type ErrorBody, type TestApp, type VerifyResponse } from '../helpers/http-app.js';
import type { Receipt } from '../../src/receipts/index.js';
import type { PackProblem, PackRecord } from '../../src/packs/index.js';

const P = '@prefix ex: <http://ex/> .\n';
const Q = 'PREFIX ex: <http://ex/> ';
const SHAPES = `@prefix ex: <http://ex/> . @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:AccountShape a sh:NodeShape ; sh:targetClass ex:Account ;
  sh:property [ sh:path ex:balance ; sh:datatype xsd:integer ; sh:minCount 1 ] .
`;
const VETO = { id: 'no-overdraft', phase: 'pre', condition: { ask: `${Q} ASK { ?a ex:balance ?b FILTER(?b < 0) }` } };
const POST = { id: 'big-balance', phase: 'post', condition: { ask: `${Q} ASK { ?a ex:balance ?b FILTER(?b > 1000) }` } };

interface Status {
  dir: string | null;
  packs: PackRecord[];
  lastLoad: { ok: boolean; changed?: boolean; problems?: PackProblem[] } | null;
}
interface ReloadBody {
  changed: boolean;
  packs: PackRecord[];
  receipts: Receipt[];
}
type PackError = ErrorBody & { error: { problems: PackProblem[] } };

function write(dir: string, files: Record<string, string | object>): void {
  for (const [rel, body] of Object.entries(files)) {
    const f = path.join(dir, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  }
}

async function withPacks(t: { teardown(fn: () => void | Promise<void>): void }, files: Record<string, string | object>): Promise<TestApp & { dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-packs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  write(dir, files);
  const a = await makeApp({ argv: ['--packs', dir] });
  t.teardown(() => a.close());
  return { ...a, dir };
}

const reload = (a: TestApp) => a.app.inject({ method: 'POST', url: '/v1/packs/reload' });
const status = async (a: TestApp): Promise<Status> => json<Status>(await a.app.inject({ method: 'GET', url: '/v1/packs' }));
const hookIds = async (a: TestApp, ns = 'default'): Promise<string[]> => json<{ hooks: { id: string }[] }>(await a.app.inject({ method: 'GET', url: `/v1/hooks?namespace=${ns}` })).hooks.map((h) => h.id);

test('a pack loads in one entry: its shapes and veto hooks apply, GET /v1/packs lists it, receipts of kind "pack" verify; an unchanged reload logs nothing', async (t) => {
  const a = await withPacks(t, { 'bank/default/shapes/accounts.ttl': SHAPES, 'bank/default/hooks/veto.json': VETO, 'bank/default/hooks/post.json': [POST], 'bank/README.md': '# notes' });
  await a.packs.reload('system'); // what start-up does
  const st = await status(a);
  t.is(st.packs.length, 1);
  const rec = st.packs[0]!;
  t.is(rec.name, 'bank');
  t.regex(rec.digest, /^[0-9a-f]{64}$/);
  t.deepEqual(rec.items, [{ namespace: 'default', shapes: ['default/shapes/accounts.ttl'], hooks: [{ id: 'big-balance', file: 'default/hooks/post.json' }, { id: 'no-overdraft', file: 'default/hooks/veto.json' }] }]);
  t.true(st.lastLoad?.ok);
  t.deepEqual((await hookIds(a)).sort(), ['big-balance', 'no-overdraft']);
  t.is(json<{ pack?: string }>(await a.app.inject({ method: 'GET', url: '/v1/hooks/no-overdraft' })).pack, 'bank');

  // The pack's shapes reject; its veto hook vetoes; a good tx passes and the post hook fires.
  const bad = await postTx(a.app, { add: `${P} ex:a a ex:Account ; ex:balance "lots" .` });
  t.is(bad.statusCode, 422, bad.body);
  t.regex(json<ErrorBody>(bad).error.message, /^SHACL/);
  const veto = await postTx(a.app, { add: `${P} ex:a a ex:Account ; ex:balance -5 .` });
  t.is(veto.statusCode, 422);
  t.regex(json<ErrorBody>(veto).error.message, /Vetoed by hook no-overdraft/);
  await commitTx(a.app, { add: `${P} ex:a a ex:Account ; ex:balance 5000 .` });
  const firings = json<{ firings: unknown[] }>(await a.app.inject({ method: 'GET', url: '/v1/hooks/big-balance/firings' })).firings;
  t.is(firings.length, 1);

  // The load's receipt is in the namespace's chain and verifies against the logged entry.
  const receipts = json<{ receipts: Receipt[] }>(await a.app.inject({ method: 'GET', url: '/v1/receipts/search?namespace=default' })).receipts;
  const pr = receipts.find((r) => r.kind === 'pack');
  t.truthy(pr);
  t.is(pr!.logIndex, rec.logIndex);
  t.true(json<VerifyResponse>(await a.app.inject({ method: 'GET', url: `/v1/receipts/${pr!.id}/verify` })).valid);

  const before = (await storeStats(a.app)).log.entries;
  const again = await reload(a);
  t.is(again.statusCode, 200, again.body);
  t.false(json<ReloadBody>(again).changed);
  t.is((await storeStats(a.app)).log.entries, before);
});

test('a broken pack changes nothing: 422 PACK_INVALID lists every problem with file and line, and the old pack stays', async (t) => {
  const a = await withPacks(t, { 'bank/default/shapes/accounts.ttl': SHAPES, 'bank/default/hooks/veto.json': VETO });
  t.is((await reload(a)).statusCode, 200);
  const loaded = await status(a);
  const entries = (await storeStats(a.app)).log.entries;

  // Every kind of problem at once, beside a change that alone would be fine.
  write(a.dir, {
    'bank/default/hooks/post.json': POST,
    'bank/default/shapes/broken.ttl': '@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:d ex:e .\n',
    'bank/default/hooks/bad-schema.json': { id: 'x', phase: 'sometimes', condition: { ask: 'ASK {}' } },
    'bank/default/hooks/bad-sparql.json': { id: 'y', phase: 'pre', condition: { ask: 'ASK { ?s ?p }' } },
    'bank/default/hooks/bad-json.json': '{\n  "id": "z",\n  "phase": "pre",,\n}',
    'bank/default/hooks/dup.json': { ...VETO, description: 'again' },
    'bank/nowhere/hooks/h.json': { id: 'h', phase: 'pre', condition: { ask: 'ASK {}' } },
    'bank/default/notes.txt': 'stray',
    'bank/default/shapes/ill-formed.ttl': '@prefix sh: <http://www.w3.org/ns/shacl#> .\n<http://ex/S> a sh:NodeShape ; sh:property [ sh:path <http://ex/p> ; sh:minCount "one" ] .\n',
  });
  const res = await reload(a);
  t.is(res.statusCode, 422, res.body);
  const body = json<PackError>(res);
  t.is(body.error.code, 'PACK_INVALID');
  const byFile = new Map(body.error.problems.map((p) => [p.file, p]));
  t.is(byFile.get('bank/default/shapes/broken.ttl')?.line, 3, JSON.stringify(body.error.problems));
  t.is(byFile.get('bank/default/hooks/bad-schema.json')?.field, 'phase');
  t.regex(byFile.get('bank/default/hooks/bad-sparql.json')?.message ?? '', /SPARQL/);
  t.is(byFile.get('bank/default/hooks/bad-json.json')?.line, 3);
  // Files are read in name order: the second definition is the one reported, naming the first.
  t.regex(byFile.get('bank/default/hooks/veto.json')?.message ?? '', /"no-overdraft".*also defined in bank\/default\/hooks\/dup\.json/);
  t.regex(byFile.get('bank/nowhere')?.message ?? '', /unknown namespace "nowhere"/);
  t.regex(byFile.get('bank/default/notes.txt')?.message ?? '', /unexpected file/);
  t.regex(byFile.get('bank/default/shapes/ill-formed.ttl')?.message ?? '', /not well-formed SHACL: .*minCount/);
  t.is(body.error.problems.length, 8);

  // Nothing moved: the same pack, the same hooks, no log entry; GET /v1/packs shows the failure.
  t.is((await storeStats(a.app)).log.entries, entries);
  const st = await status(a);
  t.deepEqual(st.packs, loaded.packs);
  t.false(st.lastLoad?.ok);
  t.is(st.lastLoad?.problems?.length, 8);
  t.deepEqual(await hookIds(a), ['no-overdraft']);
  t.is((await postTx(a.app, { add: `${P} ex:a a ex:Account ; ex:balance "lots" .` })).statusCode, 422);
});

test('reload removes what a pack no longer has (and a pack no longer there), never what was defined through the API', async (t) => {
  const a = await withPacks(t, {
    'bank/default/shapes/accounts.ttl': SHAPES,
    'bank/default/hooks/veto.json': VETO,
    'bank/default/hooks/post.json': POST,
    'audit/default/hooks/window.json': { id: 'burst', phase: 'post', condition: { window: { count: { op: '>', value: 100 } } } },
  });
  t.is((await reload(a)).statusCode, 200);
  // A user's hook and shapes, through the API.
  const userHook = { id: 'mine', phase: 'pre', condition: { ask: `${Q} ASK { ?x ex:forbidden true }` } };
  t.is((await a.app.inject({ method: 'POST', url: '/v1/hooks', payload: userHook })).statusCode, 200);
  const userShapes = `@prefix ex: <http://ex/> . @prefix sh: <http://www.w3.org/ns/shacl#> .\nex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .\n`;
  t.is((await a.app.inject({ method: 'PUT', url: '/v1/shapes', headers: { 'content-type': 'text/turtle' }, payload: userShapes })).statusCode, 200);
  t.deepEqual((await hookIds(a)).sort(), ['big-balance', 'burst', 'mine', 'no-overdraft']);
  // Pack and user shapes both apply (their union).
  t.is((await postTx(a.app, { add: `${P} ex:p a ex:Person .` })).statusCode, 422);
  t.is((await postTx(a.app, { add: `${P} ex:a a ex:Account .` })).statusCode, 422);

  // The user cannot change or delete a pack's hook: it belongs to the pack.
  const over = await a.app.inject({ method: 'POST', url: '/v1/hooks', payload: { ...VETO, description: 'mine now' } });
  t.is(over.statusCode, 409, over.body);
  t.regex(json<ErrorBody>(over).error.message, /belongs to policy pack "bank"/);
  t.is((await a.app.inject({ method: 'DELETE', url: '/v1/hooks/no-overdraft' })).statusCode, 409);

  // The new version of bank drops its shapes and its post hook; audit is gone.
  fs.rmSync(path.join(a.dir, 'bank/default/shapes'), { recursive: true });
  fs.rmSync(path.join(a.dir, 'bank/default/hooks/post.json'));
  fs.rmSync(path.join(a.dir, 'audit'), { recursive: true });
  const res = await reload(a);
  t.is(res.statusCode, 200, res.body);
  const body = json<ReloadBody>(res);
  t.true(body.changed);
  t.deepEqual(body.packs.map((p) => p.name), ['bank']);
  t.deepEqual(body.receipts.map((r) => [r.namespace, r.kind, r.added, r.removed]), [['default', 'pack', 0, 3]]);
  t.deepEqual((await hookIds(a)).sort(), ['mine', 'no-overdraft']);
  // The pack's shapes are gone, the user's stay (and GET /v1/shapes is the user's text as PUT).
  await commitTx(a.app, { add: `${P} ex:a a ex:Account .` });
  t.is((await postTx(a.app, { add: `${P} ex:p a ex:Person .` })).statusCode, 422);
  t.is((await a.app.inject({ method: 'GET', url: '/v1/shapes' })).body, userShapes);

  // A pack may not take over a hook defined through the API: a problem, nothing changes.
  write(a.dir, { 'bank/default/hooks/mine.json': { ...userHook, description: 'taken' } });
  const clash = await reload(a);
  t.is(clash.statusCode, 422, clash.body);
  t.regex(json<PackError>(clash).error.problems[0]!.message, /"mine".*defined through the API/);
  t.deepEqual((await hookIds(a)).sort(), ['mine', 'no-overdraft']);
});

test('POST /v1/packs/reload without KNOWD_PACKS answers 501; GET /v1/packs shows none', async (t) => {
  const a = await makeApp();
  t.teardown(() => a.close());
  t.is((await reload(a)).statusCode, 501);
  t.deepEqual(json<Status>(await a.app.inject({ method: 'GET', url: '/v1/packs' })), { dir: null, packs: [], lastLoad: null });
});

test('deleting a namespace drops the pack items in it; the next reload puts them back once the namespace exists again', async (t) => {
  const a = await withPacks(t, { 'bank/sales/hooks/veto.json': VETO, 'bank/default/hooks/post.json': POST });
  t.is((await a.app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'sales' } })).statusCode, 201);
  t.is((await reload(a)).statusCode, 200);
  t.deepEqual(await hookIds(a, 'sales'), ['no-overdraft']);
  t.is((await a.app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/sales' })).statusCode, 200);
  const st = await status(a);
  t.deepEqual(st.packs[0]!.items.map((i) => i.namespace), ['default']);
  t.is(st.packs[0]!.digest, '', 'no longer what the directory says: the next reload applies it');
  // Missing namespace: the directory is broken until it exists again.
  t.is((await reload(a)).statusCode, 422);
  t.is((await a.app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'sales' } })).statusCode, 201);
  t.deepEqual(await hookIds(a, 'sales'), []);
  const again = await reload(a);
  t.is(again.statusCode, 200, again.body);
  t.true(json<ReloadBody>(again).changed);
  t.deepEqual(await hookIds(a, 'sales'), ['no-overdraft']);
});
