import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKnowdError } from '../../../src/base/index.js';
import {
  KEYS_DIR,
  NODE_KEY_FILE,
  createEd25519Signer,
  generateSigningKeyPem,
  loadOrCreateSigningKey,
  verifyEd25519,
} from '../../../src/receipts/index.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'knowd-receipts-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

function isConfigInvalid(e: unknown): boolean {
  return isKnowdError(e) && e.code === 'CONFIG_INVALID';
}

const data = new TextEncoder().encode('receipt hash bytes');

test('an Ed25519 signer signs what verifies with its public key, and nothing else', (t) => {
  const signer = createEd25519Signer(generateSigningKeyPem());
  const other = createEd25519Signer(generateSigningKeyPem());
  const sig = signer.sign(data);
  t.is(Buffer.from(signer.publicKey(), 'base64').length, 32);
  t.is(Buffer.from(sig, 'base64').length, 64);
  t.true(verifyEd25519(signer.publicKey(), data, sig));
  t.false(verifyEd25519(other.publicKey(), data, sig));
  t.false(verifyEd25519(signer.publicKey(), new TextEncoder().encode('other bytes'), sig));
  t.false(verifyEd25519(signer.publicKey(), data, 'not base64!'));
  t.false(verifyEd25519('AAAA', data, sig));
  // Ed25519 is deterministic: the same key signs the same bytes the same way on every node.
  t.is(signer.sign(data), sig);
});

test('the public key is the raw key of the PEM', (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = createEd25519Signer(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  t.is(signer.publicKey(), spki.subarray(spki.length - 32).toString('base64'));
});

test('a non-Ed25519 or malformed PEM is CONFIG_INVALID', (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const ed448 = generateKeyPairSync('ed448').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  for (const pem of [ec, ed448, 'not a key', '']) {
    t.true(isConfigInvalid(t.throws(() => createEd25519Signer(pem))), pem.slice(0, 40));
  }
});

test('the default key is created 0600 in a 0700 keys directory and reloaded identically', async (t) => {
  const dataDir = await tempDir(t);
  const first = await loadOrCreateSigningKey(dataDir);
  const keyPath = join(dataDir, KEYS_DIR, NODE_KEY_FILE);
  t.is(keyPath, join(dataDir, 'keys', 'node-ed25519.pem'));
  t.is(await modeOf(keyPath), 0o600);
  t.is(await modeOf(join(dataDir, KEYS_DIR)), 0o700);
  const pem = await readFile(keyPath, 'utf8');
  t.true(pem.startsWith('-----BEGIN PRIVATE KEY-----'));

  const second = await loadOrCreateSigningKey(dataDir);
  t.is(second.publicKey(), first.publicKey());
  t.is(second.sign(data), first.sign(data));
  t.is(await readFile(keyPath, 'utf8'), pem);
  // No temporary files are left beside the key.
  t.deepEqual(await readdir(join(dataDir, KEYS_DIR)), [NODE_KEY_FILE]);
});

test('concurrent first starts agree on one key', async (t) => {
  const dataDir = await tempDir(t);
  const signers = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSigningKey(dataDir)));
  t.is(new Set(signers.map((s) => s.publicKey())).size, 1);
  t.deepEqual(await readdir(join(dataDir, KEYS_DIR)), [NODE_KEY_FILE]);
});

test('loosened permissions on the default key are tightened', async (t) => {
  const dataDir = await tempDir(t);
  await loadOrCreateSigningKey(dataDir);
  const keyPath = join(dataDir, KEYS_DIR, NODE_KEY_FILE);
  await chmod(keyPath, 0o644);
  await chmod(join(dataDir, KEYS_DIR), 0o755);
  await loadOrCreateSigningKey(dataDir);
  t.is(await modeOf(keyPath), 0o600);
  t.is(await modeOf(join(dataDir, KEYS_DIR)), 0o700);
});

test('a default key file that is not Ed25519 is CONFIG_INVALID, not replaced', async (t) => {
  const dataDir = await tempDir(t);
  await mkdir(join(dataDir, KEYS_DIR));
  const keyPath = join(dataDir, KEYS_DIR, NODE_KEY_FILE);
  await writeFile(keyPath, 'garbage');
  const error = await t.throwsAsync(loadOrCreateSigningKey(dataDir));
  t.true(isConfigInvalid(error));
  t.true(error?.message.includes(keyPath));
  t.is(await readFile(keyPath, 'utf8'), 'garbage');
});

test('an explicit key path is used as is and must exist', async (t) => {
  const dir = await tempDir(t);
  const pem = generateSigningKeyPem();
  const explicit = join(dir, 'my-key.pem');
  await writeFile(explicit, pem, { mode: 0o600 });
  const signer = await loadOrCreateSigningKey(join(dir, 'data'), explicit);
  t.is(signer.publicKey(), createEd25519Signer(pem).publicKey());
  // The explicit key replaces the default one, which is not created.
  await t.throwsAsync(stat(join(dir, 'data', KEYS_DIR)));

  const missing = await t.throwsAsync(loadOrCreateSigningKey(dir, join(dir, 'missing.pem')));
  t.true(isConfigInvalid(missing));
  t.regex(missing?.message ?? '', /missing\.pem.*no such file/);
});

test('an explicit key path that is not an Ed25519 key is CONFIG_INVALID', async (t) => {
  const dir = await tempDir(t);
  const rsa = join(dir, 'rsa.pem');
  await writeFile(rsa, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const wrongType = await t.throwsAsync(loadOrCreateSigningKey(dir, rsa));
  t.true(isConfigInvalid(wrongType));
  t.regex(wrongType?.message ?? '', /ec key.*Ed25519/);

  const publicOnly = join(dir, 'public.pem');
  await writeFile(publicOnly, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  t.true(isConfigInvalid(await t.throwsAsync(loadOrCreateSigningKey(dir, publicOnly))));

  t.true(isConfigInvalid(await t.throwsAsync(loadOrCreateSigningKey(dir, dir))));
});
