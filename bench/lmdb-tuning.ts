// LMDB tuning benchmark: read throughput through the Storage port with the settings the tuning
// function chooses for this box vs lmdb-js's defaults, side by side in the same run. See bench/README.md.
//
//   npx tsx bench/lmdb-tuning.ts [--size lubm10] [--runs 5] [--lookups 20000] [--scans 500] [--scan-len 1000] [--keep DIR]
//
// 1. A store is built once by the real server: `node dist/src/cli/knowd.js` imports <size>.nt.gz over
//    loopback HTTP and is stopped (SIGTERM, by PID).
// 2. Its records are copied, in key order, into fresh stores with the chosen settings, lmdb-js's
//    defaults and 8 KiB pages, so they are laid out alike and only the settings differ. knowd's own
//    store (pages filled as its inserts came) is measured too.
// 3. Each run opens each configuration read-only (in a rotated order) and times, warm (after touching
//    the sampled keys) and cold (after dropping the store file from the page cache with
//    `dd iflag=nocache count=0`, which only drops this file's clean pages):
//      - point lookups: `get` of random existing keys of the `quads` table (every index order);
//      - range scans: `scanKeys` of --scan-len keys from random existing keys.
// Configurations: "chosen" (lmdbTuning for the detected hardware and this store's size), "lmdb
// defaults" (4 KiB pages, read-ahead on, 126 readers), "8 KiB pages" (the page size this tuning had
// before it was measured), and "read-ahead off" (what the tuning picks once the store outgrows memory),
// to show those choices' effect on this box.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectHardware } from '../src/obs/index.js';
import { TABLES, type Bytes, type Storage } from '../src/storage/index.js';
import { lmdbTuning, openLmdbStorage, storeFileBytes, tuningValues, type LmdbTuning } from '../src/storage/lmdb/index.js';
import { errMsg, exitOnHelp, fmt, intOption, freePort, gitCommit, httpRequest, killAllNow, log, median, removeTmpDir, sleep, stopChild, table, tail, tmpDirs, track } from './lib/util.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const KNOWD_JS = path.join(ROOT, 'dist/src/cli/knowd.js');
const EXPECTED_TRIPLES: Record<string, number> = { lubm1: 100_543, lubm10: 1_272_575 };

interface Options {
  size: string;
  runs: number;
  lookups: number;
  scans: number;
  scanLen: number;
  dataDir: string;
  keep: string | undefined;
  out: string | undefined;
}

const USAGE = `Usage: npx tsx bench/lmdb-tuning.ts [options]
  --size NAME      dataset <data-dir>/NAME.nt.gz (default lubm10)
  --runs N         runs; the table shows medians (default 5)
  --lookups N      point lookups per measurement (default 20000)
  --scans N        range scans per measurement (default 500)
  --scan-len N     keys per range scan (default 1000)
  --data-dir DIR   where the .nt.gz files are (default /work/shared/bench-data/lubm)
  --keep DIR       build the stores in DIR and keep them (a second run reuses them)
  --out FILE       results JSON (default bench/results/lmdb-tuning-<timestamp>.json)`;

function parseOptions(argv: string[]): Options {
  const o: Options = { size: 'lubm10', runs: 5, lookups: 20_000, scans: 500, scanLen: 1000, dataDir: '/work/shared/bench-data/lubm', keep: undefined, out: undefined };
  const int = (flag: string, v: string): number => intOption(flag, v, 1);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    exitOnHelp(flag, USAGE);
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === '--size') o.size = value;
    else if (flag === '--runs') o.runs = int(flag, value);
    else if (flag === '--lookups') o.lookups = int(flag, value);
    else if (flag === '--scans') o.scans = int(flag, value);
    else if (flag === '--scan-len') o.scanLen = int(flag, value);
    else if (flag === '--data-dir') o.dataDir = value;
    else if (flag === '--keep') o.keep = value;
    else if (flag === '--out') o.out = value;
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  return o;
}

// ---- building the stores ---------------------------------------------------------------------------

/** Imports the dataset through a real knowd into `dir` (its data directory), then stops it. */
async function buildWithKnowd(o: Options, dir: string): Promise<void> {
  const file = path.join(o.dataDir, `${o.size}.nt.gz`);
  if (!fs.existsSync(file)) throw new Error(`no dataset ${file}`);
  if (!fs.existsSync(KNOWD_JS)) throw new Error('dist/ is missing: run `npm run build` first');
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [KNOWD_JS, '--data-dir', dir, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KNOWD_'))), KNOWD_DISCOVERY: 'off' },
    }),
  );
  const err = tail(child.stderr);
  const agent = new http.Agent({ keepAlive: true });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`knowd not ready after 60 s: ${err()}`);
      try {
        if ((await httpRequest(agent, port, 'GET', '/readyz', undefined)).status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    log(`importing ${o.size} through knowd (pid ${child.pid ?? '?'})`);
    const r = await httpRequest(agent, port, 'POST', '/v1/admin/import?format=n-triples', fs.createReadStream(file), { 'content-type': 'application/octet-stream' });
    if (r.status !== 200) throw new Error(`import answered ${r.status}: ${r.body.slice(0, 300)}`);
    const quads = (JSON.parse(r.body) as { quads: number }).quads;
    const want = EXPECTED_TRIPLES[o.size];
    if (want !== undefined && quads !== want) throw new Error(`imported ${quads} triples, expected ${want}`);
    log(`imported ${quads} triples in ${(r.ms / 1000).toFixed(1)} s`);
  } finally {
    agent.destroy();
    await stopChild(child, 60_000);
  }
}

