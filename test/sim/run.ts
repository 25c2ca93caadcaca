/**
 * Long simulation runs: `npx tsx test/sim/run.ts --runs 20000 --nodes 5 [--seed S] [--trace]`.
 * Seeds S, S+1, ... are run in order; every failing seed is printed with the command that replays it.
 * Exit status 1 if any run failed.
 */
import { parseArgs } from 'node:util';
import { replayCommand, runSimulation } from './simulator.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    nodes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    ticks: { type: 'string' },
    trace: { type: 'boolean', default: false },
  },
});

function int(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

const runs = int('runs', values.runs, 1000);
const nodes = int('nodes', values.nodes, 5);
const first = int('seed', values.seed, (Date.now() % 1_000_000_000) >>> 0);
const chaosTicks = values.ticks === undefined ? undefined : int('ticks', values.ticks, 200);
const started = Date.now();
let failed = 0;
let lastReport = started;
console.log(`raft sim: ${runs} runs, ${nodes} nodes, seeds ${first}..${first + runs - 1}`);
for (let i = 0; i < runs; i++) {
  const seed = first + i;
  const result = runSimulation({
    seed,
    nodes,
    ...(chaosTicks === undefined ? {} : { chaosTicks }),
    ...(values.trace ? { trace: (line: string) => console.log(line) } : {}),
  });
  if (!result.ok) {
    failed++;
    console.log(`FAIL seed ${seed} at tick ${result.tick}: ${result.error}\n  replay: ${replayCommand(seed, nodes)}`);
  } else if (values.trace || runs === 1) {
    console.log(`ok seed ${seed}: ${JSON.stringify(result.stats)}`);
  }
  const now = Date.now();
  if (now - lastReport > 5000) {
    lastReport = now;
    console.log(`  ${i + 1}/${runs} runs, ${failed} failed, ${((now - started) / 1000).toFixed(1)} s`);
  }
}
console.log(`done: ${runs} runs, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = failed > 0 ? 1 : 0;
