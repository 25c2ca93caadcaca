/**
 * LogStorage in memory: the durable log of the simulation and of driver unit tests. It holds only
 * what the driver wrote, so "durable" is whatever was written before a simulated crash.
 */
import { assert } from '../../base/index.js';
import { EMPTY_MEMBERSHIP, decodeMembership } from './membership.js';
import type { Entry, LogStorage, Membership, SnapshotMeta } from './types.js';

export class MemoryLogStorage implements LogStorage {
  private snap: SnapshotMeta;
  /** ents[i].index === snap.index + 1 + i */
  private ents: Entry[] = [];

  constructor(snapshot: SnapshotMeta = { index: 0, term: 0, membership: EMPTY_MEMBERSHIP }) {
    this.snap = snapshot;
  }

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.snap.index + this.ents.length;
  }

  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    return index < this.snap.index ? undefined : this.ents[index - this.snap.index - 1]?.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo >= this.firstIndex() && lo <= hi && hi <= this.lastIndex() + 1, `entries [${lo}, ${hi}) outside [${this.firstIndex()}, ${this.lastIndex() + 1})`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.snap.index - 1] as Entry;
      bytes += e.data.byteLength;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): SnapshotMeta {
    return this.snap;
  }

  /** Drops every entry from `entries[0].index` on, then appends (Ready duty 1). */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index <= this.lastIndex() + 1, `append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    assert(entries.every((e, i) => e.index === first.index + i), 'appended entries must be consecutive');
    // Entries already covered by the snapshot are skipped, not re-added.
    const fresh = entries.filter((e) => e.index > this.snap.index);
    const from = fresh[0];
    if (from === undefined) return;
    this.ents.length = from.index - this.snap.index - 1;
    this.ents.push(...fresh);
  }

  /** Installs a leader's snapshot: the whole log is replaced by it. */
  applySnapshot(meta: SnapshotMeta): void {
    assert(meta.index >= this.snap.index, `snapshot ${meta.index} is older than the current one (${this.snap.index})`);
    this.snap = meta;
    this.ents = [];
  }

  /**
   * Drops entries up to `index` (already applied and captured by a snapshot of the state machine);
   * the membership as of `index` is read from the config entries being dropped.
   */
  compact(index: number): void {
    if (index <= this.snap.index) return;
    assert(index <= this.lastIndex(), `cannot compact to ${index}: the log ends at ${this.lastIndex()}`);
    const drop = index - this.snap.index;
    let membership: Membership = this.snap.membership;
    for (let i = 0; i < drop; i++) {
      const e = this.ents[i] as Entry;
      if (e.kind === 'config') membership = decodeMembership(e.data);
    }
    this.snap = { index, term: this.term(index) as number, membership };
    this.ents = this.ents.slice(drop);
  }
}
