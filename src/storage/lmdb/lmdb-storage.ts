import fs from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase, type Transaction } from 'lmdb';
import { KnowdError, assert } from '../../base/index.js';
import { TABLES, type Bytes, type Entry, type Range, type ReadTxn, type Storage, type StorageInfo, type Table, type WriteTxn } from '../port.js';
import { hostHardware, storeFileBytes } from './host.js';
import { lmdbTuning, type LmdbTuning } from './tuning.js';

export interface LmdbOptions {
  readonly path: string;
  /** KNOWD_MAP_SIZE (0 = choose); used only when `tuning` is not given. */
  readonly mapSizeBytes?: number;
  /** The daemon's tuning for this box (from /etc/knowd/hardware.json); default: tuned from node:os facts. */
  readonly tuning?: LmdbTuning;
  /** Query workers open the store read-only beside the daemon's writer (LMDB allows many readers). */
  readonly readOnly?: boolean;
}

type BinDb = Database<Buffer, Buffer>;

function rangeOptions(range: Range, transaction?: Transaction): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (range.start !== undefined) o['start'] = Buffer.from(range.start.buffer, range.start.byteOffset, range.start.byteLength);
  if (range.end !== undefined) o['end'] = Buffer.from(range.end.buffer, range.end.byteOffset, range.end.byteLength);
  if (range.reverse === true) {
    // lmdb-js walks from `start` downwards when reversed: swap so callers keep start ≤ keys < end.
    o['start'] = range.end;
    o['end'] = range.start;
    o['reverse'] = true;
    o['exclusiveStart'] = true;
    o['inclusiveEnd'] = true;
    if (range.end === undefined) delete o['start'];
    if (range.start === undefined) delete o['end'];
  }
  if (range.limit !== undefined) o['limit'] = range.limit;
  if (transaction !== undefined) o['transaction'] = transaction;
  return o;
}

/** lmdb-js's read transaction object: `notCurrent` and `isDone` are set by lmdb-js but not in its typings. */
type SharedReadTxn = Transaction & { readonly notCurrent?: boolean; readonly isDone?: boolean };

/** Per store: whether a write transaction's callback is running (lmdb-js then reads through the write transaction). */
interface WriteState {
  writing: boolean;
}

class LmdbRead implements ReadTxn {
  constructor(
    protected readonly dbs: Record<Table, BinDb>,
    private readonly txn: SharedReadTxn | undefined,
    private readonly state: WriteState,
  ) {}

  /**
   * The transaction to name in a range read. lmdb-js opens and closes a native cursor for every range read
   * given an explicit transaction (~2 µs of a ~3 µs point scan), but reuses one cursor per table for range
   * reads on its shared read transaction. `useReadTransaction()` hands out that shared transaction, and
   * while this read holds it lmdb-js keeps it current until its next macrotask (it then marks it
   * `notCurrent` and starts another for later readers, rather than resetting it). So while it is still
   * current and no write callback is running, leaving the transaction out reads the very same snapshot
   * through the cached cursor; afterwards (async readers past a tick) it is named explicitly.
   */
  private rangeTxn(): Transaction | undefined {
    const t = this.txn;
    if (t === undefined || t.notCurrent === true || t.isDone === true || this.state.writing) return t;
    return undefined;
  }

  get(table: Table, key: Bytes): Bytes | undefined {
    return this.txn === undefined ? this.dbs[table].get(key as Buffer) : this.dbs[table].get(key as Buffer, { transaction: this.txn });
  }

  *scan(table: Table, range: Range): IterableIterator<Entry> {
    for (const { key, value } of this.dbs[table].getRange(rangeOptions(range, this.rangeTxn()))) yield { key, value };
  }

  *scanKeys(table: Table, range: Range): IterableIterator<Bytes> {
    yield* this.dbs[table].getKeys(rangeOptions(range, this.rangeTxn()));
  }

  count(table: Table, range: Range): number {
    // lmdb-js's getKeysCount ignores `limit`.
    const n = this.dbs[table].getKeysCount(rangeOptions(range, this.rangeTxn()));
    return range.limit === undefined ? n : Math.min(n, range.limit);
  }
}

class LmdbWrite extends LmdbRead implements WriteTxn {
  constructor(
    dbs: Record<Table, BinDb>,
    private readonly root: RootDatabase,
    state: WriteState,
  ) {
    super(dbs, undefined, state);
  }
  put(table: Table, key: Bytes, value: Bytes): void {
    this.dbs[table].putSync(key as Buffer, value as Buffer);
  }
  putIfAbsent(table: Table, key: Bytes, value: Bytes): boolean {
    return this.dbs[table].putSync(key as Buffer, value as Buffer, { noOverwrite: true }) as unknown as boolean;
  }
  del(table: Table, key: Bytes): void {
    this.dbs[table].removeSync(key as Buffer);
  }
  delRange(table: Table, range: Range): number {
    // Collect first: deleting under a live cursor of the same transaction is not safe in lmdb-js.
    const keys = [...this.scanKeys(table, range)];
    for (const k of keys) this.dbs[table].removeSync(k as Buffer);
    return keys.length;
  }
  savepoint<T>(fn: () => T): T {
    return this.root.childTransaction(fn) as unknown as T;
  }
}

