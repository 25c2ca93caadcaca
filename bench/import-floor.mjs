// The floor of Knowd's import on lmdb-js: the B-tree puts alone, without parsing, the dictionary,
// counters, the log or receipts. LUBM's triples are id-encoded in memory first (ids in order of first
// appearance, as the dictionary allocates them), then written as the apply writes them: 20-byte keys
// (namespace, order byte, three 5-byte ids) in the default graph's index orders, one child transaction
// inside one write transaction per 20 000-triple batch, putSync with noOverwrite on the first order.
//
//   node bench/import-floor.mjs [FILE.nt.gz] [--orders 012,120,201] [--sorted]
//
// --orders: which orders to write (012 = SPO, 120 = POS, 201 = OSP); --sorted sorts each batch's keys
// per order before writing. Prints triples/s and µs per put, time inside the transactions.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import zlib from 'node:zlib';
import { open } from 'lmdb';
import { Parser } from 'n3';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^[0-9,]+$/.test(a)) ?? '/work/shared/bench-data/lubm/lubm10.nt.gz';
const ordersArg = args[args.indexOf('--orders') + 1];
const orders = (args.includes('--orders') && ordersArg !== undefined ? ordersArg : '012,120,201').split(',').map((s) => [...s].map(Number));
const sorted = args.includes('--sorted');
const BATCH = 20_000;

const quads = new Parser({ format: 'N-Triples' }).parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
const ids = new Map();
const id = (t) => {
  const k = t.termType[0] + t.value;
  let v = ids.get(k);
  if (v === undefined) ids.set(k, (v = ids.size + 1));
  return v;
};
const Q = new Float64Array(quads.length * 3);
quads.forEach((q, i) => {
  Q[i * 3] = id(q.subject);
  Q[i * 3 + 1] = id(q.predicate);
  Q[i * 3 + 2] = id(q.object);
});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-import-floor-'));
const root = open({ path: path.join(dir, 'store'), mapSize: 8 * 2 ** 30, compression: false, maxDbs: 4, commitDelay: 0 });
const db = root.openDB({ name: 'quads', keyEncoding: 'binary', encoding: 'binary' });
const EMPTY = Buffer.alloc(0);
const key = (o, k, into = Buffer.allocUnsafe(20)) => {
  into.writeUInt32BE(1, 0);
  into[4] = o + 1;
  for (let c = 0; c < 3; c++) into.writeUIntBE(Q[k * 3 + orders[o][c]], 5 + c * 5, 5);
  return into;
};
const scratch = orders.map(() => Buffer.allocUnsafe(20));
const n = quads.length;
let inTxn = 0;
const t0 = performance.now();
for (let i = 0; i < n; i += BATCH) {
  const end = Math.min(n, i + BATCH);
  await root.transaction(() =>
    root.childTransaction(() => {
      const a = performance.now();
      if (sorted) {
        for (let o = 0; o < orders.length; o++) {
          const keys = [];
          for (let k = i; k < end; k++) keys.push(key(o, k));
          keys.sort(Buffer.compare);
          for (const b of keys) db.putSync(b, EMPTY, o === 0 ? { noOverwrite: true } : undefined);
        }
      } else {
        for (let k = i; k < end; k++) for (let o = 0; o < orders.length; o++) db.putSync(key(o, k, scratch[o]), EMPTY, o === 0 ? { noOverwrite: true } : undefined);
      }
      inTxn += performance.now() - a;
    }),
  );
}
await root.flushed;
const ms = performance.now() - t0;
await root.close();
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${path.basename(file)}: ${n} triples, ${ids.size} terms; orders ${orders.map((o) => o.join('')).join(',')}${sorted ? ' (sorted per batch)' : ''}: ` +
    `${Math.round((n / ms) * 1000)} triples/s, ${((inTxn * 1000) / n / orders.length).toFixed(2)} µs a put, ${Math.round(inTxn)} ms inside the transactions of ${Math.round(ms)} ms\n`,
);
