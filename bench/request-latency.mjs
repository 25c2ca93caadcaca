// Latency of single requests to one knowd process: the fixed cost of a request (HTTP, the query
// worker hop) next to /healthz, and optionally of given query files over an imported dataset.
//
//   node bench/request-latency.mjs [--dist DIR] [--n 2000] [--import FILE.nt.gz] [--query FILE.rq ...]
//                                  [--tx-clients 16 [--tx-seconds 10]]
//
// --dist: the build to start (default ./dist; pass another worktree's dist to compare two builds,
// alternating runs yourself). One keep-alive connection, one request at a time, after 200 (queries:
// 5) warm-up requests; p50/p90 (nearest rank) of n requests (queries: --query-n, default 30); --n 0
// skips these. --tx-clients C: then C keep-alive clients post single-triple transactions back to
// back (POST /v1/tx, a new subject each) for --tx-seconds after a 3 s warm-up: tx/s and p50/p90.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import console from 'node:console';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const queries = args.flatMap((a, i) => (args[i - 1] === '--query' ? [a] : []));
const dist = path.resolve(opt('dist', 'dist'));
const n = Number(opt('n', 2000));
const queryN = Number(opt('query-n', 30));
const txClients = Number(opt('tx-clients', 0));
const txSeconds = Number(opt('tx-seconds', 10));

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-reqlat-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KNOWD_')));
const child = spawn(process.execPath, [path.join(dist, 'src/cli/knowd.js'), '--data-dir', dataDir, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn'], { env: { ...env, KNOWD_DISCOVERY: 'off' }, stdio: 'ignore' });
const stop = () => {
  child.kill('SIGTERM');
  fs.rmSync(dataDir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const request = (method, p, body, headers = {}, via = agent) =>
  new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path: p, agent: via, headers }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`${method} ${p}: ${res.statusCode} ${Buffer.concat(parts).toString().slice(0, 200)}`))));
    });
    r.on('error', reject);
    r.end(body);
  });

try {
  for (let i = 0; ; i++) {
    try {
      await request('GET', '/readyz');
      break;
    } catch (e) {
      if (i > 300) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const file = opt('import');
  if (file !== undefined) await request('POST', '/v1/admin/import?format=n-triples', fs.readFileSync(file), { 'content-type': 'application/octet-stream' });

  const rank = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)];
  const time = async (label, f, count, warm) => {
    for (let i = 0; i < warm; i++) await f();
    const ts = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await f();
      ts.push(performance.now() - t0);
    }
    ts.sort((a, b) => a - b);
    console.log(`${label.padEnd(40)} p50 ${rank(ts, 0.5).toFixed(3).padStart(9)}  p90 ${rank(ts, 0.9).toFixed(3).padStart(9)} ms`);
  };
  const sparql = (q, accept = 'application/sparql-results+json') => () => request('POST', '/sparql', q, { 'content-type': 'application/sparql-query', accept });
  console.log(`knowd from ${dist}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (n > 0) {
    await time('GET /healthz', () => request('GET', '/healthz'), n, 200);
    await time('POST /sparql ASK {}', sparql('ASK {}'), n, 200);
    await time('POST /sparql SELECT, 0 rows', sparql('SELECT * WHERE { <http://x/a> ?p ?o }'), n, 200);
    await time('POST /v1/query ASK {}', () => request('POST', '/v1/query', JSON.stringify({ query: 'ASK {}' }), { 'content-type': 'application/json' }), n, 200);
  }
  if (txClients > 0) {
    const txAgent = new http.Agent({ keepAlive: true, maxSockets: txClients });
    let next = 0;
    const post = () => request('POST', '/v1/tx', JSON.stringify({ add: `<http://bench/tx/s${next++}> <http://bench/p> "v${next}" .\n`, format: 'n-triples' }), { 'content-type': 'application/json' }, txAgent);
    const loop = async (untilMs, ts) => {
      while (performance.now() < untilMs) {
        const t0 = performance.now();
        await post();
        ts?.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: txClients }, () => loop(performance.now() + 3000)));
    const ts = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: txClients }, () => loop(t0 + txSeconds * 1000, ts)));
    const tps = ts.length / ((performance.now() - t0) / 1000);
    ts.sort((a, b) => a - b);
    console.log(`POST /v1/tx, ${txClients} clients, 1 triple  ${tps.toFixed(0).padStart(6)} tx/s  p50 ${rank(ts, 0.5).toFixed(3)}  p90 ${rank(ts, 0.9).toFixed(3)} ms`);
    txAgent.destroy();
  }
  for (const q of queries) await time(`POST /sparql ${path.basename(q)} (JSON, parsed)`, async () => JSON.parse((await sparql(fs.readFileSync(q, 'utf8'))()).toString()), queryN, 5);
} finally {
  agent.destroy();
  stop();
}
