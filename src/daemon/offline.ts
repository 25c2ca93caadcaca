import path from 'node:path';
import { KnowdError } from '../base/index.js';
import { StoredLog, setAppliedIndex, writeMembership } from '../replication/log/index.js';
import { loadOrCreateSnapshotKey, restoreSnapshot, verifySnapshot, type VerifyResult } from '../replication/snapshot/index.js';
import type { SnapshotMeta } from '../replication/raft/types.js';
import { openLmdbStorage } from '../storage/lmdb/index.js';
import { lockDataDir } from './data-dir-lock.js';

/** Maintenance on a stopped node's data directory (knowdctl snapshot verify|restore). */

async function keyOf(dataDir: string, keyPath: string | undefined): Promise<Buffer> {
  return loadOrCreateSnapshotKey(dataDir, keyPath);
}

export async function verifySnapshotFile(file: string, dataDir: string, keyPath?: string): Promise<VerifyResult> {
  return verifySnapshot(path.resolve(file), await keyOf(dataDir, keyPath));
}

/**
 * Replaces the store of a stopped node with a snapshot, in one transaction: the state becomes the
 * snapshot's, the log restarts after it, and the node's own raft term and vote are kept. Refused
 * while knowd runs on the directory (its pid lock).
 */
export async function restoreSnapshotOffline(file: string, dataDir: string, keyPath?: string, mapSizeBytes = 0): Promise<SnapshotMeta> {
  const key = await keyOf(dataDir, keyPath);
  const unlock = lockDataDir(dataDir);
  try {
    const storage = openLmdbStorage({ path: dataDir, mapSizeBytes });
    try {
      const log = new StoredLog(storage);
      return await restoreSnapshot(storage, path.resolve(file), key, (w, meta) => {
        log.resetTo(w, meta);
        writeMembership(w, meta.membership);
        setAppliedIndex(w, meta.index);
      });
    } finally {
      await storage.close();
    }
  } catch (e) {
    if (e instanceof KnowdError) throw e;
    throw new KnowdError('INTERNAL', `Cannot restore "${file}" into "${dataDir}": ${(e as Error).message}`, {}, { cause: e });
  } finally {
    unlock();
  }
}
