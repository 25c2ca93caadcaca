import test from 'ava';
import type { Hardware } from '../../../src/obs/index.js';
import { ENV_HEADER, hostnameFor, hostsWith, mergeEnv, numaPolicyFor, sameHardware } from '../../../src/provision/plan.js';
import { parseSeed } from '../../../src/provision/seed.js';

const MID = '0123456789abcdef0123456789abcdef';

test('hostname: the seed wins, then an operator-given name, then the DMI serial, then the machine id', (t) => {
  t.is(hostnameFor({ seed: 'rack1-a', current: 'mybox', serial: 'ABC123', machineId: MID }), 'rack1-a');
  t.is(hostnameFor({ current: 'mybox\n', serial: 'ABC123', machineId: MID }), 'mybox');
  t.is(hostnameFor({ current: 'debian\n', serial: 'CZ J 1234/X', machineId: MID }), 'knowd-cz-j-1234-x');
  for (const placeholder of ['', 'Not Specified', 'To be filled by O.E.M.', 'Default string', '0000000']) {
    t.is(hostnameFor({ current: 'localhost', serial: placeholder, machineId: `${MID}\n` }), 'knowd-01234567', placeholder);
  }
  t.throws(() => hostnameFor({ current: '', serial: '', machineId: 'uninitialized\n' }), { message: /not 32 hex digits/ });
});

test('hosts: 127.0.1.1 names the host, other lines stay', (t) => {
  t.is(hostsWith('127.0.0.1\tlocalhost\n', 'knowd-1'), '127.0.0.1\tlocalhost\n127.0.1.1\tknowd-1\n');
  t.is(hostsWith('127.0.0.1 localhost\n127.0.1.1 debian\n::1 localhost\n', 'knowd-1'), '127.0.0.1 localhost\n127.0.1.1\tknowd-1\n::1 localhost\n');
});

test('mergeEnv adds only missing keys and keeps the operator\'s lines as written', (t) => {
  const first = mergeEnv('', [['KNOWD_ADDR', ':8090'], ['KNOWD_LOG_LEVEL', 'info']]);
  t.is(first, `${ENV_HEADER}\nKNOWD_ADDR=:8090\nKNOWD_LOG_LEVEL=info\n`);
  t.is(mergeEnv(first, [['KNOWD_ADDR', ':9999'], ['KNOWD_LOG_LEVEL', 'debug']]), first);
  const edited = '# mine\nKNOWD_ADDR=10.0.0.5:80\n#KNOWD_LOG_LEVEL=debug';
  t.is(mergeEnv(edited, [['KNOWD_ADDR', ':8090'], ['KNOWD_LOG_LEVEL', 'info']]), `${edited}\nKNOWD_LOG_LEVEL=info\n`);
});

function hw(nodes: Array<[number, number]>): Hardware {
  return {
    arch: 'x64', cpuModel: 'Test', logicalCpus: 8, physicalCores: 4, memoryBytes: 2 ** 34,
    numaNodes: nodes.map(([id, gib]) => ({ id, cpus: [id], memoryBytes: gib * 2 ** 30 })),
    dataDisk: { kind: 'nvme', device: '/dev/nvme0n1', sizeBytes: 1e12, freeBytes: 5e11 },
    detectedAt: '2026-01-01T00:00:00.000Z',
  };
}

test('numaPolicyFor: interleave across the nodes that have memory, nothing on one node', (t) => {
  t.is(numaPolicyFor(hw([[0, 16]])), undefined);
  t.deepEqual(numaPolicyFor(hw([[0, 64], [1, 64]])), { policy: 'interleave', nodes: '0,1' });
  t.deepEqual(numaPolicyFor(hw([[0, 32], [1, 32], [2, 32], [3, 32]])), { policy: 'interleave', nodes: '0,1,2,3' });
  // A CPU-only node (no memory) is no place for pages.
  t.is(numaPolicyFor(hw([[0, 8], [1, 0]])), undefined);
});

test('sameHardware ignores the timestamp and free space, not a changed machine', (t) => {
  const a = hw([[0, 16]]);
  t.true(sameHardware(a, { ...a, detectedAt: 'later', dataDisk: { ...a.dataDisk, freeBytes: 1 } }));
  t.false(sameHardware(a, { ...a, memoryBytes: 2 ** 35 }));
});

test('parseSeed names the bad field', (t) => {
  const known = ['KNOWD_LOG_LEVEL'];
  t.deepEqual(parseSeed('{"version":1,"settings":{"KNOWD_LOG_LEVEL":"debug"}}', known, 's.json').settings, { KNOWD_LOG_LEVEL: 'debug' });
  t.throws(() => parseSeed('{', known, 's.json'), { message: /s\.json is not JSON/ });
  t.throws(() => parseSeed('{"version":2}', known, 's.json'), { message: /at "version"/ });
  t.throws(() => parseSeed('{"version":1,"hostname":"Bad_Name"}', known, 's.json'), { message: /at "hostname"/ });
  t.throws(() => parseSeed('{"version":1,"adminPassword":"short"}', known, 's.json'), { message: /at "adminPassword"/ });
  t.throws(() => parseSeed('{"version":1,"settings":{"KNOWD_NOPE":"1"}}', known, 's.json'), { message: /unknown setting "KNOWD_NOPE"/ });
  t.throws(() => parseSeed('{"version":1,"settings":{"KNOWD_LOG_LEVEL":"a\\nKNOWD_X=1"}}', known, 's.json'), { message: /settings\.KNOWD_LOG_LEVEL/ });
  t.throws(() => parseSeed('{"version":1,"extra":1}', known, 's.json'), { message: /top level|extra/ });
  t.throws(() => parseSeed('{"version":1,"sshAuthorizedKeys":["not a key"]}', known, 's.json'), { message: /sshAuthorizedKeys\.0/ });
});
