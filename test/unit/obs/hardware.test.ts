import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { detectHardwareLocal, mountOf, parseHardware } from '../../../src/obs/index.js';

const MOUNTINFO = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda1 rw',
  '30 27 259:2 / /var/lib/knowd rw,noatime - ext4 /dev/nvme0n1p3 rw',
  '31 27 0:40 / /var/lib/knowd-other rw - tmpfs tmpfs rw',
].join('\n');

test('mountOf: the longest mount point that holds the directory', (t) => {
  t.deepEqual(mountOf(MOUNTINFO, '/var/lib/knowd'), { mount: '/var/lib/knowd', source: '/dev/nvme0n1p3' });
  t.deepEqual(mountOf(MOUNTINFO, '/var/lib/knowd/store'), { mount: '/var/lib/knowd', source: '/dev/nvme0n1p3' });
  t.deepEqual(mountOf(MOUNTINFO, '/var/lib/knowdx'), { mount: '/', source: '/dev/vda1' }, 'a name prefix is not a path prefix');
  t.is(mountOf('', '/x'), undefined);
});

test('detectHardwareLocal: disk of the data directory from mountinfo and sysfs, without starting a process', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-hw-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const proc = path.join(root, 'proc');
  const sys = path.join(root, 'sys');
  fs.mkdirSync(path.join(proc, 'self'), { recursive: true });
  // The data directory is this temp dir, mounted (in the fixture) from nvme0n1p3, a partition of nvme0n1.
  fs.writeFileSync(path.join(proc, 'self', 'mountinfo'), `27 1 254:0 / / rw - ext4 /dev/vda1 rw\n30 27 259:2 / ${fs.realpathSync(root)} rw - ext4 /dev/nvme0n1p3 rw\n`);
  fs.writeFileSync(path.join(proc, 'cpuinfo'), 'processor : 0\nphysical id : 0\ncore id : 0\n\nprocessor : 1\nphysical id : 0\ncore id : 0\n\nprocessor : 2\nphysical id : 1\ncore id : 0\n');
  const disk = path.join(sys, 'devices', 'nvme', 'block', 'nvme0n1');
  fs.mkdirSync(path.join(disk, 'nvme0n1p3'), { recursive: true });
  fs.writeFileSync(path.join(disk, 'nvme0n1p3', 'partition'), '3\n');
  fs.mkdirSync(path.join(sys, 'class', 'block'), { recursive: true });
  fs.symlinkSync(path.join(disk, 'nvme0n1p3'), path.join(sys, 'class', 'block', 'nvme0n1p3'));
  fs.mkdirSync(path.join(sys, 'devices', 'system', 'node', 'node0'), { recursive: true });
  fs.writeFileSync(path.join(sys, 'devices', 'system', 'node', 'node0', 'cpulist'), '0-2\n');
  fs.writeFileSync(path.join(sys, 'devices', 'system', 'node', 'node0', 'meminfo'), 'Node 0 MemTotal:       1048576 kB\n');
  const hw = detectHardwareLocal(path.join(root, 'data', 'not-yet'), { proc, sys });
  t.is(hw.dataDisk.device, '/dev/nvme0n1');
  t.is(hw.dataDisk.kind, 'nvme');
  t.true(hw.dataDisk.sizeBytes > 0 && hw.dataDisk.freeBytes > 0, 'statfs of the nearest existing parent');
  t.is(hw.physicalCores, 2);
  t.deepEqual(hw.numaNodes, [{ id: 0, cpus: [0, 1, 2], memoryBytes: 1024 ** 3 }]);
  t.notThrows(() => parseHardware(hw, 'detected'), 'a valid hardware.json value');
});

test('detectHardwareLocal on this box gives a valid description', (t) => {
  const hw = detectHardwareLocal(os.tmpdir());
  t.notThrows(() => parseHardware(hw, 'detected'));
  t.true(hw.memoryBytes > 0 && hw.numaNodes.length >= 1);
});
