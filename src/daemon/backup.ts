/**
 * A whole-node backup (knowdctl backup): one tar stream holding
 *   knowd-backup.json        the manifest (format, node id, version, snapshot index/term, every file's SHA-256)
 *   data/node-id             the node's identity
 *   data/keys/…              receipt signing key and snapshot key
 *   data/cluster/…           cluster id, CA, node certificate and key, cluster.env, join tokens
 *   data/snapshots/…         a snapshot taken for this backup: the store consistent at one log index
 *   data/audit.log           the audit trail
 *   settings/knowd.env       the KNOWD_* settings this knowd runs with (the unit's EnvironmentFile)
 * The archive holds private keys: it is served on the admin socket only and knowdctl writes it 0600.
 * The snapshot inside is AES-256-GCM encrypted, but with a key that travels beside it.
 *
 * Built by knowd itself, not by knowdctl reading the data directory: the files are knowd's (0600), and
 * an operator in the `knowd` group may use the socket but not read them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { create as tarCreate } from 'tar';
import { KnowdError } from '../base/index.js';
import type { Config } from '../config/index.js';
import { KEYS_DIR, manifestPathOf } from '../replication/snapshot/index.js';
import { hashFile } from '../replication/snapshot/files.js';
import type { LocalSnapshot } from '../replication/node/index.js';

export const BACKUP_FORMAT = 1;
export const BACKUP_MANIFEST = 'knowd-backup.json';
/** Data-directory entries a backup carries (besides the snapshot); the store itself travels as the snapshot. */
export const BACKUP_DATA_ENTRIES = ['node-id', KEYS_DIR, 'cluster', 'audit.log'] as const;
export const SETTINGS_ENTRY = 'settings/knowd.env';

export interface BackupFile {
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly mode: number;
}

export interface BackupManifest {
  readonly format: number;
  readonly createdAt: string;
  readonly nodeId: string;
  readonly version: string;
  readonly snapshot: { readonly index: number; readonly term: number; readonly file: string };
  readonly files: readonly BackupFile[];
  /** Files the node uses that are not in the backup (keys configured outside the data directory). */
  readonly notIncluded: readonly string[];
}

export interface BackupSource {
  readonly config: Config;
  readonly nodeId: string;
  readonly version: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  snapshotNow(): Promise<LocalSnapshot | undefined>;
}

function listFiles(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch {
    return [];
  }
  if (st.isFile()) return [rel];
  if (!st.isDirectory()) return [];
  return fs.readdirSync(abs).sort().flatMap((n) => listFiles(root, path.join(rel, n)));
}

/** The KNOWD_* environment as an EnvironmentFile (values quoted only when they need it). */
export function settingsEnv(env: Readonly<Record<string, string | undefined>>): string {
  const lines = Object.entries(env)
    .filter((e): e is [string, string] => e[0].startsWith('KNOWD_') && e[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${/^[A-Za-z0-9_./:,@%+-]*$/.test(v) ? v : JSON.stringify(v)}`);
  return `# Knowd settings at backup time (systemd EnvironmentFile syntax)\n${lines.join('\n')}\n`;
}

/**
 * Takes a snapshot and stages the backup's files under a private directory in the data directory
 * (same filesystem: the snapshot is hard-linked, so a later snapshot's pruning cannot pull it away);
 * the stream removes the staging directory when it ends or fails.
 */
export async function createBackup(src: BackupSource): Promise<{ stream: Readable; manifest: BackupManifest }> {
  const { dataDir } = src.config;
  const snap = await src.snapshotNow();
  if (snap === undefined) throw new KnowdError('NOT_SUPPORTED', 'This node keeps no snapshots (memory store): there is nothing to back up');
  const stage = path.join(dataDir, `.backup-${randomBytes(6).toString('hex')}`);
  fs.mkdirSync(stage, { mode: 0o700 });
  try {
    const put = (rel: string, from: string, link: boolean): void => {
      const to = path.join(stage, rel);
      fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
      if (link) fs.linkSync(from, to);
      else fs.copyFileSync(from, to);
    };
    // Small files are copied (the audit log grows while it is read); the snapshot is linked.
    for (const entry of BACKUP_DATA_ENTRIES) for (const rel of listFiles(dataDir, entry)) put(path.join('data', rel), path.join(dataDir, rel), false);
    const snapName = path.basename(snap.path);
    put(path.join('data', 'snapshots', snapName), snap.path, true);
    const snapManifest = manifestPathOf(snap.path);
    if (fs.existsSync(snapManifest)) put(path.join('data', 'snapshots', path.basename(snapManifest)), snapManifest, false);
    fs.mkdirSync(path.join(stage, 'settings'), { mode: 0o700 });
    fs.writeFileSync(path.join(stage, SETTINGS_ENTRY), settingsEnv(src.env), { mode: 0o600 });

    const files: BackupFile[] = [];
    for (const rel of [...listFiles(stage, 'data'), ...listFiles(stage, 'settings')]) {
      const abs = path.join(stage, rel);
      const h = await hashFile(abs);
      files.push({ path: rel.split(path.sep).join('/'), sizeBytes: h.sizeBytes, sha256: h.sha256, mode: fs.statSync(abs).mode & 0o777 });
    }
    const external = [src.config.signingKeyPath, src.config.snapshotKeyPath, src.config.mtlsCertPath, src.config.mtlsKeyPath, src.config.mtlsCaPath]
      .filter((p): p is string => p !== undefined && !path.resolve(p).startsWith(path.resolve(dataDir) + path.sep));
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: new Date().toISOString(),
      nodeId: src.nodeId,
      version: src.version,
      snapshot: { index: snap.meta.index, term: snap.meta.term, file: `data/snapshots/${snapName}` },
      files,
      notIncluded: external,
    };
    fs.writeFileSync(path.join(stage, BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    // The manifest first, so a reader can check the rest against it as it streams by.
    const pack = tarCreate({ cwd: stage, portable: true }, [BACKUP_MANIFEST, 'data', 'settings']);
    // tar's minipass stream, as a Node Readable (fastify streams it; destroy() on a client abort).
    const stream = Readable.from(pack);
    let cleaned = false;
    const cleanup = (): void => {
      if (cleaned) return;
      cleaned = true;
      fs.rmSync(stage, { recursive: true, force: true });
    };
    stream.once('end', cleanup);
    stream.once('error', cleanup);
    stream.once('close', cleanup);
    pack.on('error', (e: unknown) => stream.destroy(e as Error));
    return { stream, manifest };
  } catch (e) {
    fs.rmSync(stage, { recursive: true, force: true });
    throw e;
  }
}

/** Staging directories a crash left behind (a backup in progress dies with its knowd). */
export function removeStaleBackups(dataDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dataDir);
  } catch {
    return;
  }
  for (const n of names) if (/^\.backup-[0-9a-f]{12}$/.test(n)) fs.rmSync(path.join(dataDir, n), { recursive: true, force: true });
}
