/**
 * A hand-driven cluster for Raft unit tests: each node is a RaftNode over a MemoryLogStorage whose
 * Readies are handled exactly as the driver does (persist, send, apply, advance); messages wait in
 * one queue until a test delivers them, so a test decides what is lost and what arrives.
 */
import {
  MemoryLogStorage, RaftNode, type Entry, type HardState, type Membership, type Message, type NodeId, type RaftConfig, type Ready,
} from '../../../../src/replication/raft/index.js';

export interface NodeOptions {
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly maxInflight?: number;
  readonly maxMsgBytes?: number;
  /** Constant "randomness" (per node id, if a map): 0 makes the election timeout exactly electionTicks. */
  readonly random?: number | Readonly<Record<string, number>>;
}

export interface TestNode {
  readonly id: NodeId;
  core: RaftNode;
  readonly log: MemoryLogStorage;
  hardState: HardState;
  applied: Entry[];
  readies: Ready[];
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export function entry(index: number, term: number, data = '', kind: Entry['kind'] = 'normal'): Entry {
  return { index, term, kind, data: bytes(data) };
}

export function voters(...ids: NodeId[]): Membership {
  return { voters: ids, learners: [] };
}

export class Cluster {
  readonly nodes = new Map<NodeId, TestNode>();
  queue: Message[] = [];
  /** Messages matching this are dropped when delivered (a partition, or a lost message). */
  drop: (m: Message) => boolean = () => false;

  constructor(
    membership: Membership,
    readonly options: NodeOptions = {},
  ) {
    for (const id of [...membership.voters, ...membership.learners]) this.add(id, membership);
  }

  config(id: NodeId): RaftConfig {
    const o = this.options;
    const r = typeof o.random === 'object' ? (o.random[id] ?? 0) : (o.random ?? 0);
    return {
      id,
      electionTicks: o.electionTicks ?? 10,
      heartbeatTicks: o.heartbeatTicks ?? 1,
      maxInflight: o.maxInflight ?? 64,
      maxMsgBytes: o.maxMsgBytes ?? 1 << 20,
      random: () => r,
    };
  }

  /** A node with a durable log and hard state of its own (e.g. to set up Figure 8). */
  add(id: NodeId, membership: Membership, log?: readonly Entry[], hardState: HardState = { term: 0, vote: null, commit: 0 }): TestNode {
    const storage = new MemoryLogStorage({ index: 0, term: 0, membership });
    if (log !== undefined) storage.append(log);
    const core = new RaftNode(this.config(id), storage, { hardState, membership, applied: hardState.commit });
    const node: TestNode = { id, core, log: storage, hardState, applied: [], readies: [] };
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  core(id: NodeId): RaftNode {
    return this.node(id).core;
  }

  /** Handles every Ready of one node; returns the messages it sent. */
  flush(id: NodeId): Message[] {
    const n = this.node(id);
    const sent: Message[] = [];
    for (let i = 0; i < 100 && n.core.hasReady(); i++) {
      const rd = n.core.ready();
      n.readies.push(rd);
      if (rd.hardState !== null) n.hardState = rd.hardState;
      if (rd.snapshot !== null) n.log.applySnapshot(rd.snapshot);
      n.log.append(rd.entries);
      sent.push(...rd.messages);
      n.applied.push(...rd.committed);
      n.core.advance(rd);
    }
    this.queue.push(...sent);
    return sent;
  }

  flushAll(): void {
    for (const id of this.nodes.keys()) this.flush(id);
  }

  /** Delivers queued messages (those `only` selects) once, flushing receivers; returns what was delivered. */
  deliver(only: (m: Message) => boolean = () => true): Message[] {
    const now = this.queue.filter(only);
    this.queue = this.queue.filter((m) => !only(m));
    for (const m of now) {
      const to = this.nodes.get(m.to);
      if (to === undefined || this.drop(m)) continue;
      to.core.step(m);
      this.flush(m.to);
    }
    return now;
  }

  /** Flushes and delivers until no message is left. */
  stabilize(rounds = 100): void {
    this.flushAll();
    for (let i = 0; i < rounds && this.queue.length > 0; i++) this.deliver();
    if (this.queue.length > 0) throw new Error(`not stable after ${rounds} rounds`);
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.core(id).tick();
    this.flush(id);
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.nodes.keys()) this.tick(id);
  }

  /** `id` campaigns and the cluster settles; returns it for chaining. */
  elect(id: NodeId): RaftNode {
    this.core(id).campaign();
    this.stabilize();
    return this.core(id);
  }

  appliedData(id: NodeId): string[] {
    return this.node(id).applied.filter((e) => e.kind === 'normal').map((e) => text(e.data));
  }
}
