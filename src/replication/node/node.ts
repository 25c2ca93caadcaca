import { KnowdError, assert } from '../../base/index.js';
import type { ApplyResult, Engine, Outcome, Proposal, Sequencer } from '../../engine/index.js';
import { appliedIndex, logSize, readHardState, readMembership, setAppliedIndex, StoredLog, writeHardState, writeMembership } from '../log/index.js';
import { RaftNode, decodeMembership } from '../raft/index.js';
import type { Entry, HardState, Membership, Message, NodeId, Ready, RaftStatus, SnapshotMeta } from '../raft/index.js';
import type { Storage, WriteTxn } from '../../storage/index.js';
import type { ForwardRequest, ForwardResponse, QueryPartRequest, Transport, TransportStats } from '../transport/types.js';
import { decodeCall, decodeProposeReply, encodeCall, encodeOutcome, errorReply, replyError, type ForwardCall, type MembershipCall } from './forward.js';
import { clusterChecks, readiness, type Check } from './health.js';
import { LeaderWatch } from './leader-watch.js';
import { PendingProposals } from './pending.js';
import { Snapshotting } from './snapshotting.js';
import type { LocalSnapshot, SnapshotStore } from './snapshots.js';

export interface NodeTiming {
  readonly tickMs: number;
  readonly heartbeatTicks: number;
  readonly electionTicks: number;
}

/** Derives ticks from the two settings: fine ticks keep the randomized timeout's spread. */
export function timingOf(heartbeatMs: number, electionTimeoutMs: number): NodeTiming {
  const tickMs = Math.max(5, Math.min(heartbeatMs, Math.floor(electionTimeoutMs / 10)));
  return { tickMs, heartbeatTicks: Math.max(1, Math.round(heartbeatMs / tickMs)), electionTicks: Math.max(2, Math.round(electionTimeoutMs / tickMs)) };
}

export interface NodeEvents {
  onApplied?(info: { entries: number; durationMs: number }): void;
  onRoleChange?(info: { role: RaftStatus['role']; term: number; leader: NodeId | null }): void;
  onSnapshot?(info: { kind: 'created' | 'sent' | 'received' | 'restored' | 'rejected'; index: number; peer?: NodeId; reason?: string; bytes?: number }): void;
  onMembership?(m: Membership): void;
  /** Something an operator should hear about (structured; the daemon logs it). */
  onWarn?(msg: string, info?: Record<string, unknown>): void;
}

export interface NodeOptions {
  readonly id: NodeId;
  readonly engine: Engine;
  readonly storage: Storage;
  /** Voters when no membership is stored yet (a fresh cluster): this node and its configured peers. */
  readonly bootstrap: readonly NodeId[];
  readonly transport?: Transport;
  readonly snapshots?: SnapshotStore;
  readonly timing: NodeTiming;
  readonly writeTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** single: a cluster of one; leader: campaign at start (a hint; the term decides); follower: wait. */
  readonly hint: 'single' | 'leader' | 'follower';
  /**
   * Fingerprints of the keys every member must share (receipt signing, snapshot encryption): a
   * follower compares them with the leader's and warns, since receipts and snapshots diverge otherwise.
   */
  readonly keys?: Readonly<Record<string, string>>;
  /** How often the daemon takes snapshots (the health check flags overdue ones). */
  readonly snapshotIntervalMs?: number;
  /** Entries kept in the log behind a snapshot so briefly lagging followers need no snapshot. */
  readonly logRetainEntries?: number;
  readonly maxInflight?: number;
  readonly maxMsgBytes?: number;
  readonly random?: () => number;
  readonly events?: NodeEvents;
}

const DRAIN_MAX_MS = 5_000;
const FAULT_DELAY_MIN_MS = 50;
const FAULT_DELAY_MAX_MS = 5_000;

/**
 * The replication driver: owns the raft core, carries out its Ready (persist, send, apply, advance
 * — etcd's order) against the store, the engine and the transport, and is the engine's Sequencer.
 * Single mode is this same driver with one voter and no transport.
 */
