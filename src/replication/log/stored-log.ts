import type { Entry, LogStorage, SnapshotMeta } from '../raft/types.js';
import type { ReadTxn, Storage, WriteTxn } from '../../storage/index.js';
import { compactTo, firstLogIndex, lastIndex, readRecords, readTerm, truncateFrom, appendRecord, clearLog } from './log-store.js';
import { readSnapshotMeta, writeSnapshotMeta } from './raft-state.js';

const LOG_START_KEY = Buffer.from('raft/logStart');
const EMPTY_SNAPSHOT: SnapshotMeta = { index: 0, term: 0, membership: { voters: [], learners: [] } };

interface Position {
  readonly index: number;
  readonly term: number;
}

/**
 * The durable raft log as the core sees it (LogStorage), over the Storage port. The node driver is
 * the only writer; it calls the mutating methods inside its write transaction and `reload()` after
 * a commit fails, so the cached positions always describe what is durable.
 */
export class StoredLog implements LogStorage {
  /** The last compacted entry: the log holds (start.index, last.index]. */
  private start: Position = { index: 0, term: 0 };
  private last: Position = { index: 0, term: 0 };
  private snap: SnapshotMeta = EMPTY_SNAPSHOT;

  constructor(private readonly storage: Storage) {
    this.reload();
  }

  reload(): void {
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
    return this.storage.read((r) => readTerm(r, index));
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    this.storage.read((r) => {
      for (const rec of readRecords(r, lo, hi - 1)) {
        if (out.length > 0 && bytes + rec.payload.length > maxBytes) break;
        bytes += rec.payload.length;
        out.push({ index: rec.index, term: rec.term, kind: rec.kind, data: rec.payload });
      }
    });
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
  }

  /** Compacts the log up to `index` (kept entries are evidence; see compactTo). */
  compact(w: WriteTxn, index: number): void {
    if (index <= this.start.index) return;
    const term = this.term(index);
    if (term === undefined) return;
    compactTo(w, index);
    this.start = { index, term };
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
    this.start = { index: meta.index, term: meta.term };
    this.last = this.start;
    w.put('meta', LOG_START_KEY, Buffer.from(JSON.stringify(this.start)));
  }

  read<T>(fn: (r: ReadTxn) => T): T {
    return this.storage.read(fn);
  }
}
