/**
 * The one storage port. Everything durable in Knowd (quads, dictionary, log, receipts, metadata) lives
 * in a handful of ordered binary key/value tables. Keys compare as unsigned bytes, so composite keys
 * built big-endian scan in numeric order.
 *
 * Two implementations: lmdb/ (the IO edge) and memory/ (a deterministic twin with fault injection);
 * test/contract/storage runs one suite against both.
 */
export const TABLES = ['meta', 'log', 'terms', 'ids', 'quads', 'counts', 'receipts', 'receiptIdx', 'idem', 'namespaces', 'evidence', 'vectors'] as const;
export type Table = (typeof TABLES)[number];

export type Bytes = Uint8Array;

export interface Range {
  /** Inclusive lower bound; omitted = from the start of the table. */
  readonly start?: Bytes;
  /** Exclusive upper bound; omitted = to the end of the table. */
  readonly end?: Bytes;
  readonly reverse?: boolean;
  readonly limit?: number;
}

export interface Entry {
  readonly key: Bytes;
  readonly value: Bytes;
}

/** A consistent view: every read through one ReadTxn sees the same committed state. */
export interface ReadTxn {
  get(table: Table, key: Bytes): Bytes | undefined;
  scan(table: Table, range: Range): IterableIterator<Entry>;
  /** Keys only: cheaper where the value is not needed (index scans). */
  scanKeys(table: Table, range: Range): IterableIterator<Bytes>;
  count(table: Table, range: Range): number;
}

export interface WriteTxn extends ReadTxn {
  /** Stores the value; the key and value bytes are copied, so callers may reuse their buffers. */
  put(table: Table, key: Bytes, value: Bytes): void;
  /** Stores the value only if the key is absent; true when it stored (one B-tree descent, not two). */
  putIfAbsent(table: Table, key: Bytes, value: Bytes): boolean;
  del(table: Table, key: Bytes): void;
  /** Removes every key in the range; returns how many. */
  delRange(table: Table, range: Range): number;
  /**
   * Runs `fn` as a nested transaction: if it throws, everything it wrote is undone and the error
   * propagates, while the enclosing transaction goes on. Group commit applies each client
   * transaction in its own savepoint so one bad transaction cannot spoil its batch.
   */
  savepoint<T>(fn: () => T): T;
}

export interface StorageInfo {
  readonly kind: 'lmdb' | 'memory';
  readonly path: string | null;
  /** Bytes the store occupies (LMDB: used pages × page size). */
  readonly usedBytes: number;
  readonly mapSizeBytes: number;
}

export interface Storage {
  /**
   * Runs `fn` against a snapshot. The view stays valid while `fn` runs, including for iterators it
   * returns and consumes synchronously; it is released when `fn` returns (or its promise settles).
   */
  read<T>(fn: (txn: ReadTxn) => T): T;
  /**
   * Runs `fn` in the single write transaction slot and resolves once the commit is durable
   * (fsync'd). `fn` runs synchronously; if it throws, nothing it wrote is kept. Writes are
   * serialized in call order.
   */
  write<T>(fn: (txn: WriteTxn) => T): Promise<T>;
  info(): StorageInfo;
  close(): Promise<void>;
}
