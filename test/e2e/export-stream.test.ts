/** Whole graphs and namespaces leave the server as streams from one snapshot (real process, LMDB). */
import http from 'node:http';
import path from 'node:path';
import test from 'ava';
import { open } from 'lmdb';
import { Parser } from 'n3';
import { sendJson, startKnowd, tmpDir } from '../helpers/procs.js';

const TRIPLES = 60_000;
const data = Array.from({ length: TRIPLES }, (_, i) => `<http://e/s${i}> <http://e/p${i % 7}> "a value long enough to make the export several megabytes, number ${i}" .`).join('\n');

/** Starts a download, reads its first chunk, stops reading, and hangs up a little later. */
function stallThenHangUp(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { accept: 'application/n-quads' } }, (res) => {
      res.once('data', () => {
        res.pause();
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 15);
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
  });
}

/** Read transactions the knowd process holds open in its store (LMDB's reader table). */
function openReadTxns(dataDir: string, pid: number): number {
  const env = open({ path: path.join(dataDir, 'store'), readOnly: true });
  try {
    return env
      .readerList()
      .split('\n')
      .filter((l) => {
        const m = /^\s*(\d+)\s+\S+\s+(\S+)\s*$/.exec(l);
        return m !== null && Number(m[1]) === pid && m[2] !== '-';
      }).length;
  } finally {
    void env.close();
  }
}

test('clients that stop reading a graph download and hang up release its snapshot (GSP GET and /v1/admin/export)', async (t) => {
  // The export waited for 'drain' on a stream its client had left, for good: each such client kept a
  // read transaction (and an LMDB reader slot) until the process ended.
  t.timeout(180_000);
  const dataDir = path.join(tmpDir(t), 'data');
  const knowd = await startKnowd(t, { dataDir });
  const imported = await fetch(`${knowd.url}/v1/admin/import`, { method: 'POST', headers: { 'content-type': 'application/n-triples' }, body: data });
  t.is(imported.status, 200, await imported.text());
  const urls = [`${knowd.url}/store?default`, `${knowd.url}/store`, `${knowd.url}/v1/admin/export`];
  for (let i = 0; i < 60; i++) {
    await stallThenHangUp(urls[i % urls.length]!);
    // A write between downloads: each one reads a snapshot of its own.
    const w = await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: `<http://e/n${i}> <http://e/p> "w" .`, format: 'n-triples' });
    t.is(w.status, 200);
  }
  let open = Infinity;
  for (let tries = 0; tries < 50 && open > 1; tries++) {
    await new Promise((r) => setTimeout(r, 100));
    open = openReadTxns(dataDir, knowd.pid);
  }
  t.true(open <= 1, `${open} read transactions still open after the clients left`);
  // And a whole download still works.
  const res = await fetch(`${knowd.url}/store?default`, { headers: { accept: 'application/n-triples' } });
  t.is(res.status, 200);
  const quads = new Parser({ format: 'N-Triples' }).parse(await res.text());
  t.is(quads.length, TRIPLES + 60);
});

test('GET /store answers JSON-LD for a graph and for the whole dataset', async (t) => {
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  const put = await fetch(`${knowd.url}/store?graph=${encodeURIComponent('http://e/g')}`, { method: 'PUT', headers: { 'content-type': 'text/turtle' }, body: '<http://e/a> <http://e/b> "x"@en .' });
  t.true(put.status === 200 || put.status === 201);
  t.is((await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: '<http://e/c> <http://e/d> <http://e/e> .', format: 'n-triples' })).status, 200);
  const graph = await fetch(`${knowd.url}/store?graph=${encodeURIComponent('http://e/g')}`, { headers: { accept: 'application/ld+json' } });
  t.is(graph.status, 200);
  t.regex(graph.headers.get('content-type') ?? '', /^application\/ld\+json/);
  const g = JSON.stringify(await graph.json());
  t.true(g.includes('http://e/a') && g.includes('"x"') && g.includes('"en"'), g);
  const all = await fetch(`${knowd.url}/store`, { headers: { accept: 'application/ld+json' } });
  t.is(all.status, 200);
  const a = JSON.stringify(await all.json());
  t.true(a.includes('http://e/g') && a.includes('http://e/c'), a);
  t.is((await fetch(`${knowd.url}/store`, { headers: { accept: 'text/turtle' } })).status, 406, 'a dataset has no Turtle form');
});
