/**
 * Answers cross from a query worker in chunks (about 64 Ki characters), the last one together with
 * the end of the job: every answer arrives whole and in order, whatever its number of chunks.
 */
import path from 'node:path';
import test from 'ava';
import { sendJson, startKnowd, tmpDir } from '../helpers/procs.js';

const N = 4000;
const pad = 'x'.repeat(60);
const label = (i: number): string => `v${String(i).padStart(5, '0')}-${pad}`;

test('answers of zero, one and many chunks arrive whole and in order, in every format', async (t) => {
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  // Shuffled, so that ORDER BY has something to do.
  const ids = Array.from({ length: N }, (_, i) => (i * 7919) % N);
  const lines = ids.map((i) => `<http://e/s${i}> <http://e/p> "${label(i)}" .`).join('\n');
  t.is((await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: lines, format: 'n-triples' })).status, 200);

  const sparql = async (query: string, accept: string): Promise<{ status: number; text: string; length: string | null }> => {
    const res = await fetch(`${knowd.url}/sparql`, { method: 'POST', headers: { 'content-type': 'application/sparql-query', accept }, body: query });
    return { status: res.status, text: await res.text(), length: res.headers.get('content-length') };
  };

  // ~280 KB of TSV: four chunks or more.
  const all = await sparql('SELECT ?o WHERE { ?s <http://e/p> ?o } ORDER BY ?o', 'text/tab-separated-values');
  t.is(all.status, 200);
  t.true(all.text.length > 4 * 65536, `the answer is ${all.text.length} characters`);
  const rows = all.text.trimEnd().split('\n');
  t.is(rows[0], '?o');
  t.deepEqual(rows.slice(1), Array.from({ length: N }, (_, i) => `"${label(i)}"`));

  const json = await sparql('SELECT ?s ?o WHERE { ?s <http://e/p> ?o }', 'application/sparql-results+json');
  t.is(json.status, 200);
  t.is((JSON.parse(json.text) as { results: { bindings: unknown[] } }).results.bindings.length, N);

  // One chunk: sent whole, with its length.
  const one = await sparql('SELECT ?o WHERE { <http://e/s7> <http://e/p> ?o }', 'text/tab-separated-values');
  t.is(one.text, `?o\n"${label(7)}"\n`);
  t.is(one.length, String(Buffer.byteLength(one.text)));
  const none = await sparql('SELECT ?o WHERE { <http://e/nothing> <http://e/p> ?o }', 'text/csv');
  t.is(none.text, 'o\r\n');
  const ask = await sparql('ASK { <http://e/s1> ?p ?o }', 'application/sparql-results+json');
  t.true((JSON.parse(ask.text) as { boolean: boolean }).boolean);

  // NDJSON: the row lines, then the stats line.
  const stream = await fetch(`${knowd.url}/v1/query/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'SELECT ?o WHERE { ?s <http://e/p> ?o } ORDER BY DESC(?o)' }) });
  const nd = (await stream.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { o?: string; stats?: { rows: number } });
  t.is(nd.length, N + 1);
  t.is(nd[0]!.o, label(N - 1));
  t.is(nd[N - 1]!.o, label(0));
  t.is(nd[N]!.stats?.rows, N);

  // Many one-chunk answers in a row: each worker went back to the pool after its job.
  for (let i = 0; i < 30; i++) {
    const r = await sendJson<{ rows: { o: string }[] }>(`${knowd.url}/v1/query`, 'POST', { query: `SELECT ?o WHERE { <http://e/s${i}> <http://e/p> ?o }` });
    t.deepEqual(r.body.rows, [{ o: label(i) }]);
  }
});