export function openLmdbStorage(opts: LmdbOptions): Storage {
  try {
    fs.mkdirSync(opts.path, { recursive: true, mode: 0o750 });
  } catch (e) {
    throw new KnowdError('CONFIG_INVALID', `Cannot create data directory "${opts.path}": ${(e as Error).message}`);
  }
  const file = path.join(opts.path, 'store');
  const tuning = opts.tuning ?? lmdbTuning({ hardware: hostHardware(), dataBytes: storeFileBytes(file), mapSizeSettingBytes: opts.mapSizeBytes ?? 0, queryWorkers: 4 });
  // Durability is the point of a database: every commit is fsync'd before its promise resolves.
  assert(!tuning.noSync.value && !tuning.noMetaSync.value, 'the store is never opened with noSync or noMetaSync');
  let root: RootDatabase;
  try {
    // noReadAhead is a documented lmdb-js option missing from its typings.
    const options: Parameters<typeof open>[0] & { noReadAhead: boolean } = {
      path: file,
      mapSize: tuning.mapSizeBytes.value,
      maxReaders: tuning.maxReaders.value,
      noReadAhead: !tuning.readAhead.value,
      pageSize: tuning.pageSizeBytes.value,
      maxDbs: TABLES.length + 4,
      compression: false,
      noSync: tuning.noSync.value,
      noMetaSync: tuning.noMetaSync.value,
      useWritemap: tuning.writeMap.value,
      commitDelay: 0,
      ...(opts.readOnly === true && { readOnly: true }),
    };
    root = open(options);
  } catch (e) {
    throw new KnowdError('STORE_CORRUPT', `Cannot open store "${opts.path}": ${(e as Error).message}`);
  }
  const dbs = Object.fromEntries(
    TABLES.map((t) => [t, root.openDB<Buffer, Buffer>({ name: t, keyEncoding: 'binary', encoding: 'binary' })]),
  ) as Record<Table, BinDb>;
  const state: WriteState = { writing: false };
  const writer = new LmdbWrite(dbs, root, state);
  let closed = false;

  return {
    read<T>(fn: (txn: ReadTxn) => T): T {
      // A read-only handle (a query worker) reads what another thread writes. lmdb-js keeps its shared
      // read transaction current until a timer of its own fires, so a read started just after another
      // thread's commit was acknowledged could get the snapshot from before it: a client saw a
      // namespace it had just created answer 404, and an ASK miss the triple its 200 had added (about
      // 1 in 600 under load). Each read therefore starts on the latest commit. (The writer's own
      // thread needs no such reset: lmdb-js resets after each of its commits.)
      if (opts.readOnly === true) root.resetReadTxn();
      const txn = root.useReadTransaction();
      let async = false;
      try {
        const out = fn(new LmdbRead(dbs, txn, state));
        if (out instanceof Promise) {
          async = true;
          return out.finally(() => txn.done()) as T;
        }
        return out;
      } finally {
        if (!async) txn.done();
      }
    },
    async write<T>(fn: (txn: WriteTxn) => T): Promise<T> {
      if (closed) throw new KnowdError('SHUTTING_DOWN', 'The store is closed.');
      if (opts.readOnly === true) throw new KnowdError('INTERNAL', 'This store handle is read-only');
      let result = { ok: false, error: undefined } as { ok: true; value: T } | { ok: false; error: unknown };
      // lmdb-js async transactions cannot be aborted, so the work runs in a child transaction
      // (which can) inside one; the outer commit is then empty when the work failed.
      await root.transaction(() => {
        state.writing = true;
        try {
          result = { ok: true, value: root.childTransaction(() => fn(writer)) as unknown as T };
        } catch (error) {
          result = { ok: false, error };
        } finally {
          state.writing = false;
        }
      });
      // lmdb-js opens with overlappingSync on Linux: a transaction's promise resolves once it is
      // committed and visible, and the fsync may still be running (the next transaction overlaps
      // it). Callers of write() acknowledge clients and Raft peers, so they get durable data:
      // `flushed` is the flush of the latest commit, ours or a later one (flushes go in order).
      // A failed write waits too, so that writes settle in the order they were called.
      await root.flushed;
      if (!result.ok) throw result.error;
      return result.value;
    },
    info(): StorageInfo {
      const stat = root.getStats() as { pageSize?: number; treeBranchPageCount?: number; lastPageNumber?: number };
      const used = (stat.lastPageNumber ?? 0) * (stat.pageSize ?? tuning.pageSizeBytes.value);
      return { kind: 'lmdb', path: opts.path, usedBytes: used, mapSizeBytes: tuning.mapSizeBytes.value };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await root.close();
    },
  };
}
