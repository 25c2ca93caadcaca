/**
 * Real headless Chromium (Debian's `chromium` package, driven by playwright-core) for the admin UI's
 * end-to-end tests. In CI a missing browser fails the test (.ci/run installs it); on a developer box
 * without it the test is skipped with the reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from './procs.js';

export const CHROMIUM = process.env['KNOWD_TEST_CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'test-output', 'admin-ui');

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return fs.existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set KNOWD_TEST_CHROMIUM)`;
}

/** A serial test with a browser: skipped with the reason when there is none, failed instead under CI=true. */
export function browserTest(title: string, fn: (t: ExecutionContext, browser: Browser) => Promise<void>): void {
  const reason = browserMissing();
  if (reason === undefined) {
    test.serial(title, async (t) => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
      t.teardown(() => browser.close());
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await fn(t, browser);
    });
  } else if (process.env['CI'] === 'true') test.serial(title, (t) => t.fail(`CI must run this test, but ${reason}`));
  else test.skip(`${title} — skipped: ${reason}`, () => undefined);
}
