// What the soak watches, from outside the server: /proc (memory, descriptors, threads), the LMDB
// environment's files and reader table (opened read-only from this process, as another LMDB reader
// would), and /metrics. And the judgement: does anything keep growing after the warm-up?
import fs from 'node:fs';
import path from 'node:path';
import { open, type RootDatabase } from 'lmdb';

export interface Sample {
  /** Since the workload started. */
  readonly tMs: number;
  readonly rssBytes: number | null;
  readonly fdSockets: number;
  /** Files, pipes, eventfds, epoll instances: everything but sockets, which come and go with clients. */
  readonly fdOther: number;
  readonly threads: number | null;
  /** data.mdb on disk, and the pages LMDB has handed out (the file may be larger). */
  readonly storeFileBytes: number;
  readonly storeUsedBytes: number;
  /** Every file under the data directory (snapshots, vector indexes, logs). */
  readonly dataDirBytes: number;
  /** Slots of the server in LMDB's reader table; those inside a read transaction; the oldest one's txn id. */
  readonly readerSlots: number;
  readonly readersActive: number;
  readonly oldestReaderTxn: number | null;
  readonly lastTxnId: number;
  readonly maxReaders: number;
  /** Time series in /metrics (a label value per namespace, route… that is never removed grows this). */
  readonly metricSeries: number | null;
  readonly heapUsedBytes: number | null;
  /** The main thread's active libuv handles and requests plus timers (prom-client's nodejs_active_resources_total). */
  readonly activeResources: number | null;
  readonly requests: number;
  readonly writes: number;
  /** Only when /metrics did not answer (a stalled server): what each thread was doing. */
  readonly threadStates?: readonly ThreadState[];
}

export interface ThreadState {
  readonly tid: number;
  readonly name: string;
  /** R running, S sleeping, D disk… (/proc/PID/task/TID/stat). */
  readonly state: string;
  readonly cpuS: number;
  /** The kernel function it sleeps in (futex_wait…, ep_poll…). */
  readonly wchan: string;
}

/** Each thread's name, state, CPU seconds and wait channel: is a stalled server spinning or blocked, and where? */
export function threadStates(pid: number): ThreadState[] {
  const out: ThreadState[] = [];
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const dir = `/proc/${pid}/task/${tid}`;
      const stat = fs.readFileSync(`${dir}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let wchan = '';
      try {
        wchan = fs.readFileSync(`${dir}/wchan`, 'utf8');
      } catch {
        // Not readable on every kernel.
      }
      out.push({ tid: Number(tid), name: fs.readFileSync(`${dir}/comm`, 'utf8').trim(), state: after[0] ?? '?', cpuS: (Number(after[11]) + Number(after[12])) / 100, wchan });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

function readProcStatus(pid: number): { rss: number | null; threads: number | null } {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(s);
    const th = /^Threads:\s+(\d+)/m.exec(s);
    return { rss: rss === null ? null : Number(rss[1]) * 1024, threads: th === null ? null : Number(th[1]) };
  } catch {
    return { rss: null, threads: null };
  }
}

function countFds(pid: number): { sockets: number; other: number } {
  let sockets = 0;
  let other = 0;
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return { sockets: 0, other: 0 };
  }
  for (const n of names) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${n}`).startsWith('socket:')) sockets++;
      else other++;
    } catch {
      // Closed between the listing and the readlink.
    }
  }
  return { sockets, other };
}

function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      try {
        total += fs.statSync(path.join(e.parentPath, e.name)).size;
      } catch {
        // Removed meanwhile (a snapshot being replaced).
      }
    }
  } catch {
    // The directory is gone.
  }
  return total;
}

/** One line of mdb_reader_list: "pid thread txnid", txnid "-" for a slot outside a transaction. */
export function parseReaderList(text: string, pid: number): { slots: number; active: number; oldest: number | null } {
  let slots = 0;
  let active = 0;
  let oldest: number | null = null;
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+\S+\s+(\S+)\s*$/.exec(line);
    if (m === null || Number(m[1]) !== pid) continue;
    slots++;
    if (m[2] === '-') continue;
    active++;
    const txn = Number(m[2]);
    if (Number.isFinite(txn)) oldest = oldest === null ? txn : Math.min(oldest, txn);
  }
  return { slots, active, oldest };
}

