/** A client that disconnects stops its query (real process, loopback). */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { sendJson, startKnowd, tmpDir } from '../helpers/procs.js';

/** Posts a query on a connection of its own and hangs up after `afterMs`, without reading the answer. */
function hangUp(url: string, query: string, afterMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const req = http.request(`${url}/sparql`, { method: 'POST', headers: { 'content-type': 'application/sparql-query' }, agent: false });
    req.on('error', () => undefined);
    req.end(query);
    setTimeout(() => {
      req.destroy();
      resolve();
    }, afterMs);
  });
}

test('disconnecting from a streaming query cancels it on the server', async (t) => {
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  const lines = Array.from({ length: 400 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" .`).join('\n');
  const tx = await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: lines, format: 'n-triples' });
  t.is(tx.status, 200);
  // 400^3 = 64 million rows: far more than the client will wait for.
  const query = 'SELECT * WHERE { ?a <http://e/p> ?x . ?b <http://e/p> ?y . ?c <http://e/p> ?z }';
  await new Promise<void>((resolve, reject) => {
    const req = http.request(`${knowd.url}/sparql`, { method: 'POST', headers: { 'content-type': 'application/sparql-query', accept: 'text/tab-separated-values' } }, (res) => {
      let got = 0;
      res.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got > 100_000) {
          req.destroy();
          resolve();
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end(query);
  });
  const deadline = Date.now() + 10_000;
  let cancelled = false;
  while (Date.now() < deadline && !cancelled) {
    const m = await (await fetch(`${knowd.url}/metrics`)).text();
    cancelled = /knowd_queries_total\{outcome="cancelled"\} 1/.test(m);
    if (!cancelled) await new Promise((r) => setTimeout(r, 100));
  }
  t.true(cancelled, 'the server counted the query as cancelled');
  // And the server is free again.
  const res = await fetch(`${knowd.url}/healthz`);
  t.is(res.status, 200);
});

test('a long query runs in a worker: other requests are served meanwhile, and its time limit stops it', async (t) => {
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  const lines = Array.from({ length: 500 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" .`).join('\n');
  t.is((await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: lines, format: 'n-triples' })).status, 200);
  // Workers start on demand, and starting one under CI's load took seconds: the small query below
  // then came after the long one's limit. Two queries at once start two, which stay for the next.
  const small = { query: 'SELECT * WHERE { <http://e/s1> ?p ?o }' };
  const warm = await Promise.all([sendJson<unknown>(`${knowd.url}/v1/query`, 'POST', small), sendJson<unknown>(`${knowd.url}/v1/query`, 'POST', small)]);
  t.deepEqual(warm.map((r) => r.status), [200, 200]);
  // 500^3 rows, none of which passes the filter: nothing comes out until it is done, and nothing is
  // held in memory (a COUNT(*) would hold its rows, and a fast evaluator could then hit the memory
  // bound, 413, before the time limit), so it holds a single thread for seconds.
  const slow = sendJson<{ error?: { code: string } }>(`${knowd.url}/v1/query`, 'POST', {
    query: 'SELECT * WHERE { ?a <http://e/p> ?x . ?b <http://e/p> ?y . ?c <http://e/p> ?z . FILTER(STR(?z) = "none") }',
    timeoutMs: 6000,
  });
  let slowDone = false;
  void slow.then(() => (slowDone = true));
  await new Promise((r) => setTimeout(r, 300));
  const health = await fetch(`${knowd.url}/healthz`);
  t.is(health.status, 200);
  const q = await sendJson<{ rows: unknown[] }>(`${knowd.url}/v1/query`, 'POST', small);
  t.is(q.status, 200);
  // Ordering, not timing: both answers came while the long query was still running.
  t.false(slowDone, 'the other requests waited for the long query');
  const res = await slow;
  t.is(res.status, 408);
  t.is(res.body.error?.code, 'QUERY_TIMEOUT');
});

test('queries that stop early (ASK, LIMIT) between writes do not use up LMDB reader slots', async (t) => {
  // Each stopped query used to leave its index scans open, each pinning the read transaction of
  // its moment; with writes in between every one was a new transaction, and after about 130 of
  // them every query answered 500 MDB_READERS_FULL.
  t.timeout(120_000);
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  const lines = Array.from({ length: 50 }, (_, i) => `<http://e/s${i}> <http://e/p> <http://e/o${i % 5}> .\n<http://e/o${i % 5}> <http://e/q> "${i}" .`).join('\n');
  t.is((await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: lines, format: 'n-triples' })).status, 200);
  const queries = ['ASK { ?s <http://e/p> ?o . ?o <http://e/q> ?v }', 'SELECT * { ?s <http://e/p> ?o . ?o <http://e/q> ?v } LIMIT 1'];
  for (let i = 0; i < 300; i++) {
    const q = await fetch(`${knowd.url}/sparql`, { method: 'POST', headers: { 'content-type': 'application/sparql-query', accept: 'application/sparql-results+json' }, body: queries[i % 2]! });
    const body = await q.text();
    if (q.status !== 200) return t.fail(`query ${i} answered ${q.status}: ${body.slice(0, 300)}`);
    const w = await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: `<http://e/n${i}> <http://e/p> <http://e/o1> .`, format: 'n-triples' });
    if (w.status !== 200) return t.fail(`write ${i} answered ${w.status}`);
  }
  t.pass();
});

