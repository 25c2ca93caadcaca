/**
 * `systemd-analyze verify` on every unit of systemd/, offline: the units are checked against a root
 * holding the host's own unit files and stubs of the programs they start, so this runs on a host (or
 * container) that is not booted with systemd. CI installs the `systemd` package; without it this fails.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';

const REPO = path.resolve(import.meta.dirname, '../../..');
const UNITS = fs.readdirSync(path.join(REPO, 'systemd')).filter((f) => /\.(service|socket|timer|target|mount|path)$/.test(f));
/** Programs the units start, as the image installs them. */
const STUBS = ['/usr/local/bin/knowd', '/usr/local/sbin/knowd-provision', '/usr/bin/ssh-keygen'];
const HOST_UNITS = '/usr/lib/systemd/system';

function makeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-units-'));
  fs.mkdirSync(path.join(root, 'usr/lib/systemd'), { recursive: true });
  fs.cpSync(HOST_UNITS, path.join(root, HOST_UNITS), { recursive: true, verbatimSymlinks: true });
  for (const unit of UNITS) fs.copyFileSync(path.join(REPO, 'systemd', unit), path.join(root, HOST_UNITS, unit));
  for (const stub of STUBS) {
    fs.mkdirSync(path.dirname(path.join(root, stub)), { recursive: true });
    fs.writeFileSync(path.join(root, stub), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  }
  return root;
}

test('the unit files are there', (t) => {
  t.deepEqual(UNITS.sort(), ['knowd-provision.service', 'knowd-ssh-keygen.service', 'knowd.service']);
});

test('systemd-analyze verify passes on every unit', (t) => {
  t.true(fs.existsSync(HOST_UNITS), `${HOST_UNITS} is missing: install the systemd package`);
  const root = makeRoot();
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...UNITS], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
  t.is(r.error, undefined, 'systemd-analyze must be installed (apt-get install systemd)');
  // Warnings about the host's own units are not ours; any line naming one of ours is.
  const ours = (r.stderr ?? '').split('\n').filter((l) => UNITS.some((u) => l.includes(u)) || l.includes('knowd'));
  t.deepEqual(ours, [], r.stderr);
  t.is(r.status, 0, r.stderr);
});

test('verify notices a unit whose program is missing (the check is real)', (t) => {
  const root = makeRoot();
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.rmSync(path.join(root, 'usr/local/bin/knowd'));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'knowd.service'], { encoding: 'utf8' });
  t.not(r.status, 0);
  t.regex(r.stderr, /knowd is not executable/);
});
