/**
 * `knowdctl restore FILE`: puts a whole-node backup (daemon/backup.ts) back, with knowd stopped.
 *
 * Nothing in the data directory is touched until the backup has been checked in full: it is unpacked
 * into a staging directory inside the data directory (same filesystem, so the final moves are
 * renames), every file is checked against the manifest's size and SHA-256, the snapshot is verified
 * with the backup's own key and installed as a new store in the staging directory. Only then are the
 * current entries moved aside (into `.pre-restore-<time>/`) and the staged ones moved in; a failure
 * while moving puts the old entries back. The old data is deleted once everything is in place, unless
 * the operator keeps it. Entries are moved one by one, not the directory, because on the appliance
 * the data directory is a mount point.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { extract as tarExtract, list as tarList } from 'tar';
import { z } from 'zod';
import { KnowdError } from '../base/index.js';
import { readHardState } from '../replication/log/index.js';
import { KEYS_DIR, SNAPSHOT_KEY_FILE, loadOrCreateSnapshotKey, verifySnapshot } from '../replication/snapshot/index.js';
import { hashFile } from '../replication/snapshot/files.js';
import type { HardState } from '../replication/raft/types.js';
import { writeFileAtomic } from '../replication/join/index.js';
import { openLmdbStorage } from '../storage/lmdb/index.js';
import { BACKUP_FORMAT, BACKUP_MANIFEST, SETTINGS_ENTRY, type BackupManifest } from './backup.js';
import { lockDataDir } from './data-dir-lock.js';
import { installSnapshot } from './offline.js';

export interface RestoreOptions {
  /** The backup archive (a tar stream). */
  readonly input: Readable;
  readonly dataDir: string;
  /** Where the backup's settings go (the unit's EnvironmentFile); undefined: leave the settings alone. */
  readonly envFile?: string;
  /** Keep the replaced data in `.pre-restore-<time>/` instead of deleting it. */
  readonly keepOld: boolean;
  /** Snapshot key, when the backup carries none (keys kept outside the data directory). */
  readonly keyPath?: string;
}

export interface RestoreResult {
  readonly nodeId: string;
  readonly index: number;
  readonly term: number;
  readonly createdAt: string;
  /** Where the replaced data was kept (keepOld), if there was any. */
  readonly oldData?: string;
  readonly settingsWritten?: string;
  readonly notIncluded: readonly string[];
}

const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.string(),
  nodeId: z.string().min(1),
  version: z.string(),
  snapshot: z.object({ index: z.number().int().nonnegative(), term: z.number().int().nonnegative(), file: z.string() }),
  files: z.array(z.object({ path: z.string(), sizeBytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/), mode: z.number().int() })),
  notIncluded: z.array(z.string()),
});

/** Entries of the data directory that stay where they are: the lock, the socket, in-flight work. */
const KEEP = (name: string): boolean => name === 'knowd.pid' || name === 'admin.sock' || name.startsWith('.restore-') || name.startsWith('.pre-restore-') || name.startsWith('.backup-');

const bad = (message: string): KnowdError => new KnowdError('BAD_REQUEST', `Not a usable Knowd backup: ${message}`);

function allowedPath(entry: string): boolean {
  const p = entry.replace(/\/$/, '');
  const norm = path.posix.normalize(p);
  return norm === p && !norm.startsWith('..') && !path.posix.isAbsolute(norm) && (norm === BACKUP_MANIFEST || norm === 'data' || norm === 'settings' || norm.startsWith('data/') || norm.startsWith('settings/'));
}

async function unpack(input: Readable, stage: string): Promise<void> {
  const rejected: string[] = [];
  const x = tarExtract({
    cwd: stage,
    strict: true,
    // Only plain files and directories under the known roots: no links, devices or escapes.
    filter: (p, entry) => {
      const type = 'type' in entry ? entry.type : undefined;
      const ok = allowedPath(p) && (type === 'File' || type === 'OldFile' || type === 'Directory');
      if (!ok) rejected.push(p);
      return ok;
    },
  });
  try {
    await pipeline(input, x as unknown as NodeJS.WritableStream);
  } catch (e) {
    throw bad(`cannot unpack it: ${(e as Error).message}`);
  }
  if (rejected.length > 0) throw bad(`unexpected entries ${rejected.slice(0, 5).join(', ')}`);
}

