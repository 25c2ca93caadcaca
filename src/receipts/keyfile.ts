/**
 * The IO edge of signing: the node's Ed25519 key on disk. Kept apart from signer.ts so that the
 * pure signing code does not import node:fs (ARCHITECTURE.md: only edges do IO).
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KnowdError, createSecretFileOnce } from '../base/index.js';
import { createEd25519Signer, generateSigningKeyPem, type Signer } from './signer.js';

export const KEYS_DIR = 'keys';
export const NODE_KEY_FILE = 'node-ed25519.pem';

function errorCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}


async function createKeyFile(_dir: string, path: string): Promise<void> {
  await createSecretFileOnce(path, generateSigningKeyPem());
}

async function loadDefaultKey(dataDir: string): Promise<Signer> {
  const dir = join(dataDir, KEYS_DIR);
  const path = join(dir, NODE_KEY_FILE);
  let pem: string;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Also tightens a keys directory or key file that someone loosened by hand.
    await chmod(dir, 0o700);
    const existing = await readIfExists(path);
    if (existing === undefined) {
      await createKeyFile(dir, path);
      pem = await readFile(path, 'utf8');
    } else {
      await chmod(path, 0o600);
      pem = existing;
    }
  } catch (e) {
    throw new KnowdError('CONFIG_INVALID', `Cannot load or create the signing key "${path}": ${describe(e)}`, { path }, { cause: e });
  }
  return createEd25519Signer(pem, `"${path}"`);
}

/**
 * The node's receipt signer. With explicitPath, that file must hold an Ed25519 private key (PKCS#8
 * PEM); otherwise the key is `<dataDir>/keys/node-ed25519.pem`, created on first start.
 */
export async function loadOrCreateSigningKey(dataDir: string, explicitPath?: string): Promise<Signer> {
  if (explicitPath === undefined) return loadDefaultKey(dataDir);
  let pem: string;
  try {
    pem = await readFile(explicitPath, 'utf8');
  } catch (e) {
    throw new KnowdError(
      'CONFIG_INVALID',
      `Cannot load signing key "${explicitPath}": ${errorCode(e) === 'ENOENT' ? 'no such file' : describe(e)}`,
      { path: explicitPath },
      { cause: e },
    );
  }
  return createEd25519Signer(pem, `"${explicitPath}"`);
}
