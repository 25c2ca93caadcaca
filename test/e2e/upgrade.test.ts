/**
 * knowdctl upgrade against a running knowd: the health check reads the admin socket, so a release
 * whose version the running knowd reports passes, and one it never reports is rolled back. The
 * restart is injected (`--restart-cmd true`): this test checks knowdctl, not systemd.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { VERSION } from '../../src/daemon/version.js';
import { knowdctl, startKnowd, tmpDir } from '../helpers/procs.js';
import { makeRelease } from '../helpers/release.js';

test('knowdctl upgrade: healthy → switched; not healthy → rolled back (exit 1); --rollback; usage errors exit 2', async (t) => {
  const dir = tmpDir(t, 'knowd-upgrade-');
  const dataDir = path.join(dir, 'data');
  await startKnowd(t, { dataDir });
  const root = path.join(dir, 'opt-knowd');
  fs.mkdirSync(path.join(root, 'releases', '0.0.9'), { recursive: true });
  fs.writeFileSync(path.join(root, 'releases', '0.0.9', 'package.json'), '{"name":"knowd","version":"0.0.9"}');
  fs.symlinkSync('releases/0.0.9', path.join(root, 'current'));
  const ctl = (args: readonly string[]) => knowdctl(t, ['--data-dir', dataDir, ...args], { timeoutMs: 60_000 });
  const opts = ['--root', root, '--restart-cmd', 'true', '--health-timeout', '3'];

  const ok = await ctl(['--json', 'upgrade', ...opts, await makeRelease(dir, { version: VERSION })]);
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  t.deepEqual(JSON.parse(ok.stdout), { from: '0.0.9', to: VERSION });
  t.is(fs.readlinkSync(path.join(root, 'current')), `releases/${VERSION}`);

  const failed = await ctl(['upgrade', ...opts, await makeRelease(dir, { version: '99.0.0' })]);
  t.is(failed.code, 1, failed.stdout);
  t.regex(failed.stderr, new RegExp(`rolled back to ${VERSION.replaceAll('.', '\\.')}, which is healthy`));
  t.is(fs.readlinkSync(path.join(root, 'current')), `releases/${VERSION}`);
  t.is(fs.readlinkSync(path.join(root, 'previous')), 'releases/0.0.9');

  const restartFails = await ctl(['upgrade', '--root', root, '--restart-cmd', 'echo unit not found >&2; exit 5', '--health-timeout', '1', await makeRelease(dir, { version: '99.0.1' })]);
  t.is(restartFails.code, 1);
  t.regex(restartFails.stderr, /unit not found/);

  for (const args of [['upgrade', '--root', root], ['upgrade', '--root', root, '--rollback', 'x.tar.gz'], ['upgrade', '--health-timeout', 'soon', 'x.tar.gz']]) {
    const r = await ctl(args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }

  // --rollback to 0.0.9: the running knowd never reports that version, so it comes back (exit 1).
  const back = await ctl(['upgrade', '--rollback', ...opts]);
  t.is(back.code, 1);
  t.is(fs.readlinkSync(path.join(root, 'current')), `releases/${VERSION}`);
});