function parseBackupManifest(text: string): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw bad(`${BACKUP_MANIFEST} is not JSON (${(e as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw bad(`${BACKUP_MANIFEST}: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
  const m = parsed.data;
  const listed = new Set(m.files.map((f) => f.path));
  if (!listed.has(m.snapshot.file)) throw bad(`the snapshot ${m.snapshot.file} is not among its files`);
  if (!listed.has('data/node-id')) throw bad('it has no node identity (data/node-id)');
  for (const f of m.files) if (!allowedPath(f.path)) throw bad(`file ${f.path} lies outside data/ and settings/`);
  return m;
}

type Digest = { readonly sizeBytes: number; readonly sha256: string } | undefined;

async function compareFiles(m: BackupManifest, actual: (p: string) => Promise<Digest>): Promise<void> {
  for (const f of m.files) {
    const h = await actual(f.path);
    if (h === undefined) throw bad(`file ${f.path} is missing`);
    if (h.sizeBytes !== f.sizeBytes || h.sha256 !== f.sha256) throw bad(`file ${f.path} is damaged (SHA-256 mismatch)`);
  }
}

async function checkFiles(stage: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = fs.readFileSync(path.join(stage, BACKUP_MANIFEST), 'utf8');
  } catch {
    throw bad(`it has no ${BACKUP_MANIFEST}`);
  }
  const m = parseBackupManifest(text);
  await compareFiles(m, async (p) => (fs.existsSync(path.join(stage, p)) ? hashFile(path.join(stage, p)) : undefined));
  for (const f of m.files) fs.chmodSync(path.join(stage, f.path), f.mode & 0o700);
  return m;
}

/**
 * Reads a backup archive through once and checks it without unpacking anything: the manifest, and
 * every file's size and SHA-256 (knowdctl backup re-reads what it wrote; restore --check).
 */
export async function checkBackupStream(input: Readable): Promise<BackupManifest> {
  const seen = new Map<string, Digest>();
  let manifestText: string | undefined;
  const lister = tarList({
    strict: true,
    onReadEntry: (entry) => {
      const hash = createHash('sha256');
      const parts: Buffer[] = [];
      let size = 0;
      const isManifest = entry.path === BACKUP_MANIFEST;
      entry.on('data', (c: Buffer) => {
        hash.update(c);
        size += c.length;
        if (isManifest) parts.push(c);
      });
      // An entry cut off by a truncated archive never ends, and so is never counted as seen.
      entry.on('end', () => {
        if (entry.type === 'File' || entry.type === 'OldFile') seen.set(entry.path, { sizeBytes: size, sha256: hash.digest('hex') });
        if (isManifest) manifestText = Buffer.concat(parts).toString('utf8');
      });
    },
  });
  try {
    await pipeline(input, lister as unknown as NodeJS.WritableStream);
  } catch (e) {
    throw bad(`cannot read it as a tar archive: ${(e as Error).message}`);
  }
  await new Promise((r) => setImmediate(r));
  if (manifestText === undefined) throw bad(`it has no ${BACKUP_MANIFEST}`);
  const m = parseBackupManifest(manifestText);
  await compareFiles(m, async (p) => seen.get(p));
  return m;
}

/** The replaced store's raft term and vote, when there is a store to read. */
async function currentHardState(dataDir: string): Promise<HardState | undefined> {
  if (!fs.existsSync(path.join(dataDir, 'store', 'data.mdb'))) return undefined;
  const storage = openLmdbStorage({ path: dataDir, readOnly: true });
  try {
    return storage.read((r) => readHardState(r));
  } finally {
    await storage.close();
  }
}