export class ReplicationNode implements Sequencer {
  private raft: RaftNode;
  private readonly log: StoredLog;
  private readonly pending: PendingProposals;
  /** Applied and durable: what readers may wait for and clients are told. */
  private applied: number;
  /**
   * Applied by a write whose transaction ran, durable or not yet (see the pipelined writes in
   * handle): where the next write's entries continue. Equal to `applied` when nothing is in flight.
   */
  private appliedInTxn: number;
  /** Durability of the writes whose transaction ran but whose commit has not resolved (at most two). */
  private readonly inFlight: Promise<void>[] = [];
  private membership: Membership;
  private running = false;
  private stopped = false;
  /** Runs parts of federated queries for coordinators (set by the daemon; federation/ sits above). */
  private queryParts: ((req: QueryPartRequest, signal: AbortSignal) => AsyncIterable<string>) | undefined;
  private draining = false;
  /** Set between a failed storage write and the core's restart from disk. */
  private recovering = false;
  private faultDelayMs = 0;
  private ticker: NodeJS.Timeout | undefined;
  private readonly snapshotting: Snapshotting | undefined;
  private readonly appliedWaiters = new Set<{ index: number; resolve: () => void }>();
  private readonly leaderWaiters = new Set<() => void>();
  private lastRole: RaftStatus['role'] = 'follower';
  private lastLeader: NodeId | null = null;
  private caughtUpAtMs = Date.now();
  private elections = 0;
  private ticks = 0;
  private readonly watch: LeaderWatch;
  private lastWriteError: string | null = null;
  /**
   * The core's newest hard state, and the one last written. Only term and vote must be durable before
   * anything is sent (Raft, Figure 2: the commit index is volatile state), so a Ready that only moved
   * the commit index writes nothing: a sole voter's second write per transaction, an fsync each.
   * The newest commit index rides along with the next write that happens anyway.
   */
  private hardState: HardState | undefined;
  private persistedHardState: HardState | undefined;

  private constructor(private readonly opts: NodeOptions) {
    this.log = new StoredLog(opts.storage);
    this.pending = new PendingProposals(opts.writeTimeoutMs);
    this.snapshotting = opts.snapshots === undefined ? undefined : new Snapshotting({
      storage: opts.storage,
      log: this.log,
      store: opts.snapshots,
      transport: opts.transport,
      events: opts.events,
      retainEntries: opts.logRetainEntries ?? 1000,
      membership: () => this.membership,
      reportSnapshot: (to, ok) => {
        this.raft.reportSnapshot(to, ok);
        this.kick();
      },
      offerToCore: (from, meta) => {
        this.raft.step({ type: 'snapshot', from, to: this.opts.id, term: this.raft.status().term, snapshot: meta });
        this.kick();
      },
    });
    this.watch = new LeaderWatch(opts.keys ?? {}, (msg, info) => opts.events?.onWarn?.(msg, info));
    const init = this.durableState();
    this.applied = init.applied;
    this.appliedInTxn = init.applied;
    this.membership = init.membership;
    this.raft = this.newCore(init);
  }

  static async start(opts: NodeOptions): Promise<ReplicationNode> {
    const node = new ReplicationNode(opts);
    opts.engine.attach(node);
    // Members that joined or left since the configuration was written count, not just the peer list.
    const known = new Set([...node.membership.voters, ...node.membership.learners, ...opts.bootstrap]);
    known.delete(opts.id);
    opts.transport?.setPeers?.([...known]);
    await node.opts.transport?.start({
      onMessage: (m) => node.onMessage(m),
      onSnapshot: async (from, offer, chunks) => {
        if (node.snapshotting === undefined) throw new KnowdError('NOT_SUPPORTED', 'This node keeps no snapshots (memory store)');
        await node.snapshotting.receive(from, offer, chunks);
      },
      onForward: (from, req) => node.onForward(from, req),
      onStatus: async () => ({ body: JSON.stringify(node.status()) }),
      onQuery: (_from, req, signal) => node.onQuery(req, signal),
    });
    opts.transport?.onUnreachable((peer) => node.raft.reportUnreachable(peer));
    node.ticker = setInterval(() => node.tick(), opts.timing.tickMs);
    node.ticker.unref();
    if (opts.hint !== 'follower') node.raft.campaign();
    // Committed entries the store has not applied yet (a crash between commit and apply) replay now.
    await node.process();
    return node;
  }

  private durableState(): { hardState: HardState; membership: Membership; applied: number } {
    return this.opts.storage.read((r) => {
      const applied = appliedIndex(r);
      const known = this.opts.hint === 'single' ? undefined : clusterMembership(readMembership(r) ?? this.log.snapshot().membership);
      const membership = known ?? { voters: [...new Set(this.opts.bootstrap)].sort(), learners: [] };
      // A store written before the cluster existed applied every entry it appended: all committed.
      const stored = readHardState(r) ?? { term: this.log.term(this.log.lastIndex()) ?? 0, vote: null, commit: applied };
      // Applied entries are committed by definition (a sole voter applies with the append, before
      // its commit index is next persisted).
      const hardState = { ...stored, commit: Math.max(stored.commit, applied) };
      return { hardState, membership, applied };
    });
  }

  private newCore(init: { hardState: HardState; membership: Membership; applied: number }): RaftNode {
    this.hardState = init.hardState;
    this.persistedHardState = init.hardState;
    const random = this.opts.random ?? Math.random;
    return new RaftNode(
      {
        id: this.opts.id,
        electionTicks: this.opts.timing.electionTicks,
        heartbeatTicks: this.opts.timing.heartbeatTicks,
        maxInflight: this.opts.maxInflight ?? 64,
        maxMsgBytes: this.opts.maxMsgBytes ?? 4 * 1024 * 1024,
        random,
      },
      this.log,
      init,
    );
  }

