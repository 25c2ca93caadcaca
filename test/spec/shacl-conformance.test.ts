/**
 * The W3C SHACL core suite (../shared/conformance) run against a real knowd over POST /v1/validate.
 * The full report is compared (focus nodes, paths, values, severities, shapes, components). CI fails
 * when the pass count drops below shacl-baseline.json, which records what the library passes
 * in-process (98/98 for shacl-engine 1.1.2).
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { passedCount, prepareHarness, readBaseline } from '../helpers/conformance.js';
import { runNode, startKnowd } from '../helpers/procs.js';

const BASELINE = readBaseline('shacl-baseline.json');

interface Report {
  tests?: { id: string; status: string; reason?: string }[];
}

test('W3C SHACL core over HTTP: pass count does not drop below the baseline', async (t) => {
  t.timeout(15 * 60_000);
  const dir = prepareHarness(t, 'knowd-shacl-conformance-');
  if (dir === undefined) return;
  const knowd = await startKnowd(t, { dataDir: path.join(dir, 'data') });
  const out = path.join(dir, 'report.json');
  const run = await runNode(t, path.join(dir, 'shacl', 'run.js'), ['--adapter', 'http', '--url', `${knowd.url}/v1/validate`, '--quiet', '--out', out], { cwd: dir, timeoutMs: 10 * 60_000 });
  const passed = passedCount(t, run.stdout);
  t.truthy(passed, `the runner printed no summary:\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`);
  if (fs.existsSync(out)) {
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
    const failed = (report.tests ?? []).filter((r) => r.status === 'fail').map((r) => `${r.id.replace(/^.*\//, '')}: ${r.reason ?? ''}`);
    if (failed.length > 0) t.log(`failing (${failed.length}):\n${failed.slice(0, 40).join('\n')}`);
  }
  t.true((passed ?? 0) >= BASELINE.minPassed, `passed ${passed ?? 0} < baseline ${BASELINE.minPassed}`);
});