/** lmdb-js's own defaults, as a tuning value so the same Storage code opens both stores. */
function lmdbDefaults(chosen: LmdbTuning, fileBytes: number): LmdbTuning {
  const why = 'lmdb-js default';
  return {
    ...chosen,
    // lmdb-js starts small and grows the map; a reader's map must hold the file, so: the file's size.
    mapSizeBytes: { value: Math.max(fileBytes * 2, 64 * 1024 * 1024), reason: why },
    maxReaders: { value: 126, reason: why },
    readAhead: { value: true, reason: why },
    pageSizeBytes: { value: 4096, reason: why },
  };
}

async function copyStore(from: Storage, to: Storage): Promise<void> {
  for (const t of TABLES) {
    let batch: { key: Bytes; value: Bytes }[] = [];
    const flush = async (): Promise<void> => {
      const b = batch;
      batch = [];
      await to.write((w) => {
        for (const e of b) w.put(t, e.key, e.value);
      });
    };
    const entries = from.read((r) => [...r.scan(t, {})].map((e) => ({ key: Buffer.from(e.key), value: Buffer.from(e.value) })));
    for (const e of entries) {
      batch.push(e);
      if (batch.length >= 50_000) await flush();
    }
    if (batch.length > 0) await flush();
  }
}

// ---- measuring ---------------------------------------------------------------------------------------

function dropFromPageCache(file: string): void {
  // Only this file's clean, unmapped pages (the store is closed when this runs): nobody else's cache.
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`dd iflag=nocache failed on ${file}`);
}

