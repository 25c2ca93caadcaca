import { KnowdError } from '../../base/index.js';
import { appliedIndex, readMembership, type StoredLog } from '../log/index.js';
import type { Membership, NodeId, SnapshotMeta } from '../raft/types.js';
import type { Storage } from '../../storage/index.js';
import type { SnapshotChunk, SnapshotOffer, Transport } from '../transport/types.js';
import type { NodeEvents } from './node.js';
import type { LocalSnapshot, SnapshotStore } from './snapshots.js';

const SNAPSHOTS_KEPT = 2;

/** What snapshot work needs from the node driver. */
export interface SnapshotHost {
  readonly storage: Storage;
  readonly log: StoredLog;
  readonly store: SnapshotStore;
  readonly transport: Transport | undefined;
  readonly events: NodeEvents | undefined;
  /** Entries kept in the log behind a snapshot. */
  readonly retainEntries: number;
  membership(): Membership;
  /** Tells the raft core how a snapshot transfer to `to` ended. */
  reportSnapshot(to: NodeId, ok: boolean): void;
  /** Hands a received, verified snapshot to the raft core. */
  offerToCore(from: NodeId, meta: SnapshotMeta): void;
}

/**
 * Taking, sending and receiving snapshots. Taking one reads the applied position inside the same
 * view the snapshot is read from, then compacts the log behind it; sending re-checks our own file
 * when a follower refuses it (a rotted file is replaced by a fresh snapshot, so the retry works).
 */
export class Snapshotting {
  private taking: Promise<LocalSnapshot> | undefined;
  private readonly sending = new Set<NodeId>();
  private lastError: string | null = null;
  /** The newest snapshot received from a leader, waiting to be installed. */
  received: LocalSnapshot | undefined;
  /** The newest snapshot on disk, as last listed: status asks often (probes, peers' polls), files change rarely. */
  private newest: { value: LocalSnapshot | undefined } | undefined;

  constructor(private readonly host: SnapshotHost) {}

  get error(): string | null {
    return this.lastError;
  }

  latest(): LocalSnapshot | undefined {
    this.newest ??= { value: this.host.store.list()[0] };
    return this.newest.value;
  }

  /** One snapshot at a time: a second caller shares the one in progress. */
  take(): Promise<LocalSnapshot> {
    this.taking ??= this.takeOnce().then(
      (snap) => {
        this.lastError = null;
        this.newest = undefined;
        return snap;
      },
      (e: unknown) => {
        this.lastError = e instanceof Error ? e.message : String(e);
        throw e;
      },
    ).finally(() => {
      this.taking = undefined;
    });
    return this.taking;
  }

  /** Waits for a snapshot in progress (shutdown). */
  async settle(): Promise<void> {
    await this.taking?.catch(() => undefined);
  }

  private async takeOnce(): Promise<LocalSnapshot> {
    const { store, storage, log } = this.host;
    const snap = await store.create(storage, (r) => {
      const index = appliedIndex(r);
      return { index, term: log.term(index) ?? 0, membership: readMembership(r) ?? this.host.membership() };
    });
    await storage.write((w) => {
      log.recordSnapshot(w, snap.meta);
      log.compact(w, Math.max(0, snap.meta.index - this.host.retainEntries));
    }).catch((e: unknown) => {
      log.reload();
      throw e;
    });
    store.prune(SNAPSHOTS_KEPT);
    this.host.events?.onSnapshot?.({ kind: 'created', index: snap.meta.index, bytes: snap.sizeBytes });
    return snap;
  }

  async send(to: NodeId, meta: SnapshotMeta): Promise<void> {
    const { store, transport, events } = this.host;
    if (transport === undefined || this.sending.has(to)) return;
    this.sending.add(to);
    let ok = false;
    try {
      const snap = store.list().find((s) => s.meta.index === meta.index);
      if (snap === undefined) throw new KnowdError('SNAPSHOT_INVALID', `No local snapshot at index ${meta.index}`);
      try {
        await transport.sendSnapshot(to, store.offer(snap), store.chunks(snap));
      } catch (e) {
        const check = await store.verify(snap);
        if (!check.ok) {
          events?.onWarn?.('local snapshot failed verification; taking a new one', { index: snap.meta.index, reason: check.reason });
          store.remove(snap);
          this.newest = undefined;
          await this.take();
        }
        throw e;
      }
      ok = true;
      events?.onSnapshot?.({ kind: 'sent', index: snap.meta.index, peer: to, bytes: snap.sizeBytes });
    } catch (e) {
      events?.onSnapshot?.({ kind: 'rejected', index: meta.index, peer: to, reason: e instanceof Error ? e.message : String(e) });
    } finally {
      this.sending.delete(to);
      this.host.reportSnapshot(to, ok);
    }
  }

  /** A leader streams a snapshot: store and verify it, then offer it to the core. */
  async receive(from: NodeId, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<void> {
    const { store, events } = this.host;
    try {
      this.received = await store.receive(offer, chunks);
      this.newest = undefined;
    } catch (e) {
      events?.onSnapshot?.({ kind: 'rejected', index: offer.index, peer: from, reason: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    events?.onSnapshot?.({ kind: 'received', index: offer.index, peer: from, bytes: offer.sizeBytes });
    this.host.offerToCore(from, { index: offer.index, term: offer.term, membership: offer.membership });
  }
}
