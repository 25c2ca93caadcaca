/**
 * The full check of a snapshot file, shared by restore (which keeps the plain record stream in a
 * temporary file) and verifySnapshot (which keeps nothing): manifest, SHA-256, file header, GCM tag,
 * decompression, and the record stream's structure down to its trailer. Nothing here touches a store.
 */
import { createDecipheriv } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip } from 'node:zlib';
import { isKnowdError } from '../../base/index.js';
import type { SnapshotMeta } from '../raft/types.js';
import { CIPHER, FILE_HEADER_BYTES, GCM_TAG_BYTES, RecordDecoder, decodeFileHeader, type Compression, type FileHeader, type StreamSummary } from './format.js';
import { describe, hashFile, invalid, readManifest, sameMembership, type SnapshotManifest } from './files.js';
import { SNAPSHOT_KEY_BYTES, keyIdOf } from './key.js';

function decompressor(c: Compression): Transform {
  const chunkSize = 64 * 1024;
  return c === 'gzip' ? createGunzip({ chunkSize }) : createBrotliDecompress({ chunkSize });
}

/** Passes bytes through unchanged while the decoder checks them. */
function checking(decoder: RecordDecoder): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        decoder.push(chunk);
        cb(null, chunk);
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

const discard = (): Writable =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

export interface Checked {
  readonly meta: SnapshotMeta;
  readonly manifest: SnapshotManifest;
  readonly header: FileHeader;
  readonly summary: StreamSummary;
}

/** Reads the fixed-size file header and GCM tag at either end of the file. */
async function readEnds(file: string, sizeBytes: number): Promise<{ headerBytes: Buffer; tag: Buffer }> {
  const handle = await open(file, 'r');
  try {
    const headerBytes = Buffer.alloc(FILE_HEADER_BYTES);
    const tag = Buffer.alloc(GCM_TAG_BYTES);
    await handle.read(headerBytes, 0, FILE_HEADER_BYTES, 0);
    await handle.read(tag, 0, GCM_TAG_BYTES, sizeBytes - GCM_TAG_BYTES);
    return { headerBytes, tag };
  } finally {
    await handle.close();
  }
}

/**
 * Checks `file` completely; the plain record stream goes to `plain` when given (restore's temporary
 * file), else nowhere. Throws SNAPSHOT_INVALID naming the first fault found.
 */
export async function checkSnapshotFile(file: string, key: Buffer, plain?: Writable): Promise<Checked> {
  if (key.length !== SNAPSHOT_KEY_BYTES) throw invalid(`The snapshot key must be ${SNAPSHOT_KEY_BYTES} bytes.`, { file });
  const manifest = readManifest(file);
  let actual: { sha256: string; sizeBytes: number };
  try {
    actual = await hashFile(file);
  } catch (e) {
    throw invalid(`Cannot read snapshot ${file}: ${describe(e)}`, { file }, e);
  }
  if (actual.sizeBytes !== manifest.sizeBytes || actual.sha256 !== manifest.sha256) {
    throw invalid(
      `Snapshot ${file} does not match its manifest (${actual.sizeBytes} bytes with SHA-256 ${actual.sha256}, manifest says ${manifest.sizeBytes} bytes with ${manifest.sha256}): the file is damaged or incomplete; fetch it again.`,
      { file },
    );
  }
  if (actual.sizeBytes < FILE_HEADER_BYTES + GCM_TAG_BYTES) throw invalid(`Snapshot ${file} is too short to be one.`, { file });
  const { headerBytes, tag } = await readEnds(file, actual.sizeBytes);
  const header = decodeFileHeader(headerBytes, file);
  if (header.index !== manifest.index || header.term !== manifest.term || header.compression !== manifest.compression || header.createdAtMs !== manifest.createdAtMs) {
    throw invalid(`Snapshot ${file} does not match its manifest (index, term, compression or creation time differ).`, { file });
  }
  if (!header.keyId.equals(keyIdOf(key))) {
    throw invalid(
      `Snapshot ${file} was encrypted with key id ${header.keyId.toString('hex')}, but this node's snapshot key has id ${keyIdOf(key).toString('hex')}: every cluster member needs the same snapshot key file.`,
      { file },
    );
  }

  const decipher = createDecipheriv(CIPHER, key, header.iv);
  decipher.setAAD(headerBytes);
  decipher.setAuthTag(tag);
  const decoder = new RecordDecoder();
  const body = createReadStream(file, { start: FILE_HEADER_BYTES, end: actual.sizeBytes - GCM_TAG_BYTES - 1, highWaterMark: 1024 * 1024 });
  try {
    await pipeline(body, decipher, decompressor(header.compression), checking(decoder), plain ?? discard());
  } catch (e) {
    if (isKnowdError(e)) throw e;
    // Past the key id check, a failed tag or a zlib error means altered bytes (or a bug in the writer).
    throw invalid(`Snapshot ${file} fails decryption or decompression (${describe(e)}): the file was altered or damaged; fetch it again.`, { file }, e);
  }
  const summary = decoder.end();
  const h = summary.header;
  if (h.index !== manifest.index || h.term !== manifest.term || h.createdAtMs !== manifest.createdAtMs || !sameMembership(h.membership, manifest.membership)) {
    throw invalid(`Snapshot ${file} does not match its manifest (index, term, membership or creation time differ).`, { file });
  }
  return { meta: { index: h.index, term: h.term, membership: h.membership }, manifest, header, summary };
}
