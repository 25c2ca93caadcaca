/**
 * A deterministic simulation of a Raft cluster (TigerBeetle's VOPR, in miniature): N nodes, each a
 * RaftNode over a MemoryLogStorage, driven the way the real driver is (persist, send, apply, advance)
 * over a network that loses, duplicates, delays, reorders and partitions messages, with crashes
 * that lose whatever was not persisted, client proposals, snapshots with compaction, leadership
 * transfers and membership changes. Everything is drawn from one seed, so a failure replays exactly.
 * Safety is checked after every step (checkers.ts); at the end the network heals and the cluster
 * must elect a leader and commit new proposals within a bound (liveness).
 */
import { KnowdError } from '../../src/base/index.js';
import {
  MemoryLogStorage, RaftNode, decodeMembership, type Entry, type HardState, type Membership, type MembershipChange, type Message, type NodeId,
  type Ready,
} from '../../src/replication/raft/index.js';
import { pickOne, seededRandom, shuffled } from '../helpers/random.js';
import { Checker, SafetyViolation, entryContent } from './checkers.js';

export interface SimOptions {
  readonly seed: number;
  readonly nodes: number;
  /** Ticks of faults before the network heals. */
  readonly chaosTicks?: number;
  /** Ticks allowed after healing for a leader to emerge and for new proposals to commit everywhere. */
  readonly livenessTicks?: number;
  /** Called with a line per event, for replaying a failed seed. */
  readonly trace?: (line: string) => void;
}

export interface SimStats {
  ticks: number;
  messages: number;
  proposals: number;
  applied: number;
  elections: number;
  snapshotsSent: number;
  crashes: number;
  membershipChanges: number;
  transfers: number;
  checks: number;
}

export type SimResult =
  | { readonly ok: true; readonly seed: number; readonly stats: SimStats }
  | { readonly ok: false; readonly seed: number; readonly stats: SimStats; readonly tick: number; readonly error: string };

const ELECTION_TICKS = 10;
const LIVENESS_PROPOSALS = 3;
/** Events a node may produce Readies for in one step before yielding (the loop's bound). */
const READIES_PER_STEP_MAX = 16;

/** The state machine's state after some prefix of the log, as stored in a snapshot. */
interface Payload {
  readonly digest: number;
  readonly membership: Membership;
}

interface Packet {
  readonly at: number;
  readonly msg: Message;
  readonly payload: Payload | null;
}

interface Params {
  heartbeatTicks: number;
  maxInflight: number;
  maxMsgBytes: number;
  lossRate: number;
  dupRate: number;
  delayMax: number;
  crashRate: number;
  restartRate: number;
  partitionRate: number;
  healRate: number;
  proposeRate: number;
  compactRate: number;
  transferRate: number;
  membershipRate: number;
  /** Chance that a taken Ready waits (persisting asynchronously) while the node keeps stepping. */
  deferRate: number;
  /** Chance that a crash or partition targets the leader (where the interesting interleavings are). */
  leaderBias: number;
}

function drawParams(r: () => number): Params {
  const pick = <T>(xs: readonly T[]): T => pickOne(r, xs);
  return {
    heartbeatTicks: pick([1, 2, 3]),
    maxInflight: pick([1, 2, 4, 64]),
    maxMsgBytes: pick([1, 8, 64, 1 << 20]),
    lossRate: pick([0, 0.01, 0.05, 0.2]),
    dupRate: pick([0, 0.02, 0.1]),
    delayMax: pick([0, 1, 3]),
    crashRate: pick([0, 0.002, 0.01, 0.03]),
    restartRate: pick([0.02, 0.1]),
    partitionRate: pick([0, 0.005, 0.02]),
    healRate: pick([0.02, 0.1]),
    proposeRate: pick([0.1, 0.4, 1]),
    compactRate: pick([0, 0.01, 0.05]),
    transferRate: pick([0, 0.005, 0.02]),
    membershipRate: pick([0, 0.01, 0.04]),
    deferRate: pick([0, 0.2, 0.5]),
    leaderBias: pick([0, 0.5, 0.9]),
  };
}

/** FNV-1a over the previous digest and the entry: the digest after index i names the whole prefix. */
function mix(digest: number, e: Entry): number {
  let h = (digest ^ 0x811c9dc5) >>> 0;
  const step = (x: number): void => {
    h = Math.imul(h ^ (x & 0xff), 0x01000193) >>> 0;
  };
  for (const x of [e.index, e.term, e.kind.length]) for (let s = 0; s < 32; s += 8) step(x >>> s);
  for (const b of e.data) step(b);
  return h;
}

