/**
 * The W3C SPARQL 1.1 Graph Store Protocol tests with indirect graph identification
 * (graph-store-protocol/manifest-indirect.ttl: `?graph=` and `?default`, which is how Knowd names
 * graphs), run over HTTP against a real knowd with /gsp mapped to /store. Each test is a sequence of
 * requests (ht:Request) whose expected status and, where given, body (isomorphic graphs) and
 * Content-Type are checked; a Location header feeds the later requests' $LOCATION$. CI fails when
 * the count drops below gsp-baseline.json; failures are logged by name.
 */
import path from 'node:path';
import fs from 'node:fs';
import test from 'ava';
import type { Quad, Term } from '@rdfjs/types';
import { DataFactory, Parser, Store } from 'n3';
import { canonizeRdfc10 } from '../../src/receipts/rdfc10.js';
import { readBaseline, sparql11Suite } from '../helpers/conformance.js';
import { startKnowd, tmpDir } from '../helpers/procs.js';

const MF = 'http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#';
const HT = 'http://www.w3.org/2011/http#';
const HTS = 'http://www.w3.org/2011/http-statusCodes#';
const CNT = 'http://www.w3.org/2011/content#';
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const BASELINE = readBaseline('gsp-baseline.json');

/** The status codes the manifests name (hts: vocabulary), and the classes they allow. */
const STATUS: Readonly<Record<string, (s: number) => boolean>> = {
  OK: (s) => s === 200,
  Created: (s) => s === 201,
  NoContent: (s) => s === 204,
  NotFound: (s) => s === 404,
  StatusCode2xx: (s) => s >= 200 && s < 300,
};

interface Step {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly expect: {
    readonly statuses: readonly string[];
    readonly contentType: string | undefined;
    readonly body: string | undefined;
    readonly location: string | undefined;
  };
}

