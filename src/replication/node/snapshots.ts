import type { SnapshotMeta } from '../raft/types.js';
import type { SnapshotChunk, SnapshotOffer } from '../transport/types.js';
import type { ReadTxn, Storage, WriteTxn } from '../../storage/index.js';

/** A snapshot file this node holds (taken here, or received from the leader). */
export interface LocalSnapshot {
  readonly meta: SnapshotMeta;
  readonly path: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly createdAtMs: number;
}

/**
 * What the node driver needs from snapshots (implemented over replication/snapshot in
 * snapshot-files.ts; tests may substitute a twin).
 */
export interface SnapshotStore {
  /** Snapshots the store in one read view; `metaOf` names the applied position inside that view. */
  create(storage: Storage, metaOf: (r: ReadTxn) => SnapshotMeta): Promise<LocalSnapshot>;
  /** Newest first. */
  list(): LocalSnapshot[];
  offer(s: LocalSnapshot): SnapshotOffer;
  chunks(s: LocalSnapshot): AsyncIterable<SnapshotChunk>;
  /** Stores a streamed snapshot after checking every chunk and the whole; rejects SNAPSHOT_INVALID. */
  receive(offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<LocalSnapshot>;
  /** Replaces the store's state with the snapshot in one transaction; `onTxn` runs inside it. */
  restore(storage: Storage, s: LocalSnapshot, onTxn: (w: WriteTxn) => void): Promise<void>;
  /** Full check (hash, decryption, framing) without touching a store. */
  verify(s: LocalSnapshot): Promise<{ ok: true } | { ok: false; reason: string }>;
  remove(s: LocalSnapshot): void;
  /** Keeps the newest `keep` snapshots. */
  prune(keep: number): void;
}
