/**
 * Vectors in a whole daemon on LMDB (in-process): queries run in worker threads, so knowd:similarTo
 * there goes through the bridge to the main thread's index; a restart loads the saved index and
 * answers exactly as before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../../../src/config/index.js';
import { startDaemon, type Daemon } from '../../../src/daemon/index.js';
import { createLogger } from '../../../src/obs/index.js';

interface Hits {
  readonly items: readonly { readonly id: string; readonly score: number }[];
}

async function post<T>(d: Daemon, url: string, body: unknown): Promise<T> {
  const res = await fetch(`${d.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

function start(dataDir: string): Promise<Daemon> {
  return startDaemon(loadConfig(['--data-dir', dataDir, '--addr', '127.0.0.1:0', '--store', 'disk'], {}), createLogger(process.env['VEC_LOG'] ?? 'silent'));
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('SPARQL extension in query workers; restart loads the saved index with identical results', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-vec-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rand = rng(7);
  const items = Array.from({ length: 300 }, (_, i) => ({ id: `http://ex/d${i}`, vector: Array.from({ length: 16 }, () => rand() - 0.5) }));
  const queries = Array.from({ length: 10 }, () => Array.from({ length: 16 }, () => rand() - 0.5));

  let d = await start(dir);
  await post(d, '/v1/tx', { add: '@prefix ex: <http://ex/> . ex:d1 a ex:Doc . ex:d2 a ex:Doc . ex:d3 a ex:Doc .' });
  await post(d, '/v1/vector/upsert', { items });
  const before = await Promise.all(queries.map((q) => post<Hits>(d, '/v1/similar', { vector: q, topK: 10 })));
  const sparql = `PREFIX knowd: <urn:knowd:> PREFIX ex: <http://ex/>
    SELECT ?doc ?score WHERE { ?doc knowd:similarTo <http://ex/d1> ; knowd:topK 300 ; knowd:score ?score . ?doc a ex:Doc } ORDER BY DESC(?score)`;
  const rows = await post<{ rows: { doc: string; score: string }[] }>(d, '/v1/query', { query: sparql });
  t.deepEqual(rows.rows.map((r) => r.doc).sort(), ['http://ex/d1', 'http://ex/d2', 'http://ex/d3']);
  t.is(rows.rows[0]!.doc, 'http://ex/d1');
  // text in a worker: embedded in the main thread (the built-in embedder has the index's dimension)
  const text = await post<{ rows: unknown[] }>(d, '/v1/query', { query: 'PREFIX knowd: <urn:knowd:> SELECT ?x WHERE { ?x knowd:similarTo "hello" ; knowd:topK 3 }' });
  t.is(text.rows.length, 3);
  await d.stop();
  t.true(fs.existsSync(path.join(dir, 'vectors', 'default.usearch')), 'the index was saved at stop');

  d = await start(dir);
  t.teardown(() => d.stop());
  const after = await Promise.all(queries.map((q) => post<Hits>(d, '/v1/similar', { vector: q, topK: 10 })));
  t.deepEqual(after, before);
});
