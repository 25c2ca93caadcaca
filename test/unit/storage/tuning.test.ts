import test from 'ava';
import type { Hardware } from '../../../src/obs/index.js';
import { lmdbTuning, type LmdbTuning, type TuningHardware, type TuningInput } from '../../../src/storage/lmdb/index.js';
import { ARM_8G, EPYC_4NODE, FIXTURES, LAPTOP, TWO_SOCKET } from '../../helpers/hardware.js';

const GiB = 1024 ** 3;
const TiB = 1024 * GiB;
// obs's Hardware (hardware.json) is what the daemon passes: it must satisfy the tuning's facts as it is.
const asFacts = (h: Hardware): TuningHardware => h;
const tune = (hardware: Hardware, over: Partial<TuningInput> = {}): LmdbTuning =>
  lmdbTuning({ hardware: asFacts(hardware), dataBytes: 0, mapSizeSettingBytes: 0, queryWorkers: 4, ...over });

for (const [name, hw] of Object.entries(FIXTURES)) {
  test(`${name}: every value has a reason; never noSync/noMetaSync/writeMap; the map holds the data`, (t) => {
    for (const dataBytes of [0, 1 * GiB, hw.memoryBytes * 2]) {
      const tuning = tune(hw, { dataBytes });
      for (const [k, v] of Object.entries(tuning)) t.true(typeof (v as { reason: unknown }).reason === 'string' && (v as { reason: string }).reason.length > 10, `${k} has a reason`);
      t.false(tuning.noSync.value);
      t.false(tuning.noMetaSync.value);
      t.false(tuning.writeMap.value);
      t.true(tuning.mapSizeBytes.value >= dataBytes * 1.25, 'headroom over the data');
      t.is(tuning.mapSizeBytes.value % GiB, 0, 'whole GiB');
      t.true(tuning.maxReaders.value >= 126);
      t.false(tuning.numa.value.bindWorkers, 'workers are never pinned (see the reason)');
    }
  });
}

test('laptop: one node, map sized to grow to the disk, read-ahead on while the data fits, off once it outgrows memory', (t) => {
  const small = tune(LAPTOP, { dataBytes: 2 * GiB });
  t.is(small.numa.value.policy, 'default');
  t.regex(small.numa.reason, /one NUMA node/);
  t.is(small.mapSizeBytes.value, Math.ceil(0.5e12 / GiB) * GiB);
  t.regex(small.mapSizeBytes.reason, /data disk/);
  t.true(small.readAhead.value);
  t.false(small.pageCacheHints.value.includes('vm.zone_reclaim_mode=0'));
  const big = tune(LAPTOP, { dataBytes: 20 * GiB });
  t.false(big.readAhead.value);
  t.regex(big.readAhead.reason, /outgrows the page cache/);
  t.is(tune(LAPTOP, { dataBytes: 11 * GiB }).readAhead.value, true, 'below 3/4 of memory');
  t.is(tune(LAPTOP, { dataBytes: 13 * GiB }).readAhead.value, false, 'above 3/4 of memory');
});

test('2-socket server: interleave over both nodes, zone reclaim off, readers for 80 CPUs', (t) => {
  const tuning = tune(TWO_SOCKET, { dataBytes: 100 * GiB });
  t.deepEqual(tuning.numa.value, { policy: 'interleave', nodes: [0, 1], bindWorkers: false });
  t.regex(tuning.numa.reason, /NUMAPolicy=interleave/);
  t.regex(tuning.numa.reason, /not bound/);
  t.true(tuning.pageCacheHints.value.includes('vm.zone_reclaim_mode=0'));
  t.true(tuning.readAhead.value, '100 GiB fits in 256 GiB');
  t.is(tuning.maxReaders.value, 80 * 16);
  t.is(tuning.mapSizeBytes.value, Math.ceil(3.84e12 / GiB) * GiB);
});

test('4-node EPYC: interleave over four nodes; a 15 TB disk is capped at the 4 TiB address budget, raised past it by the data', (t) => {
  const tuning = tune(EPYC_4NODE, { dataBytes: 600 * GiB });
  t.deepEqual(tuning.numa.value.nodes, [0, 1, 2, 3]);
  t.is(tuning.numa.value.policy, 'interleave');
  t.is(tuning.mapSizeBytes.value, 4 * TiB);
  t.regex(tuning.mapSizeBytes.reason, /capped at 4096 GiB/);
  t.false(tuning.readAhead.value, '600 GiB outgrows 512 GiB');
  const huge = tune(EPYC_4NODE, { dataBytes: 5 * TiB });
  t.is(huge.mapSizeBytes.value, Math.ceil((5 * TiB * 1.25) / GiB) * GiB);
});

test('8 GiB ARM box: the map stays inside a 39-bit address space even on a large disk', (t) => {
  const tuning = tune(ARM_8G, { dataBytes: 1 * GiB });
  t.is(tuning.mapSizeBytes.value, Math.ceil(128e9 / GiB) * GiB);
  t.is(tuning.numa.value.policy, 'default');
  t.is(tuning.maxReaders.value, 126);
  const bigDisk = tune({ ...ARM_8G, dataDisk: { ...ARM_8G.dataDisk, sizeBytes: 2e12 } }, { dataBytes: 1 * GiB });
  t.is(bigDisk.mapSizeBytes.value, 256 * GiB);
  t.regex(bigDisk.mapSizeBytes.reason, /39-bit/);
  t.false(tune(ARM_8G, { dataBytes: 7 * GiB }).readAhead.value);
});

test('KNOWD_MAP_SIZE wins and says so; an unknown disk grows to 16× memory', (t) => {
  const set = tune(LAPTOP, { mapSizeSettingBytes: 10 * GiB, dataBytes: 1 * GiB });
  t.is(set.mapSizeBytes.value, 10 * GiB);
  t.regex(set.mapSizeBytes.reason, /KNOWD_MAP_SIZE/);
  t.regex(tune(LAPTOP, { mapSizeSettingBytes: 1 * GiB, dataBytes: 2 * GiB }).mapSizeBytes.reason, /uses the file size/);
  const unknown = tune({ ...LAPTOP, dataDisk: { ...LAPTOP.dataDisk, kind: 'unknown', sizeBytes: 0 } });
  t.is(unknown.mapSizeBytes.value, 256 * GiB);
  t.regex(unknown.mapSizeBytes.reason, /16× memory/);
});

test('NUMA: memory-only nodes take part in the interleave, nodes without memory do not; a virtual disk gets a cache-mode hint', (t) => {
  const hw: Hardware = { ...TWO_SOCKET, numaNodes: [...TWO_SOCKET.numaNodes, { id: 2, cpus: [], memoryBytes: 64 * GiB }, { id: 3, cpus: [80], memoryBytes: 0 }], dataDisk: { ...TWO_SOCKET.dataDisk, kind: 'virtual' } };
  const tuning = tune(hw);
  t.deepEqual(tuning.numa.value.nodes, [0, 1, 2]);
  t.true(tuning.pageCacheHints.value.some((h) => /hypervisor/.test(h)));
});

test('bad input is a programmer error', (t) => {
  t.throws(() => tune(LAPTOP, { dataBytes: -1 }), { message: /non-negative/ });
  t.throws(() => tune({ ...LAPTOP, numaNodes: [] }), { message: /NUMA node/ });
});
