/**
 * The daemon tunes its store from the hardware facts: KNOWD_HARDWARE_FILE (a fixture topology here),
 * shown with reasons in GET /v1/store/stats and logged once at start; a bad file stops start-up.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { getJson, knowd, startKnowd, tmpDir } from '../helpers/procs.js';
import { TWO_SOCKET } from '../helpers/hardware.js';

interface Tuned { value: unknown; reason: string }
interface Stats { mapSizeBytes: number; tuning: { hardware: { source: string; file?: string; numaNodes: number }; settings: Record<string, Tuned> } }

test('a 2-socket hardware file: interleave, with every value and reason in /v1/store/stats and the start log', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'hardware.json');
  fs.writeFileSync(file, JSON.stringify(TWO_SOCKET));
  const node = await startKnowd(t, { dataDir: path.join(dir, 'data'), args: ['--log-level', 'info'], env: { KNOWD_HARDWARE_FILE: file } });
  const stats = await getJson<Stats>(`${node.url}/v1/store/stats`);
  t.is(stats.tuning.hardware.source, 'file');
  t.is(stats.tuning.hardware.file, file);
  t.is(stats.tuning.hardware.numaNodes, 2);
  const s = stats.tuning.settings;
  t.deepEqual(s['numa']?.value, { policy: 'interleave', nodes: [0, 1], bindWorkers: false });
  t.is(s['noSync']?.value, false);
  t.is(s['mapSizeBytes']?.value, stats.mapSizeBytes, 'the store was opened with the chosen map size');
  for (const k of ['mapSizeBytes', 'maxReaders', 'readAhead', 'pageSizeBytes', 'noSync', 'noMetaSync', 'writeMap', 'pageCacheHints', 'numa']) t.true((s[k]?.reason.length ?? 0) > 10, k);
  await node.signal('SIGTERM');
  const lines = node.stdout().split('\n').filter((l) => l.includes('store tuned for this hardware'));
  t.is(lines.length, 1, 'logged once');
  t.regex(lines[0] ?? '', /"numa":\{"policy":"interleave"/);
});

test('without a hardware file the facts are detected at start', async (t) => {
  const dir = tmpDir(t);
  // The appliance default (/etc/knowd/hardware.json) does not exist on a dev box or CI.
  if (fs.existsSync('/etc/knowd/hardware.json')) {
    t.pass('this box has an appliance hardware file');
    return;
  }
  const node = await startKnowd(t, { dataDir: path.join(dir, 'data') });
  const stats = await getJson<Stats>(`${node.url}/v1/store/stats`);
  t.is(stats.tuning.hardware.source, 'detected');
  t.true(stats.tuning.hardware.numaNodes >= 1);
});

test('a bad KNOWD_HARDWARE_FILE stops start-up with exit 2 and one line naming the field', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'hardware.json');
  fs.writeFileSync(file, JSON.stringify({ ...TWO_SOCKET, numaNodes: [] }));
  const r = await knowd(t, ['--data-dir', path.join(dir, 'data'), '--addr', '127.0.0.1:0', '--hardware-file', file]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /is not a hardware description at numaNodes/);
  const missing = await knowd(t, ['--data-dir', path.join(dir, 'data'), '--addr', '127.0.0.1:0', '--hardware-file', path.join(dir, 'nope.json')]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /Cannot read hardware file/);
});
