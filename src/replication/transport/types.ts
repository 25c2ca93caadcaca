import type { Membership, Message, NodeId } from '../raft/types.js';

/**
 * The transport port: how raft messages, snapshots, forwarded writes and status calls travel
 * between nodes. grpc/ is the IO edge (mutual TLS, proto/knowd/v1); memory/ is the in-process twin
 * with drop/partition/delay injection used by driver tests.
 */

/** Describes a snapshot file before its chunks are streamed. */
export interface SnapshotOffer {
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
  /** SHA-256 (hex) of the whole snapshot file as stored (compressed and encrypted). */
  readonly sha256: string;
  readonly sizeBytes: number;
  /** File name on the sender, for logs and the audit trail. */
  readonly name: string;
}

export interface SnapshotChunk {
  readonly offset: number;
  readonly data: Uint8Array;
  /** SHA-256 (hex) of `data`: a chunk damaged in flight is caught where it arrives. */
  readonly sha256: string;
}

/** A write a follower hands to the leader (POST /v1/tx, SPARQL update, namespace admin). */
export interface ForwardRequest {
  /** Which engine call: 'tx' | 'update' | 'ns-create' | 'ns-delete' | ... (the node driver defines them). */
  readonly kind: string;
  /** The call's arguments as JSON. */
  readonly body: string;
}

export type ForwardResponse =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly details: string };

/** What a node tells about itself to a peer (status RPC): JSON so it can grow without proto churn. */
export interface PeerStatus {
  readonly body: string;
}

/** One part of a federated query, as JSON (federation/ defines it); the answer is a stream of NDJSON text. */
export interface QueryPartRequest {
  readonly body: string;
}

export interface TransportHandlers {
  /** A raft message arrived (already checked to be addressed to this node). */
  onMessage(msg: Message): void;
  /**
   * A peer streams a snapshot. Resolve once it is stored and verified; reject (SNAPSHOT_INVALID)
   * when a chunk or the whole fails its check, so the sender learns and retries.
   */
  onSnapshot(from: NodeId, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<void>;
  onForward(from: NodeId, req: ForwardRequest): Promise<ForwardResponse>;
  onStatus(from: NodeId): Promise<PeerStatus>;
  /**
   * A coordinator asks for one part of a federated query. The chunks are sent as they come;
   * `signal` aborts when the coordinator cancels the call. Absent: the node refuses query parts.
   */
  onQuery?(from: NodeId, req: QueryPartRequest, signal: AbortSignal): AsyncIterable<string>;
}

export interface TransportStats {
  readonly bytesSent: number;
  readonly messagesSent: number;
  readonly messagesDropped: number;
}

export interface Transport {
  /** This node's id (its advertised address). */
  readonly self: NodeId;
  start(handlers: TransportHandlers): Promise<void>;
  /** Best effort, never blocks: a message to an unreachable or backed-up peer is dropped (raft retries). */
  send(msg: Message): void;
  sendSnapshot(to: NodeId, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<void>;
  forward(to: NodeId, req: ForwardRequest, timeoutMs: number): Promise<ForwardResponse>;
  status(to: NodeId, timeoutMs: number): Promise<PeerStatus>;
  /**
   * Runs one part of a federated query on a peer: its chunks as they arrive. Aborting `signal` (or
   * stopping the iteration) cancels the call, which stops the peer's query. Absent on transports
   * that cannot carry queries.
   */
  query?(to: NodeId, req: QueryPartRequest, timeoutMs: number, signal: AbortSignal): AsyncIterable<string>;
  /** The members to keep connections to (not including self), after a membership change. */
  setPeers?(peers: readonly NodeId[]): void;
  /** Called when sending to a peer fails (connection refused, stream broken): raft backs off to probing. */
  onUnreachable(fn: (peer: NodeId) => void): void;
  stats(): TransportStats;
  close(): Promise<void>;
}
