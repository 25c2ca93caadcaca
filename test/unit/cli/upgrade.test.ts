import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { rollback, upgrade, type UpgradeDeps } from '../../../src/cli/upgrade.js';
import { makeRelease } from '../../helpers/release.js';

interface Fake extends UpgradeDeps {
  readonly calls: string[];
}

/** An install root with releases/0.1.0 current, and deps whose health answers per version. */
function setup(t: ExecutionContext, healthy: (v: string) => boolean = () => true, restartFails = false): { root: string; dir: string; deps: Fake } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-upgrade-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'opt-knowd');
  fs.mkdirSync(path.join(root, 'releases', '0.1.0'), { recursive: true });
  fs.writeFileSync(path.join(root, 'releases', '0.1.0', 'package.json'), '{"name":"knowd","version":"0.1.0"}');
  fs.symlinkSync('releases/0.1.0', path.join(root, 'current'));
  const calls: string[] = [];
  const deps: Fake = {
    root,
    calls,
    restart: async () => {
      calls.push(`restart ${fs.readlinkSync(path.join(root, 'current'))}`);
      if (restartFails && calls.length === 1) throw new Error('Job for knowd.service failed');
    },
    waitHealthy: async (v) => {
      calls.push(`health ${v}`);
      return healthy(v);
    },
    progress: () => undefined,
  };
  return { root, dir, deps };
}

const link = (root: string, name: string): string => fs.readlinkSync(path.join(root, name));

/** Every path under `root` (links by target), for "nothing changed". */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const n of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = path.join(rel, n);
      const st = fs.lstatSync(path.join(root, r));
      out.push(st.isSymbolicLink() ? `${r} -> ${fs.readlinkSync(path.join(root, r))}` : r);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

test('upgrade: unpacks to releases/<version>, switches current, keeps previous, restarts and checks the new version', async (t) => {
  const { root, dir, deps } = setup(t);
  const r = await upgrade(await makeRelease(dir, { version: '0.2.0' }), deps);
  t.deepEqual(r, { from: '0.1.0', to: '0.2.0' });
  t.is(link(root, 'current'), 'releases/0.2.0');
  t.is(link(root, 'previous'), 'releases/0.1.0');
  t.is(fs.readFileSync(path.join(root, 'current', 'dist', 'src', 'cli', 'knowd.js'), 'utf8'), '// knowd\n');
  t.deepEqual(deps.calls, ['restart releases/0.2.0', 'health 0.2.0']);
  t.deepEqual(fs.readdirSync(path.join(root, 'releases')).sort(), ['0.1.0', '0.2.0'], 'no staging left');
  t.false(fs.existsSync(path.join(root, '.upgrade.pid')), 'unlocked');

  // --rollback swaps current and previous; twice returns.
  t.deepEqual(await rollback(deps), { from: '0.2.0', to: '0.1.0' });
  t.is(link(root, 'current'), 'releases/0.1.0');
  t.is(link(root, 'previous'), 'releases/0.2.0');
  t.deepEqual(await rollback(deps), { from: '0.1.0', to: '0.2.0' });
});

test('a release that does not come up healthy is rolled back by itself', async (t) => {
  const { root, dir, deps } = setup(t, (v) => v !== '0.3.0');
  await t.throwsAsync(upgrade(await makeRelease(dir, { version: '0.3.0' }), deps), { message: /did not answer healthy in time; rolled back to 0.1.0, which is healthy/ });
  t.is(link(root, 'current'), 'releases/0.1.0');
  t.false(fs.existsSync(path.join(root, 'previous')), 'previous as it was: none');
  t.deepEqual(deps.calls, ['restart releases/0.3.0', 'health 0.3.0', 'restart releases/0.1.0', 'health 0.1.0']);
  t.true(fs.existsSync(path.join(root, 'releases', '0.3.0')), 'the failed release stays for a look');
});

test('a failed restart is rolled back too; a tarball under one top directory is fine', async (t) => {
  const { root, dir, deps } = setup(t, () => true, true);
  await t.throwsAsync(upgrade(await makeRelease(dir, { version: '0.4.0-rc.1', top: 'knowd-0.4.0-rc.1' }), deps), { message: /Job for knowd.service failed; rolled back to 0.1.0/ });
  t.is(link(root, 'current'), 'releases/0.1.0');
  t.true(fs.existsSync(path.join(root, 'releases', '0.4.0-rc.1', 'package.json')));
});

test('bad tarballs are refused before anything changes', async (t) => {
  const { root, dir, deps } = setup(t);
  const before = tree(root);
  const cases: [Parameters<typeof makeRelease>[1], RegExp][] = [
    [{ version: '0.5.0', omit: ['dist/src/cli/knowd.js'] }, /lacks dist\/src\/cli\/knowd.js/],
    [{ version: '0.5.0', omit: ['node_modules/dep/index.js'] }, /lacks node_modules/],
    [{ version: '0.5.0', name: 'not-knowd' }, /names "not-knowd"/],
    [{ version: 'latest' }, /"latest" is not a version/],
    [{ version: '0.5.0', binLink: '/etc/passwd' }, /leaves node_modules/],
    [{ version: '0.5.0', binLink: '../../../etc/passwd' }, /leaves node_modules/],
    [{ version: '0.1.0' }, /already the current release/],
  ];
  for (const [rel, message] of cases) await t.throwsAsync(upgrade(await makeRelease(dir, rel), deps), { message }, message.source);
  const junk = path.join(dir, 'junk.tar.gz');
  fs.writeFileSync(junk, 'not a tarball at all');
  await t.throwsAsync(upgrade(junk, deps), { message: /Not a Knowd release tarball/ });
  await t.throwsAsync(upgrade(path.join(dir, 'absent.tar.gz'), deps), { message: /no such file/ });
  t.deepEqual(tree(root), before);
  t.deepEqual(deps.calls, [], 'never restarted');
  // npm's own relative .bin links are fine.
  t.like(await upgrade(await makeRelease(dir, { version: '0.5.0', binLink: '../dep/index.js' }), deps), { to: '0.5.0' });
});

test('rollback without a previous release is refused', async (t) => {
  const { deps } = setup(t);
  await t.throwsAsync(rollback(deps), { message: /no previous release/ });
  t.deepEqual(deps.calls, []);
});
