/**
 * What a leader knows about one follower's log, and the flow control of appends to it (etcd's
 * tracker): `probe` sends one append at a time until the match point is found, `replicate` streams
 * optimistically with at most `maxInflight` unacknowledged appends, `snapshot` waits for a snapshot.
 */
import { assert } from '../../base/index.js';
import type { NodeId, ProgressState } from './types.js';

/** Last indexes of the appends in flight, oldest first; a bounded FIFO. */
export class Inflights {
  private readonly items: number[] = [];

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, 'inflight capacity must be a positive integer');
  }

  get count(): number {
    return this.items.length;
  }

  full(): boolean {
    return this.items.length >= this.capacity;
  }

  add(lastIndex: number): void {
    assert(!this.full(), 'cannot add to a full inflight window');
    const prev = this.items[this.items.length - 1];
    assert(prev === undefined || lastIndex > prev, 'inflight indexes must increase');
    this.items.push(lastIndex);
  }

  /** An ack for `index` acknowledges every append ending at or before it. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.items.length && (this.items[n] ?? Infinity) <= index) n++;
    if (n > 0) this.items.splice(0, n);
  }

  freeFirst(): void {
    this.items.shift();
  }

  reset(): void {
    this.items.length = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe: an append is out and unanswered; the next waits for its answer or a heartbeat answer. */
  probeSent = false;
  /** snapshot: the index of the snapshot sent. */
  pendingSnapshot = 0;
  idleTicks = 0;
  readonly inflights: Inflights;

  constructor(
    readonly id: NodeId,
    public voter: boolean,
    next: number,
    maxInflight: number,
  ) {
    assert(next >= 1, 'next index starts at 1');
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot the follower has at least the snapshot, so probing starts just past it.
    const after = this.state === 'snapshot' ? this.pendingSnapshot : 0;
    this.resetState('probe');
    this.next = Math.max(this.match + 1, after + 1);
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = index;
  }

  /** An ack for `index`; false when it is stale (at or below what we know). */
  maybeUpdate(index: number): boolean {
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    this.probeSent = false;
    return true;
  }

  /**
   * A rejection of the append whose previous index was `rejected`; `hint` is the follower's last
   * index that can still match. False when the rejection is stale and changes nothing.
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Bookkeeping after sending an append whose last entry is `lastIndex` (`count` entries). */
  sentEntries(count: number, lastIndex: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }
}
