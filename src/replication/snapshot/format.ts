/**
 * What a snapshot holds and how its bytes are laid out. Pure encoding and decoding (no IO), so the
 * writer (create.ts), the checker (decode.ts) and the applier (restore.ts) share one definition.
 *
 * A `.knsnap` file is
 *   [file header, 56 bytes, plaintext]  magic "KNOWDSNP", format u16, compression u8, reserved u8,
 *                                       index u64, term u64, createdAtMs u64, key id 8 bytes, IV 12 bytes
 *   [AES-256-GCM ciphertext]            of the compressed record stream; the file header is the AAD,
 *                                       so a header altered on disk fails authentication too
 *   [GCM auth tag, 16 bytes]
 * and the record stream (after decryption and decompression) is
 *   "KNSH" u32 len, header JSON         { formatVersion, index, term, membership, createdAtMs, tables, counts }
 *   records                             table id u8 (index into header.tables), key len u32, value len u32,
 *                                       key, value — grouped by table in header order, keys ascending
 *   0xFF "KNSE" u64 record count        the trailer: a stream cut anywhere before it is detected
 * All integers are big-endian.
 */
import { KnowdError } from '../../base/index.js';
import { TABLES, prefixEnd, type Range, type ReadTxn, type Table } from '../../storage/index.js';
import type { Membership, SnapshotMeta } from '../raft/types.js';

export const SNAPSHOT_FORMAT_VERSION = 1;
export type Compression = 'gzip' | 'brotli';
export const CIPHER = 'aes-256-gcm';

const FILE_MAGIC = Buffer.from('KNOWDSNP', 'latin1');
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
export const KEY_ID_BYTES = 8;
export const FILE_HEADER_BYTES = FILE_MAGIC.length + 2 + 1 + 1 + 8 + 8 + 8 + KEY_ID_BYTES + GCM_IV_BYTES;

const COMPRESSION_CODES: Record<Compression, number> = { gzip: 1, brotli: 2 };

/** Node-local raft hard state lives under this meta prefix; the driver writes it, snapshots never carry it. */
export const RAFT_META_PREFIX = Buffer.from('raft/', 'latin1');

/** Every table except the log: the log before the snapshot is compacted, the log after it is replicated. */
export const SNAPSHOT_TABLES: readonly Table[] = TABLES.filter((t) => t !== 'log');

/** Key ranges of `table` that belong to a snapshot: all of it, except `meta` keys under `raft/`. */
export function snapshotRanges(table: Table): readonly Range[] {
  if (table !== 'meta') return [{}];
  const after = prefixEnd(RAFT_META_PREFIX);
  return after === undefined ? [{ end: RAFT_META_PREFIX }] : [{ end: RAFT_META_PREFIX }, { start: after }];
}

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

function invalid(message: string, details: Record<string, unknown> = {}): KnowdError {
  return new KnowdError('SNAPSHOT_INVALID', message, details);
}

// ---------------------------------------------------------------------------------------------
// File header

export interface FileHeader {
  readonly formatVersion: number;
  readonly compression: Compression;
  readonly index: number;
  readonly term: number;
  readonly createdAtMs: number;
  /** Identifies the key (not secret): a wrong key is named as such instead of as a failed tag. */
  readonly keyId: Buffer;
  readonly iv: Buffer;
}

export function encodeFileHeader(h: FileHeader): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  let o = FILE_MAGIC.copy(b, 0);
  o = b.writeUInt16BE(h.formatVersion, o);
  o = b.writeUInt8(COMPRESSION_CODES[h.compression], o);
  o += 1; // reserved
  o = b.writeBigUInt64BE(BigInt(h.index), o);
  o = b.writeBigUInt64BE(BigInt(h.term), o);
  o = b.writeBigUInt64BE(BigInt(h.createdAtMs), o);
  o += h.keyId.copy(b, o);
  h.iv.copy(b, o);
  return b;
}

