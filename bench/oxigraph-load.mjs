// Child process of bench/load.ts: loads one gzipped N-Triples file into an in-memory oxigraph Store
// and prints one JSON line on stdout. Plain .mjs run by plain `node` (no tsx loader), so the peak RSS
// (VmHWM) it reports is oxigraph's plus Node's own baseline, nothing else.
//
//   node bench/oxigraph-load.mjs FILE [--chunk-bytes N] [--no-lenient] [--no-transaction]
//
// The Store.load API is synchronous, so the file is gunzipped up front into one Buffer (the decompressed
// text stays in memory during the load; its size is reported as inputBytes) and handed to load() as an
// iterable of chunks of --chunk-bytes (default 1 MiB). Chunks keep the wasm side from copying the whole
// text into its linear memory at once (measured: about 200 MiB less peak RSS on LUBM(10) than one buffer).
// Options: `lenient: true` (skip IRI/literal validation; `unchecked` is its deprecated name) makes the
// load about 30 % faster. `no_transaction: true` (the documented bulk-load switch: no rollback on a
// syntax error) is off by default because for this in-memory store it is not faster (LUBM(10): 3.9 s
// with it, 3.8 s without) and it costs about 150 MiB more peak RSS; --no-transaction turns it on.
import fs from 'node:fs';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';

function vm(field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m === null ? null : Number(m[1]) * 1024;
}

const args = process.argv.slice(2);
const chunkIdx = args.indexOf('--chunk-bytes');
const file = args.find((a, i) => !a.startsWith('--') && (chunkIdx < 0 || i !== chunkIdx + 1));
if (file === undefined) {
  process.stderr.write('usage: node bench/oxigraph-load.mjs FILE [--chunk-bytes N] [--no-lenient] [--no-transaction]\n');
  process.exit(2);
}
const chunkBytes = chunkIdx >= 0 ? Number(args[chunkIdx + 1]) : 1 << 20;
const lenient = !args.includes('--no-lenient');
const noTransaction = args.includes('--no-transaction');

const tImport = performance.now();
const { default: oxigraph } = await import('oxigraph');
const importMs = performance.now() - tImport;
const rssBaseline = vm('VmRSS');

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const text = zlib.gunzipSync(fs.readFileSync(file));
const t1 = performance.now();
const rssAfterGunzip = vm('VmRSS');

function* chunks() {
  if (chunkBytes <= 0) {
    yield text;
    return;
  }
  for (let i = 0; i < text.length; i += chunkBytes) yield text.subarray(i, Math.min(i + chunkBytes, text.length));
}

const store = new oxigraph.Store();
const options = { format: 'application/n-triples', ...(lenient && { lenient: true }), ...(noTransaction && { no_transaction: true }) };
store.load(chunkBytes <= 0 ? text : chunks(), options);
const t2 = performance.now();
const cpu = process.cpuUsage(cpu0);
const size = store.size;

process.stdout.write(
  `${JSON.stringify({
    system: 'oxigraph',
    file,
    options,
    chunkBytes,
    triples: size,
    inputBytes: text.length,
    moduleImportMs: importMs,
    gunzipMs: t1 - t0,
    loadMs: t2 - t1,
    totalMs: t2 - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBaselineBytes: rssBaseline,
    rssAfterGunzipBytes: rssAfterGunzip,
    peakRssBytes: vm('VmHWM'),
    rssAnonAtEndBytes: vm('RssAnon'),
  })}\n`,
);
