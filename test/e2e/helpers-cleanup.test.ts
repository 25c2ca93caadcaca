/** The e2e helpers' own hygiene: a test file ava stops (past its timeout) takes its processes with it. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import { ROOT, tmpDir } from '../helpers/procs.js';

const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a test process stopped with SIGTERM (as ava stops a timed-out file) stops the knowd it started', async (t) => {
  t.timeout(90_000);
  const dir = tmpDir(t);
  const driver = spawn(process.execPath, ['--import=tsx', path.join(ROOT, 'test/fixtures/scripts/start-knowd-and-wait.ts'), path.join(dir, 'data')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let knowdPid = 0;
  t.teardown(() => {
    for (const pid of [driver.pid, knowdPid]) if (pid !== undefined && pid > 0 && running(pid)) process.kill(pid, 'SIGKILL');
  });
  let err = '';
  driver.stderr.on('data', (c: Buffer) => (err += c.toString()));
  knowdPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    driver.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /knowd-pid (\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    driver.once('exit', (code) => reject(new Error(`the driver exited (${code}) before starting knowd: ${err.slice(-2000)}`)));
  });
  t.true(running(knowdPid));
  const exited = new Promise<number | null>((resolve) => driver.once('exit', (code) => resolve(code)));
  process.kill(driver.pid!, 'SIGTERM');
  t.is(await exited, 143);
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    gone = !running(knowdPid);
    if (!gone) await new Promise((r) => setTimeout(r, 50));
  }
  t.true(gone, `knowd (pid ${knowdPid}) outlived the test process that started it`);
});
