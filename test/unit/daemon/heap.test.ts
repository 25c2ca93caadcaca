import { spawnSync } from 'node:child_process';
import test from 'ava';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../../src/daemon/heap.js';

test('the heap growing factor is set unless node was given one on its command line', (t) => {
  t.is(limitHeapGrowth([]), HEAP_GROWING_PERCENT);
  t.is(limitHeapGrowth(['--enable-source-maps']), HEAP_GROWING_PERCENT);
  t.is(limitHeapGrowth(['--heap-growing-percent=80']), undefined);
  t.is(limitHeapGrowth(['--heap_growing_percent', '80']), undefined);
});

test('this node still knows the V8 flag (setFlagsFromString would only print an error for an unknown one)', (t) => {
  const r = spawnSync(process.execPath, [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '-e', ''], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
});
