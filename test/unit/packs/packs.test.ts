/**
 * Policy packs below HTTP: compiling a packs directory (layout, every problem at once), replication
 * (followers get a pack's items through the log), and the daemon loading KNOWD_PACKS at start-up.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { KnowdError } from '../../../src/base/index.js';

import { loadConfig } from '../../../src/config/index.js';
import { startDaemon } from '../../../src/daemon/index.js';
import { readPacksDir } from '../../../src/daemon/packs.js';
import { createLogger } from '../../../src/obs/index.js';
import { compilePacks, type PackSource } from '../../../src/packs/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { startMemoryCluster } from '../../helpers/memory-cluster.js';
import { until } from '../../helpers/until.js';

const signer = createEd25519Signer(generateSigningKeyPem());
const SHAPES = `@prefix ex: <http://ex/> . @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:S a sh:NodeShape ; sh:targetClass ex:Account ; sh:property [ sh:path ex:balance ; sh:datatype xsd:integer ] .`;
const VETO = JSON.stringify({ id: 'no-overdraft', phase: 'pre', condition: { ask: 'PREFIX ex: <http://ex/> ASK { ?a ex:balance ?b FILTER(?b < 0) }' } });
const pack = (name: string, files: Record<string, string>): PackSource => ({ name, files: Object.entries(files).map(([p, text]) => ({ path: p, text })) });

test('compile: a good pack per namespace; hooks get the directory namespace; md and dotfiles are ignored', (t) => {
  const r = compilePacks([pack('bank', { 'main/shapes/a.ttl': SHAPES, 'main/hooks/v.json': VETO, 'README.md': '#', 'main/.swp': 'x' })], (ns) => ns === 'main');
  if (!r.ok) return t.fail(JSON.stringify(r.problems));
  t.is(r.packs.length, 1);
  t.deepEqual(r.packs[0]!.namespaces.map((n) => [n.ns, n.shapes.map((s) => s.path), n.hooks.map((h) => [h.hook.id, h.hook.namespace, h.file])]), [['main', ['main/shapes/a.ttl'], [['no-overdraft', 'main', 'main/hooks/v.json']]]]);
  t.regex(r.packs[0]!.digest, /^[0-9a-f]{64}$/);
});

test('compile: problems from every pack at once; a hook id twice across packs; a hook naming another namespace; shapes files that clash together', (t) => {
  const r = compilePacks(
    [
      pack('a', { 'main/hooks/v.json': VETO, 'main/shapes/x.ttl': '@prefix sh: <http://www.w3.org/ns/shacl#> . <http://ex/S> sh:path <http://ex/p> .' }),
      pack('b', { 'main/hooks/v.json': VETO, 'main/hooks/other.json': JSON.stringify({ id: 'o', namespace: 'elsewhere', phase: 'pre', condition: { ask: 'ASK {}' } }), 'main/shapes/y.ttl': '@prefix sh: <http://www.w3.org/ns/shacl#> . <http://ex/S> sh:path <http://ex/q> .' }),
      pack('bad name!', {}),
    ],
    (ns) => ns === 'main',
  );
  if (r.ok) return t.fail('compiled');
  const msgs = r.problems.map((p) => `${p.file}: ${p.message}`);
  t.true(msgs.some((m) => /^b\/main\/hooks\/v\.json: hook id "no-overdraft" in namespace "main" is also defined in a\/main\/hooks\/v\.json/.test(m)), msgs.join('\n'));
  t.true(msgs.some((m) => /^b\/main\/hooks\/other\.json: hook "o" names namespace "elsewhere"/.test(m)), msgs.join('\n'));
  t.true(msgs.some((m) => /^bad name!: "bad name!" is not a valid pack name/.test(m)), msgs.join('\n'));
  // Two shapes files each valid alone but not together (a pack's files are one shapes graph).
  const SH = '@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> . ';
  const clash = compilePacks([pack('c', { 'main/shapes/x.ttl': `${SH} ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property ex:P . ex:P sh:path ex:p .`, 'main/shapes/y.ttl': `${SH} ex:P sh:path [ sh:alternativePath 5 ] .` })], () => true);
  if (clash.ok) return t.fail('the two files compiled together');
  t.deepEqual(clash.problems.map((p) => p.file), ['c/main/shapes']);
  t.regex(clash.problems[0]!.message, /^the shapes files together: The shapes graph is not valid SHACL/);
});

test('readPacksDir: one source per pack directory; a stray file at the top is a problem; a missing directory is no packs', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-packs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'bank/main/hooks'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bank/main/hooks/v.json'), VETO);
  fs.writeFileSync(path.join(dir, 'stray.ttl'), '');
  const r = readPacksDir(dir);
  t.deepEqual(r.sources, [{ name: 'bank', files: [{ path: 'main/hooks/v.json', text: VETO }] }]);
  t.deepEqual(r.problems.map((p) => p.file), ['stray.ttl']);
  t.deepEqual(readPacksDir(path.join(dir, 'missing')), { sources: [], problems: [] });
});

test('replicated: a pack loaded on the leader (or through a follower) reaches every node, whose applies enforce it', async (t) => {
  const members = await startMemoryCluster(t, ['10.0.0.1:8091', '10.0.0.2:8091', '10.0.0.3:8091'], signer);
  const leader = await until('a leader', () => members.find((m) => m.node.raftStatus().role === 'leader' && members.every((x) => x.node.raftStatus().leader === m.id)));
  const follower = members.find((m) => m !== leader)!;
  await leader.engine.createNamespace('main', 't');
  await until('namespace everywhere', () => (members.every((m) => m.engine.namespaces().some((n) => n.name === 'main')) ? true : undefined));

  const r = await leader.engine.loadPacks([pack('bank', { 'main/shapes/a.ttl': SHAPES, 'main/hooks/v.json': VETO })], 'system');
  t.true(r.changed);
  const at = r.packs[0]!.logIndex;
  await Promise.all(members.map((m) => m.node.waitForApplied(at)));
  for (const m of members) {
    t.deepEqual(m.engine.packs().map((p) => [p.name, p.digest, p.logIndex]), [['bank', r.packs[0]!.digest, at]], m.id);
    t.deepEqual(m.engine.hooks('main').map((h) => h.id), ['no-overdraft'], m.id);
  }
  // Through the follower: forwarded, and rejected by the pack's shapes and its veto hook.
  const shacl = await t.throwsAsync(follower.engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: '<http://ex/a> a <http://ex/Account> ; <http://ex/balance> "x" .' }), { instanceOf: KnowdError });
  t.regex(shacl.message, /^SHACL/);
  const veto = await t.throwsAsync(follower.engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: '<http://ex/a> <http://ex/balance> -1 .' }), { instanceOf: KnowdError });
  t.regex(veto.message, /no-overdraft/);

  // A follower loading a new version (its own directory, e.g. POST /v1/packs/reload there) forwards one entry.
  const r2 = await follower.engine.loadPacks([pack('bank', { 'main/hooks/v.json': VETO })], 'admin');
  t.deepEqual(r2.receipts.map((x) => [x.kind, x.added, x.removed]), [['pack', 0, 1]]);
  await Promise.all(members.map((m) => m.node.waitForApplied(r2.packs[0]!.logIndex)));
  for (const m of members) t.deepEqual(m.engine.packs()[0]!.items, [{ namespace: 'main', shapes: [], hooks: [{ id: 'no-overdraft', file: 'main/hooks/v.json' }] }], m.id);
  // The pack's shapes are gone from every replica: what they rejected now passes.
  await follower.engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: '<http://ex/a> a <http://ex/Account> ; <http://ex/balance> "x" .' });
});

test('the daemon loads KNOWD_PACKS at start-up; a restart with a broken pack keeps the loaded one and still starts', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-packsd-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const packs = path.join(dir, 'packs');
  fs.mkdirSync(path.join(packs, 'bank/default/hooks'), { recursive: true });
  fs.writeFileSync(path.join(packs, 'bank/default/hooks/v.json'), VETO);
  const start = () => startDaemon(loadConfig(['--data-dir', path.join(dir, 'data'), '--addr', '127.0.0.1:0', '--store', 'disk', '--discovery', 'off', '--packs', packs], {}), createLogger('silent'));
  const post = async (url: string, d: { url: string }, body: unknown) => fetch(`${d.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  let d = await start();
  try {
    t.deepEqual(d.engine.packs().map((p) => p.name), ['bank']);
    t.is((await post('/v1/tx', d, { add: '<http://ex/a> <http://ex/balance> -1 .' })).status, 422);
  } finally {
    await d.stop();
  }
  fs.writeFileSync(path.join(packs, 'bank/default/hooks/v.json'), '{ "id": ');
  d = await start();
  try {
    const st = (await (await fetch(`${d.url}/v1/packs`)).json()) as { packs: { name: string }[]; lastLoad: { ok: boolean; problems: { file: string }[] } };
    t.deepEqual(st.packs.map((p) => p.name), ['bank']);
    t.false(st.lastLoad.ok);
    t.deepEqual(st.lastLoad.problems.map((p) => p.file), ['bank/default/hooks/v.json']);
    t.is((await post('/v1/tx', d, { add: '<http://ex/a> <http://ex/balance> -1 .' })).status, 422, 'the old pack still vetoes');
  } finally {
    await d.stop();
  }
});