function metricValue(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}

export class Sampler {
  private env: RootDatabase | undefined;
  private readonly startedMs = Date.now();
  /** The series names (metric and labels) of every sample, to name the ones that came and stayed. */
  private readonly series: { tMs: number; names: Set<string> }[] = [];

  constructor(
    private readonly pid: number,
    private readonly port: number,
    private readonly dataDir: string,
    private readonly counts: () => { requests: number; writes: number },
  ) {}

  private store(): RootDatabase {
    // Opened read-only; it takes a reader slot only while it reads its stats (its own pid is not counted).
    this.env ??= open({ path: path.join(this.dataDir, 'store'), readOnly: true });
    return this.env;
  }

  async sample(): Promise<Sample> {
    const { rss, threads } = readProcStatus(this.pid);
    const fds = countFds(this.pid);
    const env = this.store();
    const stats = env.getStats() as { pageSize: number; lastPageNumber: number; lastTxnId: number; maxReaders: number };
    const readers = parseReaderList(env.readerList(), this.pid);
    let metrics: string | null = null;
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/metrics`, { signal: AbortSignal.timeout(20_000) });
      metrics = res.ok ? await res.text() : null;
    } catch {
      metrics = null;
    }
    const storeFile = path.join(this.dataDir, 'store', 'data.mdb');
    const tMs = Date.now() - this.startedMs;
    if (metrics !== null) this.series.push({ tMs, names: new Set(metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' ')))) });
    return {
      tMs,
      rssBytes: rss,
      fdSockets: fds.sockets,
      fdOther: fds.other,
      threads,
      storeFileBytes: fs.existsSync(storeFile) ? fs.statSync(storeFile).size : 0,
      storeUsedBytes: stats.lastPageNumber * stats.pageSize,
      dataDirBytes: dirBytes(this.dataDir),
      readerSlots: readers.slots,
      readersActive: readers.active,
      oldestReaderTxn: readers.oldest,
      lastTxnId: stats.lastTxnId,
      maxReaders: stats.maxReaders,
      metricSeries: metrics === null ? null : metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length,
      heapUsedBytes: metrics === null ? null : metricValue(metrics, 'knowd_process_nodejs_heap_size_used_bytes'),
      activeResources: metrics === null ? null : metricValue(metrics, 'knowd_process_nodejs_active_resources_total'),
      ...this.counts(),
      ...(metrics === null && { threadStates: threadStates(this.pid) }),
    };
  }

  /** Series in the last sample that the first one after `sinceMs` did not have (at most `max`). */
  seriesAdded(sinceMs: number, max = 40): string[] {
    const from = this.series.find((x) => x.tMs >= sinceMs);
    const to = this.series.at(-1);
    if (from === undefined || to === undefined) return [];
    return [...to.names].filter((n) => !from.names.has(n)).slice(0, max);
  }

  async close(): Promise<void> {
    await this.env?.close();
    this.env = undefined;
  }
}

// ---- the judgement --------------------------------------------------------------------------------------

export interface Trend {
  readonly name: string;
  /** Median over the first and the last third of the samples after the warm-up; max over the run. */
  readonly first: number;
  readonly last: number;
  readonly max: number;
  readonly rule: string;
  readonly failed: boolean;
}

export interface JudgeOptions {
  readonly clients: number;
  /** Samples before this are the warm-up (lazily started workers, first caches, first vector index). */
  readonly warmupMs: number;
  /** RSS and heap are too noisy for a one-minute test; the long soak judges them. */
  readonly judgeMemory: boolean;
  /** The longest an LMDB snapshot may stay pinned while writes go on (queries have a 30 s limit). */
  readonly pinnedMsMax: number;
}

/** Medians, not means: a sample taken while a worker thread loads its modules holds a dozen files open for a moment. */
const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const MIB = 1024 * 1024;

/** The longest time one reader transaction id stayed the oldest while the store's last txn id moved on. */
export function longestPinMs(samples: readonly Sample[]): number {
  let longest = 0;
  let since: Sample | undefined;
  for (const s of samples) {
    if (s.oldestReaderTxn === null || since === undefined || since.oldestReaderTxn !== s.oldestReaderTxn) {
      since = s.oldestReaderTxn === null ? undefined : s;
      continue;
    }
    if (s.lastTxnId > since.lastTxnId) longest = Math.max(longest, s.tMs - since.tMs);
  }
  return longest;
}

export function judge(all: readonly Sample[], o: JudgeOptions): Trend[] {
  const samples = all.filter((s) => s.tMs >= o.warmupMs);
  const third = Math.max(1, Math.floor(samples.length / 3));
  const head = samples.slice(0, third);
  const tail = samples.slice(samples.length - third);
  const out: Trend[] = [];
  const add = (name: string, get: (s: Sample) => number | null, limit: (first: number) => number, rule: string, enforce = true): void => {
    const val = (xs: readonly Sample[]): number[] => xs.map(get).filter((v): v is number => v !== null);
    const first = median(val(head));
    const last = median(val(tail));
    const max = Math.max(0, ...val(samples));
    out.push({ name, first, last, max, rule, failed: enforce && samples.length >= 3 && last > limit(first) });
  };
  add('reader slots', (s) => s.readerSlots, (f) => f + 3, 'last third ≤ first third + 3');
  add('readers in a txn', (s) => s.readersActive, (f) => f + 3, 'last third ≤ first third + 3');
  add('fds (not sockets)', (s) => s.fdOther, (f) => f + 4, 'last third ≤ first third + 4');
  add('fds (sockets)', (s) => s.fdSockets, (f) => f + 2 * o.clients + 4, `last third ≤ first third + ${2 * o.clients + 4}`);
  add('threads', (s) => s.threads, (f) => f + 2, 'last third ≤ first third + 2');
  add('active resources', (s) => s.activeResources, (f) => f * 1.5 + 20, 'last third ≤ 1.5 × first third + 20');
  add('metric series', (s) => s.metricSeries, (f) => f + 25, 'last third ≤ first third + 25');
  add('RSS MiB', (s) => (s.rssBytes === null ? null : s.rssBytes / MIB), (f) => f * 1.3 + 64, 'last third ≤ 1.3 × first third + 64', o.judgeMemory);
  add('heap used MiB', (s) => (s.heapUsedBytes === null ? null : s.heapUsedBytes / MIB), (f) => f * 1.5 + 32, 'last third ≤ 1.5 × first third + 32', o.judgeMemory);
  // The store grows with every write by design (receipts, log until the next snapshot, firings), so
  // what is judged is the growth per write: pinned snapshots keep LMDB from reusing freed pages.
  const perWrite = (xs: readonly Sample[]): number => {
    if (xs.length < 2) return 0;
    const a = xs[0]!;
    const b = xs[xs.length - 1]!;
    return b.writes > a.writes ? (b.storeUsedBytes - a.storeUsedBytes) / (b.writes - a.writes) : 0;
  };
  const half = Math.floor(samples.length / 2);
  const firstRate = perWrite(samples.slice(0, half + 1));
  const lastRate = perWrite(samples.slice(half));
  out.push({ name: 'LMDB bytes used per write', first: firstRate, last: lastRate, max: Math.max(firstRate, lastRate), rule: 'second half ≤ 3 × first half + 4096', failed: samples.length >= 4 && lastRate > firstRate * 3 + 4096 });
  add('LMDB file MiB', (s) => s.storeFileBytes / MIB, () => Number.POSITIVE_INFINITY, 'reported');
  add('data dir MiB', (s) => s.dataDirBytes / MIB, () => Number.POSITIVE_INFINITY, 'reported');
  const pin = longestPinMs(all);
  out.push({ name: 'longest pinned snapshot s', first: 0, last: pin / 1000, max: pin / 1000, rule: `≤ ${o.pinnedMsMax / 1000} s`, failed: pin > o.pinnedMsMax });
  const slotsMax = Math.max(0, ...all.map((s) => s.readerSlots));
  const maxReaders = all.at(-1)?.maxReaders ?? 0;
  out.push({ name: 'reader slots of maxReaders', first: 0, last: slotsMax, max: maxReaders, rule: '≤ 80 %', failed: maxReaders > 0 && slotsMax > 0.8 * maxReaders });
  return out;
}
