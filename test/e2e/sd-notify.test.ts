/**
 * knowd under a fake systemd: NOTIFY_SOCKET names a datagram socket that a python3 reader (the
 * test's side; Node cannot read unix datagrams) prints line by line. knowd must send READY=1 once it
 * serves, WATCHDOG=1 at half of WATCHDOG_USEC, and STOPPING=1 on SIGTERM — through the real
 * systemd-notify, barrier and all. Missing tools skip the test with the reason, except under CI=true.
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import { startKnowd, tmpDir } from '../helpers/procs.js';
import { until } from '../helpers/until.js';

const CI = process.env['CI'] === 'true';

function missing(): string | undefined {
  for (const tool of ['systemd-notify', 'python3']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (.ci/run installs it)`;
    }
  }
  return undefined;
}

// Prints each datagram on one line ("|" for newlines); systemd-notify's BARRIER=1 fd is closed by
// the kernel since recv() takes no ancillary data, which is what releases its barrier.
const READER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("LISTENING", flush=True)
while True:
    print(s.recv(65536).decode().replace("\\n", "|"), flush=True)
`;

const title = 'knowd sends READY=1 when it serves, WATCHDOG=1 pings, STOPPING=1 on SIGTERM';
const reason = missing();
if (reason === undefined) {
  test(title, async (t) => {
    const dir = tmpDir(t, 'knowd-notify-');
    const sock = path.join(dir, 'notify.sock');
    const reader = spawn('python3', ['-c', READER, sock], { stdio: ['ignore', 'pipe', 'pipe'] });
    const readerExited = new Promise((r) => reader.once('close', r));
    t.teardown(async () => {
      if (reader.pid !== undefined && reader.exitCode === null) process.kill(reader.pid, 'SIGKILL');
      await readerExited;
    });
    let text = '';
    reader.stdout.setEncoding('utf8');
    reader.stdout.on('data', (c: string) => (text += c));
    const lines = (): string[] => text.split('\n').filter((l) => l !== '');
    await until('the reader to listen', () => (lines().includes('LISTENING') ? true : undefined), 10_000);

    const node = await startKnowd(t, { dataDir: path.join(dir, 'data'), env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '300000' } });
    const ready = await until('READY=1', () => lines().find((l) => l.startsWith('READY=1')), 10_000);
    t.regex(ready, /STATUS=serving on http:\/\/127\.0\.0\.1:\d+/);
    // 150 ms pings: a few of them arrive while the node runs.
    await until('three watchdog pings', () => (lines().filter((l) => l === 'WATCHDOG=1').length >= 3 ? true : undefined), 10_000);
    const before = lines();
    t.true(before.indexOf(ready) < before.indexOf('WATCHDOG=1'), 'ready before the first ping');

    const exit = await node.signal('SIGTERM');
    t.is(exit.code, 0, node.stderr());
    await until('STOPPING=1', () => lines().find((l) => l.startsWith('STOPPING=1')), 5000);
  });
} else if (CI) test(title, (t) => t.fail(`CI must run this test, but ${reason}`));
else test.skip(`${title} — skipped: ${reason}`, () => undefined);
