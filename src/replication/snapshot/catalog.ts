/**
 * The snapshots a node holds: listing (from manifests), a full check that touches no store, pruning
 * old ones, and the offer that announces one to a follower.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { assert } from '../../base/index.js';
import type { SnapshotMeta } from '../raft/types.js';
import type { SnapshotOffer } from '../transport/types.js';
import { checkSnapshotFile } from './decode.js';
import { MANIFEST_EXT, SNAPSHOT_EXT, TEMP_PREFIX, describe, errorCode, infoOf, manifestPathOf, parseManifest, parseSnapshotFileName, type SnapshotInfo } from './files.js';

function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return [];
    throw e;
  }
}

async function namesInAsync(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return [];
    throw e;
  }
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** Newest first (by index, then term). */
const newestFirst = (a: { index: number; term: number }, b: { index: number; term: number }): number => b.index - a.index || b.term - a.term;

/**
 * The snapshots in `dir`, newest first: each .knsnap whose manifest is readable, agrees with the
 * file name, and whose file has the manifest's size. A snapshot without one (a crash between
 * writing the file and its manifest) is not listed. A missing directory lists nothing.
 */
export function listSnapshots(dir: string): SnapshotInfo[] {
  const out: SnapshotInfo[] = [];
  for (const name of namesIn(dir)) {
    const id = parseSnapshotFileName(name);
    if (id === undefined) continue;
    const file = join(dir, name);
    const info = (() => {
      try {
        const m = parseManifest(JSON.parse(readFileSync(manifestPathOf(file), 'utf8')));
        return m === undefined ? undefined : infoOf(file, m);
      } catch {
        return undefined;
      }
    })();
    if (info === undefined || info.index !== id.index || info.term !== id.term || sizeOf(file) !== info.sizeBytes) continue;
    out.push(info);
  }
  return out.sort(newestFirst);
}

export type VerifyResult = { readonly ok: true; readonly meta: SnapshotMeta } | { readonly ok: false; readonly reason: string };

/**
 * Checks `file` as restore would — manifest, SHA-256, key id, GCM tag, decompression, record
 * structure and trailer — without touching any store or leaving any file.
 */
export async function verifySnapshot(file: string, key: Buffer): Promise<VerifyResult> {
  try {
    const { meta } = await checkSnapshotFile(file, key);
    return { ok: true, meta };
  } catch (e) {
    return { ok: false, reason: describe(e) };
  }
}

/**
 * Keeps the newest `keep` snapshots of `dir` and removes the rest, along with unlisted .knsnap
 * files (no valid manifest) older than the oldest kept snapshot and manifests whose file is gone.
 * Temporary files are left to removeTempFiles: they may belong to a snapshot in the making.
 * Returns the names removed.
 */
export async function pruneSnapshots(dir: string, keep: number): Promise<string[]> {
  assert(Number.isSafeInteger(keep) && keep >= 1, `pruneSnapshots keeps at least one snapshot (the log before it is gone), got ${keep}`);
  const listed = listSnapshots(dir);
  const kept = listed.slice(0, keep);
  const oldestKept = kept[kept.length - 1];
  const keptNames = new Set(kept.map((i) => i.name));
  const removed: string[] = [];
  const remove = async (name: string): Promise<void> => {
    await rm(join(dir, name), { force: true });
    removed.push(name);
  };
  // The snapshot file first: a manifest left by a crash here is dropped on the next prune.
  for (const info of listed.slice(keep)) {
    await remove(info.name);
    await remove(basename(info.manifestPath));
  }
  const names = await namesInAsync(dir);
  for (const name of names) {
    if (name.startsWith(TEMP_PREFIX) || keptNames.has(name) || removed.includes(name)) continue;
    if (name.endsWith(SNAPSHOT_EXT)) {
      const id = parseSnapshotFileName(name);
      // Newer unlisted files may be a snapshot whose manifest is being written right now.
      if (id !== undefined && oldestKept !== undefined && newestFirst(id, oldestKept) > 0) await remove(name);
    } else if (name.endsWith(MANIFEST_EXT) && name.startsWith('snap-')) {
      const file = name.slice(0, -MANIFEST_EXT.length) + SNAPSHOT_EXT;
      if (!names.includes(file) && parseSnapshotFileName(file) !== undefined) await remove(name);
    }
  }
  return removed;
}

/** Removes this module's temporary files left in `dir` by a crash. Call at start, before any snapshot work. */
export async function removeTempFiles(dir: string): Promise<string[]> {
  const names = await namesInAsync(dir);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** The offer that announces `info` to a follower before its chunks are streamed. */
export function offerOf(info: SnapshotInfo): SnapshotOffer {
  return {
    index: info.index,
    term: info.term,
    membership: { voters: [...info.membership.voters], learners: [...info.membership.learners] },
    sha256: info.sha256,
    sizeBytes: info.sizeBytes,
    name: info.name,
  };
}
