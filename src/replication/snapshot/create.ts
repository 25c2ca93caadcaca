/**
 * Writes a snapshot of the store: one read view → record stream → zlib → AES-256-GCM → file, all as
 * node streams, so memory stays bounded whatever the size of the store. The file is written under a
 * temporary name, fsync'd and renamed: a crash never leaves a half-written snapshot under the final
 * name.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zc, createBrotliCompress, createGzip } from 'node:zlib';
import { assert, systemClock, type Clock } from '../../base/index.js';
import type { ReadTxn, Storage } from '../../storage/index.js';
import type { SnapshotMeta } from '../raft/types.js';
import { CIPHER, GCM_IV_BYTES, SNAPSHOT_FORMAT_VERSION, encodeFileHeader, isCount, isMembership, recordStream, type Compression } from './format.js';
import { FileSink, publish, snapshotFileName, tempPath, SNAPSHOT_EXT, type SnapshotInfo, type SnapshotManifest } from './files.js';
import { SNAPSHOT_KEY_BYTES, keyIdOf } from './key.js';

/**
 * Brotli at quality 2, from a measurement on ~200 MiB of records (2-core VM, LMDB source):
 *   Knowd-like records (sorted 5-byte-id quad keys, IRIs and literals, receipt JSON):
 *     gzip 1 32.7 % of raw, gzip 6 30.7 %, brotli 1 30.3 %, brotli 2 28.0 %, brotli 4 28.7 %,
 *     brotli 6 25.7 %; creation time gzip 1 ≈ brotli 1 ≈ brotli 2 < gzip 6 < brotli 4 < brotli 6
 *     (brotli 2 as small as brotli 4 at the speed of gzip 1);
 *   incompressible values: brotli 1–2 pass them through at 115–200 MiB/s, gzip crawls at 36 MiB/s
 *     at any level for no gain.
 * Reading the store (≈0.5 µs a record) bounds creation more than the codec does from there on, so
 * higher qualities buy a few percent for much more leader CPU while it serves writes.
 */
export const DEFAULT_COMPRESSION: Compression = 'brotli';
export const DEFAULT_LEVEL: Record<Compression, number> = { gzip: 6, brotli: 2 };

export interface CreateSnapshotOptions {
  readonly compression?: Compression;
  /** gzip 1–9, brotli 0–11; defaults in DEFAULT_LEVEL. */
  readonly level?: number;
  /** Stamps createdAtMs; the system clock by default. */
  readonly clock?: Clock;
}

/**
 * What the snapshot is of. A function is called with the read view the snapshot is taken from, so
 * the driver can read the applied index from the same view: an apply committing between "read the
 * applied index" and "open the view" would otherwise label the state of index+1 as index, and a
 * follower would apply that entry twice.
 */
export type SnapshotMetaSource = SnapshotMeta | ((txn: ReadTxn) => SnapshotMeta);

function compressor(c: Compression, level: number): Transform {
  const chunkSize = 64 * 1024;
  if (c === 'gzip') return createGzip({ level, chunkSize });
  return createBrotliCompress({ chunkSize, params: { [zc.BROTLI_PARAM_QUALITY]: level, [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_GENERIC } });
}

function checkMeta(m: SnapshotMeta): void {
  assert(isCount(m.index) && m.index > 0, `snapshot index must be a positive integer, got ${m.index}`);
  assert(isCount(m.term), `snapshot term must be a non-negative integer, got ${m.term}`);
  assert(isMembership(m.membership), 'snapshot membership must list voters and learners');
}

/**
 * Snapshots `storage` into `<dir>/snap-<index>-<term>.knsnap` with its manifest beside it, and
 * returns what the manifest says.
 */
export async function createSnapshot(storage: Storage, dir: string, key: Buffer, meta: SnapshotMetaSource, opts: CreateSnapshotOptions = {}): Promise<SnapshotInfo> {
  assert(key.length === SNAPSHOT_KEY_BYTES, `snapshot key must be ${SNAPSHOT_KEY_BYTES} bytes`);
  const compression = opts.compression ?? DEFAULT_COMPRESSION;
  const level = opts.level ?? DEFAULT_LEVEL[compression];
  assert(Number.isInteger(level) && level >= 0 && level <= (compression === 'gzip' ? 9 : 11), `bad ${compression} level ${level}`);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const tmp = tempPath(dir, `${SNAPSHOT_EXT}.part`);
  const createdAtMs = Math.floor((opts.clock ?? systemClock).nowMs());
  try {
    const written = await storage.read(async (txn) => {
      const m = typeof meta === 'function' ? meta(txn) : meta;
      checkMeta(m);
      // Before any await: the record stream opens its scans now, in this view (see recordStream).
      const records = recordStream(txn, m, createdAtMs);
      const iv = randomBytes(GCM_IV_BYTES);
      const header = encodeFileHeader({ formatVersion: SNAPSHOT_FORMAT_VERSION, compression, index: m.index, term: m.term, createdAtMs, keyId: keyIdOf(key), iv });
      const cipher = createCipheriv(CIPHER, key, iv);
      cipher.setAAD(header);
      const hash = createHash('sha256');
      const handle = await open(tmp, 'wx', 0o600);
      try {
        const sink = new FileSink(handle, hash);
        await sink.writeAll([header]);
        await pipeline(Readable.from(records, { objectMode: false, highWaterMark: 1024 * 1024 }), compressor(compression, level), cipher, sink);
        await sink.writeAll([cipher.getAuthTag()]);
        await handle.sync();
        return { meta: m, sha256: hash.digest('hex'), sizeBytes: sink.bytes };
      } finally {
        await handle.close();
      }
    });
    const manifest: SnapshotManifest = {
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      index: written.meta.index,
      term: written.meta.term,
      membership: { voters: [...written.meta.membership.voters], learners: [...written.meta.membership.learners] },
      sha256: written.sha256,
      sizeBytes: written.sizeBytes,
      createdAtMs,
      cipher: CIPHER,
      compression,
    };
    return await publish(tmp, join(dir, snapshotFileName(written.meta.index, written.meta.term)), manifest);
  } finally {
    await rm(tmp, { force: true });
  }
}