  /** Resolves once this node can take writes itself or knows a leader to forward them to. */
  async ready(timeoutMs = this.opts.writeTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.raft.status().leader === null || this.running) {
      if (Date.now() >= deadline) throw new KnowdError('NO_LEADER', `No leader after ${timeoutMs} ms`);
      await this.leaderChange(Math.min(deadline - Date.now(), this.opts.timing.tickMs));
    }
  }

  /** Serve parts of federated queries with `fn` (until then, peers asking get NOT_SUPPORTED). */
  serveQueryParts(fn: (req: QueryPartRequest, signal: AbortSignal) => AsyncIterable<string>): void {
    this.queryParts = fn;
  }

  private async *onQuery(req: QueryPartRequest, signal: AbortSignal): AsyncGenerator<string> {
    if (this.queryParts === undefined) throw new KnowdError('NOT_READY', `${this.opts.id} does not serve query parts yet (starting)`);
    yield* this.queryParts(req, signal);
  }

  /** Streams one part of a federated query from a peer (the cluster transport), if it can carry queries. */
  get queryPeer(): ((to: NodeId, body: string, timeoutMs: number, signal: AbortSignal) => AsyncIterable<string>) | undefined {
    const t = this.opts.transport;
    if (t?.query === undefined) return undefined;
    return (to, body, timeoutMs, signal) => t.query!(to, { body }, timeoutMs, signal);
  }

  get id(): NodeId {
    return this.opts.id;
  }

  // ---- the engine's Sequencer -------------------------------------------------------------------

  async submit(p: Proposal): Promise<Outcome> {
    const deadline = Date.now() + this.opts.writeTimeoutMs;
    for (;;) {
      if (this.draining || this.stopped) throw new KnowdError('SHUTTING_DOWN', 'The node is shutting down and takes no new writes.');
      const st = this.raft.status();
      if (this.recovering) {
        // The core is being rebuilt after a failed write; wait for it rather than propose into it.
      } else if (st.role === 'leader') {
        try {
          const { index, term } = this.raft.propose(p.payload);
          const done = this.pending.wait(index, term, p);
          this.kick();
          return await done;
        } catch (e) {
          // A transfer in progress refuses proposals for about one round trip: wait for its end.
          if (!(e instanceof KnowdError && (e.code === 'TRANSFER_IN_PROGRESS' || e.code === 'NOT_LEADER'))) throw e;
        }
      } else if (st.leader !== null && this.opts.transport !== undefined) {
        const r = await this.forwardPropose(st.leader, p, deadline);
        if (r !== undefined) return r;
      }
      if (Date.now() >= deadline) throw new KnowdError('NO_LEADER', `No leader was reachable within ${this.opts.writeTimeoutMs} ms (KNOWD_CLUSTER_WRITE_TIMEOUT); the write was not applied.`);
      await this.leaderChange(Math.min(deadline - Date.now(), this.opts.timing.tickMs * this.opts.timing.electionTicks));
    }
  }

  /** Undefined when the leader moved on before taking it (the caller retries with the new one). */
  private async forwardPropose(leader: NodeId, p: Proposal, deadline: number): Promise<Outcome | undefined> {
    const req = encodeCall({ kind: 'propose', payload: p.payload.toString('base64') });
    let res: ForwardResponse;
    try {
      res = await this.opts.transport!.forward(leader, req, Math.max(1, deadline - Date.now()));
    } catch {
      // Unreachable leader: wait for the cluster to notice and elect another.
      return undefined;
    }
    if (!res.ok) {
      const err = replyError(res);
      if (err.code === 'NOT_LEADER' || err.code === 'NO_LEADER' || err.code === 'TRANSFER_IN_PROGRESS') return undefined;
      throw err;
    }
    const reply = decodeProposeReply(res.body);
    // Read-your-writes through this node: answer once the entry is applied here too.
    await this.waitForApplied(reply.index, Math.max(1, deadline - Date.now()));
    return reply.outcome;
  }

  /** Stops taking proposals; waits a little for those in flight (they may still commit after a restart). */
  async drain(): Promise<void> {
    this.draining = true;
    const until = Date.now() + Math.min(this.opts.writeTimeoutMs, DRAIN_MAX_MS);
    while (this.pending.size > 0 && Date.now() < until && !this.recovering) await sleep(this.opts.timing.tickMs);
  }

  // ---- inputs ----------------------------------------------------------------------------------

  private tick(): void {
    if (this.stopped) return;
    this.raft.tick();
    this.kick();
    this.observeRole();
    // About once a second: ask the leader how far it has committed (readiness and lag) and
    // keep a minute of apply history (the health check's apply rate).
    if (++this.ticks % Math.max(1, Math.round(1000 / this.opts.timing.tickMs)) === 0) {
      this.watch.sample(this.applied, Date.now());
      const st = this.raft.status();
      if (st.role !== 'leader' && st.leader !== null && this.opts.transport !== undefined) {
        void this.watch.poll(this.opts.transport, st.leader, this.opts.timing.tickMs * this.opts.timing.electionTicks);
      }
    }
  }

  /** Committed entries (as far as known) this node has not applied yet. */
  behindEntries(): number {
    const st = this.raft.status();
    return Math.max(0, Math.max(st.commit, st.role === 'leader' ? 0 : (this.watch.leaderCommit ?? 0)) - this.applied);
  }

  health(): { checks: Record<string, Check>; ready: Check } {
    const status = this.status();
    const appliedLastMinute = this.watch.appliedLastMinute(this.applied);
    const behind = this.behindEntries();
    const single = this.opts.hint === 'single';
    const checks = clusterChecks({
      status, single, nowMs: Date.now(), snapshotIntervalMs: this.opts.snapshotIntervalMs ?? 300_000,
      electionTimeoutMs: this.opts.timing.tickMs * this.opts.timing.electionTicks,
      writeError: this.lastWriteError,
      snapshotError: this.snapshotting?.error ?? null,
      applyRate: { appliedLastMinute, behindEntries: behind },
    });
    const known = single || status.role === 'leader' || this.watch.leaderCommit !== undefined;
    return { checks, ready: known ? readiness(status, behind, single, 1000) : { ok: false, detail: "waiting to learn the leader's commit index" } };
  }

  private onMessage(m: Message): void {
    if (this.stopped) return;
    this.raft.step(m);
    this.kick();
  }

  private async onForward(_from: NodeId, req: ForwardRequest): Promise<ForwardResponse> {
    try {
      const call = decodeCall(req.kind, req.body);
      return await this.serveForward(call);
    } catch (e) {
      return errorReply(e);
    }
  }

  private async serveForward(call: ForwardCall): Promise<ForwardResponse> {
    const st = this.raft.status();
    if (st.role !== 'leader') throw new KnowdError('NOT_LEADER', `Node ${this.opts.id} is not the leader`, { leader: st.leader });
    switch (call.kind) {
      case 'propose': {
        const { cmd, payload } = this.opts.engine.checkForwarded(Buffer.from(call.payload, 'base64'));
        const { index, term } = this.raft.propose(payload);
        const done = this.pending.wait(index, term, { cmd, payload, parsed: undefined, forwarded: true });
        this.kick();
        return { ok: true, body: encodeOutcome(index, await done) };
      }
      case 'transfer':
        await this.transferTo(call.to);
        return { ok: true, body: '{}' };
      case 'membership':
        await this.changeMembership(call.change, call.id);
        return { ok: true, body: '{}' };
    }
  }

  // ---- the Ready loop --------------------------------------------------------------------------

  private kick(): void {
    if (this.running || this.stopped) return;
    setImmediate(() => void this.process());
  }

  private async process(): Promise<void> {
    if (this.running || this.stopped || this.recovering) return;
    this.running = true;
    try {
      while (!this.stopped && !this.recovering && this.raft.hasReady()) {
        const core = this.raft;
        const rd = core.ready();
        await this.handle(rd);
        // A pipelined write that failed meanwhile has started a recovery: this Ready is void.
        if (this.raft !== core || this.recovering) break;
        core.advance(rd);
        this.observeRole();
      }
    } catch (e) {
      this.onFault(e);
    } finally {
      this.running = false;
    }
  }

  private async handle(rd: Ready): Promise<void> {
    if (rd.snapshot !== null) {
      await this.settleWrites();
      await this.installSnapshot(rd.snapshot);
    }
    const started = performance.now();
    // A leader's appends may leave before its own copy is durable (Raft thesis §10.2.1): its own
    // match only counts towards the commit after advance(), so its fsync and the followers' overlap.
    // Every other message speaks for durable state and waits for the write.
    const early = new Set<Message>(rd.softState.role === 'leader' ? rd.messages.filter((m) => m.type === 'append') : []);
    for (const m of early) this.send(m);
    const first = rd.entries[0];
    if (first !== undefined && first.index <= this.log.lastIndex()) this.pending.truncatedFrom(first.index);
    // Sole voter and leader: an entry is committed the moment it is durable, so it is applied in the
    // same transaction as it is appended (one fsync per batch instead of two).
    const soleLeader = rd.softState.role === 'leader' && this.membership.voters.length === 1 && this.membership.voters[0] === this.opts.id;
    const base = this.appliedInTxn;
    const committed = rd.committed.filter((e) => e.index > base);
    const appliedAfterCommitted = committed.at(-1)?.index ?? base;
    // Only when nothing older is still waiting to be handed out: entries apply in log order.
    const applyNow = soleLeader && first !== undefined && first.index === appliedAfterCommitted + 1 ? rd.entries : [];
    const toApply = [...committed, ...applyNow];
    if (rd.hardState !== null) this.hardState = rd.hardState;
    const hs = this.hardState;
    const was = this.persistedHardState;
    const voteOrTermChanged = hs !== undefined && (was === undefined || hs.term !== was.term || hs.vote !== was.vote);
    if (rd.snapshot === null && rd.entries.length === 0 && toApply.length === 0 && !voteOrTermChanged) {
      // Nothing that must be durable: only the (volatile) commit index moved, or nothing at all. (A
      // snapshot install takes the full path below.) Still "caught up as of now" for the lag figure.
      this.notifyApplied();
      for (const m of rd.messages) if (!early.has(m)) this.send(m);
      return;
    }
    // A sole voter's plain entries are pipelined: once this write's transaction has run, the core
    // moves on and the next write is queued while this one's commit is flushed (lmdb-js begins the
    // next transaction during the previous fsync). Nobody learns of an entry before it is durable:
    // clients, readers and the engine's caches hear in finishWrite. A crash loses only writes nobody
    // was told of; a failed commit makes the next write refuse to run (its base is not on disk) and
    // restarts the core from the durable state. Everything else (votes, membership, followers'
    // appends, snapshots) waits for the writes before it and for its own, as before.
    const pipelined = soleLeader && !voteOrTermChanged && toApply.length > 0 && toApply.every((e) => e.kind === 'normal') && applyNow.length === rd.entries.length && rd.messages.every((m) => early.has(m));
    if (!pipelined) await this.settleWrites();
    else if (this.inFlight.length >= 2) await this.inFlight[0];
    if (this.recovering) return;
    const results: { entry: Entry; result: ApplyResult | null }[] = [];
    let membership: Membership | undefined;
    let applied = base;
    let ran = false;
    let markRan = (): void => undefined;
    const ranNow = new Promise<void>((resolve) => (markRan = resolve));
    const written = this.opts.storage.write((w) => {
      if (base !== this.applied && appliedIndex(w) !== base) {
        throw new KnowdError('INTERNAL', `The write before this one (up to entry ${base}) did not commit; the node restarts from the durable state`);
      }
      if (hs !== undefined && (was === undefined || hs.term !== was.term || hs.vote !== was.vote || hs.commit !== was.commit)) writeHardState(w, hs);
      this.log.append(w, rd.entries);
      for (const e of toApply) {
        if (e.index <= applied) continue;
        if (e.kind === 'normal') {
          results.push({ entry: e, result: this.opts.engine.applyEntry(w, e.index, e.data, this.pending.local(e.index, e.term)) });
        } else {
          if (e.kind === 'config') {
            membership = decodeMembership(e.data);
            writeMembership(w, membership);
          }
          results.push({ entry: e, result: null });
        }
        applied = e.index;
      }
      if (applied > base) setAppliedIndex(w, applied);
      this.appliedInTxn = applied;
      ran = true;
      markRan();
    });
    const finish = (): void => this.finishWrite(rd, early, results, membership, applied, started);
    /** Nothing of the write is durable: the cached log and applied index go back to the store's. */
    const undo = (e: unknown): void => {
      this.log.reload();
      this.appliedInTxn = this.applied;
      this.lastWriteError = e instanceof Error ? e.message : String(e);
    };
    const rethrow = (e: unknown): never => {
      undo(e);
      throw e;
    };
    if (!pipelined) {
      await written.catch(rethrow);
      this.persistedHardState = hs;
      finish();
      return;
    }
    await Promise.race([ranNow, written]).catch(() => undefined);
    if (!ran) {
      await written.catch(rethrow);
      return;
    }
    this.persistedHardState = hs;
    const durable = written.then(finish, (e: unknown) => {
      undo(e);
      this.onFault(e);
    }).finally(() => void this.inFlight.splice(this.inFlight.indexOf(durable), 1));
    this.inFlight.push(durable);
  }

  /** Once a write is durable: the caches, the clients and the readers hear of its entries, in log order. */
  private finishWrite(rd: Ready, early: ReadonlySet<Message>, results: readonly { entry: Entry; result: ApplyResult | null }[], membership: Membership | undefined, applied: number, started: number): void {
    this.lastWriteError = null;
    this.faultDelayMs = 0;
    this.applied = Math.max(this.applied, applied);
    if (membership !== undefined) this.setMembership(membership);
    this.opts.engine.published(results.flatMap((r) => (r.result === null ? [] : [r.result])), applied);
    for (const { entry, result } of results) {
      if (result !== null) this.pending.settle(entry.index, entry.term, result);
      else this.pending.settle(entry.index, entry.term, { ok: false, error: new KnowdError('INTERNAL', `Entry ${entry.index} is not a client write`) });
    }
    if (results.length > 0) this.opts.events?.onApplied?.({ entries: results.length, durationMs: performance.now() - started });
    this.notifyApplied();
    for (const m of rd.messages) if (!early.has(m)) this.send(m);
  }

  /** Waits until no pipelined write is in flight (they fail into a recovery, never to here). */
  private async settleWrites(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight[0];
  }

  private send(m: Message): void {
    if (m.type === 'snapshot') {
      if (this.snapshotting === undefined) this.raft.reportSnapshot(m.to, false);
      else void this.snapshotting.send(m.to, m.snapshot);
      return;
    }
    this.opts.transport?.send(m);
  }

  private setMembership(m: Membership): void {
    this.membership = m;
    this.opts.transport?.setPeers?.([...m.voters, ...m.learners].filter((id) => id !== this.opts.id));
    this.opts.events?.onMembership?.(m);
  }

  /**
   * A write failed (disk full, IO error): nothing of it is durable, and the core's view is ahead of
   * the disk. Proposals in flight fail with the error; after a pause (growing while the fault lasts)
   * the core restarts from the durable state, as after a crash.
   */
  private onFault(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.lastWriteError = message;
    // A pipelined write behind the failed one fails too: one recovery covers both.
    if (this.recovering) return;
    this.recovering = true;
    this.faultDelayMs = Math.min(FAULT_DELAY_MAX_MS, this.faultDelayMs === 0 ? FAULT_DELAY_MIN_MS : this.faultDelayMs * 2);
    this.opts.events?.onWarn?.('replication write failed; restarting the raft core from the durable state', { error: message, retryInMs: this.faultDelayMs });
    this.pending.rejectAll(e);
    const t = setTimeout(() => void this.settleWrites().catch(() => undefined).then(() => {
      if (this.stopped) return;
      this.log.reload();
      const init = this.durableState();
      this.applied = init.applied;
      this.appliedInTxn = init.applied;
      this.raft = this.newCore(init);
      this.recovering = false;
      if (this.opts.hint !== 'follower') this.raft.campaign();
      this.kick();
    }), this.faultDelayMs);
    t.unref();
  }

  private observeRole(): void {
    const st = this.raft.status();
    if (st.role === this.lastRole && st.leader === this.lastLeader) return;
    if (st.role === 'leader' && this.lastRole !== 'leader') this.elections++;
    this.lastRole = st.role;
    this.lastLeader = st.leader;
    this.opts.events?.onRoleChange?.({ role: st.role, term: st.term, leader: st.leader });
    if (st.leader !== null) for (const w of [...this.leaderWaiters]) w();
  }

  private leaderChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.leaderWaiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, Math.max(1, timeoutMs));
      this.leaderWaiters.add(done);
    });
  }

  // ---- reads -----------------------------------------------------------------------------------

  /** Resolves once this node has applied `index` (read-your-writes); INDEX_NOT_REACHED after the timeout. */
  waitForApplied(index: number, timeoutMs = this.opts.readTimeoutMs): Promise<void> {
    if (this.applied >= index) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        index,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      };
      const t = setTimeout(() => {
        this.appliedWaiters.delete(w);
        reject(new KnowdError('INDEX_NOT_REACHED', `This node has applied log index ${this.applied}, not ${index}, after ${timeoutMs} ms; retry, or read from the leader.`, { appliedIndex: this.applied, minIndex: index }));
      }, timeoutMs);
      this.appliedWaiters.add(w);
    });
  }

  private notifyApplied(): void {
    const st = this.raft.status();
    if (this.applied >= Math.max(st.commit, st.role === 'leader' ? 0 : (this.watch.leaderCommit ?? 0))) this.caughtUpAtMs = Date.now();
    for (const w of this.appliedWaiters) {
      if (w.index > this.applied) continue;
      this.appliedWaiters.delete(w);
      w.resolve();
    }
  }

  // ---- leadership and membership ----------------------------------------------------------------

  /**
   * Makes this node the leader without losing a write: the leader stops taking proposals, brings
   * this node up to its last index, then tells it to campaign (Raft thesis §3.10).
   */
  async promoteSelf(timeoutMs = this.opts.writeTimeoutMs): Promise<void> {
    const st = this.raft.status();
    if (st.role === 'leader') return;
    if (!st.membership.voters.includes(this.opts.id)) throw new KnowdError('CONFLICT', `Node ${this.opts.id} is not a voter and cannot lead; promote it to voter first`);
    if (st.leader === null || this.opts.transport === undefined) throw new KnowdError('NO_LEADER', 'No leader is known to hand over leadership; the election will pick one.');
    const res = await this.opts.transport.forward(st.leader, encodeCall({ kind: 'transfer', to: this.opts.id }), timeoutMs);
    if (!res.ok) throw replyError(res);
    const deadline = Date.now() + timeoutMs;
    while (this.raft.status().role !== 'leader') {
      if (Date.now() >= deadline) throw new KnowdError('NO_LEADER', `Leadership did not arrive within ${timeoutMs} ms; the old leader keeps it`);
      await this.leaderChange(deadline - Date.now());
    }
  }

  /**
   * Hands leadership to `to`, whichever member receives the request: the node itself campaigns
   * (promoteSelf), a leader transfers, a follower asks the leader to transfer (the Forward call
   * promoteSelf uses). Resolves once this node sees `to` lead.
   */
  async transferLeadership(to: NodeId, timeoutMs = this.opts.writeTimeoutMs): Promise<void> {
    if (to === this.opts.id) return this.promoteSelf(timeoutMs);
    const st = this.raft.status();
    if (!st.membership.voters.includes(to)) throw new KnowdError('CONFLICT', `Node ${to} is not a voter and cannot lead`, { nodeId: to });
    if (st.leader === to) return;
    if (st.role === 'leader') {
      await this.transferTo(to);
      return;
    }
    if (st.leader === null || this.opts.transport === undefined) throw new KnowdError('NO_LEADER', 'No leader is known to hand over leadership; the election will pick one.');
    const res = await this.opts.transport.forward(st.leader, encodeCall({ kind: 'transfer', to }), timeoutMs);
    if (!res.ok) throw replyError(res);
    // The old leader answered once `to` led; this node hears of it with the next heartbeat.
    const deadline = Date.now() + timeoutMs;
    while (this.raft.status().leader !== to) {
      if (Date.now() >= deadline) throw new KnowdError('NO_LEADER', `${to} took over but this node has not heard from it within ${timeoutMs} ms`);
      await this.leaderChange(Math.min(deadline - Date.now(), this.opts.timing.tickMs * 4));
    }
  }

  /** Another member's own status (the Status RPC); rejects when it cannot be reached in time. */
  async peerStatus(id: NodeId, timeoutMs: number): Promise<ClusterStatusView> {
    if (this.opts.transport === undefined) throw new KnowdError('NOT_SUPPORTED', 'A single node has no peers');
    const res = await this.opts.transport.status(id, timeoutMs);
    const v: unknown = JSON.parse(res.body);
    // A member of another version may say more, but what the admin UI reads must be there.
    const o = v as Partial<Record<keyof ClusterStatusView, unknown>>;
    const counts = [o.term, o.commitIndex, o.appliedIndex, o.lastIndex, o.lagSec, o.walBytes, o.walEntries];
    if (typeof v !== 'object' || v === null || typeof o.role !== 'string' || typeof o.nodeId !== 'string' || !counts.every((x) => typeof x === 'number') || !Array.isArray(o.peers)) {
      throw new KnowdError('BAD_REQUEST', `Member ${id} answered the status call with an unexpected shape`);
    }
    return v as ClusterStatusView;
  }

  /** Leader side of a transfer: resolves when `to` leads, rejects when the transfer was abandoned. */
  private async transferTo(to: NodeId): Promise<void> {
    this.raft.transferLeadership(to);
    this.kick();
    const limitMs = this.opts.timing.tickMs * this.opts.timing.electionTicks * 2;
    const deadline = Date.now() + limitMs;
    while (this.raft.status().leader !== to) {
      if (Date.now() >= deadline) throw new KnowdError('NO_LEADER', `${to} did not take over leadership within ${limitMs} ms`);
      await this.leaderChange(Math.min(deadline - Date.now(), this.opts.timing.tickMs * 4));
    }
  }

  /**
   * Changes membership one step at a time (Raft thesis §4.1), on the leader (a follower forwards the
   * request). 'add' joins a node safely: as a learner first, a voter only once it has caught up, so
   * a new empty node never counts towards a quorum it cannot serve.
   */
  async changeMembership(change: MembershipCall, id: NodeId): Promise<void> {
    const st = this.raft.status();
    if (st.role !== 'leader') {
      if (st.leader === null || this.opts.transport === undefined) throw new KnowdError('NO_LEADER', 'No leader to change membership; retry once one is elected');
      const res = await this.opts.transport.forward(st.leader, encodeCall({ kind: 'membership', change, id }), this.opts.writeTimeoutMs);
      if (!res.ok) throw replyError(res);
      return;
    }
    if (change !== 'add') {
      await this.proposeMembership(change, id);
      return;
    }
    if (st.membership.voters.includes(id)) return;
    if (!st.membership.learners.includes(id)) await this.proposeMembership('add-learner', id);
    const deadline = Date.now() + this.opts.writeTimeoutMs;
    for (;;) {
      const now = this.raft.status();
      if (now.role !== 'leader') throw new KnowdError('NO_LEADER', `Leadership moved while ${id} was catching up; it stays a learner. Retry on the new leader.`);
      const p = now.progress.find((x) => x.id === id);
      if (p !== undefined && p.match >= now.commit) break;
      if (Date.now() >= deadline) throw new KnowdError('WRITE_TIMEOUT', `${id} did not catch up within ${this.opts.writeTimeoutMs} ms; it stays a learner (is it running, with a certificate from the cluster CA?)`);
      await sleep(this.opts.timing.tickMs * 2);
    }
    await this.proposeMembership('promote', id);
  }

  private async proposeMembership(change: 'add-learner' | 'promote' | 'remove', id: NodeId): Promise<void> {
    const { index, term } = this.raft.proposeMembership({ type: change, id });
    this.kick();
    await this.waitForApplied(index, this.opts.writeTimeoutMs);
    if (this.log.term(index) !== term) throw new KnowdError('NO_LEADER', 'Leadership changed before the membership change committed; retry it');
  }

  // ---- snapshots -------------------------------------------------------------------------------

  /** Takes a snapshot of the applied state and compacts the log behind it (undefined without a snapshot store). */
  async snapshotNow(): Promise<LocalSnapshot | undefined> {
    return this.snapshotting?.take();
  }

  private async installSnapshot(meta: SnapshotMeta): Promise<void> {
    const store = this.opts.snapshots;
    const snap = this.snapshotting?.received;
    assert(store !== undefined && snap !== undefined && snap.meta.index === meta.index, `raft asked to install snapshot ${meta.index}, which this node has not received`);
    await store.restore(this.opts.storage, snap, (w: WriteTxn) => {
      this.log.resetTo(w, meta);
      writeMembership(w, meta.membership);
      setAppliedIndex(w, meta.index);
    });
    this.opts.engine.resetCaches();
    this.applied = meta.index;
    this.setMembership(meta.membership);
    this.opts.events?.onSnapshot?.({ kind: 'restored', index: meta.index });
  }

  /** Checks a snapshot this node holds (by log index) as a restore would, without touching the store. */
  async verifySnapshot(index: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    const store = this.opts.snapshots;
    if (store === undefined) throw new KnowdError('NOT_SUPPORTED', 'This node keeps no snapshots (memory store)');
    const s = store.list().find((x) => x.meta.index === index);
    if (s === undefined) throw new KnowdError('NOT_FOUND', `This node holds no snapshot at index ${index}`, { index });
    return store.verify(s);
  }

  // ---- status ----------------------------------------------------------------------------------

  snapshots(): LocalSnapshot[] {
    return this.opts.snapshots?.list() ?? [];
  }

  raftStatus(): RaftStatus {
    return this.raft.status();
  }

  status(): ClusterStatusView {
    const st = this.raft.status();
    const tickSec = this.opts.timing.tickMs / 1000;
    const last = this.snapshotting?.latest();
    const wal = this.opts.storage.read((r) => logSize(r));
    return {
      role: st.role,
      nodeId: this.opts.id,
      term: st.term,
      leader: st.leader,
      commitIndex: st.commit,
      appliedIndex: this.applied,
      lastIndex: st.lastIndex,
      lagSec: st.role === 'leader' || this.behindEntries() === 0 ? 0 : Math.round((Date.now() - this.caughtUpAtMs) / 100) / 10,
      membership: st.membership,
      peers: st.progress
        .filter((p) => p.id !== this.opts.id)
        .map((p) => ({ id: p.id, voter: p.voter, matchIndex: p.match, lagEntries: Math.max(0, st.lastIndex - p.match), lastContactSec: Math.round(p.idleTicks * tickSec * 10) / 10, reachable: p.idleTicks < this.opts.timing.electionTicks, state: p.state })),
      lastSnapshot: last === undefined ? null : { index: last.meta.index, term: last.meta.term, createdAtMs: last.createdAtMs, sizeBytes: last.sizeBytes },
      walBytes: wal.bytes,
      walEntries: wal.entries,
      elections: this.elections,
      pendingWrites: this.pending.size,
      transport: this.opts.transport?.stats() ?? null,
      keys: this.opts.keys ?? {},
      warnings: this.watch.keyWarnings,
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.pending.rejectAll(new KnowdError('SHUTTING_DOWN', 'The node stopped before the write committed.'));
    for (const w of [...this.leaderWaiters]) w();
    while (this.running) await sleep(5);
    await this.settleWrites().catch(() => undefined);
    await this.snapshotting?.settle();
    await this.opts.transport?.close();
  }
}

