// Soak test: one real knowd under a mixed, seeded workload for minutes, watched from outside for
// anything that grows without bound (LMDB reader slots and pinned snapshots, descriptors, threads,
// timers, metric series, memory, store growth per write) and for any unexpected answer. See
// bench/README.md ("soak.ts").
//
//   npx tsx bench/soak.ts [--minutes 5] [--clients 4] [--seed 1] [--sample-sec 10]
//
// All traffic is on 127.0.0.1; the server is stopped by its PID, also on errors and on Ctrl-C.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSoak } from './lib/soak-run.js';
import type { Sample } from './lib/soak-sampler.js';
import { errMsg, exitOnHelp, freePort, gitCommit, intOption, killAllNow, log, removeTmpDir, sleep, stopChild, table, tail, tmpDirs, track } from './lib/util.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KNOWD_JS = path.join(ROOT, 'dist/src/cli/knowd.js');
const MIB = 1024 * 1024;

const USAGE = `Usage: npx tsx bench/soak.ts [options]
  --minutes N        how long the clients run (default 5)
  --clients N        concurrent clients (default 4)
  --seed N           seed of the clients' random streams (default 1); a failure is replayed with it
  --sample-sec N     seconds between samples (default 10)
  --snapshot-sec N   KNOWD_REPL_SNAPSHOT_SEC of the server (default 60, so snapshots and log compaction happen)
  --keep             keep the data directory (its path is printed)
  --node-args ARGS   extra node options for the server, space-separated (e.g. "--prof": V8 tick logs land
                     beside the data directory; with --keep, read them with node --prof-process)
  --out FILE         results JSON (default bench/results/soak-<timestamp>.json)`;

