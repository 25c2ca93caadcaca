import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { ADMIN_CREDENTIAL_FILE, hashAdminPassword, readAdminCredential, verifyAdminPassword, writeAdminCredential } from '../../../src/base/index.js';
import { knowdctl, tmpDir } from '../../helpers/procs.js';

// A low cost keeps the unit tests quick; the default cost is exercised by the knowdctl test.
const CHEAP = { N: 1024, r: 8, p: 1 };

test('a hashed password verifies, a wrong one does not, and the hash never holds the password', async (t) => {
  const cred = await hashAdminPassword('correct horse battery', new Date(0), CHEAP);
  t.true(await verifyAdminPassword(cred, 'correct horse battery'));
  t.false(await verifyAdminPassword(cred, 'correct horse batterz'));
  t.false(await verifyAdminPassword(cred, ''));
  t.false(JSON.stringify(cred).includes('horse'));
  const again = await hashAdminPassword('correct horse battery', new Date(0), CHEAP);
  t.not(again.salt, cred.salt, 'every hash has its own salt');
});

test('a password shorter than the minimum is refused with a clear error', async (t) => {
  const e = await t.throwsAsync(hashAdminPassword('short', new Date(0), CHEAP));
  t.regex(e.message, /at least 12 characters/);
});

test('the credential file round-trips, is private, and is replaced whole', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-cred-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.is(await readAdminCredential(dir), undefined);
  await writeAdminCredential(dir, await hashAdminPassword('first password!', new Date(0), CHEAP));
  await writeAdminCredential(dir, await hashAdminPassword('second password!', new Date(0), CHEAP));
  const file = path.join(dir, ADMIN_CREDENTIAL_FILE);
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  const cred = await readAdminCredential(dir);
  t.truthy(cred);
  t.true(await verifyAdminPassword(cred!, 'second password!'));
  t.false(await verifyAdminPassword(cred!, 'first password!'));
  t.deepEqual(fs.readdirSync(dir), [ADMIN_CREDENTIAL_FILE], 'no temporary file is left behind');
});

test('a malformed credential file is an error naming the fix, not a silent "no password"', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-cred-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, ADMIN_CREDENTIAL_FILE), '{"algorithm":"md5"}');
  const e = await t.throwsAsync(readAdminCredential(dir));
  t.regex(e.message, /knowdctl admin set-password/);
});

test('knowdctl admin set-password reads the password from stdin, offline', async (t) => {
  const dir = tmpDir(t);
  const r = await knowdctl(t, ['--data-dir', dir, '--json', 'admin', 'set-password'], { input: 'a long enough secret\n' });
  t.is(r.code, 0, r.stderr);
  t.false(r.stdout.includes('secret'));
  const cred = await readAdminCredential(dir);
  t.true(await verifyAdminPassword(cred!, 'a long enough secret'));
  const short = await knowdctl(t, ['--data-dir', dir, 'admin', 'set-password'], { input: 'tiny\n' });
  t.is(short.code, 1);
  t.regex(short.stderr, /at least 12 characters/);
  t.true(await verifyAdminPassword((await readAdminCredential(dir))!, 'a long enough secret'), 'a refused password changes nothing');
});
