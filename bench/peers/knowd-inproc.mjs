// Engine adapter for bench/peers/worker.mjs: Knowd's own query engine called in-process, no HTTP and no
// query-worker hop, so that it can be compared with in-process oxigraph (issue 3: "in-process engine
// geomean ≤ 0.7× oxigraph's"). It runs the compiled code in dist/ (npm run build), as the `knowd` engine does.
//
//   KNOWD_INPROC_DIR=<dir>   the data directory (the parent creates and removes it). After a successful load,
//                            <dir>/loaded.json records the file and triple count; a later process with the same
//                            <dir> (a restart after a timeout) opens the store instead of loading again.
//
// Load: the server's path for POST /v1/admin/import. An LMDB store in <dir> (tuned from this machine as the
// daemon's default is), an engine on a replication node of one (what single mode runs), the default namespace,
// then bulkImport() of the gunzipped N-Triples stream: 50,000-triple batches, each one log entry, one signed
// receipt and one durable commit. SHACL and hooks stay on, as in the server (no shapes or hooks are loaded).
// The engine is then stopped and the store closed.
//
// Queries: as a query worker of the server runs them (src/daemon/query-worker.ts): the store opened
// read-only, a fresh QuadStore with the worker's 100,000-entry dictionary cache, and per query one read
// snapshot in which the text is parsed (the parse cache of query-job.ts), evaluated over the
// QueryableDataset view of the namespace, and its rows pulled. Rows come out as RDF/JS terms (decoded
// ids), like oxigraph's array of JS terms; they are counted, not serialized.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { URL } from 'node:url';
import zlib from 'node:zlib';
import { pkgVersion } from './common.mjs';

const DIST = new URL('../../dist/src/', import.meta.url);
const dist = (p) => import(new URL(p, DIST).href);

const [{ systemClock }, { createEd25519Signer, generateSigningKeyPem }, { openLmdbStorage }, { openStandalone }, { bulkImport, parseCached }, { queryableDataset }, { Dictionary, QuadStore, requireNamespace }, { executeQuery }] =
  await Promise.all([
    dist('base/index.js'),
    dist('receipts/index.js'),
    dist('storage/lmdb/index.js'),
    dist('replication/node/standalone.js'),
    dist('engine/index.js'),
    dist('engine/queryable.js'),
    dist('dataset/index.js'),
    dist('sparql/index.js'),
  ]);

export const name = 'knowd-inproc';
const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
export const version = `knowd ${pkg.version} in-process (dist built ${new Date(fs.statSync(new URL('cli/knowd.js', DIST)).mtimeMs).toISOString()}; lmdb ${pkgVersion('lmdb')})`;

const NAMESPACE = 'default';
/** The server's defaults: KNOWD_CLUSTER_READ_TIMEOUT 30 s, MAX_HELD_VALUES of routes/sparql.ts. */
const TIMEOUT_MS = 30_000;
const MAX_HELD_VALUES = 20_000_000;

const dir = process.env['KNOWD_INPROC_DIR'] ?? '';
if (dir === '') throw new Error('knowd-inproc needs KNOWD_INPROC_DIR');
const marker = path.join(dir, 'loaded.json');

let storage;
let quads;
let nsId;
/** True when this process opened a store an earlier process had loaded. */
export let reused = false;

async function importFile(file) {
  const store = openLmdbStorage({ path: dir });
  const { engine, node } = await openStandalone({ storage: store, signer: createEd25519Signer(generateSigningKeyPem()), clock: systemClock, maxTxQuads: 1_000_000 });
  try {
    await engine.ensureNamespace(NAMESPACE);
    const input = new PassThrough({ highWaterMark: 1 << 20 });
    const feed = pipeline(fs.createReadStream(file), ...(file.endsWith('.gz') ? [zlib.createGunzip()] : []), input);
    const r = await bulkImport(engine, input, { namespace: NAMESPACE, format: 'n-triples', actor: 'bench' });
    await feed;
    return r.quads;
  } finally {
    await node.stop();
    await store.close();
  }
}

export async function load(file) {
  let triples;
  if (fs.existsSync(marker) && JSON.parse(fs.readFileSync(marker, 'utf8')).file === file) {
    reused = true;
    triples = JSON.parse(fs.readFileSync(marker, 'utf8')).triples;
  } else {
    triples = await importFile(file);
    fs.writeFileSync(marker, JSON.stringify({ file, triples }));
  }
  storage = openLmdbStorage({ path: dir, readOnly: true });
  quads = new QuadStore(new Dictionary(100_000));
  nsId = storage.read((txn) => requireNamespace(txn, NAMESPACE).id);
  return triples;
}

export async function count(query) {
  const now = Date.now();
  const opts = { deadlineMs: now + TIMEOUT_MS, timeoutMs: TIMEOUT_MS, maxHeldValues: MAX_HELD_VALUES, nowMs: Date.now };
  return storage.read((txn) => {
    const result = executeQuery(parseCached(query), queryableDataset(quads, txn, nsId), opts);
    if (result.kind === 'boolean') return 1;
    let n = 0;
    if (result.kind === 'bindings') for (const _ of result.rows) n++;
    else for (const _ of result.quads) n++;
    return n;
  });
}
