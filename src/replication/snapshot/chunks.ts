/**
 * Snapshots in transit: the sender cuts the file into chunks, each with its own SHA-256 so damage is
 * caught where it arrives; the receiver writes them in order to a temporary file and publishes it
 * under its final name (with a manifest) only when every chunk and the whole file check out. A
 * rejected snapshot leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../../base/index.js';
import type { SnapshotChunk, SnapshotOffer } from '../transport/types.js';
import { CIPHER, FILE_HEADER_BYTES, GCM_TAG_BYTES, decodeFileHeader, isCount, isMembership } from './format.js';
import { FileSink, invalid, isSha256Hex, publish, sha256Hex, snapshotFileName, tempPath, SNAPSHOT_EXT, type SnapshotManifest } from './files.js';

/** The chunks of `file`, `chunkBytes` each (the last one shorter), read as they are consumed. */
export async function* readChunks(file: string, chunkBytes: number): AsyncIterable<SnapshotChunk> {
  assert(Number.isSafeInteger(chunkBytes) && chunkBytes > 0, `chunkBytes must be a positive integer, got ${chunkBytes}`);
  const handle = await open(file, 'r');
  try {
    let offset = 0;
    for (;;) {
      // A fresh buffer per chunk: the transport may still hold the previous one.
      const buf = Buffer.allocUnsafe(chunkBytes);
      let n = 0;
      while (n < chunkBytes) {
        const { bytesRead } = await handle.read(buf, n, chunkBytes - n, offset + n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      if (n === 0) return;
      const data = n === chunkBytes ? buf : buf.subarray(0, n);
      yield { offset, data, sha256: sha256Hex(data) };
      offset += n;
      if (n < chunkBytes) return;
    }
  } finally {
    await handle.close();
  }
}

function checkOffer(offer: SnapshotOffer): void {
  const ok =
    isCount(offer.index) &&
    offer.index > 0 &&
    isCount(offer.term) &&
    isMembership(offer.membership) &&
    isSha256Hex(offer.sha256) &&
    isCount(offer.sizeBytes) &&
    offer.sizeBytes >= FILE_HEADER_BYTES + GCM_TAG_BYTES;
  if (!ok) throw invalid(`The snapshot offer "${String(offer.name)}" is malformed (index, term, membership, sha256 or size).`, { name: offer.name });
}

/** Receives chunks into `handle`, checking each as it comes; returns the whole file's SHA-256. */
async function receiveInto(handle: FileHandle, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<string> {
  const hash = createHash('sha256');
  const sink = new FileSink(handle, hash);
  const what = `snapshot ${offer.name} (index ${offer.index})`;
  let expected = 0;
  for await (const chunk of chunks) {
    if (chunk.offset !== expected) {
      throw invalid(`Chunk of ${what} at offset ${chunk.offset} where ${expected} was expected (missing, repeated or reordered chunk); the sender should retry.`, { name: offer.name });
    }
    const data = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength);
    if (sha256Hex(data) !== chunk.sha256) {
      throw invalid(`Chunk of ${what} at offset ${chunk.offset} fails its SHA-256: damaged in flight; the sender should retry.`, { name: offer.name });
    }
    if (expected + data.length > offer.sizeBytes) {
      throw invalid(`Chunks of ${what} run past its offered size of ${offer.sizeBytes} bytes.`, { name: offer.name });
    }
    await sink.writeAll([data]);
    expected += data.length;
  }
  if (expected !== offer.sizeBytes) {
    throw invalid(`The stream of ${what} ended after ${expected} of ${offer.sizeBytes} bytes: truncated; the sender should retry.`, { name: offer.name });
  }
  return hash.digest('hex');
}

/**
 * Stores the snapshot streamed as `chunks` in `dir` and returns its path. Rejects with
 * SNAPSHOT_INVALID on a damaged, missing, repeated or reordered chunk, a size overrun or shortfall,
 * a whole-file SHA-256 mismatch, or a file header that disagrees with the offer; nothing then stays
 * on disk. Decryption is restore's job (the receiver may not even need the snapshot by then).
 */
export async function receiveSnapshot(dir: string, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<string> {
  checkOffer(offer);
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const tmp = tempPath(dir, `${SNAPSHOT_EXT}.part`);
  try {
    // Read back too: the file header is checked against the offer once all bytes are in.
    const handle = await open(tmp, 'wx+', 0o600);
    let sha256: string;
    const headerBytes = Buffer.alloc(FILE_HEADER_BYTES);
    try {
      sha256 = await receiveInto(handle, offer, chunks);
      if (sha256 !== offer.sha256) {
        throw invalid(`Snapshot ${offer.name} (index ${offer.index}) arrived whole but its SHA-256 is ${sha256}, not the offered ${offer.sha256}; the sender should retry.`, { name: offer.name });
      }
      await handle.read(headerBytes, 0, FILE_HEADER_BYTES, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const header = decodeFileHeader(headerBytes, offer.name);
    if (header.index !== offer.index || header.term !== offer.term) {
      throw invalid(`Snapshot ${offer.name} holds index ${header.index} term ${header.term}, but was offered as index ${offer.index} term ${offer.term}.`, { name: offer.name });
    }
    const manifest: SnapshotManifest = {
      formatVersion: header.formatVersion,
      index: offer.index,
      term: offer.term,
      membership: { voters: [...offer.membership.voters], learners: [...offer.membership.learners] },
      sha256,
      sizeBytes: offer.sizeBytes,
      createdAtMs: header.createdAtMs,
      cipher: CIPHER,
      compression: header.compression,
    };
    return (await publish(tmp, join(dir, snapshotFileName(offer.index, offer.term)), manifest)).path;
  } finally {
    await rm(tmp, { force: true });
  }
}