/** Every `step`-th key of the quads table (a uniform sample), shuffled by a fixed seed. */
function sampleKeys(s: Storage, want: number): Buffer[] {
  const total = s.read((r) => r.count('quads', {}));
  const step = Math.max(1, Math.floor(total / want));
  const keys: Buffer[] = [];
  s.read((r) => {
    let i = 0;
    for (const k of r.scanKeys('quads', {})) if (i++ % step === 0 && keys.length < want) keys.push(Buffer.from(k));
  });
  let seed = 42;
  for (let i = keys.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  return keys;
}

function timeLookups(s: Storage, keys: readonly Buffer[]): number {
  const t0 = performance.now();
  let found = 0;
  s.read((r) => {
    for (const k of keys) if (r.get('quads', k) !== undefined) found++;
  });
  const secs = (performance.now() - t0) / 1000;
  if (found !== keys.length) throw new Error(`only ${found} of ${keys.length} sampled keys found`);
  return keys.length / secs;
}

function timeScans(s: Storage, starts: readonly Buffer[], len: number): number {
  const t0 = performance.now();
  let seen = 0;
  s.read((r) => {
    for (const k of starts) for (const _ of r.scanKeys('quads', { start: k, limit: len })) seen++;
  });
  return seen / ((performance.now() - t0) / 1000);
}

interface Config {
  readonly name: string;
  readonly dir: string;
  readonly tuning: LmdbTuning;
}

interface Sample {
  warmLookups: number;
  warmScan: number;
  coldLookups: number;
  coldScan: number;
}

async function measure(c: Config, keys: readonly Buffer[], o: Options): Promise<Sample> {
  const file = path.join(c.dir, 'store', 'data.mdb');
  const open = (): Storage => openLmdbStorage({ path: c.dir, readOnly: true, tuning: c.tuning });
  const starts = keys.slice(0, o.scans);
  dropFromPageCache(file);
  let s = open();
  const coldLookups = timeLookups(s, keys);
  await s.close();
  dropFromPageCache(file);
  s = open();
  const coldScan = timeScans(s, starts, o.scanLen);
  // Warm: everything the measurement touches is in the page cache.
  timeLookups(s, keys);
  timeScans(s, starts, o.scanLen);
  const warmLookups = timeLookups(s, keys);
  const warmScan = timeScans(s, starts, o.scanLen);
  await s.close();
  return { warmLookups, warmScan, coldLookups, coldScan };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  process.on('SIGINT', () => {
    killAllNow();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
    process.exit(130);
  });
  const base = o.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-bench-tuning-'));
  if (o.keep === undefined) tmpDirs.add(base);
  // knowd's own store (pages filled by its inserts), and copies of it in key order, laid out alike.
  const knowdDir = path.join(base, 'knowd');
  const tunedDir = path.join(base, 'chosen-copy');
  const defaultDir = path.join(base, 'lmdb-defaults-copy');
  const bigPageDir = path.join(base, 'pages-8k-copy');
  try {
    const hw = await detectHardware(base);
    if (!fs.existsSync(path.join(knowdDir, 'store', 'data.mdb'))) {
      fs.rmSync(knowdDir, { recursive: true, force: true });
      await buildWithKnowd(o, knowdDir);
    }
    const fileBytes = storeFileBytes(path.join(knowdDir, 'store'));
    const chosen = lmdbTuning({ hardware: hw, dataBytes: fileBytes, mapSizeSettingBytes: 0, queryWorkers: 4 });
    const defaults = lmdbDefaults(chosen, fileBytes);
    const bigPages: LmdbTuning = { ...chosen, pageSizeBytes: { value: 8192, reason: 'the alternative measured' } };
    for (const [dir, tuning] of [[tunedDir, chosen], [defaultDir, defaults], [bigPageDir, bigPages]] as const) {
      if (fs.existsSync(path.join(dir, 'store', 'data.mdb'))) continue;
      log(`copying the store into ${path.basename(dir)} (${tuning.pageSizeBytes.value} B pages)`);
      const from = openLmdbStorage({ path: knowdDir, readOnly: true, tuning: chosen });
      const to = openLmdbStorage({ path: dir, tuning: { ...tuning, mapSizeBytes: { value: fileBytes * 4, reason: 'copy' } } });
      await copyStore(from, to);
      await from.close();
      await to.close();
    }
    const noReadAhead: LmdbTuning = { ...chosen, readAhead: { value: false, reason: 'forced off: what the tuning picks once the store outgrows memory' } };
    const configs: Config[] = [
      { name: 'chosen (this box)', dir: tunedDir, tuning: chosen },
      { name: 'lmdb defaults', dir: defaultDir, tuning: defaults },
      { name: 'chosen, 8 KiB pages', dir: bigPageDir, tuning: bigPages },
      { name: 'chosen, read-ahead off', dir: tunedDir, tuning: noReadAhead },
      { name: 'chosen, as knowd wrote it', dir: knowdDir, tuning: chosen },
    ];
    const sampler = openLmdbStorage({ path: knowdDir, readOnly: true, tuning: chosen });
    const keys = sampleKeys(sampler, o.lookups);
    await sampler.close();
    const mib = (d: string): string => (storeFileBytes(path.join(d, 'store')) / 2 ** 20).toFixed(0);
    log(`stores: knowd's ${mib(knowdDir)} MiB, chosen copy ${mib(tunedDir)} MiB, defaults copy ${mib(defaultDir)} MiB, 8 KiB copy ${mib(bigPageDir)} MiB; ${keys.length} sampled keys; memory ${(hw.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${hw.logicalCpus} CPUs, disk ${hw.dataDisk.kind}`);
    const samples: Record<string, Sample[]> = Object.fromEntries(configs.map((c) => [c.name, []]));
    for (let run = 0; run < o.runs; run++) {
      // Rotate the order so no configuration always runs first (or after a particular one).
      const order = configs.map((_, i) => configs[(i + run) % configs.length]!);
      for (const c of order) {
        const s = await measure(c, keys, o);
        samples[c.name]!.push(s);
        log(`run ${run + 1}/${o.runs} ${c.name}: warm ${s.warmLookups.toFixed(0)} lookups/s, ${s.warmScan.toFixed(0)} keys/s scanned; cold ${s.coldLookups.toFixed(0)} lookups/s, ${s.coldScan.toFixed(0)} keys/s`);
      }
    }
    const med = (name: string, k: keyof Sample): number => median(samples[name]!.map((s) => s[k])) ?? 0;
    const ref = 'lmdb defaults';
    const rows = configs.map((c) => {
      const cell = (k: keyof Sample): string => `${fmt(med(c.name, k) / 1000, 1)}k (${fmt(med(c.name, k) / med(ref, k), 2)}×)`;
      return [c.name, String(c.tuning.pageSizeBytes.value), c.tuning.readAhead.value ? 'on' : 'off', cell('warmLookups'), cell('warmScan'), cell('coldLookups'), cell('coldScan')];
    });
    process.stdout.write(`\nLMDB read throughput, ${o.size}, medians of ${o.runs} runs (× = ratio to lmdb defaults, same run)\n`);
    process.stdout.write(`${table(['config', 'page', 'read-ahead', 'warm lookups/s', 'warm scan keys/s', 'cold lookups/s', 'cold scan keys/s'], rows, [false, true, false, true, true, true, true])}\n`);
    const out = o.out ?? path.join(BENCH_DIR, 'results', `lmdb-tuning-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(
      out,
      `${JSON.stringify({ options: o, commit: gitCommit(ROOT), hardware: hw, storeBytes: fileBytes, loadavg: os.loadavg(), configs: configs.map((c) => ({ name: c.name, tuning: tuningValues(c.tuning) })), samples, medians: Object.fromEntries(configs.map((c) => [c.name, { warmLookups: med(c.name, 'warmLookups'), warmScan: med(c.name, 'warmScan'), coldLookups: med(c.name, 'coldLookups'), coldScan: med(c.name, 'coldScan') }])) }, null, 2)}\n`,
    );
    process.stdout.write(`results: ${out}\n`);
  } finally {
    if (o.keep === undefined) removeTmpDir(base);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`lmdb-tuning: ${errMsg(e)}\n`);
  killAllNow();
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  process.exit(1);
});
