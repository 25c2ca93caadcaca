/**
 * The W3C SPARQL 1.1 Graph Store Protocol tests with indirect graph identification
 * (graph-store-protocol/manifest-indirect.ttl: `?graph=` and `?default`, which is how Knowd names
 * graphs), run over HTTP against a real knowd with /gsp mapped to /store (helpers/w3c-http.ts).
 * Each test starts from an empty store. CI fails when the count drops below gsp-baseline.json.
 */
import path from 'node:path';
import test from 'ava';
import { readBaseline, sparql11Suite } from '../helpers/conformance.js';
import { startKnowd, tmpDir } from '../helpers/procs.js';
import { readHttpManifest, runHttpTest } from '../helpers/w3c-http.js';

const BASELINE = readBaseline('gsp-baseline.json');

test('W3C Graph Store Protocol (indirect graph identification): pass count does not drop below the baseline', async (t) => {
  t.timeout(120_000);
  const suite = sparql11Suite(t);
  if (suite === undefined) return;
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t, 'knowd-gsp-'), 'data') });
  const tests = readHttpManifest(path.join(suite, 'graph-store-protocol', 'manifest-indirect.ttl'), 'GraphStoreProtocolTest');
  const failed: string[] = [];
  for (const one of tests) {
    // A later test PUTs a graph an earlier one made and expects 201: each starts from an empty store.
    const cleared = await fetch(`${knowd.url}/sparql`, { method: 'POST', headers: { 'content-type': 'application/sparql-update' }, body: 'DROP ALL' });
    t.is(cleared.status, 200, await cleared.text());
    const why = await runHttpTest(one, knowd.url, (p) => p.replace(/^\/gsp/, '/store'));
    if (why !== undefined) failed.push(`${one.id}: ${why}`);
  }
  t.log(`${tests.length - failed.length} passed, ${failed.length} failed of ${tests.length}`);
  for (const f of failed) t.log(`  FAIL ${f.slice(0, 1500)}`);
  t.true(tests.length >= 9, `only ${tests.length} tests found`);
  t.true(tests.length - failed.length >= BASELINE.minPassed, `passed ${tests.length - failed.length} < baseline ${BASELINE.minPassed}`);
});