function safeU64(b: Buffer, offset: number, what: string, file: string): number {
  const v = b.readBigUInt64BE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`Snapshot ${file}: ${what} ${v} is out of range; the file is damaged.`, { file });
  return Number(v);
}

/** `file` names the snapshot in error messages. */
export function decodeFileHeader(b: Buffer, file: string): FileHeader {
  if (b.length < FILE_HEADER_BYTES || !b.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) {
    throw invalid(`${file} is not a Knowd snapshot (bad magic or too short).`, { file });
  }
  let o = FILE_MAGIC.length;
  const formatVersion = b.readUInt16BE(o);
  o += 2;
  if (formatVersion !== SNAPSHOT_FORMAT_VERSION) {
    throw invalid(
      formatVersion > SNAPSHOT_FORMAT_VERSION
        ? `Snapshot ${file} has format ${formatVersion}, newer than the ${SNAPSHOT_FORMAT_VERSION} this version reads: upgrade this node to the leader's version.`
        : `Snapshot ${file} has format ${formatVersion}, which this version no longer reads.`,
      { file, formatVersion },
    );
  }
  const code = b.readUInt8(o);
  o += 2;
  const compression = (Object.keys(COMPRESSION_CODES) as Compression[]).find((c) => COMPRESSION_CODES[c] === code);
  if (compression === undefined) throw invalid(`Snapshot ${file} names an unknown compression (${code}).`, { file });
  const index = safeU64(b, o, 'index', file);
  const term = safeU64(b, o + 8, 'term', file);
  const createdAtMs = safeU64(b, o + 16, 'creation time', file);
  o += 24;
  const keyId = Buffer.from(b.subarray(o, o + KEY_ID_BYTES));
  const iv = Buffer.from(b.subarray(o + KEY_ID_BYTES, o + KEY_ID_BYTES + GCM_IV_BYTES));
  return { formatVersion, compression, index, term, createdAtMs, keyId, iv };
}

// ---------------------------------------------------------------------------------------------
// Record stream

const STREAM_MAGIC = Buffer.from('KNSH', 'latin1');
const TRAILER_MAGIC = Buffer.from('KNSE', 'latin1');
const TRAILER_MARK = 0xff;
const RECORD_HEAD_BYTES = 1 + 4 + 4;
const TRAILER_BYTES = 1 + TRAILER_MAGIC.length + 8;
/** Membership lists are small; a longer header means a damaged stream, not a big cluster. */
const HEADER_JSON_BYTES_MAX = 1024 * 1024;
/** LMDB keys are at most 1978 bytes; the cap stops a damaged length from buffering the whole stream. */
const KEY_BYTES_MAX = 64 * 1024;
const VALUE_BYTES_MAX = 1024 * 1024 * 1024;

export interface StreamHeader {
  readonly formatVersion: number;
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
  readonly createdAtMs: number;
  /** Table names in stream order; a record's table id indexes this list. */
  readonly tables: readonly Table[];
  /** Records per table, aligned with `tables`. */
  readonly counts: readonly number[];
}

export function isMembership(v: unknown): v is Membership {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  const ids = (x: unknown): boolean => Array.isArray(x) && x.every((s) => typeof s === 'string');
  return ids(m['voters']) && ids(m['learners']);
}

export function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function encodeStreamHeader(h: StreamHeader): Buffer {
  const json = Buffer.from(JSON.stringify(h), 'utf8');
  const b = Buffer.allocUnsafe(STREAM_MAGIC.length + 4 + json.length);
  STREAM_MAGIC.copy(b, 0);
  b.writeUInt32BE(json.length, STREAM_MAGIC.length);
  json.copy(b, STREAM_MAGIC.length + 4);
  return b;
}