function chownTree(p: string, uid: number, gid: number): void {
  fs.lchownSync(p, uid, gid);
  if (fs.lstatSync(p).isDirectory()) for (const n of fs.readdirSync(p)) chownTree(path.join(p, n), uid, gid);
}

/** Moves every entry of `from` (but the kept ones) into `to`, recording each in `moved` as it goes, for undoing. */
function moveEntries(from: string, to: string, moved: string[]): void {
  for (const n of fs.readdirSync(from)) {
    if (KEEP(n)) continue;
    fs.renameSync(path.join(from, n), path.join(to, n));
    moved.push(n);
  }
}

export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  fs.mkdirSync(o.dataDir, { recursive: true, mode: 0o750 });
  const unlock = lockDataDir(o.dataDir);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const stage = path.join(o.dataDir, `.restore-${randomBytes(6).toString('hex')}`);
  const old = path.join(o.dataDir, `.pre-restore-${stamp}`);
  fs.mkdirSync(stage, { mode: 0o700 });
  try {
    // 1. Check everything, touching nothing outside the staging directory.
    await unpack(o.input, stage);
    const m = await checkFiles(stage);
    const staged = path.join(stage, 'data');
    const keyFile = path.join(staged, KEYS_DIR, SNAPSHOT_KEY_FILE);
    const keyPath = fs.existsSync(keyFile) ? keyFile : o.keyPath;
    if (keyPath === undefined) throw bad('it carries no snapshot key (it was kept outside the data directory); give --key');
    const key = await loadOrCreateSnapshotKey(staged, keyPath);
    const snapFile = path.join(stage, m.snapshot.file);
    const v = await verifySnapshot(snapFile, key);
    if (!v.ok) throw bad(`its snapshot does not verify: ${v.reason}`);
    await installSnapshot(staged, snapFile, key, 0, await currentHardState(o.dataDir));

    // 2. Swap: the current entries aside, the staged ones in; undo on failure.
    fs.mkdirSync(old, { mode: 0o700 });
    const movedOut: string[] = [];
    const movedIn: string[] = [];
    try {
      moveEntries(o.dataDir, old, movedOut);
      moveEntries(staged, o.dataDir, movedIn);
    } catch (e) {
      for (const n of movedIn) fs.renameSync(path.join(o.dataDir, n), path.join(staged, n));
      for (const n of movedOut) fs.renameSync(path.join(old, n), path.join(o.dataDir, n));
      fs.rmSync(old, { recursive: true, force: true });
      throw new KnowdError('INTERNAL', `Cannot move the restored data into ${o.dataDir}: ${(e as Error).message}; the old data is back in place`);
    }
    // Run as root on the appliance: the files must belong to knowd, as the directory does.
    if (process.getuid?.() === 0) {
      const st = fs.statSync(o.dataDir);
      for (const n of movedIn) chownTree(path.join(o.dataDir, n), st.uid, st.gid);
    }

    // 3. Settings, after the data (a failure here leaves a restored node with its old settings).
    let settingsWritten: string | undefined;
    const settings = path.join(stage, SETTINGS_ENTRY);
    if (o.envFile !== undefined && fs.existsSync(settings)) {
      let mode = 0o640;
      if (fs.existsSync(o.envFile)) {
        mode = fs.statSync(o.envFile).mode & 0o777;
        fs.copyFileSync(o.envFile, `${o.envFile}.pre-restore`);
      }
      writeFileAtomic(o.envFile, fs.readFileSync(settings), mode);
      settingsWritten = o.envFile;
    }
    const hadOld = movedOut.length > 0;
    if (!o.keepOld || !hadOld) fs.rmSync(old, { recursive: true, force: true });
    return {
      nodeId: m.nodeId,
      index: m.snapshot.index,
      term: m.snapshot.term,
      createdAt: m.createdAt,
      ...(o.keepOld && hadOld && { oldData: old }),
      ...(settingsWritten !== undefined && { settingsWritten }),
      notIncluded: m.notIncluded,
    };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
    unlock();
  }
}
