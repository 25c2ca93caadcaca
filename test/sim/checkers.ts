/**
 * Raft's safety properties (paper Figure 3), checked as the simulation runs. Each check is phrased
 * so that it can never fire on a correct implementation, only miss some violations:
 * - election safety: at most one leader per term;
 * - log matching: an (index, term) pair names one entry and one prefix, checked inductively as each
 *   entry is persisted (same content, same term before it);
 * - leader completeness: an entry committed in term c is in the log of every leader of a term > c;
 * - state-machine safety: no two nodes apply different entries (or reach different states) at an index;
 * - durable state: term and commit never go back, at most one vote per term.
 */
import type { Entry, HardState, LogStorage, NodeId, Role } from '../../src/replication/raft/index.js';

export class SafetyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetyViolation';
  }
}

function fail(message: string): never {
  throw new SafetyViolation(message);
}

export function entryContent(e: Entry): string {
  return `${e.kind}:${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('latin1')}`;
}

interface Applied {
  readonly term: number;
  /** null when only known through a snapshot. */
  readonly content: string | null;
  readonly digest: number;
}

export class Checker {
  private readonly leaders = new Map<number, NodeId>();
  /** `${index}/${term}` → `${prevTerm}|${content}` */
  private readonly entries = new Map<string, string>();
  /** By index: the lowest term at which any node knew the index committed, and the entry's term. */
  private readonly commitTerm: number[] = [];
  private readonly committedEntryTerm: number[] = [];
  private readonly applied: (Applied | undefined)[] = [];
  private readonly leadersChecked = new Set<string>();
  private readonly hardStates = new Map<NodeId, HardState>();
  checks = 0;
  elections = 0;