function parseStreamHeader(json: Buffer): StreamHeader {
  let v: unknown;
  try {
    v = JSON.parse(json.toString('utf8'));
  } catch {
    throw invalid('The snapshot header is not valid JSON; the file is damaged.');
  }
  const h = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (h['formatVersion'] !== SNAPSHOT_FORMAT_VERSION) {
    throw invalid(`The snapshot stream has format ${String(h['formatVersion'])}; this version reads ${SNAPSHOT_FORMAT_VERSION}.`);
  }
  const tables = h['tables'];
  const counts = h['counts'];
  if (
    !isCount(h['index']) ||
    !isCount(h['term']) ||
    !isCount(h['createdAtMs']) ||
    !isMembership(h['membership']) ||
    !Array.isArray(tables) ||
    !Array.isArray(counts) ||
    tables.length !== counts.length ||
    !counts.every(isCount)
  ) {
    throw invalid('The snapshot header lacks a field or has one of the wrong type; the file is damaged.');
  }
  const seen = new Set<string>();
  for (const t of tables) {
    if (typeof t !== 'string' || !SNAPSHOT_TABLES.includes(t as Table) || seen.has(t)) {
      throw invalid(`The snapshot holds table "${String(t)}", which this version does not restore: upgrade this node to the leader's version.`);
    }
    seen.add(t);
  }
  return {
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    index: h['index'],
    term: h['term'],
    membership: h['membership'],
    createdAtMs: h['createdAtMs'],
    tables: tables as Table[],
    counts: counts as number[],
  };
}

/**
 * Yields the record stream of `txn` in buffers of about `batchBytes`. Counting and opening every
 * table's iterator happen here, synchronously, before the caller's first await: with LMDB the read
 * transaction alone makes the view consistent, and the in-memory twin (whose scans copy their range
 * when first pulled) is then consistent too although its read view does not span an await.
 */
export function recordStream(txn: ReadTxn, meta: SnapshotMeta, createdAtMs: number, batchBytes = 256 * 1024): Iterable<Buffer> {
  const tables = SNAPSHOT_TABLES;
  const counts = tables.map((t) => snapshotRanges(t).reduce((n, r) => n + txn.count(t, r), 0));
  const sources = tables.map((t) =>
    snapshotRanges(t).map((r) => {
      const it = txn.scan(t, r);
      return { it, first: it.next() };
    }),
  );
  const header = encodeStreamHeader({
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    index: meta.index,
    term: meta.term,
    membership: { voters: [...meta.membership.voters], learners: [...meta.membership.learners] },
    createdAtMs,
    tables,
    counts,
  });

  return (function* (): Generator<Buffer> {
    try {
      yield* records();
    } finally {
      // A stream stopped early (the receiver went away) must close its scans: an open cursor pins
      // the read transaction (and its LMDB reader slot) until the process ends.
      for (const s of sources) for (const { it } of s) it.return?.();
    }
  })();

  function* records(): Generator<Buffer> {
    yield header;
    let batch = Buffer.allocUnsafe(batchBytes);
    let used = 0;
    let total = 0;
    for (let id = 0; id < tables.length; id++) {
      let n = 0;
      for (const { it, first } of sources[id]!) {
        for (let r = first; r.done !== true; r = it.next()) {
          const { key, value } = r.value;
          if (key.length > KEY_BYTES_MAX || value.length > VALUE_BYTES_MAX) {
            throw new KnowdError('INTERNAL', `Cannot snapshot table "${tables[id]}": a key or value exceeds the snapshot format's limit.`);
          }
          const size = RECORD_HEAD_BYTES + key.length + value.length;
          if (used + size > batch.length) {
            if (used > 0) yield batch.subarray(0, used);
            // Downstream may still hold the old batch, so each batch is a fresh buffer.
            batch = Buffer.allocUnsafe(Math.max(batchBytes, size));
            used = 0;
          }
          batch[used] = id;
          batch.writeUInt32BE(key.length, used + 1);
          batch.writeUInt32BE(value.length, used + 5);
          batch.set(key, used + RECORD_HEAD_BYTES);
          batch.set(value, used + RECORD_HEAD_BYTES + key.length);
          used += size;
          n++;
        }
      }
      // Count and scan run in one read view, so a difference is a storage bug, not a race.
      if (n !== counts[id]) throw new KnowdError('INTERNAL', `Table "${tables[id]}" counted ${counts[id]} records but scanned ${n}.`);
      total += n;
    }
    if (used + TRAILER_BYTES > batch.length) {
      yield batch.subarray(0, used);
      batch = Buffer.allocUnsafe(TRAILER_BYTES);
      used = 0;
    }
    batch[used] = TRAILER_MARK;
    TRAILER_MAGIC.copy(batch, used + 1);
    batch.writeBigUInt64BE(BigInt(total), used + 1 + TRAILER_MAGIC.length);
    yield batch.subarray(0, used + TRAILER_BYTES);
  }
}

