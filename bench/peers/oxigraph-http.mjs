// A minimal SPARQL 1.1 Protocol server around oxigraph's in-memory Store, for bench/lubm-queries.ts:
// the HTTP peer of Knowd, queried by the same HTTP client. Plain .mjs run by plain `node`.
//
//   node bench/peers/oxigraph-http.mjs FILE --port PORT
//
// Loads FILE (N-Triples, .gz too) as bench/oxigraph-load.mjs does (whole text, 1 MiB chunks, lenient),
// then listens on 127.0.0.1:PORT only and prints one JSON line on stdout: {"ready": true, "port", "triples",
// "loadMs", ...}. Endpoints:
//   POST /sparql   body application/sparql-query, or application/x-www-form-urlencoded with query=
//   GET  /sparql?query=...
//   GET  /healthz  200 once loaded
// Results: Store.query(q, {results_format: 'application/sparql-results+json'}) sent as is (SELECT/ASK as
// application/sparql-results+json, CONSTRUCT/DESCRIBE as N-Triples). A query that fails is a 400 with the
// error text. Store.query is synchronous, so a long query blocks the server; the benchmark restarts it
// after a timeout. SIGTERM/SIGINT: exit at once.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { URL, URLSearchParams } from 'node:url';
import oxigraph from 'oxigraph';
import { errMsg, memory, pkgVersion, readText } from './common.mjs';

const args = process.argv.slice(2);
const portIdx = args.indexOf('--port');
const file = args.find((a, i) => !a.startsWith('--') && i !== portIdx + 1);
const port = portIdx >= 0 ? Number(args[portIdx + 1]) : NaN;
if (file === undefined || !Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: node bench/peers/oxigraph-http.mjs FILE --port PORT\n');
  process.exit(2);
}
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => process.exit(0));

const t0 = performance.now();
const store = new oxigraph.Store();
(() => {
  // In a function, so that the decompressed text can be collected after the load.
  const text = readText(file);
  function* chunks() {
    for (let i = 0; i < text.length; i += 1 << 20) yield text.subarray(i, Math.min(i + (1 << 20), text.length));
  }
  store.load(chunks(), { format: 'application/n-triples', lenient: true });
})();
const loadMs = performance.now() - t0;

const SELECT_TYPE = 'application/sparql-results+json';

function answer(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function runQuery(res, query) {
  if (typeof query !== 'string' || query === '') return answer(res, 400, 'text/plain', 'no query');
  let out;
  try {
    out = store.query(query, { results_format: SELECT_TYPE });
  } catch (e) {
    return answer(res, 400, 'text/plain', errMsg(e));
  }
  // CONSTRUCT/DESCRIBE ignore a results format they cannot use: serialize their quads as N-Triples.
  if (Array.isArray(out)) return answer(res, 200, 'application/n-triples', out.map((q) => `${q.toString()} .\n`).join(''));
  return answer(res, 200, out.startsWith('{') ? SELECT_TYPE : 'text/plain', out);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/healthz') return answer(res, 200, 'text/plain', 'ok');
  if (url.pathname !== '/sparql') return answer(res, 404, 'text/plain', 'not found');
  if (req.method === 'GET') return runQuery(res, url.searchParams.get('query'));
  if (req.method !== 'POST') return answer(res, 405, 'text/plain', 'method not allowed');
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const body = Buffer.concat(parts).toString('utf8');
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/sparql-query') return runQuery(res, body);
    if (type === 'application/x-www-form-urlencoded') return runQuery(res, new URLSearchParams(body).get('query'));
    return answer(res, 415, 'text/plain', `unsupported content type ${type}`);
  });
  return undefined;
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port, engine: 'oxigraph-http', version: `oxigraph ${pkgVersion('oxigraph')}, node:http`, triples: store.size, loadMs, memory: memory() })}\n`);
});
