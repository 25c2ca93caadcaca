/**
 * The snapshot key file: created once with mode 0600 in a 0700 directory, read back the same on
 * every start, refused with an actionable message when malformed, and never echoed in an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { KEYS_DIR, SNAPSHOT_KEY_FILE, keyIdOf, loadOrCreateSnapshotKey } from '../../../../src/replication/snapshot/index.js';
import { makeTempDir } from '../../../helpers/storages.js';

function inDir(title: string, fn: (t: ExecutionContext, dir: string) => Promise<void>): void {
  test(title, async (t) => {
    const dir = makeTempDir('knowd-snapkey-');
    try {
      await fn(t, dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

const mode = (p: string): number => fs.statSync(p).mode & 0o777;
const keyFile = (dir: string): string => path.join(dir, KEYS_DIR, SNAPSHOT_KEY_FILE);

inDir('first start creates a 32-byte key with mode 0600 in a 0700 directory; later starts read the same key', async (t, dir) => {
  const key = await loadOrCreateSnapshotKey(dir);
  t.is(key.length, 32);
  t.is(mode(keyFile(dir)), 0o600);
  t.is(mode(path.join(dir, KEYS_DIR)), 0o700);
  t.is(fs.readFileSync(keyFile(dir), 'latin1'), `${key.toString('hex')}\n`);
  t.true((await loadOrCreateSnapshotKey(dir)).equals(key));
  t.deepEqual(fs.readdirSync(path.join(dir, KEYS_DIR)), [SNAPSHOT_KEY_FILE], 'no temporary file stays');
});

inDir('starts racing on one data directory end with one key', async (t, dir) => {
  const keys = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateSnapshotKey(dir)));
  t.true(keys.every((k) => k.equals(keys[0]!)));
  t.deepEqual(fs.readdirSync(path.join(dir, KEYS_DIR)), [SNAPSHOT_KEY_FILE]);
});

inDir('a key file loosened by hand is tightened back to 0600', async (t, dir) => {
  const key = await loadOrCreateSnapshotKey(dir);
  fs.chmodSync(keyFile(dir), 0o644);
  t.true((await loadOrCreateSnapshotKey(dir)).equals(key));
  t.is(mode(keyFile(dir)), 0o600);
});

inDir('an explicit key file is read as given (upper-case hex, no newline) and must exist', async (t, dir) => {
  const file = path.join(dir, 'cluster.key');
  const hex = 'AB'.repeat(32);
  fs.writeFileSync(file, hex);
  t.true((await loadOrCreateSnapshotKey(dir, file)).equals(Buffer.from(hex, 'hex')));
  t.false(fs.existsSync(path.join(dir, KEYS_DIR)), 'no default key is made beside an explicit one');

  const e = await t.throwsAsync(loadOrCreateSnapshotKey(dir, path.join(dir, 'missing.key')), { instanceOf: KnowdError });
  t.is(e?.code, 'CONFIG_INVALID');
  t.regex(e?.message ?? '', /missing\.key": no such file\. Copy it from another cluster member/);
});

const BAD: [string, string | Buffer][] = [
  ['too short', 'ab'.repeat(31)],
  ['too long', 'ab'.repeat(33)],
  ['not hex', `${'zz'.repeat(32)}`],
  ['raw bytes', Buffer.alloc(32, 7)],
  ['empty', ''],
];

for (const [what, contents] of BAD) {
  inDir(`a key file that is ${what} is refused without echoing its contents`, async (t, dir) => {
    fs.mkdirSync(path.join(dir, KEYS_DIR), { recursive: true });
    fs.writeFileSync(keyFile(dir), contents);
    for (const explicit of [undefined, keyFile(dir)]) {
      const e = await t.throwsAsync(loadOrCreateSnapshotKey(dir, explicit), { instanceOf: KnowdError });
      t.is(e?.code, 'CONFIG_INVALID');
      t.regex(e?.message ?? '', /must hold 32 bytes as 64 hex digits .* Copy the key file from another cluster member, or remove it/);
      if (typeof contents === 'string' && contents.length > 0) t.false(e?.message.includes(contents), 'the contents are not echoed');
    }
    t.is(fs.readFileSync(keyFile(dir)).length, Buffer.from(contents).length, 'a bad key file is never replaced');
  });
}

test('the key id names a key without revealing it', (t) => {
  const a = Buffer.alloc(32, 1);
  const b = Buffer.alloc(32, 2);
  t.is(keyIdOf(a).length, 8);
  t.true(keyIdOf(a).equals(keyIdOf(Buffer.from(a))));
  t.false(keyIdOf(a).equals(keyIdOf(b)));
  t.false(a.includes(keyIdOf(a)));
});
