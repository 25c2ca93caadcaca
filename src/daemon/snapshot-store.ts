import fs from 'node:fs';
import type { LocalSnapshot, SnapshotStore } from '../replication/node/index.js';
import {
  createSnapshot, listSnapshots, manifestPathOf, loadOrCreateSnapshotKey, offerOf, pruneSnapshots, readChunks, receiveSnapshot, removeTempFiles, restoreSnapshot, verifySnapshot,
  type SnapshotInfo,
} from '../replication/snapshot/index.js';

function local(info: SnapshotInfo): LocalSnapshot & { readonly info: SnapshotInfo } {
  return { meta: { index: info.index, term: info.term, membership: info.membership }, path: info.path, sha256: info.sha256, sizeBytes: info.sizeBytes, createdAtMs: info.createdAtMs, info };
}

function infoOf(dir: string, s: LocalSnapshot): SnapshotInfo {
  const found = listSnapshots(dir).find((i) => i.path === s.path);
  if (found === undefined) throw new Error(`snapshot ${s.path} is no longer listed`);
  return found;
}

/** The node's snapshot store: files under `<dataDir>/snapshots`, encrypted with the cluster's key. */
export async function fileSnapshotStore(opts: { dir: string; dataDir: string; keyPath: string | undefined; chunkBytes: number }): Promise<SnapshotStore> {
  const key = await loadOrCreateSnapshotKey(opts.dataDir, opts.keyPath);
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o750 });
  await removeTempFiles(opts.dir);
  const { dir } = opts;
  return {
    async create(storage, metaOf) {
      return local(await createSnapshot(storage, dir, key, metaOf));
    },
    list: () => listSnapshots(dir).map(local),
    offer: (s) => offerOf(infoOf(dir, s)),
    chunks: (s) => readChunks(s.path, opts.chunkBytes),
    async receive(offer, chunks) {
      const path = await receiveSnapshot(dir, offer, chunks);
      const info = listSnapshots(dir).find((i) => i.path === path);
      if (info === undefined) throw new Error(`received snapshot ${path} is not listed`);
      return local(info);
    },
    async restore(storage, s, onTxn) {
      await restoreSnapshot(storage, s.path, key, (w) => onTxn(w));
    },
    verify: (s) => verifySnapshot(s.path, key),
    remove(s) {
      fs.rmSync(s.path, { force: true });
      fs.rmSync(manifestPathOf(s.path), { force: true });
    },
    prune(keep) {
      // Best effort: a file that cannot be removed now is removed by the next prune.
      pruneSnapshots(dir, keep).catch(() => undefined);
    },
  };
}
