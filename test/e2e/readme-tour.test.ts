/**
 * The README's curl tours, run as written against a fresh knowd: every command the README shows
 * must work on a fresh clone. The blocks are taken from README.md itself (the ```sh blocks under
 * "A short tour (curl)" and "Vectors"), with localhost:8090 pointed at the test's server; a curl
 * wrapper records each request's HTTP status, and every one must be 2xx. The README's claims about
 * a fresh node (the first write is receipt default-3) are checked by the commands that use them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startKnowd } from '../helpers/procs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The ```sh block that follows the first line after `heading` (a Markdown heading line). */
function shBlockAfter(readme: string, heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no heading "${heading}"`);
  const open = readme.indexOf('\n```sh\n', at);
  const close = readme.indexOf('\n```\n', open + 1);
  if (open < 0 || close < 0) throw new Error(`no sh block under "${heading}"`);
  return readme.slice(open + '\n```sh\n'.length, close);
}

/** Commands are run by bash as written; `curl` is a function that logs each status to a file. */
function runTour(script: string, baseUrl: string, dir: string): { statuses: number[]; stdout: string; stderr: string; status: number | null } {
  const statusFile = path.join(dir, 'statuses');
  fs.writeFileSync(statusFile, '');
  const pointed = script.replaceAll('localhost:8090', baseUrl.replace(/^http:\/\//, ''));
  const prelude = `curl() { command curl --noproxy '*' --max-time 30 -w '%{stderr}HTTP %{http_code}\\n' "$@" 2>>"${statusFile}"; }\n`;
  const r = spawnSync('bash', ['-c', prelude + pointed], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  const statuses = fs
    .readFileSync(statusFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('HTTP '))
    .map((l) => Number(l.slice(5)));
  return { statuses, stdout: r.stdout, stderr: r.stderr + fs.readFileSync(statusFile, 'utf8'), status: r.status };
}

const curlCount = (script: string): number => (script.match(/(^|[\s;(|])curl /gm) ?? []).length;

test('the README tours (curl) work as written against a fresh node', async (t) => {
  t.timeout(180_000);
  for (const tool of ['curl', 'jq']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      if (process.env['CI'] === 'true') {
        t.fail(`CI must run this test, but ${tool} is not installed (.ci/run installs it)`);
      } else {
        t.log(`skipped: ${tool} is not installed`);
        t.pass();
      }
      return;
    }
  }
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-readme-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const knowd = await startKnowd(t, { dataDir: path.join(dir, 'data') });

  for (const heading of ['## A short tour (curl)', '## Vectors']) {
    const script = shBlockAfter(readme, heading);
    const expected = curlCount(script);
    t.true(expected > 0, `${heading}: no curl command found`);
    const run = runTour(script, knowd.url, dir);
    const bad = run.statuses.map((s, i) => ({ s, i })).filter(({ s }) => s < 200 || s > 299);
    t.is(run.statuses.length, expected, `${heading}: ${expected} curl commands, ${run.statuses.length} answered\n${run.stderr.slice(-2000)}`);
    t.deepEqual(bad, [], `${heading}: commands that did not answer 2xx (by position)\n${run.stdout.slice(-3000)}`);
  }
});