class SimNode {
  core: RaftNode | null = null;
  pending: Ready | null = null;
  restarts = 0;
  // Durable: survives crashes.
  readonly log: MemoryLogStorage;
  hardState: HardState = { term: 0, vote: null, commit: 0 };
  applied = 0;
  digest = 0;
  membership: Membership;
  /** Snapshot payloads this node has (taken itself, or received), by index. */
  readonly payloads = new Map<number, Payload>();
  /** Liveness proposal ids this node has applied. */
  readonly appliedIds = new Set<string>();

  constructor(
    readonly id: NodeId,
    readonly index: number,
    membership: Membership,
  ) {
    this.membership = membership;
    this.log = new MemoryLogStorage({ index: 0, term: 0, membership });
    this.payloads.set(0, { digest: 0, membership });
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Simulation {
  private readonly r: () => number;
  private readonly p: Params;
  private readonly nodes: SimNode[];
  private readonly byId = new Map<NodeId, SimNode>();
  private readonly checker = new Checker();
  private network: Packet[] = [];
  /** Node index → partition group; nodes in different groups cannot talk. */
  private groups: number[] | null = null;
  private now = 0;
  private healed = false;
  private proposalSeq = 0;
  private readonly stats: SimStats = {
    ticks: 0, messages: 0, proposals: 0, applied: 0, elections: 0, snapshotsSent: 0, crashes: 0, membershipChanges: 0, transfers: 0, checks: 0,
  };

  constructor(private readonly opts: SimOptions) {
    this.r = seededRandom(opts.seed);
    this.p = drawParams(this.r);
    const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    const membership: Membership = { voters: ids, learners: [] };
    this.nodes = ids.map((id, i) => new SimNode(id, i, membership));
    for (const n of this.nodes) {
      this.byId.set(n.id, n);
      this.restart(n);
    }
  }

  run(): SimResult {
    const chaosTicks = this.opts.chaosTicks ?? 200;
    const livenessTicks = this.opts.livenessTicks ?? 60 * ELECTION_TICKS;
    try {
      this.trace(() => `params ${JSON.stringify(this.p)}`);
      for (let t = 0; t < chaosTicks; t++) this.tickAll(true);
      this.heal();
      this.liveness(livenessTicks);
      this.checker.checkLogsMatch(new Map(this.nodes.map((n) => [n.id, n.log])));
      this.stats.checks = this.checker.checks;
      this.stats.elections = this.checker.elections;
      return { ok: true, seed: this.opts.seed, stats: this.stats };
    } catch (e) {
      this.stats.checks = this.checker.checks;
      this.stats.elections = this.checker.elections;
      const error = e instanceof SafetyViolation ? e.message : e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
      return { ok: false, seed: this.opts.seed, stats: this.stats, tick: this.now, error };
    }
  }

  private trace(line: () => string): void {
    if (this.opts.trace) this.opts.trace(`[${this.now}] ${line()}`);
  }

  // ---- one tick of simulated time ----------------------------------------------------------------

  private tickAll(chaos: boolean): void {
    this.now++;
    this.stats.ticks++;
    if (chaos) this.faults();
    if (chaos) this.clientLoad();
    for (const n of shuffled(this.r, this.nodes)) {
      if (n.core === null) continue;
      n.core.tick();
      this.afterStep(n);
    }
    this.deliver();
    for (const n of this.nodes) if (n.pending !== null && this.r() >= this.p.deferRate) this.flushAndDrain(n);
  }

  private faults(): void {
    const p = this.p;
    const r = this.r;
    if (r() < p.crashRate) {
      const up = this.nodes.filter((n) => n.core !== null);
      const leader = this.leader();
      if (leader !== null && r() < p.leaderBias) this.crash(leader);
      else if (up.length > 0) this.crash(pickOne(r, up));
    }
    for (const n of this.nodes) if (n.core === null && r() < p.restartRate) this.restart(n);
    if (this.groups === null && r() < p.partitionRate) {
      const order = shuffled(r, this.nodes.map((n) => n.index));
      let cut = 1 + Math.floor(r() * (this.nodes.length - 1));
      const leader = this.leader();
      if (leader !== null && r() < p.leaderBias) {
        // The leader on the minority side, with up to half the others.
        order.splice(order.indexOf(leader.index), 1);
        order.unshift(leader.index);
        cut = 1 + Math.floor(r() * Math.floor((this.nodes.length - 1) / 2));
      }
      this.groups = this.nodes.map(() => 0);
      order.forEach((idx, i) => ((this.groups as number[])[idx] = i < cut ? 0 : 1));
      this.trace(() => `partition ${JSON.stringify(this.groups)}`);
    } else if (this.groups !== null && r() < p.healRate) {
      this.groups = null;
      this.trace(() => 'partition healed');
    }
    if (r() < p.compactRate) {
      const n = pickOne(r, this.nodes);
      if (n.core !== null && n.pending === null) this.compact(n);
    }
    const leader = this.leader();
    if (leader !== null && r() < p.transferRate) {
      const to = pickOne(r, this.nodes).id;
      this.trace(() => `transfer ${leader.id} → ${to}`);
      this.expectRefusal(() => leader.core?.transferLeadership(to), ['CONFLICT']);
      this.stats.transfers++;
      this.afterStep(leader);
    }
    if (leader !== null && r() < p.membershipRate) this.changeMembership(leader);
  }

  private clientLoad(): void {
    let budget = this.p.proposeRate;
    while (budget > 0) {
      if (this.r() < budget) {
        const n = pickOne(this.r, this.nodes);
        if (n.core !== null) this.propose(n, `p${++this.proposalSeq}`);
      }
      budget -= 1;
    }
  }

  private propose(n: SimNode, id: string): boolean {
    const core = n.core;
    if (core === null) return false;
    const ok = this.expectRefusal(() => core.propose(encoder.encode(id)), ['NOT_LEADER', 'TRANSFER_IN_PROGRESS', 'NO_LEADER']);
    if (ok) {
      this.stats.proposals++;
      this.trace(() => `propose ${id} at ${n.id}`);
      this.afterStep(n);
    }
    return ok;
  }

  private changeMembership(leader: SimNode): void {
    const m = leader.membership;
    const r = this.r;
    const outsiders = this.nodes.filter((n) => !m.voters.includes(n.id) && !m.learners.includes(n.id)).map((n) => n.id);
    const options: MembershipChange[] = [
      ...outsiders.map((id): MembershipChange => ({ type: 'add-learner', id })),
      ...m.learners.map((id): MembershipChange => ({ type: 'promote', id })),
      ...m.learners.map((id): MembershipChange => ({ type: 'remove', id })),
      ...(m.voters.length > 1 ? m.voters.map((id): MembershipChange => ({ type: 'remove', id })) : []),
    ];
    if (options.length === 0) return;
    const change = pickOne(r, options);
    const core = leader.core;
    if (core === null) return;
    if (this.expectRefusal(() => core.proposeMembership(change), ['MEMBERSHIP_PENDING', 'TRANSFER_IN_PROGRESS', 'CONFLICT', 'NO_LEADER'])) {
      this.stats.membershipChanges++;
      this.trace(() => `membership ${change.type} ${change.id} at ${leader.id}`);
    }
    this.afterStep(leader);
  }

  /** Runs `f`; a KnowdError with one of `codes` is an expected refusal (false), anything else fails. */
  private expectRefusal(f: () => unknown, codes: readonly string[]): boolean {
    try {
      f();
      return true;
    } catch (e) {
      if (e instanceof KnowdError && codes.includes(e.code)) return false;
      throw e;
    }
  }

  private leader(): SimNode | null {
    let best: SimNode | null = null;
    let bestTerm = -1;
    for (const n of this.nodes) {
      const s = n.core?.status();
      if (s !== undefined && s.role === 'leader' && s.term > bestTerm) {
        best = n;
        bestTerm = s.term;
      }
    }
    return best;
  }

  // ---- crashes and snapshots ---------------------------------------------------------------------

  private crash(n: SimNode): void {
    // Half the time the crash comes after the pending Ready was persisted but before it was sent.
    if (n.pending !== null && this.r() < 0.5) this.persist(n, n.pending);
    this.trace(() => `crash ${n.id}`);
    n.core = null;
    n.pending = null;
    this.stats.crashes++;
  }

  private restart(n: SimNode): void {
    const seed = (this.opts.seed * 1_000_003 + n.index * 7919 + n.restarts * 104_729) >>> 0;
    n.restarts++;
    n.core = new RaftNode(
      {
        id: n.id,
        electionTicks: ELECTION_TICKS,
        heartbeatTicks: this.p.heartbeatTicks,
        maxInflight: this.p.maxInflight,
        maxMsgBytes: this.p.maxMsgBytes,
        random: seededRandom(seed),
      },
      n.log,
      { hardState: n.hardState, membership: n.membership, applied: n.applied },
    );
    this.trace(() => `start ${n.id} term ${n.hardState.term} commit ${n.hardState.commit} applied ${n.applied} log [${n.log.firstIndex()}, ${n.log.lastIndex()}]`);
  }

  private compact(n: SimNode): void {
    if (n.applied <= n.log.snapshot().index) return;
    n.log.compact(n.applied);
    n.payloads.set(n.applied, { digest: n.digest, membership: n.membership });
    const derived = n.log.snapshot().membership;
    if (JSON.stringify(derived) !== JSON.stringify(n.membership)) {
      throw new SafetyViolation(`${n.id}: compaction derived membership ${JSON.stringify(derived)}, the state machine has ${JSON.stringify(n.membership)}`);
    }
    this.trace(() => `compact ${n.id} to ${n.applied}`);
  }

  // ---- the driver loop ---------------------------------------------------------------------------

  private afterStep(n: SimNode): void {
    const core = n.core;
    if (core === null) return;
    const s = core.status();
    this.checker.observeRole(n.id, s.role, s.term);
    this.flushAndDrain(n);
  }

  /** Takes and handles Readies; a taken Ready may be left pending to model an asynchronous write. */
  private flushAndDrain(n: SimNode): void {
    for (let i = 0; i < READIES_PER_STEP_MAX; i++) {
      if (n.pending !== null) {
        if (this.r() < this.p.deferRate) return;
        this.handleReady(n, n.pending);
      }
      const core = n.core;
      if (core === null || !core.hasReady()) return;
      n.pending = core.ready();
    }
  }

  /** The caller's duties of types.ts, in order: persist, send, apply, advance. */
  private handleReady(n: SimNode, rd: Ready): void {
    n.pending = null;
    this.persist(n, rd);
    for (const m of rd.messages) this.send(n, m);
    for (const e of rd.committed) this.apply(n, e);
    n.core?.advance(rd);
    const s = n.core?.status();
    if (s !== undefined) this.checker.observeRole(n.id, s.role, s.term);
  }

  private persist(n: SimNode, rd: Ready): void {
    const prevCommit = n.hardState.commit;
    if (rd.hardState !== null) {
      this.checker.onHardState(n.id, rd.hardState);
      n.hardState = rd.hardState;
    }
    if (rd.snapshot !== null) {
      const s = rd.snapshot;
      const payload = n.payloads.get(s.index);
      if (payload === undefined) throw new Error(`${n.id}: Ready carries snapshot ${s.index}, which never arrived`);
      n.log.applySnapshot(s);
      n.applied = s.index;
      n.digest = payload.digest;
      n.membership = s.membership;
      this.checker.onSnapshotInstall(n.id, s.index, s.term, payload.digest);
      this.trace(() => `${n.id} installs snapshot ${s.index}/${s.term}`);
    }
    if (rd.entries.length > 0) {
      n.log.append(rd.entries);
      this.checker.onPersistEntries(n.id, n.log, rd.entries);
    }
    if (n.hardState.commit > prevCommit) this.checker.onCommit(n.id, n.log, prevCommit, n.hardState.commit, rd.softState.term);
    if (rd.softState.role === 'leader') this.checker.onLeaderPersisted(n.id, rd.softState.term, n.log);
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.applied + 1) throw new SafetyViolation(`${n.id}: applied ${e.index} after ${n.applied} (an entry skipped or handed out twice)`);
    n.applied = e.index;
    n.digest = mix(n.digest, e);
    if (e.kind === 'config') n.membership = decodeMembership(e.data);
    if (e.kind === 'normal' && this.healed) n.appliedIds.add(decoder.decode(e.data));
    this.stats.applied++;
    this.checker.onApply(n.id, e, n.digest);
    this.trace(() => `${n.id} applies ${e.index}/${e.term} ${entryContent(e)}`);
  }

  // ---- network -----------------------------------------------------------------------------------

  private cut(a: NodeId, b: NodeId): boolean {
    if (this.groups === null) return false;
    const na = this.byId.get(a);
    const nb = this.byId.get(b);
    return na === undefined || nb === undefined || this.groups[na.index] !== this.groups[nb.index];
  }

  private send(from: SimNode, msg: Message): void {
    this.stats.messages++;
    let payload: Payload | null = null;
    if (msg.type === 'snapshot') {
      this.stats.snapshotsSent++;
      payload = from.payloads.get(msg.snapshot.index) ?? null;
      if (payload === null) throw new Error(`${from.id} sends snapshot ${msg.snapshot.index} it does not have`);
    }
    if (this.cut(from.id, msg.to) || this.r() < this.p.lossRate) {
      this.dropped(msg);
      return;
    }
    const copies = this.r() < this.p.dupRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.network.push({ at: this.now + 1 + Math.floor(this.r() * (this.p.delayMax + 1)), msg, payload });
    }
  }

