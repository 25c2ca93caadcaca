/**
 * The core's view of its log: the durable part read through LogStorage, plus what the core holds
 * until the driver reports it durable — new entries, and a snapshot received from the leader. Also
 * the commit and apply points. Entries below `offset` are durable; entries handed out in a Ready not
 * yet advanced sit in [offset, offsetInProgress) (etcd's `unstable`).
 */
import { assert } from '../../base/index.js';
import type { Entry, LogStorage, SnapshotMeta } from './types.js';

/** At least one entry, then as many as fit in `maxBytes` of data in total. */
function limitSize(entries: Entry[], maxBytes: number, usedBytes: number): Entry[] {
  let bytes = usedBytes;
  for (let i = 0; i < entries.length; i++) {
    bytes += (entries[i] as Entry).data.byteLength;
    if (bytes > maxBytes && (i > 0 || usedBytes > 0)) return entries.slice(0, i);
  }
  return entries;
}

export class RaftLog {
  private snapshot: SnapshotMeta | null = null;
  private snapshotInProgress = false;
  private unstable: Entry[] = [];
  private offset: number;
  private offsetInProgress: number;
  commit: number;
  /** Highest index handed out in `Ready.committed` (or installed by snapshot), applied or not yet. */
  applying: number;
  /** Highest index the driver has applied (advanced). */
  applied: number;

  constructor(
    readonly storage: LogStorage,
    commit: number,
    applied: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    assert(first >= 1 && last >= first - 1, `storage indexes out of order: first ${first}, last ${last}`);
    assert(applied >= first - 1 && applied <= last, `applied ${applied} is outside the stored log [${first - 1}, ${last}]`);
    // The snapshot's and the applied entries are committed even if the HardState did not say so yet.
    const fixedCommit = Math.max(commit, applied, first - 1);
    assert(fixedCommit <= last, `commit ${commit} is past the last stored index ${last}`);
    this.offset = last + 1;
    this.offsetInProgress = this.offset;
    this.commit = fixedCommit;
    this.applying = applied;
    this.applied = applied;
  }

  firstIndex(): number {
    return this.snapshot !== null ? this.snapshot.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.offset + this.unstable.length - 1;
    return this.offset - 1;
  }

  /** Term at `index`, for firstIndex - 1 ≤ index ≤ lastIndex; undefined outside. */
  term(index: number): number | undefined {
    if (index >= this.offset) return this.unstable[index - this.offset]?.term;
    if (this.snapshot !== null) return index === this.snapshot.index ? this.snapshot.term : undefined;
    return this.storage.term(index);
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'the last index always has a term');
    return t;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Highest index that is durable and known to be in the log. */
  stableLastIndex(): number {
    return this.snapshot !== null ? 0 : this.offset - 1;
  }

  /** Entries [lo, hi): at least one (if any), then up to `maxBytes` of data. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo >= this.firstIndex() && lo <= hi && hi <= this.lastIndex() + 1, `slice [${lo}, ${hi}) is outside the log`);
    if (lo === hi) return [];
    let out: Entry[] = [];
    if (lo < this.offset) {
      const stableHi = Math.min(hi, this.offset);
      out = this.storage.entries(lo, stableHi, maxBytes);
      assert(out.length > 0, `storage returned no entries for [${lo}, ${stableHi})`);
      if (out.length < stableHi - lo || hi <= this.offset) return out;
    }
    const from = Math.max(lo, this.offset) - this.offset;
    const tail = this.unstable.slice(from, hi - this.offset);
    if (out.length === 0) return limitSize(tail, maxBytes, 0);
    const used = out.reduce((n, e) => n + e.data.byteLength, 0);
    return out.concat(limitSize(tail, maxBytes, used));
  }

  /** The first index of `entries` whose term differs from ours (or that we lack); 0 when all match. */
  findConflict(entries: readonly Entry[]): number {
    for (const e of entries) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * For a rejected append at (index, term): the highest index ≤ `index` whose term is ≤ `term`. Our
   * entries with a greater term cannot match the leader's (terms only grow along a log), so the
   * leader may skip them in one step.
   */
  findConflictByTerm(index: number, term: number): number {
    for (let i = Math.min(index, this.lastIndex()); i > 0; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) return i;
    }
    return 0;
  }