interface Options {
  minutes: number;
  clients: number;
  seed: number;
  sampleSec: number;
  snapshotSec: number;
  keep: boolean;
  nodeArgs: string[];
  out: string | undefined;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { minutes: 5, clients: 4, seed: 1, sampleSec: 10, snapshotSec: 60, keep: false, nodeArgs: [], out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    exitOnHelp(flag, USAGE);
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--minutes') o.minutes = Number(value());
    else if (flag === '--clients') o.clients = intOption(flag, value(), 1);
    else if (flag === '--seed') o.seed = intOption(flag, value(), 0);
    else if (flag === '--sample-sec') o.sampleSec = intOption(flag, value(), 1);
    else if (flag === '--snapshot-sec') o.snapshotSec = intOption(flag, value(), 1);
    else if (flag === '--keep') o.keep = true;
    else if (flag === '--node-args') o.nodeArgs = value().split(' ').filter((a) => a !== '');
    else if (flag === '--out') o.out = value();
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (!(o.minutes > 0)) throw new Error('--minutes needs a positive number');
  return o;
}

function sampleLine(s: Sample): string {
  const mib = (b: number | null): string => (b === null ? '—' : (b / MIB).toFixed(0));
  const stalled = s.threadStates === undefined ? '' : ` STALLED? /metrics did not answer; threads: ${s.threadStates.map((th) => `${th.name}/${th.tid} ${th.state} ${th.cpuS.toFixed(1)}s ${th.wchan}`).join(', ')}`;
  return `t=${(s.tMs / 1000).toFixed(0)}s${stalled} rss=${mib(s.rssBytes)}MiB heap=${mib(s.heapUsedBytes)}MiB fds=${s.fdOther}+${s.fdSockets}sock threads=${s.threads} readers=${s.readerSlots}(${s.readersActive} in txn, oldest ${s.oldestReaderTxn ?? '—'} of ${s.lastTxnId}) store=${mib(s.storeUsedBytes)}/${mib(s.storeFileBytes)}MiB dir=${mib(s.dataDirBytes)}MiB series=${s.metricSeries} resources=${s.activeResources} requests=${s.requests} writes=${s.writes}`;
}

/** The server's log lines at level warn or worse (pino: 40 warn, 50 error, 60 fatal), the first 500 of them. */
function collectLog(stream: NodeJS.ReadableStream | null): { warnings: string[]; errors: () => string[] } {
  const warnings: string[] = [];
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      let level = 0;
      try {
        level = (JSON.parse(l) as { level?: number }).level ?? 0;
      } catch {
        level = l.trim() === '' ? 0 : 50; // not JSON: a crash trace or a native library's complaint
      }
      if (level >= 40 && warnings.length < 500) warnings.push(l.slice(0, 2000));
    }
  });
  const errors = (): string[] => warnings.filter((l) => {
    try {
      return ((JSON.parse(l) as { level?: number }).level ?? 0) >= 50;
    } catch {
      return true;
    }
  });
  return { warnings, errors };
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (!fs.existsSync(KNOWD_JS)) throw new Error(`${KNOWD_JS} is missing: run \`npm run build\` first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-soak-'));
  tmpDirs.add(dir);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KNOWD_'))), KNOWD_DISCOVERY: 'off', KNOWD_REPL_SNAPSHOT_SEC: String(o.snapshotSec) };
  const child = track(spawn(process.execPath, [...o.nodeArgs, KNOWD_JS, '--data-dir', dataDir, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const stderr = tail(child.stderr, 20_000);
  const serverLog = collectLog(child.stdout);
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('knowd did not start');
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`knowd exited during start-up: ${stderr()}`);
      if (Date.now() > deadline) throw new Error('knowd was not ready within 60 s');
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) break;
      await sleep(100);
    }
    log(`knowd pid ${pid} on 127.0.0.1:${port}, data ${dataDir}; ${o.clients} clients for ${o.minutes} min, seed ${o.seed}`);
    const report = await runSoak(
      { pid, port, dataDir },
      {
        seed: o.seed,
        clients: o.clients,
        durationMs: o.minutes * 60_000,
        sampleMs: o.sampleSec * 1000,
        snapshots: true,
        // A minute, or a tenth of a short run: workers, caches and the vector index start lazily.
        warmupMs: Math.min(60_000, o.minutes * 6000),
        judgeMemory: true,
        pinnedMsMax: 45_000,
        onSample: (s) => log(sampleLine(s)),
      },
    );
    const alive = child.exitCode === null && child.signalCode === null;
    const errors = [...serverLog.errors(), ...(stderr() === '' ? [] : [`stderr: ${stderr()}`])];
    const failures = [
      ...report.failures,
      ...(alive ? [] : [`knowd exited during the soak (code ${child.exitCode}, signal ${child.signalCode})`]),
      ...(errors.length > 0 ? [`the server logged ${errors.length} error(s), e.g. ${errors[0]!.slice(0, 300)}`] : []),
    ];
    const trends = table(
      ['measure', 'first third', 'last third', 'max', 'rule', 'verdict'],
      report.trends.map((t) => [t.name, t.first.toFixed(1), t.last.toFixed(1), t.max.toFixed(1), t.rule, t.failed ? 'GROWS' : 'ok']),
      [false, true, true, true, false, false],
    );
    const ops = table(
      ['operation', 'count', 'statuses', 'mean ms', 'max ms'],
      Object.entries(report.recorder.ops)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, s]) => [name, String(s.count), Object.entries(s.statuses).map(([k, v]) => `${k}:${v}`).join(' '), (s.msTotal / s.count).toFixed(1), s.msMax.toFixed(0)]),
      [false, true, false, true, true],
    );
    process.stdout.write(`\n${ops}\n\n${trends}\n\n`);
    if (report.seriesAdded.length > 0) process.stdout.write(`metric series that came after the warm-up and stayed:\n${report.seriesAdded.map((n) => `  ${n}`).join('\n')}\n\n`);
    for (const u of report.recorder.unexpected.slice(0, 20)) process.stdout.write(`UNEXPECTED ${u.op} ${u.method} ${u.path} → ${u.status ?? 'no answer'} (expected ${u.expected.join('|')}) at ${(u.atMs / 1000).toFixed(0)} s\n  request: ${u.request.replace(/\n/g, ' ').slice(0, 200)}\n  answer: ${u.answer.replace(/\n/g, ' ').slice(0, 300)}\n`);
    const out = o.out ?? path.join(ROOT, 'bench', 'results', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ options: o, commit: gitCommit(ROOT), failures, trends: report.trends, ops: report.recorder.ops, requests: report.recorder.requests, unexpected: report.recorder.unexpected, unexpectedTotal: report.recorder.unexpectedTotal, seriesAdded: report.seriesAdded, samples: report.samples, serverWarnings: serverLog.warnings, serverStderr: stderr() }, null, 1));
    log(`results in ${out}`);
    if (serverLog.warnings.length > 0) log(`the server logged ${serverLog.warnings.length} warning(s) or worse; the first:\n${serverLog.warnings.slice(0, 10).join('\n')}`);
    if (failures.length > 0) {
      process.stdout.write(`SOAK FAILED (seed ${o.seed}):\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
      return 1;
    }
    process.stdout.write(`soak passed: ${report.recorder.requests} requests, nothing grew past its rule\n`);
    return 0;
  } finally {
    await stopChild(child, 30_000);
    if (o.keep) log(`data directory kept: ${dataDir} (the server ran in ${dir})`);
    else removeTmpDir(dir);
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllNow();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
    process.exit(130);
  });
}
process.once('exit', killAllNow);

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`soak: ${errMsg(e)}\n`);
    process.exit(2);
  },
);
