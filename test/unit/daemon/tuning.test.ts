import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { loadConfig } from '../../../src/config/index.js';
import { resolveHardware, tuneStore } from '../../../src/daemon/tuning.js';
import { createLogger } from '../../../src/obs/index.js';
import { ARM_8G } from '../../helpers/hardware.js';

const log = createLogger('silent');

function dir(t: { teardown(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-tuning-'));
  t.teardown(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('the appliance file is used when it exists; a damaged one falls back to detection; a set one must be good', async (t) => {
  const d = dir(t);
  const config = loadConfig(['--data-dir', d], {});
  const file = path.join(d, 'hardware.json');
  fs.writeFileSync(file, JSON.stringify(ARM_8G));
  const fromFile = await resolveHardware(config, log, file);
  t.is(fromFile.source, 'file');
  t.deepEqual(fromFile.hardware, ARM_8G);
  fs.writeFileSync(file, '{"arch": "x64"');
  t.is((await resolveHardware(config, log, file)).source, 'detected');
  t.is((await resolveHardware(config, log, path.join(d, 'absent.json'))).source, 'detected');
  const set = loadConfig(['--data-dir', d, '--hardware-file', file], {});
  await t.throwsAsync(resolveHardware(set, log, '/nonexistent'), { message: /not JSON/ });
});

test('tuneStore reads the store size from the data directory', async (t) => {
  const d = dir(t);
  fs.mkdirSync(path.join(d, 'store'));
  fs.writeFileSync(path.join(d, 'store', 'data.mdb'), Buffer.alloc(7 * 1024 * 1024));
  const report = tuneStore(loadConfig(['--data-dir', d], {}), { hardware: ARM_8G, source: 'file', file: '/etc/knowd/hardware.json' }, 2);
  t.is(report.dataBytesAtStart, 7 * 1024 * 1024);
  t.is(report.hardware.arch, 'arm64');
  t.is(report.hardware.dataDisk, 'ssd /dev/sda');
  t.true(report.settings.readAhead.value);
});