  /** What the driver learns from a failed send: snapshot failures always, unreachable peers sometimes. */
  private dropped(msg: Message): void {
    const sender = this.byId.get(msg.from);
    const core = sender?.core;
    if (sender === undefined || core === null || core === undefined) return;
    if (msg.type === 'snapshot') core.reportSnapshot(msg.to, false);
    else if (this.r() < 0.3) core.reportUnreachable(msg.to);
    else return;
    this.afterStep(sender);
  }

  private deliver(): void {
    const due: Packet[] = [];
    const later: Packet[] = [];
    for (const p of this.network) (p.at <= this.now ? due : later).push(p);
    this.network = later;
    for (const p of shuffled(this.r, due)) {
      const to = this.byId.get(p.msg.to);
      if (to === undefined || to.core === null || this.cut(p.msg.from, p.msg.to)) {
        this.dropped(p.msg);
        continue;
      }
      this.trace(() => `deliver ${describe(p.msg)}`);
      if (p.payload !== null && p.msg.type === 'snapshot') to.payloads.set(p.msg.snapshot.index, p.payload);
      to.core.step(p.msg);
      this.afterStep(to);
      if (p.msg.type === 'snapshot') {
        const sender = this.byId.get(p.msg.from);
        if (sender?.core) {
          sender.core.reportSnapshot(p.msg.to, true);
          this.afterStep(sender);
        }
      }
    }
  }

