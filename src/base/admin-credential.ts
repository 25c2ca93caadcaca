import { randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KnowdError } from './errors.js';
import { fsyncDir } from './secret-file.js';

/**
 * The admin credential of a node: a scrypt hash of the password the provisioner (or an operator with
 * `knowdctl admin set-password`) set, in `<dataDir>/admin.credential`, mode 0600. The password itself is
 * never stored or logged. scrypt because node:crypto has it built in and it is memory-hard.
 */
export interface AdminCredential {
  readonly algorithm: 'scrypt';
  /** Cost parameters, kept with the hash so they can be raised later without breaking old files. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly hash: string;
  readonly setAt: string;
}

export const ADMIN_CREDENTIAL_FILE = 'admin.credential';
export const ADMIN_PASSWORD_MIN_LENGTH = 12;
const KEY_BYTES = 32;
const DEFAULT_COST = { N: 1 << 15, r: 8, p: 1 } as const;

function scrypt(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  // maxmem must cover 128·N·r bytes, or node refuses the default-cost hash.
  const maxmem = 256 * (opts.N ?? DEFAULT_COST.N) * (opts.r ?? DEFAULT_COST.r);
  return new Promise((resolve, reject) => scryptCb(password, salt, KEY_BYTES, { ...opts, maxmem }, (e, key) => (e === null ? resolve(key) : reject(e))));
}

export async function hashAdminPassword(password: string, now: Date = new Date(), cost: { N: number; r: number; p: number } = DEFAULT_COST): Promise<AdminCredential> {
  if (password.length < ADMIN_PASSWORD_MIN_LENGTH) {
    throw new KnowdError('BAD_REQUEST', `The admin password must have at least ${ADMIN_PASSWORD_MIN_LENGTH} characters`);
  }
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, cost);
  return { algorithm: 'scrypt', ...cost, salt: salt.toString('base64'), hash: key.toString('base64'), setAt: now.toISOString() };
}

export async function verifyAdminPassword(cred: AdminCredential, password: string): Promise<boolean> {
  const expected = Buffer.from(cred.hash, 'base64');
  const key = await scrypt(password, Buffer.from(cred.salt, 'base64'), { N: cred.N, r: cred.r, p: cred.p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

function parseCredential(text: string, path: string): AdminCredential {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new KnowdError('INTERNAL', `The admin credential file "${path}" is not JSON; set the password again with "knowdctl admin set-password"`);
  }
  const o = v as Partial<Record<keyof AdminCredential, unknown>>;
  const ok = o.algorithm === 'scrypt' && [o.N, o.r, o.p].every((x) => Number.isInteger(x) && (x as number) > 0)
    && typeof o.salt === 'string' && typeof o.hash === 'string' && typeof o.setAt === 'string';
  if (!ok) throw new KnowdError('INTERNAL', `The admin credential file "${path}" is malformed; set the password again with "knowdctl admin set-password"`);
  return o as AdminCredential;
}

/** The credential of a data directory, or undefined when none was set. */
export async function readAdminCredential(dataDir: string): Promise<AdminCredential | undefined> {
  const path = join(dataDir, ADMIN_CREDENTIAL_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return parseCredential(text, path);
}

/** Replaces the credential atomically (write a private temp file, fsync, rename over). */
export async function writeAdminCredential(dataDir: string, cred: AdminCredential): Promise<void> {
  const path = join(dataDir, ADMIN_CREDENTIAL_FILE);
  const tmp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(`${JSON.stringify(cred)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } finally {
    await rm(tmp, { force: true });
  }
}
