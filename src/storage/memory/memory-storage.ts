import { KnowdError } from '../../base/index.js';
import { TABLES, type Bytes, type Entry, type Range, type ReadTxn, type Storage, type StorageInfo, type Table, type WriteTxn } from '../port.js';
import { SortedBytesMap } from './sorted-map.js';

/** Faults a test can inject into the twin, to prove that callers survive failing IO. */
export interface MemoryFaults {
  /** Called before each commit; throwing here fails the write as a disk error would. */
  beforeCommit?: () => void;
}

export interface MemoryStorage extends Storage {
  readonly faults: MemoryFaults;
}

type UndoOp = { table: Table; key: Buffer; prev: Buffer | undefined };

/**
 * The deterministic in-memory twin of the LMDB store. Writes apply in place with an undo log, so a
 * failed transaction or savepoint rolls back exactly; a synchronous reader cannot interleave with a write
 * because `write` runs its callback synchronously, and an async reader holds a copy-on-write snapshot.
 */
export function openMemoryStorage(): MemoryStorage {
  const maps = Object.fromEntries(TABLES.map((t) => [t, new SortedBytesMap()])) as Record<Table, SortedBytesMap>;
  let closed = false;
  let tail: Promise<unknown> = Promise.resolve();
  const faults: MemoryFaults = {};

  /**
   * Readers whose fn is async hold a snapshot: before a write first changes a table, every open
   * snapshot that still reads that table live takes a copy of it (copy-on-write per table), so an
   * async read keeps the view it started with, as LMDB's read transactions do.
   */
  const snapshots = new Set<Partial<Record<Table, SortedBytesMap>>>();
  const preserve = (table: Table): void => {
    for (const snap of snapshots) snap[table] ??= maps[table].clone();
  };

  const readerOver = (mapOf: (t: Table) => SortedBytesMap): ReadTxn => {
    const r: ReadTxn = {
      get: (table, key) => mapOf(table).get(key),
      scan: (table: Table, range: Range): IterableIterator<Entry> => scanMap(mapOf(table), range),
      scanKeys: (table: Table, range: Range): IterableIterator<Bytes> => keysOf(scanMap(mapOf(table), range)),
      count(table, range) {
        let n = 0;
        for (const _ of r.scan(table, range)) n++;
        return n;
      },
    };
    return r;
  };
  const reader = readerOver((t) => maps[t]);

  function makeWriter(undo: UndoOp[]): WriteTxn {
    const w: WriteTxn = {
      ...reader,
      put(table: Table, key: Bytes, value: Bytes) {
        preserve(table);
        undo.push({ table, key: Buffer.from(key), prev: maps[table].set(key, value) });
      },
      putIfAbsent(table: Table, key: Bytes, value: Bytes) {
        if (maps[table].get(key) !== undefined) return false;
        w.put(table, key, value);
        return true;
      },
      del(table: Table, key: Bytes) {
        preserve(table);
        const prev = maps[table].delete(key);
        if (prev !== undefined) undo.push({ table, key: Buffer.from(key), prev });
      },
      delRange(table: Table, range: Range) {
        let n = 0;
        for (const k of [...reader.scanKeys(table, range)]) {
          w.del(table, k);
          n++;
        }
        return n;
      },
      savepoint<T>(fn: () => T): T {
        const mark = undo.length;
        try {
          return fn();
        } catch (e) {
          rollback(undo, mark);
          throw e;
        }
      },
    };
    return w;
  }

  function rollback(undo: UndoOp[], mark: number): void {
    while (undo.length > mark) {
      const op = undo.pop()!;
      if (op.prev === undefined) maps[op.table].delete(op.key);
      else maps[op.table].set(op.key, op.prev);
    }
  }

  const storage: MemoryStorage = {
    faults,
    read<T>(fn: (txn: ReadTxn) => T): T {
      const snap: Partial<Record<Table, SortedBytesMap>> = {};
      snapshots.add(snap);
      let out: T;
      try {
        out = fn(readerOver((t) => snap[t] ?? maps[t]));
      } catch (e) {
        snapshots.delete(snap);
        throw e;
      }
      if (out instanceof Promise) return out.finally(() => snapshots.delete(snap)) as T;
      snapshots.delete(snap);
      return out;
    },
    write<T>(fn: (txn: WriteTxn) => T): Promise<T> {
      if (closed) return Promise.reject(new KnowdError('SHUTTING_DOWN', 'The store is closed.'));
      // Serialize like LMDB's single writer, and resolve asynchronously like a real commit.
      const run = tail.then(() => {
        const undo: UndoOp[] = [];
        try {
          const out = fn(makeWriter(undo));
          faults.beforeCommit?.();
          return out;
        } catch (e) {
          rollback(undo, 0);
          throw e;
        }
      });
      tail = run.catch(() => undefined);
      return run;
    },
    info(): StorageInfo {
      let used = 0;
      for (const t of TABLES) used += maps[t].bytes;
      return { kind: 'memory', path: null, usedBytes: used, mapSizeBytes: 0 };
    },
    async close() {
      closed = true;
      await tail;
    },
  };
  return storage;
}

// Module-level generators, not `*scan()` in the literal (made per read): see sparql/query.ts on
// per-call generator functions.
function* scanMap(map: SortedBytesMap, range: Range): Generator<Entry> {
  let n = 0;
  for (const [key, value] of map.range(range.start, range.end, range.reverse === true)) {
    if (range.limit !== undefined && n++ >= range.limit) return;
    yield { key, value };
  }
}

function* keysOf(entries: Iterable<Entry>): Generator<Bytes> {
  for (const e of entries) yield e.key;
}
