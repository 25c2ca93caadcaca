/**
 * Crash safety: SIGKILL the daemon in the middle of a bulk import, restart it on the same data
 * directory, and check that every committed batch is complete, nothing is half-applied, the log and
 * the store agree, every receipt verifies, and the store still takes writes. Three seeded kill points
 * (replay one with KNOWD_TEST_SEED=<printed seed>).
 */
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import test from 'ava';
import type { Receipt } from '../../src/receipts/index.js';
import { seededRandom, testSeed } from '../helpers/random.js';
import type { ClusterStatus, StoreStats, TxResponse, VerifyResponse } from '../helpers/http-app.js';
import { getJson, sendJson, startKnowd, tmpDir } from '../helpers/procs.js';
import { SINGLE_NODE_IMPORT_BATCH } from '../../src/api/http/routes/admin.js';

/** The server commits imports in batches of this many quads (a single node's, routes/admin.ts). */
const BATCH = SINGLE_NODE_IMPORT_BATCH;
const TRIPLES = 6 * BATCH;
const LINES_PER_CHUNK = 2_000;
const SEED = testSeed(20_241_127);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** N-Triples, generated lazily so the body streams (and the server parses as it arrives). */
function* ntriples(): Generator<Buffer> {
  for (let i = 0; i < TRIPLES; i += LINES_PER_CHUNK) {
    let s = '';
    for (let j = i; j < Math.min(i + LINES_PER_CHUNK, TRIPLES); j++) s += `<http://crash.example/s${j}> <http://crash.example/p${j % 11}> "value ${j}" .\n`;
    yield Buffer.from(s);
  }
}

interface ImportOutcome {
  readonly completed: boolean;
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

/** Starts POST /v1/admin/import; resolves when it ends, by completion or by the server dying. */
function startImport(port: number, onTeardown: (fn: () => void) => void): Promise<ImportOutcome> {
  return new Promise((resolve) => {
    const body = Readable.from(ntriples());
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/admin/import?format=n-triples&actor=crash-test', agent: false, headers: { 'content-type': 'application/n-triples' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ completed: res.statusCode === 200, status: res.statusCode ?? 0, body: text }));
      res.on('error', (e) => resolve({ completed: false, error: e.message }));
    });
    req.on('error', (e) => {
      body.destroy();
      resolve({ completed: false, error: e.message });
    });
    onTeardown(() => {
      body.destroy();
      req.destroy();
    });
    body.pipe(req);
  });
}

for (let i = 0; i < 3; i++) {
  const seed = SEED + i;
  test.serial(`SIGKILL during a bulk import leaves whole batches only (kill point ${i + 1}, seed ${seed})`, async (t) => {
    const random = seededRandom(seed);
    const afterBatches = 1 + Math.floor(random() * 3); // 1..3 of the 6 batches
    const extraDelayMs = Math.floor(random() * 900); // a batch takes about a second to parse, hash and commit
    t.log(`seed ${seed}: SIGKILL after ${afterBatches} committed batch(es) + ${extraDelayMs} ms`);

    const dataDir = path.join(tmpDir(t, 'knowd-crash-'), 'data');
    const node = await startKnowd(t, { dataDir });
    const base = (await getJson<ClusterStatus>(`${node.url}/v1/cluster/status`)).commitIndex;

    let importDone = false;
    const imported = startImport(node.port, (fn) => t.teardown(fn)).then((o) => {
      importDone = true;
      return o;
    });
    const deadline = Date.now() + 30_000;
    let committed = base;
    while (committed < base + afterBatches && !importDone && Date.now() < deadline) {
      try {
        committed = (await getJson<ClusterStatus>(`${node.url}/v1/cluster/status`)).commitIndex;
      } catch {
        // The server is busy committing; ask again.
      }
      if (committed < base + afterBatches) await sleep(25);
    }
    t.true(committed >= base + afterBatches, `only ${committed - base} batches committed before the deadline`);
    await sleep(extraDelayMs);
    const exit = await node.signal('SIGKILL');
    t.is(exit.signal, 'SIGKILL');
    const outcome = await imported;
    t.false(outcome.completed, `the import finished before the kill (${outcome.body ?? ''}): pick an earlier kill point`);

    // Restart on the same data directory.
    const again = await startKnowd(t, { dataDir });
    const status = await getJson<ClusterStatus>(`${again.url}/v1/cluster/status`);
    t.is(status.appliedIndex, status.commitIndex, 'log and store agree');
    t.true(status.commitIndex >= base + afterBatches, 'committed batches survived');
    const stats = await getJson<StoreStats>(`${again.url}/v1/store/stats`);
    const quads = stats.namespaces.find((n) => n.name === 'default')?.quads ?? -1;
    const { receipts } = await getJson<{ receipts: Receipt[] }>(`${again.url}/v1/receipts/search?limit=10000`);
    const added = receipts.reduce((sum, r) => sum + r.added, 0);
    t.log(`after restart: ${receipts.length} receipts, ${quads} quads, commit index ${status.commitIndex}`);
    t.is(quads, added, 'quads in the store = sum of added over the receipts');
    t.is(quads % BATCH, 0, 'only whole batches');
    // One receipt per committed import entry; the restarted node's own entry is its new term's no-op.
    t.is(receipts.length, status.commitIndex - base - 1, 'one receipt per committed log entry');
    t.true(receipts.every((r) => r.kind === 'import' && r.added === BATCH && r.actor === 'crash-test'));

    // The receipts chain and each one verifies against its logged delta.
    const byIndex = [...receipts].sort((a, b) => a.logIndex - b.logIndex);
    byIndex.forEach((r, k) => {
      if (k > 0) t.is(r.prevHash, byIndex[k - 1]!.hash, `${r.id} chains onto its predecessor`);
    });
    for (const r of byIndex) {
      const v = await getJson<VerifyResponse>(`${again.url}/v1/receipts/${encodeURIComponent(r.id)}/verify`);
      t.true(v.valid, `${r.id}: ${v.reason ?? ''}`);
    }

    // Still writable, and the new receipt continues the chain.
    const tx = await sendJson<TxResponse>(`${again.url}/v1/tx`, 'POST', { add: '<http://crash.example/after> <http://crash.example/p> "ok" .', format: 'n-triples' });
    t.is(tx.status, 200);
    t.is(tx.body.receipt.prevHash, byIndex[byIndex.length - 1]?.hash ?? '(no receipt)');
    const after = await getJson<StoreStats>(`${again.url}/v1/store/stats`);
    t.is(after.namespaces.find((n) => n.name === 'default')?.quads, quads + 1);
    const st2 = await getJson<ClusterStatus>(`${again.url}/v1/cluster/status`);
    t.is(st2.appliedIndex, st2.commitIndex);
  });
}
