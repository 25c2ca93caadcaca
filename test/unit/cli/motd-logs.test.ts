import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { journalctlArgs, showJournal } from '../../../src/cli/logs.js';
import { adminUrls, httpAddr, motdText } from '../../../src/cli/motd.js';

const NETS: NodeJS.Dict<os.NetworkInterfaceInfo[]> = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [
    { address: '10.1.2.3', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:12:34:56', internal: false, cidr: '10.1.2.3/24' },
    { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '52:54:00:12:34:56', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
    { address: '2001:db8::5', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '52:54:00:12:34:56', internal: false, cidr: '2001:db8::5/64', scopeid: 0 },
  ],
};

function tmp(t: { teardown(f: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-cli-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('admin URLs: the mDNS name and every LAN address on a wildcard; just the address otherwise', (t) => {
  t.deepEqual(adminUrls({ host: '', port: 8090 }, 'knowd-ab12.lan', NETS), ['http://knowd-ab12.local:8090/admin/', 'http://10.1.2.3:8090/admin/', 'http://[2001:db8::5]:8090/admin/']);
  t.deepEqual(adminUrls({ host: '0.0.0.0', port: 80 }, 'box', NETS), ['http://box.local:80/admin/', 'http://10.1.2.3:80/admin/']);
  t.deepEqual(adminUrls({ host: '10.1.2.3', port: 9000 }, 'box', NETS), ['http://10.1.2.3:9000/admin/']);
});

test('KNOWD_ADDR: the environment, else the settings file (quoted or not), else :8090', (t) => {
  const d = tmp(t);
  const file = path.join(d, 'knowd.env');
  fs.writeFileSync(file, '# settings\nKNOWD_DATA_DIR=/var/lib/knowd\nKNOWD_ADDR=":9090"\n');
  t.deepEqual(httpAddr({}, file), { host: '', port: 9090 });
  t.deepEqual(httpAddr({ KNOWD_ADDR: '127.0.0.1:7000' }, file), { host: '127.0.0.1', port: 7000 });
  t.deepEqual(httpAddr({}, path.join(d, 'absent')), { host: '', port: 8090 });
  fs.writeFileSync(file, 'KNOWD_ADDR=nonsense\n');
  t.deepEqual(httpAddr({}, file), { host: '', port: 8090 });
});

test('motd text: running (leader is this node) and not running', (t) => {
  const up = motdText({ running: true, version: '1.2.3', nodeId: 'n1', role: 'leader', leader: 'n1', health: 'ok', adminUrls: ['http://a.local:8090/admin/'] }, '/s');
  t.regex(up, /^Knowd 1\.2\.3 {2}node n1 {2}role leader {2}leader this node {2}health ok\n {2}admin UI: http:\/\/a\.local:8090\/admin\//);
  const down = motdText({ running: false, adminUrls: [] }, '/var/lib/knowd/admin.sock');
  t.is(down, 'knowd is not running (no answer on /var/lib/knowd/admin.sock); see `knowdctl logs`');
});

test('logs: journalctl for the unit; a clear error without journald or without journalctl', async (t) => {
  t.deepEqual(journalctlArgs({ unit: 'knowd.service', lines: 50, follow: true, json: false }), ['-u', 'knowd.service', '-n', '50', '--no-pager', '-o', 'short-iso', '-f']);
  t.deepEqual(journalctlArgs({ unit: 'knowd.service', lines: 5, follow: false, json: true }).slice(-2), ['-o', 'json']);
  const d = tmp(t);
  await t.throwsAsync(showJournal({ unit: 'knowd.service', lines: 1, follow: false, json: false }, { journalSocket: path.join(d, 'no-socket') }), { message: /journald is not running on this host/ });
  const sock = path.join(d, 'socket');
  fs.writeFileSync(sock, '');
  await t.throwsAsync(showJournal({ unit: 'knowd.service', lines: 1, follow: false, json: false }, { journalSocket: sock, journalctl: path.join(d, 'no-journalctl') }), { message: /is not installed/ });
  // A stand-in journalctl: its exit code comes back.
  const fake = path.join(d, 'journalctl');
  fs.writeFileSync(fake, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
  t.is(await showJournal({ unit: 'knowd.service', lines: 1, follow: false, json: false }, { journalSocket: sock, journalctl: fake }), 3);
});
