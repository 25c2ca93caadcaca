/**
 * The W3C SPARQL 1.1 query-evaluation suite (../shared/conformance), run against a real knowd over
 * the Graph Store and SPARQL protocols. CI fails when the pass count drops below the recorded
 * baseline (sparql-baseline.json); raise the baseline when the count goes up.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { passedCount, prepareHarness, readBaseline } from '../helpers/conformance.js';
import { runNode, startKnowd } from '../helpers/procs.js';

const BASELINE = readBaseline('sparql-baseline.json');

interface Report {
  summary?: { passed: number; failed: number; skipped: number };
  results?: { id: string; status: string; name?: string; message?: string; reason?: string }[];
  /** What the harness writes today (results was its earlier name). */
  tests?: { id: string; status: string; reason?: string; message?: string }[];
}

test('W3C SPARQL 1.1 query evaluation: pass count does not drop below the baseline', async (t) => {
  t.timeout(20 * 60_000);
  const dir = prepareHarness(t, 'knowd-conformance-');
  if (dir === undefined) return;
  const knowd = await startKnowd(t, { dataDir: path.join(dir, 'data'), args: ['--max-body-bytes', '256MiB'] });
  const out = path.join(dir, 'report.json');
  const run = await runNode(t, path.join(dir, 'sparql', 'run.js'), ['--adapter', 'http', '--base', knowd.url, '--quiet', '--out', out], { cwd: dir, timeoutMs: 15 * 60_000 });
  const passed = passedCount(t, run.stdout);
  t.truthy(passed, `the runner printed no summary:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
  if (fs.existsSync(out)) {
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
    const failed = (report.results ?? report.tests ?? []).filter((r) => r.status === 'fail');
    t.log(`failing (${failed.length}): ${failed.slice(0, 60).map((r) => r.id).join(' ')}`);
    // Why, so that a failure seen once in CI can be told from the known lexical-form ones.
    for (const r of failed.slice(0, 20)) t.log(`  ${r.id.replace(/^.*[#/]/, '')}: ${(r.reason ?? r.message ?? '').slice(0, 400)}`);
  }
  t.true((passed ?? 0) >= BASELINE.minPassed, `passed ${passed ?? 0} < baseline ${BASELINE.minPassed}`);
});