/**
 * A streaming query whose client reads a little and then stops reading: the server's answer waits
 * for the socket to drain. `hangUp` then disconnects; otherwise the client stays, silent.
 */
function stallingClient(url: string, query: string, hangUpAfterMs: number | undefined): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/query/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.once('data', () => {
        res.pause();
        if (hangUpAfterMs !== undefined) setTimeout(() => req.destroy(), hangUpAfterMs);
        resolve(() => req.destroy());
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end(JSON.stringify({ query, timeoutMs: 1500 }));
  });
}

async function wideData(t: ExecutionContext): Promise<string> {
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  const lines = Array.from({ length: 300 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" .`).join('\n');
  t.is((await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: lines, format: 'n-triples' })).status, 200);
  return knowd.url;
}

const WIDE = 'SELECT * WHERE { ?a <http://e/p> ?x . ?b <http://e/p> ?y }';

test('clients that stop reading a streamed answer and then hang up do not keep their query workers', async (t) => {
  // The answer waited for 'drain' on a socket that was gone, so the query never ended: after as
  // many such clients as there are query workers every later query waited for good (found by the soak).
  const url = await wideData(t);
  for (let i = 0; i < 4; i++) await stallingClient(url, WIDE, 300);
  await new Promise((r) => setTimeout(r, 500));
  const q = await sendJson<{ boolean?: boolean }>(`${url}/v1/query`, 'POST', { query: 'ASK { ?s ?p ?o }', timeoutMs: 5000 });
  t.is(q.status, 200);
  t.true(q.body.boolean);
});

test('clients that stop reading but stay connected give their workers back at the time limit', async (t) => {
  // The watchdog terminated such a worker, but the queries queued for a worker were only handed
  // one when the stalled answer's generator resumed, which it never did.
  const url = await wideData(t);
  const stalled: (() => void)[] = [];
  for (let i = 0; i < 4; i++) stalled.push(await stallingClient(url, WIDE, undefined));
  t.teardown(() => stalled.forEach((hangUp) => hangUp()));
  // Each stalled query's limit is 1.5 s (+5 s watchdog); this one waits for a worker meanwhile.
  const q = await sendJson<{ boolean?: boolean }>(`${url}/v1/query`, 'POST', { query: 'ASK { ?s ?p ?o }', timeoutMs: 5000 });
  t.is(q.status, 200);
  t.true(q.body.boolean);
});

/** Descriptors of a process that are not sockets (files, pipes, eventfds). */
function nonSocketFds(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (!fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // Closed meanwhile.
    }
  }
  return n;
}

