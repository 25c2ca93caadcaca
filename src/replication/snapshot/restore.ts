/**
 * Installs a snapshot in place of the store's state. Everything that can fail on the file's account
 * fails before the store is touched: the whole file is checked (SHA-256, GCM tag, decompression,
 * record structure, trailer) while the plain record stream goes to a temporary file beside the
 * snapshot; only then does one write transaction replace the tables from that file. If that
 * transaction throws, nothing of it commits.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Storage, WriteTxn } from '../../storage/index.js';
import { TABLES } from '../../storage/index.js';
import type { SnapshotMeta } from '../raft/types.js';
import { checkSnapshotFile } from './decode.js';
import { FileSink, tempPath, invalid } from './files.js';
import { RecordDecoder, snapshotRanges } from './format.js';

const READ_BLOCK_BYTES = 1024 * 1024;

/**
 * Replaces every snapshotted table of `storage` (all but `log`, and `meta` except its `raft/` keys)
 * with the snapshot's records, empties `log`, and calls `onTxn` in the same transaction so the driver
 * records its raft and log metadata atomically with the data. Returns the snapshot's metadata.
 * Runs the apply synchronously (Storage.write's contract), so the event loop is busy for its duration.
 */
export async function restoreSnapshot(storage: Storage, file: string, key: Buffer, onTxn?: (w: WriteTxn, meta: SnapshotMeta) => void): Promise<SnapshotMeta> {
  const plainPath = tempPath(dirname(file), '.plain');
  try {
    const handle = await open(plainPath, 'wx', 0o600);
    let checked;
    try {
      checked = await checkSnapshotFile(file, key, new FileSink(handle));
    } finally {
      await handle.close();
    }
    const { meta, summary } = checked;
    await storage.write((w) => {
      for (const table of TABLES) {
        if (table === 'log') w.delRange(table, {});
        else for (const range of snapshotRanges(table)) w.delRange(table, range);
      }
      const decoder = new RecordDecoder((r) => w.put(r.table, r.key, r.value));
      const fd = openSync(plainPath, 'r');
      try {
        // One block for the whole file: the decoder copies what it keeps across reads and the
        // storage copies what it puts, so memory stays flat however large the snapshot.
        const block = Buffer.allocUnsafe(READ_BLOCK_BYTES);
        for (;;) {
          const n = readSync(fd, block, 0, READ_BLOCK_BYTES, null);
          if (n === 0) break;
          decoder.push(block.subarray(0, n), true);
        }
      } finally {
        closeSync(fd);
      }
      // The temporary file was checked as it was written; reading back something else means the
      // disk changed it under us, and the transaction must not commit.
      if (decoder.end().records !== summary.records) throw invalid(`The plain copy of snapshot ${file} changed on disk during restore.`, { file });
      onTxn?.(w, meta);
    });
    return meta;
  } finally {
    await rm(plainPath, { force: true });
  }
}
