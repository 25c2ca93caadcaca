import { randomUUID } from 'node:crypto';
import { link, open, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a secret (a key) so that the file appears whole or not at all, mode 0600, and a concurrent
 * start never replaces one that already exists: the content goes to a private temporary file that
 * is then hard-linked into place, which fails if the name is taken (the caller then reads the
 * winner's). Used for the receipt-signing key and the snapshot key.
 */
export async function createSecretFileOnce(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      // The open mode is filtered by the umask; set it exactly.
      await handle.chmod(0o600);
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    await fsyncDir(dir);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Makes a directory entry (a rename or link into it) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
