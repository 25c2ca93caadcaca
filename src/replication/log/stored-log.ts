import type { Entry, LogStorage, SnapshotMeta } from '../raft/types.js';
import type { ReadTxn, Storage, WriteTxn } from '../../storage/index.js';
import { compactTo, firstLogIndex, lastIndex, readRecords, readTerm, truncateFrom, appendRecord, clearLog } from './log-store.js';
import { readSnapshotMeta, writeSnapshotMeta } from './raft-state.js';

const LOG_START_KEY = Buffer.from('raft/logStart');
const EMPTY_SNAPSHOT: SnapshotMeta = { index: 0, term: 0, membership: { voters: [], learners: [] } };
/** The newest appended entries kept in memory, at most this many payload bytes (and always the last write's). */
const TAIL_MAX_BYTES = 16 * 1024 * 1024;

interface Position {
  readonly index: number;
  readonly term: number;
}

/**
 * The durable raft log as the core sees it (LogStorage), over the Storage port. The node driver is
 * the only writer; it calls the mutating methods inside its write transaction and `reload()` after
 * a commit fails, so the cached positions always describe what is durable.
 *
 * The newest entries are also kept in memory (`tail`): the core reads back what it just appended
 * (to hand out committed entries, to send appends), and a sole voter's pipelined write is still
 * being committed, so not yet readable from the store, when the core asks for its entries.
 */
export class StoredLog implements LogStorage {
  /** The last compacted entry: the log holds (start.index, last.index]. */
  private start: Position = { index: 0, term: 0 };
  private last: Position = { index: 0, term: 0 };
  private snap: SnapshotMeta = EMPTY_SNAPSHOT;
  /** Consecutive entries ending at `last`, newest last. */
  private tail: Entry[] = [];
  private tailBytes = 0;

  constructor(private readonly storage: Storage) {
    this.reload();
  }

  reload(): void {
    this.tail = [];
    this.tailBytes = 0;
    this.storage.read((r) => {
      this.snap = readSnapshotMeta(r) ?? EMPTY_SNAPSHOT;
      const s = r.get('meta', LOG_START_KEY);
      const first = firstLogIndex(r);
      this.start = s !== undefined ? (JSON.parse(Buffer.from(s).toString('utf8')) as Position)
        // A log written before compaction existed starts at 1.
        : first !== undefined ? { index: first - 1, term: 0 } : { index: this.snap.index, term: this.snap.term };
      const l = lastIndex(r);
      this.last = l.index === 0 ? this.start : l;
    });
  }

  firstIndex(): number {
    return this.start.index + 1;
  }

  lastIndex(): number {
    return this.last.index;
  }

  term(index: number): number | undefined {
    if (index === this.last.index) return this.last.term;
    if (index === this.start.index) return this.start.term;
    if (index === this.snap.index) return this.snap.term;
    if (index < this.start.index || index > this.last.index) return undefined;
    const cached = this.fromTail(index);
    if (cached !== undefined) return cached.term;
    return this.storage.read((r) => readTerm(r, index));
  }

  private fromTail(index: number): Entry | undefined {
    const first = this.tail[0];
    return first === undefined || index < first.index ? undefined : this.tail[index - first.index];
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    const tailStart = this.tail[0]?.index ?? Number.POSITIVE_INFINITY;
    if (lo < tailStart) {
      this.storage.read((r) => {
        for (const rec of readRecords(r, lo, Math.min(hi, tailStart) - 1)) {
          if (out.length > 0 && bytes + rec.payload.length > maxBytes) return;
          bytes += rec.payload.length;
          out.push({ index: rec.index, term: rec.term, kind: rec.kind, data: rec.payload });
        }
      });
      if (out.length < Math.min(hi, tailStart) - lo) return out;
    }
    for (let i = Math.max(lo, tailStart); i < hi; i++) {
      const e = this.fromTail(i);
      if (e === undefined || (out.length > 0 && bytes + e.data.length > maxBytes)) break;
      bytes += e.data.length;
      out.push(e);
    }
    return out;
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  /** Appends entries, first dropping any conflicting suffix from entries[0].index on. */
  append(w: WriteTxn, entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= this.last.index) truncateFrom(w, first.index);
    for (const e of entries) appendRecord(w, e.index, e.term, e.data, e.kind);
    const tail = entries[entries.length - 1]!;
    this.last = { index: tail.index, term: tail.term };
    this.keepInTail(entries);
  }

  private keepInTail(entries: readonly Entry[]): void {
    const first = entries[0]!;
    const tailStart = this.tail[0]?.index;
    // Only a continuation of the cached run (or a rewrite of its end) extends it.
    if (tailStart === undefined || first.index < tailStart || first.index > tailStart + this.tail.length) {
      this.tail = [];
      this.tailBytes = 0;
    } else {
      for (const dropped of this.tail.splice(first.index - tailStart)) this.tailBytes -= dropped.data.length;
    }
    for (const e of entries) {
      this.tail.push(e);
      this.tailBytes += e.data.length;
    }
    while (this.tail.length > entries.length && this.tailBytes > TAIL_MAX_BYTES) this.tailBytes -= this.tail.shift()!.data.length;
  }

  /** Compacts the log up to `index` (kept entries are evidence; see compactTo). */
  compact(w: WriteTxn, index: number): void {
    if (index <= this.start.index) return;
    const term = this.term(index);
    if (term === undefined) return;
    compactTo(w, index);
    this.start = { index, term };
    while (this.tail[0] !== undefined && this.tail[0].index <= index) this.tailBytes -= this.tail.shift()!.data.length;
    w.put('meta', LOG_START_KEY, Buffer.from(JSON.stringify(this.start)));
  }

  /** Records a snapshot taken locally at `meta.index` (the log is compacted separately). */
  recordSnapshot(w: WriteTxn, meta: SnapshotMeta): void {
    writeSnapshotMeta(w, meta);
    this.snap = meta;
  }

  /** A snapshot from the leader replaced the state: the log restarts right after it. */
  resetTo(w: WriteTxn, meta: SnapshotMeta): void {
    clearLog(w);
    writeSnapshotMeta(w, meta);
    this.snap = meta;
    this.tail = [];
    this.tailBytes = 0;
    this.start = { index: meta.index, term: meta.term };
    this.last = this.start;
    w.put('meta', LOG_START_KEY, Buffer.from(JSON.stringify(this.start)));
  }

  read<T>(fn: (r: ReadTxn) => T): T {
    return this.storage.read(fn);
  }
}
