/**
 * The W3C SPARQL 1.1 Protocol tests (protocol/manifest.ttl) over HTTP against a real knowd, with
 * /sparql/ mapped to /sparql (helpers/w3c-http.ts): query and update by GET, URL-encoded POST and
 * direct POST, protocol datasets (default-graph-uri, named-graph-uri, using-graph-uri,
 * using-named-graph-uri), and the requests the protocol requires refusing (4xx). Tests whose data
 * lives on the web (the service would have to fetch it) cannot pass on an appliance that fetches
 * nothing; they are counted and logged like any other failure. CI fails when the count drops below
 * protocol-baseline.json.
 */
import path from 'node:path';
import test from 'ava';
import { readBaseline, sparql11Suite } from '../helpers/conformance.js';
import { startKnowd, tmpDir } from '../helpers/procs.js';
import { readHttpManifest, runHttpTest } from '../helpers/w3c-http.js';

const BASELINE = readBaseline('protocol-baseline.json');

test('W3C SPARQL 1.1 Protocol: pass count does not drop below the baseline', async (t) => {
  t.timeout(120_000);
  const suite = sparql11Suite(t);
  if (suite === undefined) return;
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t, 'knowd-protocol-'), 'data') });
  const tests = readHttpManifest(path.join(suite, 'protocol', 'manifest.ttl'), 'ProtocolTest');
  const failed: string[] = [];
  for (const one of tests) {
    const why = await runHttpTest(one, knowd.url, (p) => p.replace(/^\/sparql\/?/, '/sparql'));
    if (why !== undefined) failed.push(`${one.id} (${one.name}): ${why}`);
  }
  t.log(`${tests.length - failed.length} passed, ${failed.length} failed of ${tests.length}`);
  for (const f of failed) t.log(`  FAIL ${f.slice(0, 700)}`);
  t.true(tests.length >= 30, `only ${tests.length} tests found`);
  t.true(tests.length - failed.length >= BASELINE.minPassed, `passed ${tests.length - failed.length} < baseline ${BASELINE.minPassed}`);
});
