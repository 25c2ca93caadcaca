/** Bulk import: batching, blank nodes across batches, error line numbers, and committed prefixes. */
import { Readable } from 'node:stream';
import test from 'ava';
import { FakeClock, KnowdError } from '../../../src/base/index.js';
import { Engine, bulkImport } from '../../../src/engine/index.js';
import { parseHook } from '../../../src/hooks/index.js';
import { openStandaloneEngine } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';

const signer = createEd25519Signer(generateSigningKeyPem());

async function engine(): Promise<Engine> {
  const e = await openStandaloneEngine({ storage: openMemoryStorage(), signer, clock: new FakeClock(1), maxTxQuads: 1_000_000 });
  await e.createNamespace('main', 'tester');
  return e;
}

/** Feeds text in small uneven chunks, so batch cuts fall inside lines. */
function chunked(text: string, size = 7): Readable {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return Readable.from(parts.map((p) => Buffer.from(p)));
}

for (const format of ['n-triples', 'turtle'] as const) {
  test(`${format}: batches commit one receipt each and a blank node spanning batches stays one node`, async (t) => {
    const e = await engine();
    const lines = Array.from({ length: 25 }, (_, i) => `<http://e/s${i}> <http://e/p> _:shared .`);
    lines.push('# a comment', '', '_:shared <http://e/name> "the one" .');
    const r = await bulkImport(e, chunked(lines.join('\n') + '\n'), { namespace: 'main', format, actor: 'loader', batchQuads: 10 });
    t.is(r.quads, 26);
    t.is(r.added, 26);
    t.true(r.batches >= 3);
    t.is(r.receipts.length, r.batches);
    const ns = e.namespace('main');
    const objects = e.read((rd) => [...e.quads.matchTerms(rd, ns.id, null, null, null, 'all')].filter((q) => q.object.termType === 'BlankNode').map((q) => q.object.value));
    t.is(new Set(objects).size, 1, 'one blank node across all batches');
    const subjects = e.read((rd) => [...e.quads.matchTerms(rd, ns.id, null, null, null, 'all')].filter((q) => q.subject.termType === 'BlankNode').map((q) => q.subject.value));
    t.deepEqual(subjects, [objects[0]]);
  });
}

test('a syntax error deep in the input names its line in the whole input, and earlier batches stay', async (t) => {
  const e = await engine();
  const lines = Array.from({ length: 30 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" .`);
  lines[24] = '<http://e/broken> <http://e/p> "unterminated .';
  const err = await t.throwsAsync(bulkImport(e, chunked(lines.join('\n') + '\n'), { namespace: 'main', format: 'n-triples', actor: 'x', batchQuads: 10 }));
  t.true(err instanceof KnowdError);
  const ke = err as KnowdError;
  t.is(ke.code, 'RDF_SYNTAX');
  t.is(ke.details['line'], 25);
  t.is(ke.details['committedBatches'], 2);
  const ns = e.namespace('main');
  t.is(e.read((rd) => e.quads.stats(rd, ns.id).quads), 20, 'the two whole batches before the error are committed, nothing of the third');
});

test('a re-import of the same file adds nothing', async (t) => {
  const e = await engine();
  const text = Array.from({ length: 15 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" <http://e/g> .`).join('\n') + '\n';
  await bulkImport(e, chunked(text), { namespace: 'main', format: 'n-quads', actor: 'x', batchQuads: 4 });
  const again = await bulkImport(e, chunked(text), { namespace: 'main', format: 'n-quads', actor: 'x', batchQuads: 4 });
  t.is(again.quads, 15);
  t.is(again.added, 0);
});

test('a batch rejected when it applies stops the load: the batch already in flight behind it is refused, the ones before stay', async (t) => {
  const e = await engine();
  await e.putHook(parseHook({ id: 'no-bad', phase: 'pre', condition: { ask: 'ASK { ?s <http://e/bad> ?o }' } }, 'main'), 't');
  // Batches of 10: the second holds the vetoed quad; the third and fourth are clean.
  const lines = Array.from({ length: 40 }, (_, i) => (i === 15 ? '<http://e/x> <http://e/bad> "1" .' : `<http://e/s${i}> <http://e/p> "${i}" .`));
  for (const format of ['n-triples', 'turtle'] as const) {
    const err = await t.throwsAsync(bulkImport(e, chunked(lines.join('\n') + '\n'), { namespace: 'main', format, actor: 'x', batchQuads: 10 }), { instanceOf: KnowdError });
    t.is(err.code, 'REJECTED', format);
    t.is(err.details['hook'], 'no-bad', format);
    t.is(err.details['committedBatches'], 1, format);
    const ns = e.namespace('main');
    const subjects = e.read((rd) => [...e.quads.matchTerms(rd, ns.id, null, null, null, 'all')].map((q) => q.subject.value)).sort();
    t.deepEqual(subjects, Array.from({ length: 10 }, (_, i) => `http://e/s${i}`).sort(), `${format}: only the first batch`);
  }
  // The marker of each load goes with its namespace.
  await e.deleteNamespace('main', 't');
  await e.createNamespace('main', 't');
  const ok = await bulkImport(e, chunked(lines.filter((_, i) => i !== 15).join('\n') + '\n'), { namespace: 'main', format: 'n-triples', actor: 'x', batchQuads: 10 });
  t.is(ok.added, 39);
});
