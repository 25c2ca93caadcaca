// Cluster benchmark: small-transaction write throughput and latency of a single node against a 3-node
// cluster (writes to the leader, writes to the followers), the leader's CPU cost of replication at a fixed
// offered rate, and failover time after SIGKILL of the leader with a check that no acknowledged write is
// lost. See bench/README.md.
//
//   npx tsx bench/cluster.ts [--quick] [--rounds 3] [--concurrency 16] [--failovers 20]
//
// Every process is a real `node dist/src/cli/knowd.js` on 127.0.0.1 with an LMDB store in a temporary
// directory; cluster nodes talk gRPC over mutual TLS. Every child is stopped by its PID, also on errors
// and on Ctrl-C, and the temporary directories are removed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, clusterStatus, cpuSeconds, crashed, KNOWD_JS, ROOT, roleCounters, spawnNode, stopNode, storeQuads, waitStatus, type NodeProc, type RoleCounters } from './lib/cluster.js';
import { errMsg, fmt, fmtMs, freePort, gitCommit, httpRequest, killAllNow, liveChildren, log, median, MIB, newestMtime, percentile, removeTmpDir, sleep, stopChild, table, tmpDirs } from './lib/util.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const JSON_HEADERS = { 'content-type': 'application/json' };
const IRI = 'http://bench.knowd.example';

// ---------------------------------------------------------------------------------------------------
// Options

interface Options {
  quick: boolean;
  rounds: number;
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  openSeconds: number;
  idleSeconds: number;
  openFraction: number;
  failovers: number;
  failoverRate: number;
  only: Set<string>;
  tmpDir: string;
  build: boolean;
  pin: boolean;
  out: string | undefined;
}

const USAGE = `Usage: npx tsx bench/cluster.ts [options]
  --quick               smoke run of about a minute: 1 round, 3 s phases, 3 failovers
  --rounds N            rounds of single vs cluster, alternating which goes first (default 3)
  --concurrency C       closed-loop HTTP clients (default 16)
  --seconds S           length of each closed-loop phase (default 10)
  --open-seconds S      length of the fixed-rate phase that measures CPU (default 15)
  --open-fraction F     its offered rate as a fraction of the single node's closed-loop tx/s (default 0.4)
  --idle-seconds S      idle CPU measurement before it (default 3)
  --failovers N         SIGKILLs of the leader (default 20)
  --failover-rate R     steady write load during each failover, tx/s (default 20)
  --only LIST           throughput (with CPU), failover (default both)
  --tmp-dir DIR         parent of the temporary data directories (default the OS temp dir)
  --pin                 stand in for separate machines: the single node and the leader get CPU 0 alone,
                        the followers and this load generator share CPU 1 (taskset)
  --build               run \`npm run build\` first (done anyway when dist/ is missing)
  --out FILE            results JSON (default bench/results/cluster-<timestamp>.json)`;

