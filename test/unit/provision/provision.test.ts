/**
 * The provisioner on a temporary root: everything it writes, and that a second run changes nothing.
 * systemd-sysusers and `systemctl --root enable` run for real (offline, on the temp root); commands that
 * touch the running machine (hostname, systemctl start) are recorded instead.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { verifyAdminPassword, readAdminCredential } from '../../../src/base/index.js';
import type { Hardware } from '../../../src/obs/index.js';
import { provision, type System } from '../../../src/provision/run.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const MID = 'c0ffee00aa55aa55aa55aa55aa55aa55';

function hw(numa: number): Hardware {
  return {
    arch: 'x64', cpuModel: 'Test CPU', logicalCpus: 4, physicalCores: 2, memoryBytes: 8 * 2 ** 30,
    numaNodes: Array.from({ length: numa }, (_, id) => ({ id, cpus: [id], memoryBytes: 2 ** 32 })),
    dataDisk: { kind: 'virtual', device: '/dev/vda', sizeBytes: 2e10, freeBytes: Math.random() * 1e10 },
    detectedAt: new Date().toISOString(),
  };
}

interface Fake extends System {
  readonly calls: string[];
  numa: number;
  active: boolean;
  host: string;
  readonly consoleText: string[];
}

function fakeSystem(): Fake {
  const calls: string[] = [];
  const consoleText: string[] = [];
  const sys: Fake = {
    calls, consoleText, numa: 1, active: false, host: 'debian',
    run: async (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      if (cmd === 'systemd-sysusers' || (cmd === 'systemctl' && args[0]?.startsWith('--root='))) {
        const r = spawnSync(cmd, [...args], { encoding: 'utf8' });
        return { code: r.status ?? 1, stdout: r.stdout };
      }
      if (cmd === 'hostname') sys.host = args[0]!;
      if (cmd === 'systemctl' && args[0] === 'is-active') return { code: sys.active ? 0 : 3, stdout: '' };
      if (cmd === 'systemctl' && args[0] === 'start') sys.active = true;
      return { code: 0, stdout: '' };
    },
    hostname: () => sys.host,
    detectHardware: async () => hw(sys.numa),
    randomPassword: () => `pw-${crypto.randomBytes(8).toString('hex')}`,
    randomSecret: () => crypto.randomBytes(36).toString('base64url'),
    console: (t) => consoleText.push(t),
    canChown: process.getuid?.() === 0,
  };
  return sys;
}

/** A root as the image ships it: units, sysusers/tmpfiles definitions, no knowd user yet. */
function makeRoot(t: { teardown(f: () => void): void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-prov-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const put = (p: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
    fs.writeFileSync(path.join(root, p), text);
  };
  put('etc/machine-id', `${MID}\n`);
  put('etc/hostname', 'debian\n');
  put('etc/hosts', '127.0.0.1\tlocalhost\n');
  put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
  put('etc/group', 'root:x:0:\n');
  put('usr/lib/sysusers.d/knowd.conf', fs.readFileSync(path.join(REPO, 'systemd/knowd.sysusers'), 'utf8'));
  put('usr/lib/systemd/system/knowd.service', fs.readFileSync(path.join(REPO, 'systemd/knowd.service'), 'utf8'));
  return root;
}

/** Every file and directory under root with its mode, owner, mtime and content hash. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const st = fs.lstatSync(p);
      const content = e.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : e.isSymbolicLink() ? fs.readlinkSync(p) : '';
      out[path.relative(root, p)] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs} ${content}`;
      if (e.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

const log = (): void => undefined;

test('first boot provisions everything; a second run changes nothing', async (t) => {
  const root = makeRoot(t);
  const sys = fakeSystem();
  const first = await provision({ root, system: sys, log });
  t.is(first.hostname, 'knowd-c0ffee00');
  t.is(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8'), 'knowd-c0ffee00\n');
  t.regex(fs.readFileSync(path.join(root, 'etc/hosts'), 'utf8'), /^127\.0\.1\.1\tknowd-c0ffee00$/m);
  t.regex(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), /^knowd:x:\d+:\d+:/m);
  const env = fs.readFileSync(path.join(root, 'etc/knowd/knowd.env'), 'utf8');
  t.regex(env, /^KNOWD_DATA_DIR=\/var\/lib\/knowd$/m);
  t.regex(env, /^KNOWD_GRPC_ADVERTISE=knowd-c0ffee00\.local:8091$/m);
  t.regex(env, /^KNOWD_DISCOVERY=avahi$/m);
  t.regex(env, /^KNOWD_TOKEN_SECRET=[A-Za-z0-9_-]{48}$/m);
  t.is(fs.statSync(path.join(root, 'etc/knowd/knowd.env')).mode & 0o777, 0o640);
  t.is(fs.statSync(path.join(root, 'var/lib/knowd')).mode & 0o777, 0o750);
  t.true(fs.statSync(path.join(root, 'etc/knowd/packs')).isDirectory());
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(root, 'etc/knowd/hardware.json'), 'utf8')).numaNodes.length, 1);
  t.false(fs.existsSync(path.join(root, 'etc/systemd/system/knowd.service.d/50-numa.conf')));
  // The generated password: a credential that verifies it, the console and the SSH-login notice.
  const password = fs.readFileSync(path.join(root, 'etc/knowd/initial-admin-password'), 'utf8').trim();
  t.is(fs.statSync(path.join(root, 'etc/knowd/initial-admin-password')).mode & 0o777, 0o600);
  const cred = await readAdminCredential(path.join(root, 'var/lib/knowd'));
  t.truthy(cred);
  t.true(await verifyAdminPassword(cred!, password));
  t.true(sys.consoleText.join('').includes(password));
  t.true(fs.readFileSync(path.join(root, 'etc/issue.d/knowd-admin-password.issue'), 'utf8').includes(password));
  t.false(first.changes.join('\n').includes(password), 'the journal never sees the password');
  t.true(fs.lstatSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/knowd.service')).isSymbolicLink());
  t.true(fs.existsSync(path.join(root, 'etc/knowd/provisioned')));
  t.true(sys.active);
  if (sys.canChown) {
    const st = fs.statSync(path.join(root, 'var/lib/knowd/admin.credential'));
    t.not(st.uid, 0, 'the credential belongs to knowd');
  }

  const before = snapshot(root);
  const callsBefore = sys.calls.length;
  sys.consoleText.length = 0;
  const second = await provision({ root, system: sys, log });
  t.deepEqual(second.changes, []);
  t.deepEqual(snapshot(root), before);
  t.deepEqual(sys.calls.slice(callsBefore), ['systemctl is-active --quiet knowd.service']);
  t.deepEqual(sys.consoleText, []);
});

test('operator edits to knowd.env survive; a deleted setting comes back', async (t) => {
  const root = makeRoot(t);
  const sys = fakeSystem();
  await provision({ root, system: sys, log });
  const file = path.join(root, 'etc/knowd/knowd.env');
  const edited = fs.readFileSync(file, 'utf8').replace(/^KNOWD_ADDR=.*$/m, 'KNOWD_ADDR=10.1.2.3:80').replace(/^KNOWD_DISCOVERY=.*\n/m, '') + 'KNOWD_LOG_LEVEL=debug\n';
  fs.writeFileSync(file, edited);
  const r = await provision({ root, system: sys, log });
  t.deepEqual(r.changes, ['settings in /etc/knowd/knowd.env']);
  t.is(fs.readFileSync(file, 'utf8'), `${edited}KNOWD_DISCOVERY=avahi\n`);
});

test('a seed names the host, sets the password and settings, adds SSH keys; no notice is shown', async (t) => {
  const root = makeRoot(t);
  const sys = fakeSystem();
  const seed = path.join(root, 'seed.json');
  const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests test@ci';
  fs.writeFileSync(seed, JSON.stringify({ version: 1, hostname: 'rack1-a', adminPassword: 'correct horse battery', settings: { KNOWD_LOG_LEVEL: 'debug', KNOWD_TOKEN_SECRET: 's'.repeat(40) }, sshAuthorizedKeys: [key] }));
  const r = await provision({ root, seedPath: seed, system: sys, log });
  t.is(r.hostname, 'rack1-a');
  t.is(sys.host, 'rack1-a');
  const env = fs.readFileSync(path.join(root, 'etc/knowd/knowd.env'), 'utf8');
  t.regex(env, /^KNOWD_LOG_LEVEL=debug$/m);
  t.regex(env, new RegExp(`^KNOWD_TOKEN_SECRET=${'s'.repeat(40)}$`, 'm'));
  t.is(env.match(/KNOWD_TOKEN_SECRET/g)?.length, 1);
  t.is(fs.readFileSync(path.join(root, 'root/.ssh/authorized_keys'), 'utf8'), `${key}\n`);
  t.true(await verifyAdminPassword((await readAdminCredential(path.join(root, 'var/lib/knowd')))!, 'correct horse battery'));
  t.false(fs.existsSync(path.join(root, 'etc/knowd/initial-admin-password')));
  t.deepEqual(sys.consoleText, []);
  const before = snapshot(root);
  t.deepEqual((await provision({ root, seedPath: seed, system: sys, log })).changes, []);
  t.deepEqual(snapshot(root), before);
});

test('a bad seed stops provisioning before anything changes', async (t) => {
  const root = makeRoot(t);
  const sys = fakeSystem();
  const seed = path.join(root, 'seed.json');
  fs.writeFileSync(seed, JSON.stringify({ version: 1, settings: { KNOWD_NOT_A_SETTING: '1' } }));
  const before = snapshot(root);
  await t.throwsAsync(provision({ root, seedPath: seed, system: sys, log }), { message: /unknown setting "KNOWD_NOT_A_SETTING"/ });
  t.deepEqual(snapshot(root), before);
  t.deepEqual(sys.calls, []);
});

test('the NUMA drop-in follows the hardware: written on two nodes, removed on one', async (t) => {
  const root = makeRoot(t);
  const sys = fakeSystem();
  sys.numa = 2;
  await provision({ root, system: sys, log });
  const dropIn = path.join(root, 'etc/systemd/system/knowd.service.d/50-numa.conf');
  t.regex(fs.readFileSync(dropIn, 'utf8'), /^NUMAPolicy=interleave\nNUMAMask=0,1$/m);
  sys.numa = 1;
  const r = await provision({ root, system: sys, log });
  t.false(fs.existsSync(dropIn));
  t.true(r.changes.some((c) => c.startsWith('hardware facts')));
});

test('the knowd-provision entry: bad usage exits 2, a bad seed exits 1 naming the field and changes nothing', (t) => {
  const main = path.join(REPO, 'dist/src/provision/main.js');
  t.true(fs.existsSync(main), 'run `npm run build` first (npm test does)');
  const usage = spawnSync(process.execPath, [main, '--bogus'], { encoding: 'utf8' });
  t.is(usage.status, 2);
  t.regex(usage.stderr, /^usage: knowd-provision/);
  const root = makeRoot(t);
  const seed = path.join(root, 'seed.json');
  fs.writeFileSync(seed, '{"version": 1, "hostname": "Not A Label"}');
  const before = snapshot(root);
  const bad = spawnSync(process.execPath, [main, '--root', root, '--seed', path.join(root, 'missing.json'), '--seed', seed], { encoding: 'utf8' });
  t.is(bad.status, 1);
  t.regex(bad.stderr, /seed .*seed\.json is invalid at "hostname"/);
  t.deepEqual(snapshot(root), before);
});
