/**
 * What the W3C conformance spec tests share: a writable copy of ../shared/conformance with its own
 * node_modules (../shared is read-only in CI), and the runner's closing "N passed, N failed" line.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { ROOT, tmpDir } from './procs.js';

export const SHARED_CONFORMANCE = path.resolve(ROOT, '..', 'shared', 'conformance');

export function readBaseline(file: string): { minPassed: number } {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'spec', file), 'utf8')) as { minPassed: number };
}

/** The harness copied and installed, or undefined when it is missing (a failure under CI=true). */
export function prepareHarness(t: ExecutionContext, prefix: string): string | undefined {
  if (!fs.existsSync(SHARED_CONFORMANCE)) {
    // CI always has ../shared; a developer checkout elsewhere may not.
    if (process.env['CI'] === 'true') t.fail(`the conformance harness is missing at ${SHARED_CONFORMANCE}`);
    else t.pass(`SKIPPED: no conformance harness at ${SHARED_CONFORMANCE}`);
    return undefined;
  }
  const dir = tmpDir(t, prefix);
  fs.cpSync(SHARED_CONFORMANCE, dir, { recursive: true, filter: (src) => !/[/\\](node_modules|reports)([/\\]|$)/.test(src) });
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'ignore', timeout: 600_000 });
  return dir;
}

/** The pass count from the runner's summary line (undefined when it printed none). */
export function passedCount(t: ExecutionContext, stdout: string): number | undefined {
  const closing = stdout.trim().split('\n').reverse().find((l) => /\d+ passed, \d+ failed/.test(l)) ?? '';
  t.log(closing);
  const m = /(\d+) passed, (\d+) failed/.exec(closing);
  return m === null ? undefined : Number(m[1]);
}

/** The W3C SPARQL 1.1 test data of the harness, or undefined when it is missing (a failure under CI=true). */
export function sparql11Suite(t: ExecutionContext): string | undefined {
  const suite = path.join(SHARED_CONFORMANCE, 'suites/rdf-tests/sparql/sparql11');
  if (fs.existsSync(suite)) return suite;
  if (process.env['CI'] === 'true') t.fail(`the W3C suite is missing at ${suite}`);
  else t.pass(`SKIPPED: the W3C suite is not at ${suite}`);
  return undefined;
}