function parseOptions(argv: string[]): Options {
  const o: Options = {
    quick: false,
    rounds: 3,
    concurrency: 16,
    seconds: 10,
    warmupSeconds: 1,
    openSeconds: 15,
    idleSeconds: 3,
    openFraction: 0.4,
    failovers: 20,
    failoverRate: 20,
    only: new Set(['throughput', 'failover']),
    tmpDir: os.tmpdir(),
    build: false,
    pin: false,
    out: undefined,
  };
  type NumericKey = 'rounds' | 'concurrency' | 'seconds' | 'openSeconds' | 'openFraction' | 'idleSeconds' | 'failovers' | 'failoverRate';
  // flag → [option, least value, integer only, value under --quick unless the flag is given]
  const numeric: Record<string, [NumericKey, number, boolean, number | undefined]> = {
    '--rounds': ['rounds', 1, true, 1],
    '--concurrency': ['concurrency', 2, true, undefined],
    '--seconds': ['seconds', 1, false, 3],
    '--open-seconds': ['openSeconds', 1, false, 4],
    '--open-fraction': ['openFraction', 0.01, false, undefined],
    '--idle-seconds': ['idleSeconds', 0, false, 1],
    '--failovers': ['failovers', 1, true, 3],
    '--failover-rate': ['failoverRate', 1, false, undefined],
  };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (flag === '--build' || flag === '--quick') {
      o[flag === '--build' ? 'build' : 'quick'] = true;
      continue;
    }
    if (flag === '--pin') {
      o.pin = true;
      continue;
    }
    const eq = flag.indexOf('=');
    const name = eq >= 0 ? flag.slice(0, eq) : flag;
    const value = eq >= 0 ? flag.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value\n${USAGE}`);
    given.add(name);
    const spec = numeric[name];
    if (spec !== undefined) {
      const [key, min, integer] = spec;
      const n = Number(value);
      if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new Error(`${name} needs ${integer ? 'an integer' : 'a number'} >= ${min}, got "${value}"`);
      o[key] = n;
    } else if (name === '--only') {
      const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const bad = list.filter((x) => x !== 'throughput' && x !== 'failover');
      if (bad.length > 0) throw new Error(`--only: unknown ${bad.join(', ')} (known: throughput, failover)`);
      o.only = new Set(list);
    } else if (name === '--tmp-dir') o.tmpDir = value;
    else if (name === '--out') o.out = value;
    else throw new Error(`Unknown option ${name}\n${USAGE}`);
  }
  if (o.quick) {
    // Explicit flags still win over the quick defaults.
    for (const [flag, [key, , , quick]] of Object.entries(numeric)) if (quick !== undefined && !given.has(flag)) o[key] = quick;
    o.warmupSeconds = 0.5;
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------
// Transactions: 1–3 triples (1 + i mod 3: 2 on average), n-triples, a new subject for every transaction.

interface TxBody {
  body: string;
  triples: number;
  subject: string;
}

function txBody(tag: string, i: number, triples = 1 + (i % 3), predicate = `${IRI}/p`): TxBody {
  const subject = `${IRI}/${tag}/s${i}`;
  let add = '';
  for (let j = 0; j < triples; j++) add += `<${subject}> <${predicate}${j}> "${tag} ${i} ${j}" .\n`;
  return { body: JSON.stringify({ add, format: 'n-triples' }), triples, subject };
}

interface TxResult {
  ok: boolean;
  ms: number;
  added: number;
  logIndex: number;
  error?: string;
}

async function postTx(agent: http.Agent, port: number, b: TxBody, timeoutMs = 60_000): Promise<TxResult> {
  const t0 = performance.now();
  try {
    const r = await httpRequest(agent, port, 'POST', '/v1/tx', b.body, JSON_HEADERS, timeoutMs);
    if (r.status !== 200) return { ok: false, ms: r.ms, added: 0, logIndex: 0, error: `HTTP ${r.status}: ${r.body.slice(0, 300)}` };
    const j = JSON.parse(r.body) as { delta?: { added?: number }; receipt?: { logIndex?: number } };
    return { ok: true, ms: r.ms, added: j.delta?.added ?? -1, logIndex: j.receipt?.logIndex ?? 0 };
  } catch (e) {
    return { ok: false, ms: performance.now() - t0, added: 0, logIndex: 0, error: errMsg(e) };
  }
}

/** What a node is expected to hold: triples of acknowledged writes, and how many writes failed (maybe applied anyway). */
interface Ledger {
  ackedTriples: number;
  failedTx: number;
}

// ---------------------------------------------------------------------------------------------------
// Load generators

interface Target {
  name: string;
  port: number;
}

interface PhaseResult {
  phase: string;
  clients: number;
  tx: number;
  triples: number;
  wallMs: number;
  txPerSec: number;
  triplesPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  errors: number;
  firstError?: string;
  addedMismatch: number;
  loadavg1: number;
}

/** `clients` closed-loop clients (client k writes to targets[k mod n]) for `seconds`. */
async function closedLoop(phase: string, targets: readonly Target[], clients: number, seconds: number, tag: string, ledger: Ledger): Promise<PhaseResult> {
  const agents = targets.map(() => new http.Agent({ keepAlive: true, maxSockets: clients }));
  const lat: number[] = [];
  let triples = 0;
  let errors = 0;
  let mismatch = 0;
  let firstError: string | undefined;
  let next = 0;
  const loadavg1 = os.loadavg()[0]!;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const client = async (k: number): Promise<void> => {
    const target = targets[k % targets.length]!;
    const agent = agents[k % targets.length]!;
    while (performance.now() < deadline && errors < 200) {
      const b = txBody(tag, next++);
      const r = await postTx(agent, target.port, b);
      if (r.ok) {
        lat.push(r.ms);
        triples += b.triples;
        ledger.ackedTriples += r.added;
        if (r.added !== b.triples) mismatch++;
      } else {
        errors++;
        ledger.failedTx++;
        firstError ??= `${target.name}: ${r.error ?? ''}`;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, (_, k) => client(k)));
  } finally {
    for (const a of agents) a.destroy();
  }
  const wallMs = performance.now() - t0;
  return {
    phase,
    clients,
    tx: lat.length,
    triples,
    wallMs,
    txPerSec: lat.length / (wallMs / 1000),
    triplesPerSec: triples / (wallMs / 1000),
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    maxMs: lat.length === 0 ? null : Math.max(...lat),
    errors,
    ...(firstError !== undefined && { firstError }),
    addedMismatch: mismatch,
    loadavg1,
  };
}

interface OpenResult {
  offeredPerSec: number;
  sent: number;
  acked: number;
  /** Arrivals not sent because `maxOutstanding` requests were already waiting (the target fell behind). */
  skipped: number;
  errors: number;
  firstError?: string;
  wallMs: number;
  ackedPerSec: number;
  /** Latency from the arrival's scheduled time (so queueing in the client counts too). */
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * Open loop: arrival k is due at t0 + k / rate, whatever the answers do; each is sent when due (checked
 * every 2 ms) unless `maxOutstanding` are already in flight. `pick` chooses the target of each arrival.
 * Resolves when the phase is over and every request sent has been answered.
 */
async function openLoop(rate: number, seconds: number, maxOutstanding: number, pick: (k: number) => Target | undefined, make: (k: number) => TxBody, onAck: (b: TxBody, r: TxResult) => void, ledger: Ledger, stop?: { stopped: boolean }): Promise<OpenResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxOutstanding });
  const lat: number[] = [];
  const inflight = new Set<Promise<void>>();
  let sent = 0;
  let skipped = 0;
  let errors = 0;
  let acked = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let k = 0;
  try {
    while (performance.now() < end && stop?.stopped !== true) {
      const now = performance.now();
      for (; t0 + (k * 1000) / rate <= now; k++) {
        const target = pick(k);
        if (inflight.size >= maxOutstanding || target === undefined) {
          skipped++;
          continue;
        }
        const due = t0 + (k * 1000) / rate;
        const b = make(k);
        sent++;
        const p = postTx(agent, target.port, b, 30_000).then((r) => {
          if (r.ok) {
            acked++;
            lat.push(performance.now() - due);
            ledger.ackedTriples += r.added;
            onAck(b, r);
          } else {
            errors++;
            ledger.failedTx++;
            firstError ??= `${target.name}: ${r.error ?? ''}`;
          }
        });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await sleep(2);
    }
    const wallMs = performance.now() - t0;
    await Promise.all(inflight);
    return { offeredPerSec: rate, sent, acked, skipped, errors, ...(firstError !== undefined && { firstError }), wallMs, ackedPerSec: acked / (wallMs / 1000), p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------
// Throughput and CPU rounds

interface CpuResult {
  /** The open-loop phase on the single node or the leader. */
  open: OpenResult;
  /** CPU seconds per 1000 acknowledged tx: the single node or the leader. */
  cpuPerKTx: number | null;
  cpuPct: number | null;
  /** Followers (cluster only): mean CPU seconds per 1000 tx of one follower. */
  followerCpuPerKTx: number | null;
  /** CPU % of one core while idle, before the open loop (heartbeats, timers). */
  idleCpuPct: number | null;
  followerIdleCpuPct: number | null;
}

interface RoundResult {
  system: 'single' | 'cluster';
  round: number;
  ok: boolean;
  error?: string;
  phases: PhaseResult[];
  cpu?: CpuResult;
  /** Cluster: per node, knowd_cluster_* counters after − before the measured phases, and the terms. */
  roleDelta?: Record<string, RoleCounters>;
  termBefore?: number;
  termAfter?: number;
  leaderBefore?: string;
  leaderAfter?: string;
  storeCheck?: string;
  serverLog: string[];
  startupMs: number;
}

/** CPU seconds of each pid over `fn`. */
async function cpuDuring<T>(pids: number[], fn: () => Promise<T>): Promise<{ value: T; cpu: (number | null)[]; wallMs: number }> {
  const before = pids.map((p) => cpuSeconds(p));
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const cpu = pids.map((p, i) => {
    const a = before[i];
    const b = cpuSeconds(p);
    return a === null || a === undefined || b === null ? null : b - a;
  });
  return { value, cpu, wallMs };
}

/** Idle and fixed-rate phases: the first pid is the node that takes the writes, the rest are followers. */
async function cpuPhases(opts: Options, target: Target, pids: number[], rate: number, tag: string, ledger: Ledger): Promise<CpuResult> {
  const idle = await cpuDuring(pids, () => sleep(opts.idleSeconds * 1000));
  const pct = (cpu: number | null | undefined, ms: number): number | null => (cpu === null || cpu === undefined || ms <= 0 ? null : (100 * cpu) / (ms / 1000));
  const open = await cpuDuring(pids, () => openLoop(rate, opts.openSeconds, Math.max(128, 8 * opts.concurrency), () => target, (k) => txBody(tag, k), () => undefined, ledger));
  const perK = (cpu: number | null | undefined): number | null => (cpu === null || cpu === undefined || open.value.acked === 0 ? null : (1000 * cpu) / open.value.acked);
  const followers = open.cpu.slice(1);
  const followerIdle = idle.cpu.slice(1);
  const mean = (xs: (number | null)[]): number | null => (xs.length === 0 || xs.some((x) => x === null) ? null : (xs as number[]).reduce((a, x) => a + x, 0) / xs.length);
  return {
    open: open.value,
    cpuPerKTx: perK(open.cpu[0]),
    cpuPct: pct(open.cpu[0], open.wallMs),
    followerCpuPerKTx: perK(mean(followers)),
    idleCpuPct: opts.idleSeconds > 0 ? pct(idle.cpu[0], idle.wallMs) : null,
    followerIdleCpuPct: opts.idleSeconds > 0 ? pct(mean(followerIdle), idle.wallMs) : null,
  };
}

function phaseProblems(r: RoundResult): string[] {
  const out = r.phases.filter((p) => p.errors > 0 || p.addedMismatch > 0).map((p) => `${p.phase}: ${p.errors} failed tx (${p.firstError ?? ''}), ${p.addedMismatch} with added != triples sent`);
  if (r.cpu !== undefined && r.cpu.open.errors > 0) out.push(`fixed-rate phase: ${r.cpu.open.errors} failed tx (${r.cpu.open.firstError ?? ''})`);
  return out;
}

/** The store grew by what was acknowledged (failed writes may or may not have been applied: up to 3 triples each). */
function ledgerCheck(name: string, grown: number, ledger: Ledger): string | null {
  const max = ledger.ackedTriples + 3 * ledger.failedTx;
  if (grown >= ledger.ackedTriples && grown <= max) return null;
  return `${name}: the store grew by ${grown} quads, expected ${ledger.ackedTriples}${ledger.failedTx > 0 ? `–${max}` : ''}`;
}

async function singleRound(opts: Options, round: number, rate: { value: number | null }): Promise<RoundResult> {
  const result: RoundResult = { system: 'single', round, ok: false, phases: [], serverLog: [], startupMs: 0 };
  const dir = fs.mkdtempSync(path.join(opts.tmpDir, 'knowd-bench-single-'));
  tmpDirs.add(dir);
  let node: NodeProc | undefined;
  try {
    const t0 = performance.now();
    node = await spawnNode('single', path.join(dir, 'data'), await freePort(), []);
    await waitStatus(node, '/readyz', 60_000);
    result.startupMs = performance.now() - t0;
    const base = await storeQuads(node);
    const ledger: Ledger = { ackedTriples: 0, failedTx: 0 };
    const target = [{ name: 'single', port: node.port }];
    await closedLoop('warm-up', target, opts.concurrency, opts.warmupSeconds, `single${round}w`, ledger);
    log(`  single r${round}: closed loop, ${opts.concurrency} clients, ${opts.seconds} s`);
    const p = await closedLoop('single', target, opts.concurrency, opts.seconds, `single${round}`, ledger);
    result.phases.push(p);
    log(`    ${fmt(p.txPerSec, 0)} tx/s, p50 ${fmtMs(p.p50Ms)} ms, p99 ${fmtMs(p.p99Ms)} ms, ${p.errors} errors`);
    // The fixed rate is set once, from the first single-node measurement, and used by every round.
    rate.value ??= Math.max(1, Math.round(opts.openFraction * p.txPerSec));
    log(`  single r${round}: idle ${opts.idleSeconds} s, then ${rate.value} tx/s for ${opts.openSeconds} s (open loop)`);
    result.cpu = await cpuPhases(opts, target[0]!, [node.pid], rate.value, `single${round}o`, ledger);
    log(`    ${fmt(result.cpu.cpuPerKTx, 2)} cpu s per 1000 tx (${fmt(result.cpu.open.ackedPerSec, 0)} tx/s acked, ${result.cpu.open.skipped} skipped)`);
    const problems = phaseProblems(result);
    const check = ledgerCheck('single', (await storeQuads(node)) - base, ledger);
    if (check !== null) problems.push(check);
    result.storeCheck = check ?? `ok: +${ledger.ackedTriples} quads`;
    if (crashed(node)) problems.push('the single node exited by itself');
    result.ok = problems.length === 0;
    if (!result.ok) result.error = problems.join('; ');
  } catch (e) {
    result.error = errMsg(e);
  } finally {
    if (node !== undefined) {
      await stopNode(node);
      result.serverLog = node.logs;
    }
    removeTmpDir(dir);
  }
  return result;
}

/** Waits until every live node has applied the leader's commit index (then their stores can be compared). */
async function waitConverged(c: Cluster, timeoutMs: number): Promise<number> {
  const { status } = await c.leader(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await Promise.all(c.live().map((p) => clusterStatus(p)));
    if (st.every((s) => s.appliedIndex >= status.commitIndex)) return status.commitIndex;
    if (Date.now() > deadline) throw new Error(`nodes did not apply index ${status.commitIndex} within ${timeoutMs / 1000} s: ${st.map((s) => s.appliedIndex).join(', ')}`);
    await sleep(50);
  }
}

async function clusterRound(opts: Options, round: number, rate: { value: number | null }): Promise<RoundResult> {
  const result: RoundResult = { system: 'cluster', round, ok: false, phases: [], serverLog: [], startupMs: 0 };
  const c = await Cluster.create(opts.tmpDir, 3);
  try {
    const t0 = performance.now();
    await c.startAll();
    const leader = await c.leader();
    result.startupMs = performance.now() - t0;
    const followers = c.live().filter((p) => p !== leader.proc);
    const all = [leader.proc, ...followers];
    const base = await Promise.all(all.map((p) => storeQuads(p)));
    const ledger: Ledger = { ackedTriples: 0, failedTx: 0 };
    const toLeader = [{ name: `leader ${leader.proc.name}`, port: leader.proc.port }];
    const toFollowers = followers.map((f) => ({ name: `follower ${f.name}`, port: f.port }));
    const before = await Promise.all(all.map((p) => roleCounters(p)));
    result.termBefore = leader.status.term;
    result.leaderBefore = leader.proc.name;

    await closedLoop('warm-up', toLeader, opts.concurrency, opts.warmupSeconds, `cl${round}w`, ledger);
    log(`  cluster r${round}: closed loop to the leader (${leader.proc.name}), ${opts.concurrency} clients, ${opts.seconds} s`);
    const pl = await closedLoop('cluster → leader', toLeader, opts.concurrency, opts.seconds, `cl${round}l`, ledger);
    result.phases.push(pl);
    log(`    ${fmt(pl.txPerSec, 0)} tx/s, p50 ${fmtMs(pl.p50Ms)} ms, p99 ${fmtMs(pl.p99Ms)} ms, ${pl.errors} errors`);
    await closedLoop('warm-up', toFollowers, opts.concurrency, opts.warmupSeconds, `cl${round}v`, ledger);
    log(`  cluster r${round}: closed loop to the followers (${followers.map((f) => f.name).join(', ')}), ${opts.concurrency} clients, ${opts.seconds} s`);
    const pf = await closedLoop('cluster → followers', toFollowers, opts.concurrency, opts.seconds, `cl${round}f`, ledger);
    result.phases.push(pf);
    log(`    ${fmt(pf.txPerSec, 0)} tx/s, p50 ${fmtMs(pf.p50Ms)} ms, p99 ${fmtMs(pf.p99Ms)} ms, ${pf.errors} errors`);
    if (rate.value !== null) {
      log(`  cluster r${round}: idle ${opts.idleSeconds} s, then ${rate.value} tx/s to the leader for ${opts.openSeconds} s (open loop)`);
      result.cpu = await cpuPhases(opts, toLeader[0]!, all.map((p) => p.pid), rate.value, `cl${round}o`, ledger);
      log(`    leader ${fmt(result.cpu.cpuPerKTx, 2)} cpu s per 1000 tx, follower ${fmt(result.cpu.followerCpuPerKTx, 2)} (${fmt(result.cpu.open.ackedPerSec, 0)} tx/s acked, ${result.cpu.open.skipped} skipped)`);
    }
    const after = await Promise.all(all.map((p) => roleCounters(p)));
    result.roleDelta = Object.fromEntries(all.map((p, i) => [p.name, { elections: after[i]!.elections - before[i]!.elections, roleChanges: after[i]!.roleChanges - before[i]!.roleChanges }]));
    const now = await c.leader();
    result.termAfter = now.status.term;
    result.leaderAfter = now.proc.name;

    const problems = phaseProblems(result);
    await waitConverged(c, 30_000);
    const grown = await Promise.all(all.map(async (p, i) => (await storeQuads(p)) - base[i]!));
    for (const [i, g] of grown.entries()) {
      const check = ledgerCheck(all[i]!.name, g, ledger);
      if (check !== null) problems.push(check);
    }
    if (new Set(grown).size !== 1) problems.push(`the nodes differ after convergence: ${grown.join(' / ')} quads added`);
    result.storeCheck = problems.length === 0 ? `ok: +${ledger.ackedTriples} quads on all 3 nodes` : 'see errors';
    problems.push(...c.crashed());
    result.ok = problems.length === 0;
    if (!result.ok) result.error = problems.join('; ');
  } catch (e) {
    result.error = errMsg(e);
  } finally {
    result.serverLog = await c.dispose();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Failover

interface FailoverRun {
  run: number;
  ok: boolean;
  error?: string;
  killed: string;
  killedTerm: number;
  newLeader: string | null;
  newTerm: number | null;
  /** SIGKILL → the first acknowledged write sent after it (ms), on the client's clock. */
  failoverMs: number | null;
  /** Node that acknowledged it, and how many probe writes had been sent by then. */
  firstAckVia: string | null;
  probesSent: number;
  /** Acknowledged writes in this run (steady load before and after the kill, probes). */
  acked: number;
  /** Writes that failed or timed out (not acknowledged: they may or may not be applied). */
  notAcked: number;
  firstNotAckedError?: string;
  /** Acknowledged writes missing on each survivor, and on the killed node once it has rejoined. */
  lost: Record<string, number>;
  lostRejoined: number | null;
  /** knowd_cluster_* counter deltas summed over the survivors (kill → end of the run). */
  elections: number;
  roleChanges: number;
  /** Restart of the killed node → caught up and /readyz 200 on all (ms), and its steps: → its /healthz 200, → applied the leader's commit index. */
  rejoinMs: number | null;
  rejoinSteps: { healthzMs: number; caughtUpMs: number } | null;
  loadavg1: number;
}

/** Subjects on `node` with predicate `pred`, read once it has applied `minIndex`. */
async function subjectsWith(node: NodeProc, pred: string, minIndex: number): Promise<Set<string>> {
  const r = await httpRequest(node.agent, node.port, 'POST', '/v1/query', JSON.stringify({ query: `SELECT ?s WHERE { ?s <${pred}> ?o }` }), { ...JSON_HEADERS, 'x-knowd-min-index': String(minIndex) }, 30_000);
  if (r.status !== 200) throw new Error(`${node.name}: query answered ${r.status}: ${r.body.slice(0, 300)}`);
  return new Set((JSON.parse(r.body) as { rows: { s: string }[] }).rows.map((x) => x.s));
}

async function failoverRun(opts: Options, c: Cluster, run: number): Promise<FailoverRun> {
  const leader = await c.leader(30_000);
  const result: FailoverRun = {
    run, ok: false, killed: leader.proc.name, killedTerm: leader.status.term, newLeader: null, newTerm: null, failoverMs: null, firstAckVia: null,
    probesSent: 0, acked: 0, notAcked: 0, lost: {}, lostRejoined: null, elections: 0, roleChanges: 0, rejoinMs: null, rejoinSteps: null, loadavg1: os.loadavg()[0]!,
  };
  const tag = `fo${run}`;
  // One predicate per run (single-triple writes: txBody appends 0): the check reads exactly this run's
  // writes through the predicate index.
  const predBase = `${IRI}/fo/${run}/p`;
  const pred = `${predBase}0`;
  const acked = new Map<string, number>();
  const ledger: Ledger = { ackedTriples: 0, failedTx: 0 };
  const survivors = c.live().filter((p) => p !== leader.proc);
  const before = await Promise.all(survivors.map((p) => roleCounters(p)));

  // Light steady load, round-robin over the live nodes (the leader too, until it is killed).
  const stop = { stopped: false };
  const targets = (): NodeProc[] => c.live();
  const load = openLoop(
    opts.failoverRate, 3_600, 64,
    (k) => {
      const t = targets();
      const p = t[k % Math.max(1, t.length)];
      return p === undefined ? undefined : { name: p.name, port: p.port };
    },
    (k) => txBody(tag, k, 1, predBase),
    (b, r) => acked.set(b.subject, r.logIndex),
    ledger, stop,
  );
  try {
    await sleep(opts.quick ? 500 : 1_000);
    const killedAt = performance.now();
    await c.kill(leader.member);

    // The probe: a new write every 20 ms, alternating between the survivors, until one is acknowledged.
    const probeAgent = new http.Agent({ keepAlive: true });
    const probes: Promise<void>[] = [];
    const first: { ackAt: number | null } = { ackAt: null };
    try {
      for (let i = 0; first.ackAt === null && performance.now() - killedAt < 30_000; i++) {
        const via = survivors[i % survivors.length]!;
        const b = txBody(`${tag}p`, i, 1, predBase);
        result.probesSent++;
        probes.push(
          postTx(probeAgent, via.port, b, 30_000).then((r) => {
            if (r.ok) {
              acked.set(b.subject, r.logIndex);
              if (first.ackAt === null) {
                first.ackAt = performance.now();
                result.firstAckVia = via.name;
              }
            } else {
              result.notAcked++;
              result.firstNotAckedError ??= `probe via ${via.name}: ${r.error ?? ''}`;
            }
          }),
        );
        await sleep(20);
      }
      if (first.ackAt === null) throw new Error('no write was acknowledged within 30 s of the SIGKILL');
      result.failoverMs = first.ackAt - killedAt;
      await sleep(500); // the steady load goes on through the new leader for a moment
      stop.stopped = true;
      await Promise.all(probes);
    } finally {
      probeAgent.destroy();
    }
    const steady = await load;
    result.notAcked += steady.errors;
    if (steady.firstError !== undefined) result.firstNotAckedError ??= steady.firstError;
    result.acked = acked.size;
    const now = await c.leader(30_000);
    result.newLeader = now.proc.name;
    result.newTerm = now.status.term;
    const after = await Promise.all(survivors.map((p) => roleCounters(p)));
    result.elections = after.reduce((a, x, i) => a + x.elections - before[i]!.elections, 0);
    result.roleChanges = after.reduce((a, x, i) => a + x.roleChanges - before[i]!.roleChanges, 0);

    // Every acknowledged write must be on every survivor.
    const maxIndex = Math.max(0, ...acked.values());
    for (const s of survivors) {
      const have = await subjectsWith(s, pred, maxIndex);
      result.lost[s.name] = [...acked.keys()].filter((x) => !have.has(x)).length;
    }

    // The killed node rejoins (same ports and data directory, follower hint) and catches up.
    const t = performance.now();
    const idx = c.members.indexOf(leader.member);
    const back = await c.start(idx, 'follower');
    const healthzMs = performance.now() - t;
    const commit = (await c.leader(30_000)).status.commitIndex;
    const deadline = Date.now() + 60_000;
    while ((await clusterStatus(back)).appliedIndex < commit) {
      if (Date.now() > deadline) throw new Error(`${back.name} did not catch up to index ${commit} within 60 s after its restart`);
      await sleep(50);
    }
    result.rejoinSteps = { healthzMs, caughtUpMs: performance.now() - t };
    await c.waitAllReady(60_000);
    result.rejoinMs = performance.now() - t;
    const have = await subjectsWith(back, pred, maxIndex);
    result.lostRejoined = [...acked.keys()].filter((x) => !have.has(x)).length;

    const lost = Object.values(result.lost).reduce((a, x) => a + x, 0) + result.lostRejoined;
    result.ok = lost === 0;
    if (!result.ok) result.error = `LOST ACKNOWLEDGED WRITES: ${JSON.stringify(result.lost)}, rejoined ${result.killed}: ${result.lostRejoined}`;
  } catch (e) {
    result.error = errMsg(e);
  } finally {
    stop.stopped = true;
    await load.catch(() => undefined);
  }
  return result;
}

interface FailoverSection {
  runs: FailoverRun[];
  error?: string;
  finalCheck?: string;
  serverLog: string[];
}

async function failoverSection(opts: Options): Promise<FailoverSection> {
  const out: FailoverSection = { runs: [], serverLog: [] };
  const c = await Cluster.create(opts.tmpDir, 3);
  try {
    await c.startAll();
    for (let run = 1; run <= opts.failovers; run++) {
      const r = await failoverRun(opts, c, run);
      out.runs.push(r);
      log(`  failover ${run}/${opts.failovers}: killed ${r.killed} (term ${r.killedTerm}) → ${r.newLeader ?? '?'} (term ${r.newTerm ?? '?'}); first ack after ${fmt(r.failoverMs, 0)} ms via ${r.firstAckVia ?? '?'}; ${r.acked} acked, ${r.notAcked} not; elections ${r.elections}; rejoined in ${fmt(r.rejoinMs, 0)} ms (healthz ${fmt(r.rejoinSteps?.healthzMs ?? null, 0)}, caught up ${fmt(r.rejoinSteps?.caughtUpMs ?? null, 0)})${r.ok ? '' : `; FAILED: ${r.error ?? ''}`}`);
      if (c.live().length < c.members.length) {
        out.error = `the cluster did not get back to ${c.members.length} nodes after run ${run}; failover runs stopped`;
        break;
      }
    }
    // All three converge to the same store.
    await waitConverged(c, 60_000);
    const q = await Promise.all(c.live().map((p) => storeQuads(p)));
    out.finalCheck = new Set(q).size === 1 ? `ok: all ${q.length} nodes hold ${q[0]} quads` : `NODES DIFFER: ${q.join(' / ')} quads`;
    const gone = c.crashed();
    if (gone.length > 0) out.error = [out.error, ...gone].filter((x) => x !== undefined).join('; ');
  } catch (e) {
    out.error = errMsg(e);
  } finally {
    out.serverLog = await c.dispose();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Summary and report

interface ThroughputSummary {
  phase: string;
  okRounds: number;
  rounds: number;
  txPerSec: number | null;
  triplesPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  ratioVsSingle: number | null;
  errors: number;
}

function summarizeThroughput(rounds: RoundResult[]): ThroughputSummary[] {
  const phases = rounds.flatMap((r) => r.phases.map((p) => ({ p, ok: r.ok })));
  const names = ['single', 'cluster → leader', 'cluster → followers'];
  const out = names.map((phase) => {
    const all = phases.filter((x) => x.p.phase === phase);
    const ok = all.filter((x) => x.ok && x.p.errors === 0).map((x) => x.p);
    const m = (f: (p: PhaseResult) => number | null): number | null => median(ok.flatMap((p) => (f(p) === null ? [] : [f(p)!])));
    return { phase, okRounds: ok.length, rounds: all.length, txPerSec: m((p) => p.txPerSec), triplesPerSec: m((p) => p.triplesPerSec), p50Ms: m((p) => p.p50Ms), p99Ms: m((p) => p.p99Ms), ratioVsSingle: null as number | null, errors: all.reduce((a, x) => a + x.p.errors, 0) };
  });
  const single = out[0]!.txPerSec;
  for (const s of out) if (single !== null && s.txPerSec !== null) s.ratioVsSingle = s.txPerSec / single;
  return out;
}

interface CpuSummary {
  system: string;
  offeredPerSec: number | null;
  ackedPerSec: number | null;
  skipped: number;
  cpuPerKTx: number | null;
  cpuPct: number | null;
  idleCpuPct: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

function summarizeCpu(rounds: RoundResult[]): { rows: CpuSummary[]; overheadPct: number | null; perRoundOverheadPct: (number | null)[] } {
  const of = (system: 'single' | 'cluster'): CpuResult[] => rounds.filter((r) => r.system === system && r.ok && r.cpu !== undefined).map((r) => r.cpu!);
  const row = (name: string, xs: CpuResult[], follower: boolean): CpuSummary => {
    const m = (f: (c: CpuResult) => number | null): number | null => median(xs.flatMap((c) => (f(c) === null ? [] : [f(c)!])));
    return {
      system: name,
      offeredPerSec: m((c) => c.open.offeredPerSec),
      ackedPerSec: m((c) => c.open.ackedPerSec),
      skipped: xs.reduce((a, c) => a + c.open.skipped, 0),
      cpuPerKTx: m((c) => (follower ? c.followerCpuPerKTx : c.cpuPerKTx)),
      cpuPct: follower ? null : m((c) => c.cpuPct),
      idleCpuPct: m((c) => (follower ? c.followerIdleCpuPct : c.idleCpuPct)),
      p50Ms: follower ? null : m((c) => c.open.p50Ms),
      p99Ms: follower ? null : m((c) => c.open.p99Ms),
    };
  };
  const single = of('single');
  const cluster = of('cluster');
  const rows = [row('single', single, false), row('cluster leader', cluster, false), row('cluster follower (each)', cluster, true)];
  const s = rows[0]!.cpuPerKTx;
  const l = rows[1]!.cpuPerKTx;
  const perRound = [...new Set(rounds.map((r) => r.round))].map((n) => {
    const a = rounds.find((r) => r.round === n && r.system === 'single')?.cpu?.cpuPerKTx ?? null;
    const b = rounds.find((r) => r.round === n && r.system === 'cluster')?.cpu?.cpuPerKTx ?? null;
    return a === null || b === null ? null : (100 * (b - a)) / a;
  });
  return { rows, overheadPct: s === null || l === null ? null : (100 * (l - s)) / s, perRoundOverheadPct: perRound };
}

/**
 * "<section>: <time> <node> <level>: <msg> {fields}" lines → one line per level + message: count, the
 * sections it came from, and its first occurrence with the fields.
 */
function groupLog(lines: readonly string[]): string[] {
  const groups = new Map<string, { count: number; sections: Map<string, number>; first: string }>();
  for (const line of lines) {
    const m = /^([^:]+): \S+ \S+ (.*?)( \{.*)?$/.exec(line);
    const key = m?.[2] ?? line;
    const g = groups.get(key) ?? { count: 0, sections: new Map<string, number>(), first: line };
    g.count++;
    const section = m?.[1] ?? '?';
    g.sections.set(section, (g.sections.get(section) ?? 0) + 1);
    groups.set(key, g);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .flatMap(([key, g]) => [`  ${g.count} × ${key.slice(0, 200)} (${[...g.sections].map(([sec, n]) => `${sec} ${n}`).join(', ')})`, `      first: ${g.first.slice(0, 400)}`]);
}

const mark = (ok: boolean | null): string => (ok === null ? '(n/a)' : ok ? 'met' : 'MISSED');

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = performance.now();
  if (opts.build || !fs.existsSync(KNOWD_JS)) {
    log('building (npm run build)…');
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  } else if (newestMtime(path.join(ROOT, 'src')) > fs.statSync(KNOWD_JS).mtimeMs) {
    log('warning: src/ has .ts files newer than dist/: the numbers are for the last build (use --build)');
  }
  if (opts.pin) {
    process.env['BENCH_PIN'] = '1';
    // The load generator shares CPU 1 with the followers, leaving CPU 0 to the node under test.
    const r = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('--pin needs taskset (util-linux) and 2 CPUs');
    log('pinned: single node and leader on CPU 0; followers and the load generator on CPU 1');
  }
  const commit = gitCommit(ROOT);
  const machine = { pinned: opts.pin, nproc: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? null, memTotalMiB: Math.round(os.totalmem() / MIB), loadavgAtStart: os.loadavg() };
  log(`machine: ${machine.nproc} CPUs (${machine.cpuModel ?? '?'}), load average ${machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}; shared machine: expect noise`);

  const rounds: RoundResult[] = [];
  const rate: { value: number | null } = { value: null };
  if (opts.only.has('throughput')) {
    for (let round = 1; round <= opts.rounds; round++) {
      // Alternate which system goes first, to spread slow drifts in the machine's load over both.
      const order = round % 2 === 1 ? (['single', 'cluster'] as const) : (['cluster', 'single'] as const);
      for (const system of order) {
        log(`round ${round}/${opts.rounds}: ${system}`);
        const r = system === 'single' ? await singleRound(opts, round, rate) : await clusterRound(opts, round, rate);
        rounds.push(r);
        if (!r.ok) log(`  ${system} round ${round} FAILED: ${r.error ?? ''}`);
        if (r.roleDelta !== undefined) log(`  elections / role changes during the cluster phases: ${Object.entries(r.roleDelta).map(([n, d]) => `${n} ${d.elections}/${d.roleChanges}`).join(', ')}; term ${r.termBefore ?? '?'} → ${r.termAfter ?? '?'}`);
      }
    }
  }
  let failover: FailoverSection | undefined;
  if (opts.only.has('failover')) {
    log(`failover: ${opts.failovers} × SIGKILL of the leader under ${opts.failoverRate} tx/s`);
    failover = await failoverSection(opts);
  }

  // ---- report ----
  const out: string[] = [];
  const failures: string[] = [];
  out.push(`Machine: ${machine.nproc} CPUs (${machine.cpuModel ?? '?'}), ${machine.memTotalMiB} MiB; load average at start ${machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}.`);
  out.push('The machine is shared and all nodes, and the client, run on it: numbers are noisy, and the 3 cluster nodes share its cores.');
  const tput = summarizeThroughput(rounds);
  const cpu = summarizeCpu(rounds);
  const clusterRounds = rounds.filter((r) => r.system === 'cluster');
  const elections = clusterRounds.reduce((a, r) => a + Object.values(r.roleDelta ?? {}).reduce((b, d) => b + d.elections, 0), 0);
  const roleChanges = clusterRounds.reduce((a, r) => a + Object.values(r.roleDelta ?? {}).reduce((b, d) => b + d.roleChanges, 0), 0);
  const termChanges = clusterRounds.filter((r) => r.termBefore !== undefined && r.termAfter !== r.termBefore).length;
  if (rounds.length > 0) {
    out.push('', `1. Write throughput: ${opts.concurrency} closed-loop clients, 1–3 triples per tx (n-triples, a new subject each), ${opts.seconds} s per phase; median of the error-free rounds`);
    out.push(
      table(
        ['writes to', 'ok rounds', 'tx/s', 'triples/s', 'p50 ms', 'p99 ms', '×single', 'errors'],
        tput.map((s) => [s.phase, `${s.okRounds}/${s.rounds}`, fmt(s.txPerSec, 0), fmt(s.triplesPerSec, 0), fmtMs(s.p50Ms), fmtMs(s.p99Ms), fmt(s.ratioVsSingle, 2), String(s.errors)]),
        [false, true, true, true, true, true, true, true],
      ),
    );
    const ratio = tput[1]!.ratioVsSingle;
    out.push(`cluster (leader) / single: ${fmt(ratio, 2)} [target ≥ 0.70: ${mark(ratio === null ? null : ratio >= 0.7)}]; per round: ${[...new Set(rounds.map((r) => r.round))].map((n) => {
      const s = rounds.find((r) => r.round === n && r.system === 'single')?.phases[0]?.txPerSec;
      const l = rounds.find((r) => r.round === n && r.system === 'cluster')?.phases[0]?.txPerSec;
      return s === undefined || l === undefined ? '—' : (l / s).toFixed(2);
    }).join(' ')}`);
    out.push(`elections during the cluster phases (all nodes, all rounds, after start-up): ${elections}, role changes ${roleChanges}, rounds with a term change ${termChanges} [target 0 spurious elections: ${mark(clusterRounds.length === 0 ? null : elections === 0 && roleChanges === 0 && termChanges === 0)}]`);

    const rateValue = rate.value;
    out.push('', `2. CPU cost of replication: open loop at a fixed ${rateValue ?? '—'} tx/s (${Math.round(opts.openFraction * 100)} % of round 1's single-node tx/s) for ${opts.openSeconds} s, to the single node or the leader; cpu = utime + stime of the process (/proc/PID/stat)`);
    out.push(
      table(
        ['process', 'offered tx/s', 'acked tx/s', 'skipped', 'cpu s / 1000 tx', 'cpu %', 'idle cpu %', 'p50 ms', 'p99 ms'],
        cpu.rows.map((r) => [r.system, fmt(r.offeredPerSec, 0), fmt(r.ackedPerSec, 0), String(r.skipped), fmt(r.cpuPerKTx, 3), fmt(r.cpuPct, 0), fmt(r.idleCpuPct, 1), fmtMs(r.p50Ms), fmtMs(r.p99Ms)]),
        [false, true, true, true, true, true, true, true, true],
      ),
    );
    out.push(`leader overhead: ${cpu.overheadPct === null ? '—' : `${cpu.overheadPct >= 0 ? '+' : ''}${cpu.overheadPct.toFixed(1)} %`} cpu per tx vs single [seed target < 5 %: ${mark(cpu.overheadPct === null ? null : cpu.overheadPct < 5)}]; per round: ${cpu.perRoundOverheadPct.map((x) => (x === null ? '—' : `${x.toFixed(0)} %`)).join(' ')} (median ${fmt(median(cpu.perRoundOverheadPct.flatMap((x) => (x === null ? [] : [x]))), 1)} %)`);
    if (cpu.rows.some((r) => r.skipped > 0)) {
      out.push(`note: ${cpu.rows.filter((r) => r.skipped > 0).map((r) => r.system).join(' and ')} fell behind the fixed rate (skipped > 0), so the two did not do quite the same work; a lower --open-fraction keeps both below saturation`);
    }
    for (const r of rounds.filter((x) => !x.ok)) failures.push(`${r.system} round ${r.round}: ${r.error ?? ''}`);
    if (elections > 0 || roleChanges > 0 || termChanges > 0) failures.push(`spurious elections during the cluster throughput phases: ${elections} elections, ${roleChanges} role changes, ${termChanges} term changes`);
  }
  if (failover !== undefined) {
    const runs = failover.runs;
    const times = runs.flatMap((r) => (r.failoverMs === null ? [] : [r.failoverMs]));
    const med = median(times);
    const p90 = percentile(times, 90);
    const worst = times.length === 0 ? null : Math.max(...times);
    const lost = runs.reduce((a, r) => a + Object.values(r.lost).reduce((b, x) => b + x, 0) + (r.lostRejoined ?? 0), 0);
    const checked = runs.reduce((a, r) => a + r.acked, 0);
    const el = runs.map((r) => r.elections);
    const rejoin = runs.flatMap((r) => (r.rejoinMs === null ? [] : [r.rejoinMs / 1000]));
    out.push('', `3. Failover: SIGKILL of the leader → first write acknowledged through a survivor (a new write every 20 ms, alternating survivors), under ${opts.failoverRate} tx/s of steady writes`);
    out.push(
      table(
        ['runs', 'median ms', 'p90 ms', 'worst ms', 'best ms', 'acked writes checked', 'lost', 'elections/run (min–max)', 'runs with term +2 or more', 'rejoin s (median / max)'],
        [[
          `${times.length}/${opts.failovers}`, fmt(med, 0), fmt(p90, 0), fmt(worst, 0), fmt(times.length === 0 ? null : Math.min(...times), 0), String(checked), String(lost),
          el.length === 0 ? '—' : `${Math.min(...el)}–${Math.max(...el)}`,
          String(runs.filter((r) => r.newTerm !== null && r.newTerm - r.killedTerm > 1).length),
          `${fmt(median(rejoin), 1)} / ${fmt(rejoin.length === 0 ? null : Math.max(...rejoin), 1)}`,
        ]],
        [true, true, true, true, true, true, true, true, true, true],
      ),
    );
    out.push(`per run: ${runs.map((r) => `${fmt(r.failoverMs, 0)} ms${r.newTerm !== null && r.newTerm - r.killedTerm > 1 ? ` (term +${r.newTerm - r.killedTerm})` : ''}`).join(', ')}`);
    out.push(`[targets: median < 1000 ms: ${mark(med === null ? null : med < 1000)}; worst of ${times.length} < 3000 ms: ${mark(worst === null ? null : worst < 3000)}; zero lost acknowledged writes: ${mark(runs.length === 0 ? null : lost === 0)}]`);
    if (failover.finalCheck !== undefined) out.push(`after the last run: ${failover.finalCheck}`);
    if (lost > 0) failures.push(`LOST ACKNOWLEDGED WRITES: ${lost} (see the runs below)`);
    for (const r of runs.filter((x) => !x.ok)) failures.push(`failover run ${r.run}: ${r.error ?? ''}`);
    if (failover.error !== undefined) failures.push(`failover: ${failover.error}`);
    if (failover.finalCheck?.startsWith('ok') === false) failures.push(`failover: ${failover.finalCheck}`);
  }
  const serverLog = [...rounds.flatMap((r) => r.serverLog.map((l) => `${r.system} r${r.round}: ${l}`)), ...(failover?.serverLog ?? []).map((l) => `failover: ${l}`)];
  if (failures.length > 0) out.push('', 'FAILURES:', ...failures.map((f) => `  ${f}`));
  if (serverLog.length > 0) out.push('', `Server log lines at warn and above, by message (${serverLog.length} lines; all of them in the JSON):`, ...groupLog(serverLog));
  const totalSec = (performance.now() - t0) / 1000;
  out.push('', `total ${totalSec.toFixed(0)} s; load average at the start of each phase: ${rounds.flatMap((r) => r.phases.map((p) => p.loadavg1.toFixed(1))).join(' ')}${failover === undefined ? '' : `; failover runs: ${failover.runs.map((r) => r.loadavg1.toFixed(1)).join(' ')}`}`);

  const results = {
    startedAt: startedAt.toISOString(),
    totalSeconds: totalSec,
    options: { ...opts, only: [...opts.only] },
    environment: { node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`, ...machine, loadavgAtEnd: os.loadavg(), gitCommit: commit, distBuiltAt: new Date(fs.statSync(KNOWD_JS).mtimeMs).toISOString(), sharedMachine: true },
    fixedRatePerSec: rate.value,
    throughputSummary: tput,
    elections: { elections, roleChanges, termChanges },
    cpuSummary: cpu,
    failoverSummary: failover === undefined ? null : { runs: failover.runs.length, failoverMs: failover.runs.map((r) => r.failoverMs), finalCheck: failover.finalCheck ?? null, error: failover.error ?? null },
    rounds,
    failoverRuns: failover?.runs ?? [],
    serverLog,
    failures,
  };
  const outFile = opts.out ?? path.join(BENCH_DIR, 'results', `cluster-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
  out.push(`results: ${path.relative(process.cwd(), outFile)}`);
  process.stdout.write(`\n${out.join('\n')}\n`);
  if (failures.length > 0) process.exitCode = 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping ${liveChildren().length} child process(es)`);
    killAllNow();
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
    process.exit(130);
  });
}
process.once('exit', killAllNow);

try {
  await main();
} catch (e) {
  log(`error: ${errMsg(e)}`);
  process.exitCode = 1;
} finally {
  for (const c of liveChildren()) await stopChild(c, 5_000);
  for (const d of [...tmpDirs]) removeTmpDir(d);
}
