/**
 * The Raft consensus core (Raft paper §5, thesis §3, §4, §6; shaped like etcd's raft): a state
 * machine over ticks, messages and proposals that does no IO. Pre-vote and check-quorum are always
 * on. Membership changes are one server at a time.
 *
 * Two memberships: the applied one (what the driver sees in status() and passes back in RaftInit;
 * the leader steps down when its own removal is applied) and the latest config entry in the log,
 * committed or not, which decides who votes, campaigns and counts for commit (thesis §4.1). Counting
 * by the applied one alone (etcd style) can deadlock: after a leader removes itself, a remaining voter
 * that has not yet learned the removal committed would campaign under the old membership and need the
 * vote of the removed node, which refuses it when its log is longer.
 *
 * One Ready at a time: after `ready()`, the driver persists, sends, applies and calls
 * `advance(ready)` before asking for the next one. Ticks, messages and proposals may still arrive
 * in between; what they produce waits for the next Ready.
 */
import { KnowdError, assert } from '../../base/index.js';
import { changeMembership, decodeMembership, encodeMembership, isVoter, membersOf } from './membership.js';
import { Progress } from './progress.js';
import { committedIndex, quorumActive, voteResult } from './quorum.js';
import { RaftLog } from './raft-log.js';
import type {
  Entry, EntryKind, HardState, LogStorage, Membership, MembershipChange, Message, NodeId, PeerProgress, RaftConfig, RaftInit,
  RaftStatus, Ready, Role, SoftState,
} from './types.js';

export { decodeMembership, encodeMembership } from './membership.js';

/**
 * Messages kept for the next Ready. Past this the driver is not calling ready(); further messages
 * are dropped, which Raft tolerates like any network loss.
 */
const MESSAGES_MAX = 4096;
/** Uncommitted entries a leader holds before refusing proposals: it is not reaching a majority. */
const UNCOMMITTED_ENTRIES_MAX = 10_000;
/**
 * Bytes of committed entries handed out per Ready (at least one entry). The driver applies a Ready's
 * entries in one storage write that blocks its thread, heartbeats included: a follower catching up
 * on a bulk load must not go silent for an election timeout (~2 MiB is two import batches).
 */
const COMMITTED_BYTES_MAX = 2 * 1024 * 1024;
/** Bytes of log read at a time when scanning for config entries after the applied index (start-up). */
const SCAN_BYTES_MAX = 1024 * 1024;

const NO_DATA = new Uint8Array(0);

type CampaignKind = 'pre-vote' | 'election' | 'transfer';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message as built here: `from` is always us; `term` defaults to ours. */
type Outgoing = DistributiveOmit<Message, 'from' | 'term'> & { readonly term?: number };

export class RaftNode {
  private readonly id: NodeId;
  private readonly cfg: RaftConfig;
  private readonly log: RaftLog;
  private term: number;
  private vote: NodeId | null;
  private role: Role = 'follower';
  private lead: NodeId | null = null;
  /** Membership as of the applied index... */
  private membership: Membership;
  /** ...or as of this index, when a snapshot was installed past entries still being applied. */
  private membershipIndex: number;
  /** Config entries in (applied, lastIndex], oldest first; the last one is the membership in force. */
  private configs: { readonly index: number; readonly membership: Membership }[] = [];
  /** Leader only: every member, ourselves included (our match is what we have persisted). */
  private progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  private msgs: Message[] = [];
  /** Ticks since we last heard from a leader or granted a vote (unused by a leader). */
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private transferee: NodeId | null = null;
  private transferElapsed = 0;
  /** Leader: the index of the last config entry proposed (or of the term's noop); see proposeMembership. */
  private pendingConfIndex = 0;
  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private outstanding: Ready | null = null;

  constructor(cfg: RaftConfig, log: LogStorage, init: RaftInit) {
    assert(cfg.id !== '', 'node id must not be empty');
    assert(Number.isSafeInteger(cfg.heartbeatTicks) && cfg.heartbeatTicks >= 1, 'heartbeatTicks must be a positive integer');
    assert(Number.isSafeInteger(cfg.electionTicks) && cfg.electionTicks > cfg.heartbeatTicks, 'electionTicks must be greater than heartbeatTicks');
    assert(Number.isSafeInteger(cfg.maxInflight) && cfg.maxInflight >= 1, 'maxInflight must be a positive integer');
    assert(Number.isSafeInteger(cfg.maxMsgBytes) && cfg.maxMsgBytes >= 1, 'maxMsgBytes must be a positive integer');
    const hs = init.hardState;
    assert(Number.isSafeInteger(hs.term) && hs.term >= 0, 'hard state term must be a non-negative integer');
    this.id = cfg.id;
    this.cfg = cfg;
    this.log = new RaftLog(log, hs.commit, init.applied);
    this.term = hs.term;
    this.vote = hs.vote;
    this.membership = init.membership;
    this.membershipIndex = init.applied;
    for (const e of this.log.entriesAfter(init.applied, SCAN_BYTES_MAX)) this.noteConfig(e);
    this.prevHardState = hs;
    this.becomeFollower(hs.term, null);
    this.prevSoftState = this.softState();
  }