  /** Election safety (§5.2). */
  observeRole(id: NodeId, role: Role, term: number): void {
    this.checks++;
    if (role !== 'leader') return;
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, id);
      this.elections++;
    }
    else if (known !== id) fail(`election safety: ${known} and ${id} are both leaders of term ${term}`);
  }

  /** Durable HardState: terms and commits only grow; a vote, once cast in a term, never changes. */
  onHardState(id: NodeId, hs: HardState): void {
    this.checks++;
    const prev = this.hardStates.get(id);
    this.hardStates.set(id, hs);
    if (prev === undefined) return;
    if (hs.term < prev.term) fail(`${id}: persisted term went back from ${prev.term} to ${hs.term}`);
    if (hs.commit < prev.commit) fail(`${id}: persisted commit went back from ${prev.commit} to ${hs.commit}`);
    if (hs.term === prev.term && prev.vote !== null && hs.vote !== prev.vote) {
      fail(`${id}: voted for ${prev.vote} and then ${String(hs.vote)} in term ${hs.term}`);
    }
  }

  /** Log matching (§5.3), for entries just appended to `log`. */
  onPersistEntries(id: NodeId, log: LogStorage, entries: readonly Entry[]): void {
    const first = log.firstIndex();
    for (const e of entries) {
      if (e.index < first) continue;
      this.checks++;
      const prevTerm = log.term(e.index - 1);
      if (prevTerm === undefined) fail(`${id}: no term before persisted entry ${e.index}`);
      if (prevTerm > e.term) fail(`${id}: entry ${e.index} has term ${e.term} after an entry of term ${prevTerm}`);
      const key = `${e.index}/${e.term}`;
      const value = `${prevTerm}|${entryContent(e)}`;
      const known = this.entries.get(key);
      if (known === undefined) this.entries.set(key, value);
      else if (known !== value) fail(`log matching: entry ${key} on ${id} is "${value}", elsewhere "${known}"`);
    }
  }

  /** A node persisted commit `to` (from `from`) while at `term`: those entries are committed in a term ≤ it. */
  onCommit(id: NodeId, log: LogStorage, from: number, to: number, term: number): void {
    for (let i = Math.max(from + 1, log.firstIndex()); i <= to; i++) {
      this.checks++;
      const t = log.term(i);
      if (t === undefined) fail(`${id}: committed index ${i} is not in its log (last ${log.lastIndex()})`);
      const known = this.committedEntryTerm[i];
      if (known === undefined) this.committedEntryTerm[i] = t;
      else if (known !== t) fail(`${id}: committed index ${i} has term ${t}, elsewhere committed with term ${known}`);
      const c = this.commitTerm[i];
      if (c === undefined || term < c) this.commitTerm[i] = term;
    }
  }

  /** Leader completeness (§5.4): checked once per leader and term, on its first persisted Ready. */
  onLeaderPersisted(id: NodeId, term: number, log: LogStorage): void {
    const key = `${id}/${term}`;
    if (this.leadersChecked.has(key)) return;
    this.leadersChecked.add(key);
    const snap = log.snapshot();
    const last = log.lastIndex();
    for (let i = Math.max(1, snap.index); i < this.commitTerm.length; i++) {
      const c = this.commitTerm[i];
      if (c === undefined || c >= term) continue;
      this.checks++;
      const want = this.committedEntryTerm[i];
      if (i > last) fail(`leader completeness: leader ${id} of term ${term} lacks index ${i} (committed in term ${c}); its log ends at ${last}`);
      const have = log.term(i);
      if (have !== want) fail(`leader completeness: leader ${id} of term ${term} has term ${String(have)} at ${i}, committed with term ${String(want)}`);
    }
  }

  /** State-machine safety (§5.4.3): the entry applied at an index, and the state after it, are unique. */
  onApply(id: NodeId, e: Entry, digest: number): void {
    this.checks++;
    const content = entryContent(e);
    const known = this.applied[e.index];
    if (known === undefined) {
      this.applied[e.index] = { term: e.term, content, digest };
      return;
    }
    if (known.term !== e.term || (known.content !== null && known.content !== content)) {
      fail(`state-machine safety: ${id} applied ${e.index}/${e.term} "${content}", another node applied ${e.index}/${known.term} "${String(known.content)}"`);
    }
    if (known.digest !== digest) fail(`state-machine safety: ${id}'s state after ${e.index} differs from another node's`);
  }

  onSnapshotInstall(id: NodeId, index: number, term: number, digest: number): void {
    this.checks++;
    const known = this.applied[index];
    if (known === undefined) {
      this.applied[index] = { term, content: null, digest };
      return;
    }
    if (known.term !== term || known.digest !== digest) {
      fail(`state-machine safety: ${id} installed a snapshot at ${index}/${term} whose state differs from what was applied there`);
    }
  }

  /** Log matching over whole logs, pairwise (the inductive check above, done the direct way). */
  checkLogsMatch(logs: ReadonlyMap<NodeId, LogStorage>): void {
    const all = [...logs];
    for (let a = 0; a < all.length; a++) {
      for (let b = a + 1; b < all.length; b++) {
        const [ida, la] = all[a] as [NodeId, LogStorage];
        const [idb, lb] = all[b] as [NodeId, LogStorage];
        const lo = Math.max(la.firstIndex(), lb.firstIndex());
        const hi = Math.min(la.lastIndex(), lb.lastIndex());
        if (lo > hi) continue;
        const ea = la.entries(lo, hi + 1, Infinity);
        const eb = lb.entries(lo, hi + 1, Infinity);
        // Scan down from the highest index where the terms agree; everything below must be equal.
        let agreeing = false;
        for (let i = ea.length - 1; i >= 0; i--) {
          this.checks++;
          const x = ea[i] as Entry;
          const y = eb[i] as Entry;
          if (x.term === y.term) agreeing = true;
          if (agreeing && (x.term !== y.term || entryContent(x) !== entryContent(y))) {
            fail(`log matching: ${ida} and ${idb} agree on a later entry but differ at ${x.index}`);
          }
        }
      }
    }
  }
}