  /** Appends entries that follow our last index, or replace a conflicting suffix (never committed ones). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const after = first.index;
    assert(after > this.commit, `cannot overwrite committed index ${after} (commit ${this.commit})`);
    assert(after <= this.lastIndex() + 1, `append at ${after} leaves a gap after ${this.lastIndex()}`);
    const end = this.offset + this.unstable.length;
    if (after === end) {
      this.unstable.push(...entries);
    } else if (after <= this.offset) {
      // Replaces durable entries too: the Ready tells the driver to truncate after `after - 1`.
      this.offset = after;
      this.offsetInProgress = after;
      this.unstable = [...entries];
    } else {
      this.unstable = this.unstable.slice(0, after - this.offset).concat(entries);
      this.offsetInProgress = Math.min(this.offsetInProgress, after);
    }
  }

  /** Advances commit; it never moves back. */
  commitTo(index: number): void {
    if (index <= this.commit) return;
    assert(index <= this.lastIndex(), `commit ${index} is past the last index ${this.lastIndex()}`);
    this.commit = index;
  }

  /** A leader's snapshot replaces the whole log view; it becomes the new commit and apply point. */
  restore(snapshot: SnapshotMeta): void {
    assert(snapshot.index > this.commit, 'a snapshot is only installed past the commit index');
    this.snapshot = snapshot;
    this.snapshotInProgress = false;
    this.unstable = [];
    this.offset = snapshot.index + 1;
    this.offsetInProgress = this.offset;
    this.commit = snapshot.index;
    this.applying = Math.max(this.applying, snapshot.index);
  }

  hasUnstable(): boolean {
    return (this.snapshot !== null && !this.snapshotInProgress) || this.offsetInProgress < this.offset + this.unstable.length;
  }

  nextUnstableSnapshot(): SnapshotMeta | null {
    return this.snapshotInProgress ? null : this.snapshot;
  }

  nextUnstableEntries(): Entry[] {
    return this.unstable.slice(this.offsetInProgress - this.offset);
  }

  /** What was just handed out in a Ready is being persisted; do not hand it out again. */
  acceptInProgress(): void {
    this.offsetInProgress = this.offset + this.unstable.length;
    if (this.snapshot !== null) this.snapshotInProgress = true;
  }

  /** The driver persisted entries up to (index, term); ignored when that entry was replaced since. */
  stableTo(index: number, term: number): void {
    if (index < this.offset || this.term(index) !== term) return;
    this.unstable = this.unstable.slice(index + 1 - this.offset);
    this.offset = index + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== null && this.snapshot.index === index) {
      this.snapshot = null;
      this.snapshotInProgress = false;
    }
  }

  hasNextCommitted(): boolean {
    return this.commit > this.applyFloor();
  }

  /** Committed entries not yet handed out, up to `maxBytes` (at least one). */
  nextCommitted(maxBytes: number): Entry[] {
    const lo = this.applyFloor() + 1;
    if (lo > this.commit) return [];
    return this.slice(lo, this.commit + 1, maxBytes);
  }

  private applyFloor(): number {
    return Math.max(this.applying, this.snapshot?.index ?? 0);
  }

  /** Entries after `index` to the end of the log, read in chunks of `maxBytes`. */
  *entriesAfter(index: number, maxBytes: number): Generator<Entry> {
    let lo = Math.max(index, this.firstIndex() - 1) + 1;
    const hi = this.lastIndex() + 1;
    while (lo < hi) {
      const chunk = this.slice(lo, hi, maxBytes);
      yield* chunk;
      lo += chunk.length;
    }
  }
}