export interface DecodedRecord {
  readonly table: Table;
  /** Views into the decoder's buffers: valid only during the callback (storage.put copies). */
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface StreamSummary {
  readonly header: StreamHeader;
  readonly records: number;
}

/**
 * Incremental parser of the record stream: feed it chunks as they come (of any size, split
 * anywhere) and call end() after the last. Checks the structure as it goes — framing, table ids,
 * grouping and key order, no `raft/` meta keys, per-table counts against the header, and the
 * trailer — and throws SNAPSHOT_INVALID at the first fault.
 */
export class RecordDecoder {
  private chunks: Buffer[] = [];
  private head = 0;
  private avail = 0;
  private header: StreamHeader | undefined;
  private done = false;
  private tableId = -1;
  private inTable = 0;
  private total = 0;
  private prevKey: Buffer | undefined;

  constructor(private readonly onRecord: (r: DecodedRecord) => void = () => undefined) {}

  /**
   * Feeds the next bytes. With `reused`, the caller will overwrite `chunk` afterwards (restore reads
   * the file into one block): what the decoder keeps of it — an unfinished record, the last key for
   * the order check — is copied, each byte at most once, so a huge value is not copied repeatedly.
   */
  push(chunk: Buffer, reused = false): void {
    if (chunk.length === 0) return;
    if (this.done) throw invalid('The snapshot stream has bytes after its trailer; the file is damaged.');
    this.chunks.push(chunk);
    this.avail += chunk.length;
    this.drain();
    if (!reused) return;
    // Consumption runs front to back, so anything left of `chunk` is the last entry.
    const last = this.chunks.length - 1;
    if (this.avail > 0 && last >= this.head) this.chunks[last] = Buffer.from(this.chunks[last]!);
    if (this.prevKey !== undefined) this.prevKey = Buffer.from(this.prevKey);
  }

  end(): StreamSummary {
    if (this.header === undefined) throw invalid('The snapshot stream ends before its header: the file is truncated.');
    if (!this.done) throw invalid(`The snapshot stream ends after ${this.total} records without its trailer: the file is truncated.`);
    return { header: this.header, records: this.total };
  }

  /** The first `n` available bytes, without consuming them (n is small: frame heads only). */
  private peek(n: number): Buffer {
    const first = this.chunks[this.head]!;
    return first.length >= n ? first.subarray(0, n) : Buffer.concat(this.chunks.slice(this.head), n);
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[this.head]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      this.consume(first, n);
    } else {
      out = Buffer.allocUnsafe(n);
      let o = 0;
      while (o < n) {
        const c = this.chunks[this.head]!;
        const k = Math.min(c.length, n - o);
        c.copy(out, o, 0, k);
        o += k;
        this.consume(c, k);
      }
    }
    this.avail -= n;
    return out;
  }

