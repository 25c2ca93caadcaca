// CPU and wall time of one small lmdb-js write transaction (8 puts of 64 bytes, then waiting for
// the flush), committed the way src/storage/lmdb/lmdb-storage.ts does (async `transaction` with a
// child transaction inside, which can abort) against `transactionSync` (the commit and its fsync
// on the calling thread). Durable commits on a fresh store in the OS temp dir.
//
//   node bench/lmdb-commit.mjs [--n 2000] [--rounds 2]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import console from 'node:console';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { open } from 'lmdb';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : dflt);
const n = opt('n', 2000);
const rounds = opt('rounds', 2);

async function run(mode) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-lmdb-commit-'));
  const root = open({ path: path.join(dir, 'store'), mapSize: 1 << 30, compression: false, commitDelay: 0, maxDbs: 4 });
  const db = root.openDB({ name: 't', keyEncoding: 'binary', encoding: 'binary' });
  let i = 0;
  const work = () => {
    for (let j = 0; j < 8; j++) db.putSync(Buffer.from(`k${i}-${j}`), Buffer.alloc(64, j));
    i++;
  };
  const once = mode === 'async' ? () => root.transaction(() => root.childTransaction(work)) : async () => root.transactionSync(work);
  try {
    for (let k = 0; k < 200; k++) {
      await once();
      await root.flushed;
    }
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < n; k++) {
      await once();
      await root.flushed;
    }
    const c = process.cpuUsage(c0);
    console.log(`${mode.padEnd(5)}  user ${(c.user / n).toFixed(0).padStart(4)} µs  system ${(c.system / n).toFixed(0).padStart(4)} µs  wall ${(((performance.now() - t0) * 1000) / n).toFixed(0).padStart(5)} µs per commit`);
  } finally {
    await root.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${n} commits per run, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (let r = 0; r < rounds; r++) for (const mode of r % 2 === 0 ? ['async', 'sync'] : ['sync', 'async']) await run(mode);