function readTests(file: string): { id: string; steps: Step[] }[] {
  const g = new Store(new Parser({ baseIRI: `https://w3c.github.io/rdf-tests/sparql/sparql11/graph-store-protocol/${path.basename(file)}` }).parse(fs.readFileSync(file, 'utf8')));
  const one = (s: Term, p: string): Term | undefined => g.getObjects(s as never, DataFactory.namedNode(p), null)[0];
  const all = (s: Term, p: string): Term[] => g.getObjects(s as never, DataFactory.namedNode(p), null);
  const list = (head: Term | undefined): Term[] => {
    const out: Term[] = [];
    for (let n = head; n !== undefined && n.value !== `${RDF}nil`; n = one(n, `${RDF}rest`)) {
      const first = one(n, `${RDF}first`);
      if (first !== undefined) out.push(first);
    }
    return out;
  };
  const headers = (node: Term): Record<string, string> => Object.fromEntries(list(one(node, `${HT}headers`)).map((h) => [one(h, `${HT}fieldName`)?.value.toLowerCase() ?? '', one(h, `${HT}fieldValue`)?.value ?? '']));
  const body = (node: Term): string | undefined => {
    const b = one(node, `${HT}body`);
    return b === undefined ? undefined : one(b, `${CNT}chars`)?.value;
  };
  const tests: { id: string; steps: Step[] }[] = [];
  // In the manifest's order: the tests share one store, and later ones expect what earlier ones left.
  const manifest = g.getSubjects(DataFactory.namedNode(`${RDF}type`), DataFactory.namedNode(`${MF}Manifest`), null)[0];
  const entries = manifest === undefined ? [] : list(one(manifest, `${MF}entries`));
  for (const t of entries) {
    const action = one(t, `${MF}action`);
    if (action === undefined) continue;
    const steps = list(one(action, `${HT}requests`)).map((r): Step => {
      const resp = one(r, `${HT}resp`);
      return {
        method: one(r, `${HT}methodName`)?.value ?? 'GET',
        path: one(r, `${HT}absolutePath`)?.value ?? '/gsp',
        headers: headers(r),
        body: body(r),
        expect: {
          statuses: resp === undefined ? [] : all(resp, `${MF}expectedStatus`).map((s) => s.value.replace(HTS, '')),
          contentType: resp === undefined ? undefined : headers(resp)['content-type'],
          body: resp === undefined ? undefined : body(resp),
          location: resp === undefined ? undefined : one(resp, `${MF}expectedLocation`)?.value,
        },
      };
    });
    tests.push({ id: t.value.replace(/^.*#/, ''), steps });
  }
  return tests;
}

async function canonicalTurtle(text: string, base: string): Promise<string> {
  const quads: Quad[] = new Parser({ baseIRI: base }).parse(text);
  return canonizeRdfc10(quads);
}

const mediaType = (v: string | null | undefined): string => (v ?? '').split(';')[0]!.trim().toLowerCase();

test('W3C Graph Store Protocol (indirect graph identification): pass count does not drop below the baseline', async (t) => {
  t.timeout(120_000);
  const suite = sparql11Suite(t);
  if (suite === undefined) return;
  const knowd = await startKnowd(t, { dataDir: path.join(tmpDir(t, 'knowd-gsp-'), 'data') });
  const tests = readTests(path.join(suite, 'graph-store-protocol', 'manifest-indirect.ttl'));
  const failed: string[] = [];
  for (const { id, steps } of tests) {
    // Each test starts from an empty store (a later test PUTs a graph an earlier one made and expects 201).
    const cleared = await fetch(`${knowd.url}/sparql`, { method: 'POST', headers: { 'content-type': 'application/sparql-update' }, body: 'DROP ALL' });
    t.is(cleared.status, 200, await cleared.text());
    const vars = new Map<string, string>();
    const fill = (s: string): string => [...vars].reduce((acc, [k, v]) => acc.replaceAll(k, v), s);
    let why: string | undefined;
    for (const [i, step] of steps.entries()) {
      const target = fill(step.path).replace(/^\/gsp/, '/store');
      const url = target.startsWith('http') ? target : `${knowd.url}${target}`;
      const res = await fetch(url, { method: step.method, headers: step.headers, ...(step.body !== undefined && step.method !== 'GET' && step.method !== 'HEAD' && { body: fill(step.body) }) });
      const text = await res.text();
      const where = `request ${i + 1} (${step.method} ${target})`;
      if (step.expect.statuses.length > 0 && !step.expect.statuses.some((s) => STATUS[s]?.(res.status) === true)) {
        why = `${where}: status ${res.status}, expected ${step.expect.statuses.join(' or ')}: ${text.slice(0, 200)}`;
        break;
      }
      if (step.expect.location !== undefined) {
        const loc = res.headers.get('location');
        if (loc === null) {
          why = `${where}: no Location header`;
          break;
        }
        vars.set(step.expect.location, loc);
      }
      if (step.expect.contentType !== undefined && mediaType(res.headers.get('content-type')) !== mediaType(step.expect.contentType)) {
        why = `${where}: Content-Type ${res.headers.get('content-type')}, expected ${step.expect.contentType}`;
        break;
      }
      if (step.expect.body !== undefined && step.method !== 'HEAD') {
        const base = url;
        const [got, want] = [await canonicalTurtle(text, base), await canonicalTurtle(fill(step.expect.body), base)];
        if (got !== want) {
          why = `${where}: the graph differs\n got: ${got.slice(0, 300)}\nwant: ${want.slice(0, 300)}`;
          break;
        }
      }
    }
    if (why !== undefined) failed.push(`${id}: ${why}`);
  }
  t.log(`${tests.length - failed.length} passed, ${failed.length} failed of ${tests.length}`);
  for (const f of failed) t.log(`  FAIL ${f.slice(0, 1500)}`);
  t.true(tests.length >= 9, `only ${tests.length} tests found`);
  t.true(tests.length - failed.length >= BASELINE.minPassed, `passed ${tests.length - failed.length} < baseline ${BASELINE.minPassed}`);
});
