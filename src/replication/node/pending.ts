import { KnowdError } from '../../base/index.js';
import type { Outcome, Proposal } from '../../engine/index.js';

interface Waiter {
  readonly term: number;
  readonly proposal: Proposal;
  readonly resolve: (o: Outcome) => void;
  readonly reject: (e: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Proposals this node made, by log index, waiting to be applied. An entry applied at that index
 * with another term means a new leader overwrote the proposal: it was never committed, and the
 * client learns so instead of waiting for the timeout.
 */
export class PendingProposals {
  private readonly waiters = new Map<number, Waiter>();

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.waiters.size;
  }

  wait(index: number, term: number, proposal: Proposal): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(index);
        reject(new KnowdError('WRITE_TIMEOUT', `The write (log index ${index}) was not committed by a majority within ${this.timeoutMs} ms (KNOWD_CLUSTER_WRITE_TIMEOUT); it may still commit: check its receipt or retry with the same idempotency key.`));
      }, this.timeoutMs);
      this.waiters.set(index, { term, proposal, resolve, reject, timer });
    });
  }

  /** The local proposal behind the entry at (index, term), if this node made it (skips re-parsing). */
  local(index: number, term: number): Proposal | undefined {
    const w = this.waiters.get(index);
    return w !== undefined && w.term === term ? w.proposal : undefined;
  }

  settle(index: number, term: number, result: { ok: true; outcome: Outcome } | { ok: false; error: unknown }): void {
    const w = this.waiters.get(index);
    if (w === undefined) return;
    this.waiters.delete(index);
    clearTimeout(w.timer);
    if (w.term !== term) w.reject(lostLeadership(index));
    else if (result.ok) w.resolve(result.outcome);
    else w.reject(result.error);
  }

  /** The log was truncated from `index` on: proposals there were overwritten, not committed. */
  truncatedFrom(index: number): void {
    for (const [i, w] of this.waiters) {
      if (i < index) continue;
      this.waiters.delete(i);
      clearTimeout(w.timer);
      w.reject(lostLeadership(i));
    }
  }

  rejectAll(error: unknown): void {
    for (const w of this.waiters.values()) {
      clearTimeout(w.timer);
      w.reject(error);
    }
    this.waiters.clear();
  }
}

function lostLeadership(index: number): KnowdError {
  return new KnowdError('NO_LEADER', `Leadership changed before the write (log index ${index}) committed; it was not applied. Retry it.`);
}