  /** Drops `k` bytes of the head chunk `c`; an index instead of shift() keeps a long value linear. */
  private consume(c: Buffer, k: number): void {
    if (k < c.length) {
      this.chunks[this.head] = c.subarray(k);
      return;
    }
    this.head++;
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  private drain(): void {
    while (!this.done) {
      if (this.header === undefined) {
        if (this.avail < STREAM_MAGIC.length + 4) return;
        const head = this.peek(STREAM_MAGIC.length + 4);
        if (!head.subarray(0, STREAM_MAGIC.length).equals(STREAM_MAGIC)) throw invalid('The snapshot stream does not start with its header; the file is damaged.');
        const len = head.readUInt32BE(STREAM_MAGIC.length);
        if (len > HEADER_JSON_BYTES_MAX) throw invalid('The snapshot header is implausibly long; the file is damaged.');
        if (this.avail < STREAM_MAGIC.length + 4 + len) return;
        this.take(STREAM_MAGIC.length + 4);
        this.header = parseStreamHeader(this.take(len));
        continue;
      }
      if (this.avail < 1) return;
      if (this.peek(1)[0] === TRAILER_MARK) {
        if (this.avail < TRAILER_BYTES) return;
        this.finish(this.take(TRAILER_BYTES));
        if (this.avail > 0) throw invalid('The snapshot stream has bytes after its trailer; the file is damaged.');
        return;
      }
      if (this.avail < RECORD_HEAD_BYTES) return;
      const head = this.peek(RECORD_HEAD_BYTES);
      const keyLen = head.readUInt32BE(1);
      const valueLen = head.readUInt32BE(5);
      if (keyLen > KEY_BYTES_MAX || valueLen > VALUE_BYTES_MAX) throw invalid('A snapshot record has an implausible length; the file is damaged.');
      if (this.avail < RECORD_HEAD_BYTES + keyLen + valueLen) return;
      const id = this.take(RECORD_HEAD_BYTES)[0]!;
      const key = this.take(keyLen);
      const value = this.take(valueLen);
      this.record(id, key, value);
    }
  }

  private record(id: number, key: Buffer, value: Buffer): void {
    const h = this.header!;
    if (id !== this.tableId) {
      if (id < this.tableId || id >= h.tables.length) throw invalid(`A snapshot record names table id ${id} out of order or out of range; the file is damaged.`);
      this.closeTable(id);
    }
    const table = h.tables[id]!;
    if (this.prevKey !== undefined && Buffer.compare(this.prevKey, key) >= 0) {
      throw invalid(`Snapshot records of table "${table}" are not in ascending key order; the file is damaged.`);
    }
    if (table === 'meta' && startsWith(key, RAFT_META_PREFIX)) throw invalid('The snapshot carries node-local raft state (meta "raft/" keys); it was made wrongly.');
    this.prevKey = key;
    this.inTable++;
    this.total++;
    this.onRecord({ table, key, value });
  }

  /** Checks the count of the table just finished (and of any empty ones skipped) on moving to `next`. */
  private closeTable(next: number): void {
    const h = this.header!;
    for (let t = Math.max(this.tableId, 0); t < next; t++) {
      const got = t === this.tableId ? this.inTable : 0;
      if (got !== h.counts[t]) throw invalid(`The snapshot has ${got} records of table "${h.tables[t]}" where its header says ${h.counts[t]}; the file is damaged.`);
    }
    this.tableId = next;
    this.inTable = 0;
    this.prevKey = undefined;
  }

  private finish(trailer: Buffer): void {
    if (!trailer.subarray(1, 1 + TRAILER_MAGIC.length).equals(TRAILER_MAGIC)) throw invalid('The snapshot trailer is malformed; the file is damaged.');
    this.closeTable(this.header!.tables.length);
    const count = trailer.readBigUInt64BE(1 + TRAILER_MAGIC.length);
    if (count !== BigInt(this.total)) throw invalid(`The snapshot trailer counts ${count} records but the stream holds ${this.total}; the file is damaged.`);
    this.done = true;
  }
}