  // ---- inputs ------------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Starts an election now (through pre-vote); a no-op for leaders and non-voters. */
  campaign(): void {
    this.hup('pre-vote');
  }

  propose(data: Uint8Array): { index: number; term: number } {
    this.assertCanPropose();
    return this.appendProposal('normal', data);
  }

  /**
   * Appends a one-server membership change. Refused (MEMBERSHIP_PENDING) while an earlier change is
   * not applied, and until this leader has applied an entry of its own term: without that a leader
   * elected under the old membership could commit a second change that overlaps no quorum of the
   * first (the single-server change bug, raft-dev 2015).
   */
  proposeMembership(change: MembershipChange): { index: number; term: number } {
    this.assertCanPropose();
    if (this.configs.length > 0 || this.pendingConfIndex > this.log.applied) {
      throw new KnowdError('MEMBERSHIP_PENDING', 'Cannot change membership: an earlier change (or this leader\'s first entry) is not applied yet', {
        pendingIndex: this.pendingConfIndex,
        applied: this.log.applied,
      });
    }
    const proposed = this.appendProposal('config', encodeMembership(changeMembership(this.membership, change)));
    this.pendingConfIndex = proposed.index;
    return proposed;
  }

  /** Raft thesis §3.10: stop taking proposals, bring `to` up to date, tell it to campaign now. */
  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') throw this.notLeader();
    if (to === this.id) return;
    const pr = this.progress.get(to);
    if (pr === undefined || !pr.voter) {
      throw new KnowdError('CONFLICT', `Cannot transfer leadership to "${to}": it is not a voter`, { to });
    }
    if (this.transferee === to) return;
    this.transferee = to;
    this.transferElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeout-now', to });
    else this.sendAppend(to);
  }

  /** Network input. Stale, misaddressed or unexpected messages are ignored. */
  step(msg: Message): void {
    if (msg.to !== this.id || msg.from === this.id || !Number.isSafeInteger(msg.term) || msg.term < 0) return;
    if (msg.term > this.term) {
      if (msg.type === 'pre-vote' || msg.type === 'vote') {
        // Leader stickiness (thesis §4.2.3): while we hear from a leader, nobody can disrupt it,
        // except a candidate the leader itself asked to take over.
        const transfer = msg.type === 'vote' && msg.transfer;
        if (!transfer && this.inLease()) return;
      }
      if (msg.type === 'pre-vote') {
        // A pre-vote never changes our term.
      } else if (msg.type === 'pre-vote-resp' && msg.granted) {
        // Granted pre-votes carry the term we are about to campaign in.
      } else if (msg.type === 'append' || msg.type === 'heartbeat' || msg.type === 'snapshot') {
        this.becomeFollower(msg.term, msg.from);
      } else {
        this.becomeFollower(msg.term, null);
      }
    } else if (msg.term < this.term) {
      if (msg.type === 'append' || msg.type === 'heartbeat') {
        // A stale leader, or one that was cut off: our term makes it step down.
        this.send({ type: 'append-resp', to: msg.from, success: false, index: 0, hintIndex: 0 });
      } else if (msg.type === 'pre-vote') {
        this.send({ type: 'pre-vote-resp', to: msg.from, granted: false });
      }
      return;
    }

    if (msg.type === 'pre-vote' || msg.type === 'vote') {
      this.handleVoteRequest(msg);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(msg);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.stepCandidate(msg);
        break;
      case 'follower':
        this.stepFollower(msg);
        break;
    }
  }

  /** The driver could not reach `id`: stop streaming to it optimistically. */
  reportUnreachable(id: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(id);
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  /** The outcome of sending the snapshot the core asked for; every snapshot message needs one. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(id);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Success: wait for the follower's ack before appending. Failure: retry after a heartbeat answer.
    pr.probeSent = true;
  }

  // ---- outputs -----------------------------------------------------------------------------------

  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    return (
      this.msgs.length > 0 ||
      this.log.hasUnstable() ||
      this.log.hasNextCommitted() ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  ready(): Ready {
    assert(this.outstanding === null, 'ready() called again before advance() of the previous Ready');
    const hs = this.hardState();
    const snapshot = this.log.nextUnstableSnapshot();
    const committed = this.log.nextCommitted(COMMITTED_BYTES_MAX);
    const rd: Ready = {
      softState: this.softState(),
      hardState: sameHardState(hs, this.prevHardState) ? null : hs,
      entries: this.log.nextUnstableEntries(),
      snapshot,
      messages: this.msgs,
      committed,
    };
    this.msgs = [];
    this.log.acceptInProgress();
    const lastCommitted = committed[committed.length - 1];
    if (lastCommitted !== undefined) this.log.applying = lastCommitted.index;
    this.prevHardState = hs;
    this.prevSoftState = rd.softState;
    this.outstanding = rd;
    return rd;
  }

  /** The driver has persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    assert(this.outstanding === rd, 'advance() must be given the Ready last returned by ready()');
    this.outstanding = null;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) this.log.stableTo(lastEntry.index, lastEntry.term);
    if (rd.snapshot !== null) {
      this.log.stableSnapTo(rd.snapshot.index);
      this.log.applied = Math.max(this.log.applied, rd.snapshot.index);
    }
    for (const e of rd.committed) {
      assert(e.index === this.log.applied + 1, `applied entries must be consecutive: got ${e.index} after ${this.log.applied}`);
      this.log.applied = e.index;
      if (e.kind === 'config') this.applyMembership(e);
    }
    if (this.role === 'leader') {
      // The leader counts itself only for entries it has persisted.
      this.progress.get(this.id)?.maybeUpdate(this.log.stableLastIndex());
      if (this.maybeCommit()) this.bcastAppend();
    }
  }

  status(): RaftStatus {
    const progress: PeerProgress[] = [];
    if (this.role === 'leader') {
      for (const pr of this.progress.values()) {
        progress.push({ id: pr.id, voter: pr.voter, match: pr.match, next: pr.next, state: pr.state, idleTicks: pr.idleTicks });
      }
    }
    return {
      role: this.role,
      leader: this.lead,
      term: this.term,
      id: this.id,
      commit: this.log.commit,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      membership: this.membership,
      progress,
      transferee: this.transferee,
    };
  }

  // ---- roles -------------------------------------------------------------------------------------

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + Math.floor(this.cfg.random() * this.cfg.electionTicks);
    assert(
      this.randomizedElectionTimeout >= this.cfg.electionTicks && this.randomizedElectionTimeout < 2 * this.cfg.electionTicks,
      'cfg.random() must return a number in [0, 1)',
    );
    this.transferee = null;
    this.votes.clear();
    this.progress.clear();
    this.pendingConfIndex = 0;
  }

  private becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not pre-campaign');
    // Neither term nor vote change: a pre-vote that fails leaves no trace (thesis §9.6).
    this.role = 'pre-candidate';
    this.lead = null;
    this.votes.clear();
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader does not campaign');
    this.reset(this.term + 1);
    this.role = 'candidate';
    this.vote = this.id;
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    this.syncProgress();
    this.progress.get(this.id)?.maybeUpdate(this.log.stableLastIndex());
    // §5.4.2: entries of earlier terms commit only once an entry of this term does.
    this.appendEntry('noop', NO_DATA);
    this.pendingConfIndex = this.log.lastIndex();
    this.bcastAppend();
  }

  /** The membership in force for votes and quorums: the latest config entry in the log. */
  private latest(): Membership {
    return this.configs[this.configs.length - 1]?.membership ?? this.membership;
  }

  /**
   * A voter of the latest membership campaigns; so does a voter whose removal is in its log but not
   * yet applied, counting only the others' votes: it may hold the entries the remaining voters need,
   * and then none of them could win without its vote, which it would refuse.
   */
  private promotable(): boolean {
    return isVoter(this.latest(), this.id) || isVoter(this.membership, this.id);
  }

  private inLease(): boolean {
    if (this.role === 'leader') return true;
    return this.lead !== null && this.electionElapsed < this.cfg.electionTicks;
  }

  private softState(): SoftState {
    return { role: this.role, leader: this.lead, term: this.term };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.commit };
  }

  // ---- elections ---------------------------------------------------------------------------------

  private tickElection(): void {
    this.electionElapsed++;
    // A node that cannot campaign keeps counting, so that its lease on a silent leader runs out.
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup('pre-vote');
    }
  }

  private hup(kind: CampaignKind): void {
    if (this.role === 'leader' || !this.promotable()) return;
    this.startCampaign(kind);
  }

  private startCampaign(kind: CampaignKind): void {
    if (kind === 'pre-vote') this.becomePreCandidate();
    else this.becomeCandidate();
    if (this.poll(this.id, true)) return;
    const type = kind === 'pre-vote' ? 'pre-vote' : 'vote';
    const term = kind === 'pre-vote' ? this.term + 1 : this.term;
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const to of this.latest().voters) {
      if (to === this.id) continue;
      if (type === 'pre-vote') this.send({ type, to, term, lastIndex, lastTerm });
      else this.send({ type, to, term, lastIndex, lastTerm, transfer: kind === 'transfer' });
    }
  }

  /** Records a vote; true when it decided the campaign (and the role has changed). */
  private poll(from: NodeId, granted: boolean): boolean {
    this.votes.set(from, granted);
    const result = voteResult(this.latest().voters, this.votes);
    if (result === 'pending') return false;
    if (result === 'lost') {
      this.becomeFollower(this.term, null);
    } else if (this.role === 'pre-candidate') {
      this.startCampaign('election');
    } else {
      this.becomeLeader();
    }
    return true;
  }

  private handleVoteRequest(msg: Extract<Message, { type: 'pre-vote' | 'vote' }>): void {
    const respType = msg.type === 'pre-vote' ? 'pre-vote-resp' : 'vote-resp';
    const canVote =
      this.vote === msg.from ||
      (this.vote === null && this.lead === null) ||
      (msg.type === 'pre-vote' && msg.term > this.term);
    if (canVote && this.log.isUpToDate(msg.lastIndex, msg.lastTerm)) {
      this.send({ type: respType, to: msg.from, term: msg.term, granted: true });
      if (msg.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = msg.from;
      }
    } else {
      this.send({ type: respType, to: msg.from, granted: false });
    }
  }

  private stepCandidate(msg: Message): void {
    switch (msg.type) {
      case 'append':
      case 'heartbeat':
      case 'snapshot':
        // Someone won this term.
        this.becomeFollower(msg.term, msg.from);
        this.stepFollower(msg);
        return;
      case 'pre-vote-resp':
        // A grant must be for the term we would campaign in, not a leftover of an earlier round.
        if (this.role === 'pre-candidate' && (!msg.granted || msg.term === this.term + 1)) this.poll(msg.from, msg.granted);
        return;
      case 'vote-resp':
        if (this.role === 'candidate') this.poll(msg.from, msg.granted);
        return;
      default:
        return;
    }
  }

  // ---- follower ----------------------------------------------------------------------------------

  private stepFollower(msg: Message): void {
    switch (msg.type) {
      case 'append':
        this.heardFromLeader(msg.from);
        this.handleAppend(msg);
        return;
      case 'heartbeat':
        this.heardFromLeader(msg.from);
        this.log.commitTo(msg.commit);
        this.send({ type: 'heartbeat-resp', to: msg.from });
        return;
      case 'snapshot':
        this.heardFromLeader(msg.from);
        this.handleSnapshot(msg);
        return;
      case 'timeout-now':
        // Thesis §3.10: skip pre-vote, and mark the votes so leases do not refuse them.
        this.hup('transfer');
        return;
      default:
        return;
    }
  }

  private heardFromLeader(from: NodeId): void {
    this.electionElapsed = 0;
    this.lead = from;
  }

  private handleAppend(msg: Extract<Message, { type: 'append' }>): void {
    const log = this.log;
    if (msg.prevIndex < log.commit) {
      // Everything up to our commit matches any leader's log (§5.4.3); say how far we are.
      this.send({ type: 'append-resp', to: msg.from, success: true, index: log.commit, hintIndex: 0 });
      return;
    }
    if (!log.matchTerm(msg.prevIndex, msg.prevTerm)) {
      const hintIndex = log.findConflictByTerm(msg.prevIndex, msg.prevTerm);
      this.send({ type: 'append-resp', to: msg.from, success: false, index: msg.prevIndex, hintIndex });
      return;
    }
    const lastNew = msg.prevIndex + msg.entries.length;
    assert(msg.entries.every((e, i) => e.index === msg.prevIndex + 1 + i), 'append entries must be consecutive after prevIndex');
    const conflict = log.findConflict(msg.entries);
    // §5.3: only an entry that conflicts truncates; a stale, shorter append must not cut newer ones.
    if (conflict !== 0) this.appendToLog(msg.entries.slice(conflict - msg.prevIndex - 1));
    // Only what is known to match the leader may be committed.
    log.commitTo(Math.min(msg.commit, lastNew));
    this.send({ type: 'append-resp', to: msg.from, success: true, index: lastNew, hintIndex: 0 });
  }

  private handleSnapshot(msg: Extract<Message, { type: 'snapshot' }>): void {
    const s = msg.snapshot;
    const log = this.log;
    if (s.index <= log.commit) {
      this.send({ type: 'append-resp', to: msg.from, success: true, index: log.commit, hintIndex: 0 });
      return;
    }
    if (log.matchTerm(s.index, s.term)) {
      // We have the snapshot's last entry, so our log up to it is the leader's. Keep the entries after
      // it: we may have acknowledged them already, and dropping them would lose committed entries.
      log.commitTo(s.index);
    } else {
      log.restore(s);
      this.membership = s.membership;
      this.membershipIndex = s.index;
      this.configs = [];
    }
    this.send({ type: 'append-resp', to: msg.from, success: true, index: s.index, hintIndex: 0 });
  }

  // ---- leader ------------------------------------------------------------------------------------

  private tickLeader(): void {
    this.heartbeatElapsed++;
    for (const pr of this.progress.values()) if (pr.id !== this.id) pr.idleTicks++;
    // Check-quorum (thesis §6.2): a leader cut off from a majority stops taking writes.
    const active = (id: NodeId): boolean => id === this.id || (this.progress.get(id)?.idleTicks ?? Infinity) < this.cfg.electionTicks;
    if (!quorumActive(this.latest().voters, active)) {
      this.becomeFollower(this.term, null);
      return;
    }
    if (this.transferee !== null && ++this.transferElapsed >= this.cfg.electionTicks) this.transferee = null;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      for (const pr of this.progress.values()) {
        if (pr.id !== this.id) this.send({ type: 'heartbeat', to: pr.id, commit: Math.min(pr.match, this.log.commit) });
      }
    }
  }

  private stepLeader(msg: Message): void {
    const pr = this.progress.get(msg.from);
    if (pr === undefined) return;
    switch (msg.type) {
      case 'append-resp':
        pr.idleTicks = 0;
        this.handleAppendResp(pr, msg);
        return;
      case 'heartbeat-resp':
        pr.idleTicks = 0;
        pr.probeSent = false;
        // An ack may have been lost: free a slot so the window cannot stay full forever.
        if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
        if (pr.match < this.log.lastIndex()) this.sendAppend(pr.id);
        return;
      default:
        return;
    }
  }

  private handleAppendResp(pr: Progress, msg: Extract<Message, { type: 'append-resp' }>): void {
    if (!msg.success) {
      if (pr.maybeDecrTo(msg.index, msg.hintIndex)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(pr.id);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(msg.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot') {
      if (pr.match + 1 >= this.log.firstIndex()) {
        pr.becomeProbe();
        pr.becomeReplicate();
      }
    } else {
      pr.inflights.freeLE(msg.index);
    }
    if (this.maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.sendAppend(pr.id);
    // Fill the window; each send either takes a slot or pauses, so maxInflight bounds the loop.
    for (let i = 0; i < this.cfg.maxInflight && this.maybeSendAppend(pr.id, false); i++);
    if (pr.id === this.transferee && pr.match === this.log.lastIndex()) this.send({ type: 'timeout-now', to: pr.id });
  }

  /** §5.3, §5.4.2: the highest index a majority has persisted, if its entry is of our term. */
  private maybeCommit(): boolean {
    const index = committedIndex(this.latest().voters, (id) => this.progress.get(id)?.match ?? 0);
    if (index <= this.log.commit || this.log.term(index) !== this.term) return false;
    this.log.commitTo(index);
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.progress.get(to);
    if (pr === undefined || to === this.id || pr.isPaused()) return false;
    const log = this.log;
    if (pr.next < log.firstIndex()) return this.sendSnapshot(pr);
    const prevIndex = pr.next - 1;
    const prevTerm = log.term(prevIndex);
    assert(prevTerm !== undefined, `no term for ${prevIndex}: next ${pr.next} is past the log's end ${log.lastIndex()}`);
    const last = log.lastIndex();
    const entries = pr.next <= last ? log.slice(pr.next, last + 1, this.cfg.maxMsgBytes) : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'append', to, prevIndex, prevTerm, entries, commit: log.commit });
    pr.sentEntries(entries.length, prevIndex + entries.length);
    return true;
  }

  private sendSnapshot(pr: Progress): boolean {
    // A peer we have not heard from lately is likely down; streaming a snapshot to it is waste.
    if (pr.idleTicks >= this.cfg.electionTicks) return false;
    const snapshot = this.log.storage.snapshot();
    pr.becomeSnapshot(snapshot.index);
    this.send({ type: 'snapshot', to: pr.id, snapshot });
    return true;
  }

  private assertCanPropose(): void {
    if (this.role !== 'leader') throw this.notLeader();
    if (this.transferee !== null) {
      throw new KnowdError('TRANSFER_IN_PROGRESS', `Cannot propose: leadership is being transferred to "${this.transferee}"`, {
        transferee: this.transferee,
      });
    }
  }

  private notLeader(): KnowdError {
    return new KnowdError('NOT_LEADER', `This node (${this.id}) is not the leader`, { leader: this.lead });
  }

  private appendProposal(kind: EntryKind, data: Uint8Array): { index: number; term: number } {
    if (this.log.lastIndex() - this.log.commit >= UNCOMMITTED_ENTRIES_MAX) {
      throw new KnowdError('NO_LEADER', `Cannot propose: ${UNCOMMITTED_ENTRIES_MAX} entries are waiting for a majority`, {
        uncommitted: this.log.lastIndex() - this.log.commit,
      });
    }
    const e = this.appendEntry(kind, data);
    this.bcastAppend();
    return { index: e.index, term: e.term };
  }

  private appendEntry(kind: EntryKind, data: Uint8Array): Entry {
    const e: Entry = { index: this.log.lastIndex() + 1, term: this.term, kind, data };
    this.appendToLog([e]);
    return e;
  }

  private appendToLog(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    this.log.append(entries);
    // A truncated config entry no longer counts: the membership in force follows the log (§4.1).
    while ((this.configs[this.configs.length - 1]?.index ?? 0) >= first.index) this.configs.pop();
    for (const e of entries) this.noteConfig(e);
  }

  // ---- membership --------------------------------------------------------------------------------

  private noteConfig(e: Entry): void {
    if (e.kind !== 'config') return;
    this.configs.push({ index: e.index, membership: decodeMembership(e.data) });
    this.onMembershipChanged();
  }

  private applyMembership(e: Entry): void {
    // A Ready taken before a snapshot arrived may still apply older config entries: the snapshot's
    // membership already supersedes them.
    if (e.index <= this.membershipIndex) return;
    this.membershipIndex = e.index;
    const head = this.configs[0];
    assert(head !== undefined && head.index === e.index, `applied config entry ${e.index} was not the oldest pending one`);
    this.configs.shift();
    this.membership = head.membership;
    // Removed (§4.2.2): a leader manages the cluster without counting itself until its removal is
    // committed, then steps down; the remaining voters have the new membership in their logs.
    if (this.role === 'leader' && !isVoter(this.membership, this.id)) {
      this.becomeFollower(this.term, null);
      return;
    }
    this.onMembershipChanged();
  }

  private onMembershipChanged(): void {
    if (this.role === 'follower') return;
    if (this.role !== 'leader') {
      if (!this.promotable()) this.becomeFollower(this.term, null);
      return;
    }
    const added = this.syncProgress();
    if (this.transferee !== null && !isVoter(this.latest(), this.transferee)) this.transferee = null;
    if (this.maybeCommit()) this.bcastAppend();
    else for (const id of added) this.sendAppend(id);
  }

  /**
   * Leader: one progress per member of the applied or the latest membership (a removed node still
   * learns that its removal committed), new ones probing from our end of the log.
   */
  private syncProgress(): NodeId[] {
    const added: NodeId[] = [];
    const latest = this.latest();
    const members = new Set([...membersOf(this.membership), ...membersOf(latest), this.id]);
    for (const id of this.progress.keys()) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const voter = isVoter(latest, id);
      const pr = this.progress.get(id);
      if (pr !== undefined) {
        pr.voter = voter;
      } else {
        this.progress.set(id, new Progress(id, voter, this.log.lastIndex() + 1, this.cfg.maxInflight));
        added.push(id);
      }
    }
    return added;
  }

  private send(m: Outgoing): void {
    if (this.msgs.length >= MESSAGES_MAX) return;
    this.msgs.push({ ...m, from: this.id, term: m.term ?? this.term } as Message);
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader && a.term === b.term;
}