test('clients that hang up while a fresh query worker is still loading leak no file descriptors', async (t) => {
  // Each hang-up terminates the query's worker and starts another; terminating a worker while its
  // ES modules load left the .js files being read open (the soak saw +43 descriptors after 30).
  t.timeout(120_000);
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  const lines = Array.from({ length: 300 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" .`).join('\n');
  t.is((await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: lines, format: 'n-triples' })).status, 200);
  t.is((await sendJson<unknown>(`${knowd.url}/v1/query`, 'POST', { query: 'ASK { ?s ?p ?o }' })).status, 200);
  await new Promise((r) => setTimeout(r, 1000));
  const before = nonSocketFds(knowd.pid);
  const heavy = 'SELECT * WHERE { ?a <http://e/p> ?x . ?b <http://e/p> ?y . ?c <http://e/p> ?z . FILTER(CONCAT(STR(?x), STR(?y), STR(?z)) = "none") }';
  for (let i = 0; i < 24; i++) {
    // From "at once" to "well after a worker has loaded": some hang-ups land mid-load on any machine.
    await hangUp(knowd.url, heavy, 30 + (i % 8) * 40);
  }
  // The last workers load and are terminated, then the descriptors are counted again.
  const deadline = Date.now() + 20_000;
  let after = nonSocketFds(knowd.pid);
  while (after > before + 3 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    after = nonSocketFds(knowd.pid);
  }
  t.true(after <= before + 3, `non-socket descriptors went from ${before} to ${after}`);
  t.is((await sendJson<unknown>(`${knowd.url}/v1/query`, 'POST', { query: 'ASK { ?s ?p ?o }' })).status, 200);
});

test('a query that waits while every query worker was stopped mid-load is still answered', async (t) => {
  // Workers stopped while loading count as live until they have loaded and are terminated; a query
  // that queued meanwhile was handed a worker only by a release or a stop, and none came: it waited
  // for good (the soak saw four queries unanswered for a minute, and no query worker left).
  t.timeout(120_000);
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  const lines = Array.from({ length: 300 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" .`).join('\n');
  t.is((await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: lines, format: 'n-triples' })).status, 200);
  const heavy = 'SELECT * WHERE { ?a <http://e/p> ?x . ?b <http://e/p> ?y . ?c <http://e/p> ?z . FILTER(CONCAT(STR(?x), STR(?y), STR(?z)) = "none") }';
  for (let round = 0; round < 12; round++) {
    // Each hang-up stops a worker (often a fresh one, still loading); a query then waits for one.
    await Promise.all([hangUp(knowd.url, heavy, 60 + round * 25), hangUp(knowd.url, heavy, 90 + round * 25), hangUp(knowd.url, heavy, 120 + round * 25)]);
    const q = await sendJson<{ boolean?: boolean }>(`${knowd.url}/v1/query`, 'POST', { query: 'ASK { ?s ?p ?o }', timeoutMs: 5000 });
    if (q.status !== 200) return t.fail(`round ${round}: ${q.status}`);
  }
  t.pass();
});

test('a query that waits for a worker past its time limit answers 408 then, not after a run that starts late', async (t) => {
  // The time limit used to start when a worker took the query: behind long queries, a query with a
  // 1 s limit waited for seconds and then ran for its full second.
  t.timeout(120_000);
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t), 'data') });
  const lines = Array.from({ length: 400 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i}" .`).join('\n');
  t.is((await sendJson<unknown>(`${knowd.url}/v1/tx`, 'POST', { add: lines, format: 'n-triples' })).status, 200);
  // Four (the most query workers a node starts) long queries, each held until its 8 s limit.
  const long = Array.from({ length: 4 }, () =>
    sendJson<{ error?: { code: string } }>(`${knowd.url}/v1/query`, 'POST', {
      query: 'SELECT * WHERE { ?a <http://e/p> ?x . ?b <http://e/p> ?y . ?c <http://e/p> ?z . FILTER(STR(?z) = "none") }',
      timeoutMs: 8000,
    }),
  );
  let longDone = 0;
  for (const l of long) void l.then(() => longDone++);
  await new Promise((r) => setTimeout(r, 500));
  const queued = await sendJson<{ error?: { code: string; message: string } }>(`${knowd.url}/v1/query`, 'POST', { query: 'ASK { ?s ?p ?o }', timeoutMs: 1000 });
  t.is(queued.status, 408);
  t.is(queued.body.error?.code, 'QUERY_TIMEOUT');
  t.regex(queued.body.error?.message ?? '', /waited for a query worker/);
  t.is(longDone, 0, 'the queued query was answered while every worker was still busy');
  for (const r of await Promise.all(long)) t.is(r.status, 408);
  // The workers are free again.
  const after = await sendJson<{ boolean?: boolean }>(`${knowd.url}/v1/query`, 'POST', { query: 'ASK { ?s ?p ?o }', timeoutMs: 5000 });
  t.is(after.status, 200);
});