  // ---- the end: heal and require progress --------------------------------------------------------

  private heal(): void {
    this.healed = true;
    this.groups = null;
    this.p.lossRate = 0;
    this.p.dupRate = 0;
    for (const n of this.nodes) if (n.core === null) this.restart(n);
    this.trace(() => 'healed: no faults from here on');
  }

  private liveness(maxTicks: number): void {
    const ids = Array.from({ length: LIVENESS_PROPOSALS }, (_, i) => `live${i}`);
    let lastTry = -Infinity;
    for (let t = 0; t < maxTicks; t++) {
      this.tickAll(false);
      const leader = this.leader();
      if (leader === null) continue;
      const members = [...leader.membership.voters, ...leader.membership.learners].map((id) => this.byId.get(id) as SimNode);
      const missing = ids.filter((id) => !members.every((n) => n.appliedIds.has(id)));
      if (missing.length === 0) return;
      // A client retries what it has not seen applied: proposals to a deposed leader may be lost.
      if (this.now - lastTry >= ELECTION_TICKS) {
        lastTry = this.now;
        for (const id of missing) if (!leader.appliedIds.has(id)) this.propose(leader, id);
      }
    }
    const states = this.nodes.map((n) => {
      const s = n.core?.status();
      return `${n.id}: ${s?.role ?? 'down'} term ${s?.term ?? '-'} commit ${s?.commit ?? '-'} applied ${n.applied} last ${s?.lastIndex ?? '-'} voters ${JSON.stringify(n.membership.voters)}`;
    });
    throw new SafetyViolation(`liveness: no leader committed new proposals within ${maxTicks} ticks of healing\n  ${states.join('\n  ')}`);
  }
}

function describe(m: Message): string {
  const { from, to, term, type, ...rest } = m;
  const fields = Object.entries(rest).map(([k, v]) => {
    if (k === 'entries') return `entries=${(v as Entry[]).map((e) => `${e.index}/${e.term}`).join(',')}`;
    if (k === 'snapshot') return `snapshot=${JSON.stringify(v)}`;
    return `${k}=${String(v)}`;
  });
  return `${type} ${from}→${to} t${term} ${fields.join(' ')}`;
}

export function runSimulation(opts: SimOptions): SimResult {
  return new Simulation(opts).run();
}

export function replayCommand(seed: number, nodes: number): string {
  return `npx tsx test/sim/run.ts --runs 1 --nodes ${nodes} --seed ${seed} --trace`;
}
