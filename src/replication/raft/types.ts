/**
 * The contract between the pure Raft core (this folder) and its driver (replication/node). The core
 * does no IO: it takes ticks, messages and proposals, and hands back a Ready — what to persist, what
 * to send and what to apply — in the manner of etcd's raft package. The caller's duties, in order:
 *   1. persist `ready.hardState` (if any), truncate the log after `ready.entries[0].index - 1` and
 *      append `ready.entries`, and install `ready.snapshot` (if any) — all durably, in one commit;
 *   2. send `ready.messages`;
 *   3. apply `ready.committed` in order (a committed entry is never handed out twice);
 *   4. call `advance(ready)`.
 * Time is abstract ticks and randomness is injected, so a seeded simulation replays exactly.
 */

/** A member's identity: its advertised gRPC address ("host:port"), the same string on every node. */
export type NodeId = string;

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** `noop`: appended by a new leader to commit entries of earlier terms (Raft §5.4.2). */
export type EntryKind = 'normal' | 'noop' | 'config';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  /** normal: the engine's command bytes; config: encodeMembership(); noop: empty. */
  readonly data: Uint8Array;
}

export interface Membership {
  /** Members that vote and count towards the commit quorum. */
  readonly voters: readonly NodeId[];
  /** Members that receive the log but neither vote nor count (catching up before promotion). */
  readonly learners: readonly NodeId[];
}

export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

export interface SnapshotMeta {
  /** Last log index the snapshot contains (0 = no snapshot). */
  readonly index: number;
  readonly term: number;
  /** Membership as of `index`. */
  readonly membership: Membership;
}

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/**
 * Messages between cores. `snapshot` carries only the metadata: the driver streams the snapshot's
 * bytes out of band (gRPC InstallSnapshot) and steps the message into the receiver's core only once
 * the whole snapshot has arrived and verified.
 */
export type Message =
  | (Envelope & { readonly type: 'pre-vote'; readonly lastIndex: number; readonly lastTerm: number })
  | (Envelope & { readonly type: 'pre-vote-resp'; readonly granted: boolean })
  | (Envelope & { readonly type: 'vote'; readonly lastIndex: number; readonly lastTerm: number; readonly transfer: boolean })
  | (Envelope & { readonly type: 'vote-resp'; readonly granted: boolean })
  | (Envelope & {
      readonly type: 'append';
      readonly prevIndex: number;
      readonly prevTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
    })
  | (Envelope & {
      readonly type: 'append-resp';
      readonly success: boolean;
      /** success: highest index now matching the leader; failure: the index that was rejected. */
      readonly index: number;
      /** failure: the follower's last index, so the leader can skip back in one step. */
      readonly hintIndex: number;
    })
  | (Envelope & { readonly type: 'heartbeat'; readonly commit: number })
  | (Envelope & { readonly type: 'heartbeat-resp' })
  | (Envelope & { readonly type: 'snapshot'; readonly snapshot: SnapshotMeta })
  /** Leadership transfer: the leader tells a caught-up follower to campaign now (Raft thesis §3.10). */
  | (Envelope & { readonly type: 'timeout-now' });

export type MessageType = Message['type'];

/** What is durable: the core reads its stable log through this port, synchronously. */
export interface LogStorage {
  /** Index of the first entry still in the log (snapshot.index + 1 after compaction). */
  firstIndex(): number;
  lastIndex(): number;
  /** Term of the entry at `index`, for snapshot.index ≤ index ≤ lastIndex; undefined outside. */
  term(index: number): number | undefined;
  /** Entries [lo, hi), at least one (if any) and then up to `maxBytes` of data in total. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  snapshot(): SnapshotMeta;
}

export interface RaftConfig {
  readonly id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns; randomized in [n, 2n). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Append messages a leader keeps in flight per follower (backpressure). */
  readonly maxInflight: number;
  /** Bytes of entry data per append message. */
  readonly maxMsgBytes: number;
  /** Uniform in [0, 1): injected so simulations replay. */
  readonly random: () => number;
}

/** The state the core starts from: what was durable when the node (re)started. */
export interface RaftInit {
  readonly hardState: HardState;
  /** Membership in force at `applied` (from the snapshot and applied config entries). */
  readonly membership: Membership;
  /** Last index the state machine has applied; committed entries after it are handed out again. */
  readonly applied: number;
}

export interface SoftState {
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly term: number;
}

export interface Ready {
  readonly softState: SoftState;
  readonly hardState: HardState | null;
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, to install in place of the store before applying. */
  readonly snapshot: SnapshotMeta | null;
  readonly messages: readonly Message[];
  readonly committed: readonly Entry[];
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface PeerProgress {
  readonly id: NodeId;
  readonly voter: boolean;
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  /** Ticks since the leader last heard from this peer. */
  readonly idleTicks: number;
}

export interface RaftStatus extends SoftState {
  readonly id: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly membership: Membership;
  /** Leader only; empty elsewhere. */
  readonly progress: readonly PeerProgress[];
  /** Set while a leadership transfer to this node is in progress. */
  readonly transferee: NodeId | null;
}

export type MembershipChange =
  | { readonly type: 'add-learner'; readonly id: NodeId }
  | { readonly type: 'promote'; readonly id: NodeId }
  | { readonly type: 'remove'; readonly id: NodeId };
