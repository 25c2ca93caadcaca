/**
 * Import batches: the encoded form, the worker that prepares it, and the one apply path every replica
 * takes for them (proposer with the worker's batch, follower from the logged text).
 */
import { Readable } from 'node:stream';
import test from 'ava';
import { FakeClock, KnowdError } from '../../../src/base/index.js';
import { createImportPreparer } from '../../../src/daemon/import-pool.js';
import { Engine, bulkImport } from '../../../src/engine/index.js';
import { DEFAULT_GRAPH_SLOT, decodeQuads, encodeQuads, prepareImportBatch } from '../../../src/engine/import-batch.js';
import { parseHook } from '../../../src/hooks/index.js';
import { createLogger } from '../../../src/obs/index.js';
import { encodeTerm, parseRdf } from '../../../src/rdf/index.js';
import { createEd25519Signer, deltaHash, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { openStandaloneEngine } from '../../../src/replication/node/index.js';
import { openMemoryStorage, type Storage } from '../../../src/storage/index.js';
import { awaitLeader, startMemoryCluster } from '../../helpers/memory-cluster.js';

const signer = createEd25519Signer(generateSigningKeyPem());

const NQ = [
  '<http://e/a> <http://e/p> "x" .',
  '<http://e/b> <http://e/p> <http://e/a> <http://e/g> .',
  '_:n <http://e/q> "x"@en .',
  '<http://e/a> <http://e/p> "x" .',
].join('\n') + '\n';

test('encodeQuads keeps terms in order of first appearance (s, p, o, g) and decodes back to the same quads', (t) => {
  const quads = parseRdf(NQ, { format: 'n-quads', blankNodePrefix: 'i1_', blankNodeMode: 'prefix' });
  const b = encodeQuads(quads);
  t.deepEqual(b.terms, ['http://e/a', 'http://e/p', '"x"', 'http://e/b', 'http://e/g', encodeTerm(quads[2]!.subject), 'http://e/q', '"x"@en']);
  t.deepEqual([...b.quads.slice(0, 8)], [0, 1, 2, DEFAULT_GRAPH_SLOT, 3, 1, 0, 4]);
  t.true(decodeQuads(b).every((q, i) => q.equals(quads[i]!)));
  t.deepEqual(decodeQuads(b, (k) => k === 1).map((q) => q.graph.value), ['http://e/g']);
});

test('prepareImportBatch: the hash is the receipt hash of the quads; a syntax error keeps its line in the whole input', async (t) => {
  const p = await prepareImportBatch({ text: NQ, format: 'n-quads', bnodePrefix: 'i1_', firstLine: 1, canonTimeoutMs: 5000 });
  const quads = parseRdf(NQ, { format: 'n-quads', blankNodePrefix: 'i1_', blankNodeMode: 'prefix' });
  t.is(p.deltaHash, await deltaHash(quads, []));
  const e = await t.throwsAsync(prepareImportBatch({ text: '<http://e/a> <http://e/p> .\n', format: 'n-triples', bnodePrefix: 'x', firstLine: 41, canonTimeoutMs: 5000 }), { instanceOf: KnowdError });
  t.is(e.code, 'RDF_SYNTAX');
  t.is(e.details['line'], 41);
});

test('the import worker prepares batches in another thread and hands errors back with their code and line', async (t) => {
  const prep = createImportPreparer(createLogger('silent'));
  t.teardown(() => prep.close());
  const inThread = await prepareImportBatch({ text: NQ, format: 'n-quads', bnodePrefix: 'i1_', firstLine: 1, canonTimeoutMs: 5000 });
  const viaWorker = await prep.prepare({ text: NQ, format: 'n-quads', bnodePrefix: 'i1_', firstLine: 1, canonTimeoutMs: 5000 });
  t.deepEqual(viaWorker.terms, inThread.terms);
  t.deepEqual([...viaWorker.quads], [...inThread.quads]);
  t.is(viaWorker.deltaHash, inThread.deltaHash);
  const e = await t.throwsAsync(prep.prepare({ text: 'ok\n', format: 'n-triples', bnodePrefix: 'x', firstLine: 7, canonTimeoutMs: 5000 }), { instanceOf: KnowdError });
  t.is(e.code, 'RDF_SYNTAX');
  t.is(e.details['line'], 7);
  await prep.close();
  await t.throwsAsync(prep.prepare({ text: NQ, format: 'n-quads', bnodePrefix: 'y', firstLine: 1, canonTimeoutMs: 5000 }), { instanceOf: KnowdError, message: /shutting down/ });
});

test.serial('an idle import worker is stopped, and the next batch starts a new one', async (t) => {
  // The diagnostic report lists this process's live worker threads (serial: no other test's are counted).
  const workers = (): number => (process.report.getReport() as { workers: unknown[] }).workers.length;
  const before = workers();
  const prep = createImportPreparer(createLogger('silent'), 100);
  t.teardown(() => prep.close());
  const req = { text: NQ, format: 'n-quads', bnodePrefix: 'i1_', firstLine: 1, canonTimeoutMs: 5000 } as const;
  const first = await prep.prepare(req);
  t.is(workers(), before + 1);
  await new Promise((r) => setTimeout(r, 400));
  t.is(workers(), before);
  const again = await prep.prepare(req);
  t.is(again.deltaHash, first.deltaHash);
  t.is(workers(), before + 1);
});

/**
 * Every row of the tables an import writes, so two stores can be compared exactly; of `meta`, the
 * dictionary's id allocators only (the raft state — vote, commit — is each node's own).
 */
function dump(storage: Storage): string[] {
  const nextId = Buffer.from('nextId/').toString('hex');
  return storage
    .read((r) => (['terms', 'ids', 'quads', 'counts', 'meta'] as const).flatMap((table) => [...r.scan(table, {})].map((e) => `${table} ${Buffer.from(e.key).toString('hex')} ${Buffer.from(e.value).toString('hex')}`)))
    .filter((row) => !row.startsWith('meta ') || row.startsWith(`meta ${nextId}`));
}

test('replicated: followers apply the logged text to the very same ids, quads and counters as the leader that used its encoded batch', async (t) => {
  const members = await startMemoryCluster(t, ['10.0.0.1:8091', '10.0.0.2:8091', '10.0.0.3:8091'], signer);
  const leader = await awaitLeader(members);
  await leader.engine.createNamespace('main', 't');
  // A tx first, so the import both meets known terms and allocates new ones.
  await leader.engine.transact({ namespace: 'main', format: 'n-triples', actor: 't', add: '<http://e/b> <http://e/p> "y" .\n' });
  const lines = Array.from({ length: 60 }, (_, i) => `<http://e/s${i % 17}> <http://e/p${i % 3}> "${i % 11}" <http://e/g${i % 2}> .`);
  lines.push('_:x <http://e/p> <http://e/b> .', '<http://e/b> <http://e/p> "y" .');
  const r = await bulkImport(leader.engine, Readable.from(lines.map((l) => `${l}\n`)), { namespace: 'main', format: 'n-quads', actor: 't', batchQuads: 20 });
  t.is(r.batches, 4);
  t.is(r.added, 61, 'the quad the tx added already is no change');
  const last = leader.node.raftStatus().commit;
  await Promise.all(members.map((m) => m.node.waitForApplied(last)));
  const want = dump(leader.engine.storage);
  for (const m of members) t.deepEqual(dump(m.engine.storage), want, `${m.id} holds what the leader holds`);
});

async function engine(): Promise<Engine> {
  const e = await openStandaloneEngine({ storage: openMemoryStorage(), signer, clock: new FakeClock(1_700_000_000_000), maxTxQuads: 1_000_000 });
  await e.createNamespace('main', 't');
  return e;
}

const SHAPES = `@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .`;

test('an import batch is validated against the shapes: a violating batch changes nothing, a conforming one lands', async (t) => {
  const e = await engine();
  await e.putShapes('main', SHAPES, 't');
  const bad = '<http://ex/p1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex/Person> .\n';
  const err = await t.throwsAsync(bulkImport(e, Readable.from([bad]), { namespace: 'main', format: 'n-triples', actor: 't' }), { instanceOf: KnowdError });
  t.is(err.code, 'REJECTED');
  const ns = e.namespace('main');
  t.is(e.read((r) => e.quads.stats(r, ns.id).quads), 0);
  const good = bad + '<http://ex/p1> <http://ex/name> "P1" .\n';
  const ok = await bulkImport(e, Readable.from([good]), { namespace: 'main', format: 'n-triples', actor: 't' });
  t.is(ok.added, 2);
});

test('an import batch runs pre hooks (veto) and post hooks (firing) with its effective delta', async (t) => {
  const e = await engine();
  await e.putHook(parseHook({ id: 'no-bad', phase: 'pre', condition: { ask: 'ASK { ?s <http://ex/bad> ?o }' } }, 'main'), 't');
  await e.putHook(parseHook({ id: 'seen', phase: 'post', condition: { select: 'SELECT ?o WHERE { <http://ex/a> <http://ex/ok> ?o }', delta: { op: '>', value: 1 } } }, 'main'), 't');
  const err = await t.throwsAsync(bulkImport(e, Readable.from(['<http://ex/a> <http://ex/bad> "1" .\n']), { namespace: 'main', format: 'n-triples', actor: 't' }), { instanceOf: KnowdError });
  t.is(err.code, 'REJECTED');
  t.is(err.details['hook'], 'no-bad');
  await bulkImport(e, Readable.from(['<http://ex/a> <http://ex/ok> "1" .\n<http://ex/a> <http://ex/ok> "2" .\n']), { namespace: 'main', format: 'n-triples', actor: 't' });
  t.is(e.firings('main', 'seen', 10).length, 1);
  // Re-importing the same quads changes nothing: the effective delta is empty, so nothing fires.
  await bulkImport(e, Readable.from(['<http://ex/a> <http://ex/ok> "1" .\n<http://ex/a> <http://ex/ok> "2" .\n']), { namespace: 'main', format: 'n-triples', actor: 't' });
  t.is(e.firings('main', 'seen', 10).length, 1);
});

test('an import allocates the same term ids as the same quads applied one by one in a transaction (stores written before this path replay alike)', async (t) => {
  const text = Array.from({ length: 40 }, (_, i) => `<http://e/s${i % 7}> <http://e/p${i % 3}> "${i % 5}" ${i % 4 === 0 ? '<http://e/g> ' : ''}.`).join('\n') + '\n';
  const a = await engine();
  await bulkImport(a, Readable.from([text]), { namespace: 'main', format: 'n-quads', actor: 't' });
  const b = await engine();
  await b.transact({ namespace: 'main', format: 'n-quads', actor: 't', add: text });
  t.deepEqual(dump(a.storage), dump(b.storage));
});