export interface ClusterStatusView {
  readonly role: RaftStatus['role'];
  readonly nodeId: NodeId;
  readonly term: number;
  readonly leader: NodeId | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  readonly lagSec: number;
  readonly membership: Membership;
  /** The leader's view of each member; `reachable` is false once it has been silent for an election timeout (heartbeats, not mDNS, decide liveness). */
  readonly peers: readonly { id: NodeId; voter: boolean; matchIndex: number; lagEntries: number; lastContactSec: number; reachable: boolean; state: string }[];
  readonly lastSnapshot: { index: number; term: number; createdAtMs: number; sizeBytes: number } | null;
  readonly walBytes: number;
  readonly walEntries: number;
  readonly elections: number;
  readonly pendingWrites: number;
  readonly transport: TransportStats | null;
  readonly keys: Readonly<Record<string, string>>;
  /** Configuration problems an operator should fix (e.g. keys that differ from the leader's). */
  readonly warnings: readonly string[];
}

/**
 * A stored membership that can seed a cluster: not empty, and not single mode's ("local", written by
 * its snapshots and restores) — after `knowdctl cluster init` that one names no reachable member,
 * and the bootstrap list (this node) takes its place.
 */
function clusterMembership(m: Membership): Membership | undefined {
  return m.voters.length > 0 && ![...m.voters, ...m.learners].includes('local') ? m : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

