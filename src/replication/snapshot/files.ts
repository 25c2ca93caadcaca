/**
 * Snapshot files on disk: names, manifests, and the durable-write helpers (temp file + fsync +
 * rename) that make a snapshot appear whole under its final name or not at all.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { KnowdError, fsyncDir } from '../../base/index.js';
import type { Membership } from '../raft/types.js';
import { CIPHER, SNAPSHOT_FORMAT_VERSION, isCount, isMembership, type Compression } from './format.js';

export const SNAPSHOT_EXT = '.knsnap';
export const MANIFEST_EXT = '.json';
/** Every temporary file of this module starts so; removeTempFiles() clears them after a crash. */
export const TEMP_PREFIX = '.tmp-';
const NAME_RE = /^snap-(\d{20})-(\d+)\.knsnap$/;

/** The manifest beside each snapshot (`snap-….json`): what listSnapshots and offers are made from. */
export interface SnapshotManifest {
  readonly formatVersion: number;
  readonly index: number;
  readonly term: number;
  readonly membership: Membership;
  /** SHA-256 (hex) of the .knsnap file's bytes. */
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly createdAtMs: number;
  readonly cipher: typeof CIPHER;
  readonly compression: Compression;
}

export interface SnapshotInfo extends SnapshotManifest {
  /** Absolute or dir-relative path of the .knsnap file, as `dir` was given. */
  readonly path: string;
  readonly manifestPath: string;
  /** File name of the snapshot (no directory). */
  readonly name: string;
}

/** `snap-<index, 20 digits>-<term>.knsnap`: names sort by index. */
export function snapshotFileName(index: number, term: number): string {
  return `snap-${String(index).padStart(20, '0')}-${term}${SNAPSHOT_EXT}`;
}

export function parseSnapshotFileName(name: string): { index: number; term: number } | undefined {
  const m = NAME_RE.exec(name);
  if (m === null) return undefined;
  const index = Number(m[1]);
  const term = Number(m[2]);
  return Number.isSafeInteger(index) && Number.isSafeInteger(term) ? { index, term } : undefined;
}

export function manifestPathOf(file: string): string {
  return file.endsWith(SNAPSHOT_EXT) ? file.slice(0, -SNAPSHOT_EXT.length) + MANIFEST_EXT : file + MANIFEST_EXT;
}

export function tempPath(dir: string, suffix: string): string {
  return join(dir, `${TEMP_PREFIX}${randomUUID()}${suffix}`);
}

export function sameMembership(a: Membership, b: Membership): boolean {
  const eq = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.voters, b.voters) && eq(a.learners, b.learners);
}

export function errorCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function invalid(message: string, details: Record<string, unknown> = {}, cause?: unknown): KnowdError {
  return new KnowdError('SNAPSHOT_INVALID', message, details, cause === undefined ? undefined : { cause });
}

/** Reads and checks `<file>`'s manifest; throws SNAPSHOT_INVALID when it is missing or malformed. */
export function readManifest(file: string): SnapshotManifest {
  const path = manifestPathOf(file);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw invalid(
      errorCode(e) === 'ENOENT' ? `Snapshot ${file} has no manifest ${path}; it cannot be verified.` : `Cannot read snapshot manifest ${path}: ${describe(e)}`,
      { file },
      e,
    );
  }
  const m = parseManifest(v);
  if (m === undefined) throw invalid(`Snapshot manifest ${path} lacks a field or has one of the wrong type.`, { file });
  return m;
}

export function parseManifest(v: unknown): SnapshotManifest | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const m = v as Record<string, unknown>;
  const ok =
    m['formatVersion'] === SNAPSHOT_FORMAT_VERSION &&
    isCount(m['index']) &&
    isCount(m['term']) &&
    isMembership(m['membership']) &&
    isSha256Hex(m['sha256']) &&
    isCount(m['sizeBytes']) &&
    isCount(m['createdAtMs']) &&
    m['cipher'] === CIPHER &&
    (m['compression'] === 'gzip' || m['compression'] === 'brotli');
  if (!ok) return undefined;
  return {
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    index: m['index'] as number,
    term: m['term'] as number,
    membership: m['membership'] as Membership,
    sha256: m['sha256'] as string,
    sizeBytes: m['sizeBytes'] as number,
    createdAtMs: m['createdAtMs'] as number,
    cipher: CIPHER,
    compression: m['compression'] as Compression,
  };
}

export function isSha256Hex(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
}

export function infoOf(file: string, m: SnapshotManifest): SnapshotInfo {
  return { ...m, path: file, manifestPath: manifestPathOf(file), name: basename(file) };
}

export { fsyncDir };

/** Writes `data` to `path` through a temporary file, so a crash leaves the old file or the new one. */
async function writeFileDurably(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  const tmp = tempPath(dir, MANIFEST_EXT);
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Moves a finished, fsync'd temporary snapshot to its final name and writes its manifest. The
 * snapshot is renamed first: a crash in between leaves a .knsnap without a manifest, which nothing
 * lists or offers (pruneSnapshots clears it), never a manifest without its file.
 */
export async function publish(tmp: string, file: string, manifest: SnapshotManifest): Promise<SnapshotInfo> {
  await rename(tmp, file);
  try {
    await writeFileDurably(manifestPathOf(file), `${JSON.stringify(manifest, null, 2)}\n`);
    await fsyncDir(dirname(file));
  } catch (e) {
    await rm(file, { force: true });
    throw e;
  }
  return infoOf(file, manifest);
}

/** A Writable onto an open file, hashing what passes when given a hash; it never closes the handle. */
export class FileSink extends Writable {
  bytes = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly hash?: Hash,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => cb(), cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => cb(), cb);
  }

  /** Writes bytes outside the stream (the file header before it, the GCM tag after it). */
  async writeAll(chunks: Buffer[]): Promise<void> {
    for (const c of chunks) this.hash?.update(c);
    const { bytesWritten } = await this.handle.writev(chunks);
    let expected = 0;
    for (const c of chunks) expected += c.length;
    // writev may write short (rare, large buffers): finish the rest one buffer at a time.
    if (bytesWritten < expected) {
      let skip = bytesWritten;
      for (const c of chunks) {
        if (skip >= c.length) {
          skip -= c.length;
          continue;
        }
        let rest = c.subarray(skip);
        skip = 0;
        while (rest.length > 0) {
          const { bytesWritten: n } = await this.handle.write(rest);
          rest = rest.subarray(n);
        }
      }
    }
    this.bytes += expected;
  }
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 (hex) and size of a whole file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      sizeBytes += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}
