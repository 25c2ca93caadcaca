/**
 * The seeded Raft simulation (simulator.ts) over a fixed set of seeds: safety checked after every
 * step, liveness after the network heals. A failure names its seed and the command that replays it
 * with a trace; `npm run sim` runs many more seeds.
 */
import test from 'ava';
import { replayCommand, runSimulation, type SimResult } from './simulator.js';

const CHUNKS: readonly { readonly nodes: number; readonly first: number; readonly runs: number }[] = [
  ...[1, 301, 601, 901].map((first) => ({ nodes: 3, first, runs: 300 })),
  ...[1, 201, 401, 601, 801, 1001].map((first) => ({ nodes: 5, first, runs: 200 })),
];

for (const { nodes, first, runs } of CHUNKS) {
  test(`${nodes} nodes, seeds ${first}..${first + runs - 1}: Raft safety holds at every step and the healed cluster makes progress`, (t) => {
    const failures: string[] = [];
    let elections = 0;
    let applied = 0;
    for (let seed = first; seed < first + runs; seed++) {
      const r = runSimulation({ seed, nodes });
      elections += r.stats.elections;
      applied += r.stats.applied;
      if (!r.ok) failures.push(`seed ${seed} (tick ${r.tick}): ${r.error}\n  replay: ${replayCommand(seed, nodes)}`);
    }
    if (failures.length > 0) t.fail(`${failures.length} of ${runs} runs failed:\n${failures.join('\n')}`);
    // Guard against a simulation that silently stopped exercising anything.
    t.true(elections >= runs, `${elections} elections`);
    t.true(applied >= runs * 50, `${applied} entries applied`);
  });
}

test('a seed replays exactly', (t) => {
  const once = (): SimResult => runSimulation({ seed: 424242, nodes: 5 });
  t.deepEqual(once(), once());
});
