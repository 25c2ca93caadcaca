/**
 * The snapshot encryption key on disk: 32 bytes for AES-256-GCM, stored as 64 hex digits and a
 * newline (so an operator can copy it between nodes with any tool). Every member of a cluster must
 * hold the SAME key — a follower decrypts the leader's snapshot — so the key generated at a node's
 * first start is right for a single node or the first member; the others need a copy of it.
 * The key never appears in a log line or an error message; its id (keyIdOf) may.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KnowdError, createSecretFileOnce } from '../../base/index.js';
import { KEY_ID_BYTES } from './format.js';
import { describe, errorCode } from './files.js';

export const SNAPSHOT_KEY_BYTES = 32;
export const KEYS_DIR = 'keys';
export const SNAPSHOT_KEY_FILE = 'snapshot-aes256.key';

/** Not secret: HMAC of a fixed label under the key, so a snapshot can say which key made it. */
export function keyIdOf(key: Buffer): Buffer {
  return createHmac('sha256', key).update('knowd snapshot key id').digest().subarray(0, KEY_ID_BYTES);
}

function parseKey(raw: Buffer, path: string): Buffer {
  const text = raw.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  throw new KnowdError(
    'CONFIG_INVALID',
    `Snapshot key file "${path}" must hold ${SNAPSHOT_KEY_BYTES} bytes as ${SNAPSHOT_KEY_BYTES * 2} hex digits (it holds ${raw.length} bytes of something else). ` +
      'Copy the key file from another cluster member, or remove it to have a new key generated (snapshots made with the old key then cannot be read).',
    { path },
  );
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

async function createKeyFile(_dir: string, path: string): Promise<void> {
  await createSecretFileOnce(path, `${randomBytes(SNAPSHOT_KEY_BYTES).toString('hex')}\n`);
}

/**
 * The key snapshots are encrypted with. With keyPath, that file must exist and hold the key (it is
 * the operator's, and its permissions are left alone); otherwise it is
 * `<dataDir>/keys/snapshot-aes256.key`, created with mode 0600 on first start.
 */
export async function loadOrCreateSnapshotKey(dataDir: string, keyPath?: string): Promise<Buffer> {
  if (keyPath !== undefined) {
    let raw: Buffer;
    try {
      raw = await readFile(keyPath);
    } catch (e) {
      throw new KnowdError(
        'CONFIG_INVALID',
        `Cannot load the snapshot key "${keyPath}": ${errorCode(e) === 'ENOENT' ? 'no such file' : describe(e)}. Copy it from another cluster member.`,
        { path: keyPath },
        { cause: e },
      );
    }
    return parseKey(raw, keyPath);
  }
  const dir = join(dataDir, KEYS_DIR);
  const path = join(dir, SNAPSHOT_KEY_FILE);
  let raw: Buffer;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    let existing = await readIfExists(path);
    if (existing === undefined) {
      await createKeyFile(dir, path);
      existing = await readFile(path);
    } else {
      // Tightens a key file someone loosened by hand.
      await chmod(path, 0o600);
    }
    raw = existing;
  } catch (e) {
    throw new KnowdError('CONFIG_INVALID', `Cannot load or create the snapshot key "${path}": ${describe(e)}`, { path }, { cause: e });
  }
  return parseKey(raw, path);
}
