/**
 * The W3C SPARQL 1.1 syntax tests (positive and negative, queries and updates, in every directory of
 * ../shared/conformance/suites/rdf-tests/sparql/sparql11 that has them), which the shared runner
 * (query evaluation only) does not run: a positive test must parse, a negative one must be refused
 * with a syntax error. The grammar only: a valid LOAD or SERVICE parses even though this appliance
 * will not fetch. CI fails when the count drops below sparql-syntax-baseline.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { Term } from '@rdfjs/types';
import { DataFactory, Parser, Store } from 'n3';
import { parseQuery, parseUpdate } from '../../src/sparql/index.js';
import { readBaseline, SHARED_CONFORMANCE, sparql11Suite } from '../helpers/conformance.js';

const SUITE = path.join(SHARED_CONFORMANCE, 'suites/rdf-tests/sparql/sparql11');
const BASE_URL = 'https://w3c.github.io/rdf-tests/sparql/sparql11/';
const MF = 'http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const BASELINE = readBaseline('sparql-syntax-baseline.json');

interface SyntaxTest {
  readonly id: string;
  readonly positive: boolean;
  readonly file: string;
}

function syntaxTests(dir: string): SyntaxTest[] {
  const manifest = path.join(SUITE, dir, 'manifest.ttl');
  if (!fs.existsSync(manifest)) return [];
  const store = new Store(new Parser({ baseIRI: `${BASE_URL}${dir}/manifest.ttl` }).parse(fs.readFileSync(manifest, 'utf8')));
  const out: SyntaxTest[] = [];
  for (const q of store.getQuads(null, DataFactory.namedNode(RDF_TYPE), null, null)) {
    const m = /^(Positive|Negative)(Update)?SyntaxTest11$/.exec(q.object.value.replace(MF, ''));
    if (m === null) continue;
    const action: Term | undefined = store.getObjects(q.subject, DataFactory.namedNode(`${MF}action`), null)[0];
    if (action === undefined) continue;
    out.push({ id: `${dir}/${q.subject.value.replace(/^.*#/, '')}`, positive: m[1] === 'Positive', file: decodeURIComponent(action.value.slice(action.value.lastIndexOf('/') + 1)) });
  }
  return out;
}

function refusal(dir: string, t: SyntaxTest): string | undefined {
  const text = fs.readFileSync(path.join(SUITE, dir, t.file), 'utf8');
  const base = `${BASE_URL}${dir}/${t.file}`;
  try {
    if (t.file.endsWith('.ru')) parseUpdate(text, base);
    else parseQuery(text, base);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

test('W3C SPARQL 1.1 syntax tests (queries and updates): pass count does not drop below the baseline', (t) => {
  if (sparql11Suite(t) === undefined) return;
  const failed: string[] = [];
  let total = 0;
  for (const dir of fs.readdirSync(SUITE).sort()) {
    for (const s of syntaxTests(dir)) {
      total++;
      const why = refusal(dir, s);
      if (s.positive && why !== undefined) failed.push(`${s.id} (${s.file}): refused a valid request: ${why}`);
      if (!s.positive && why === undefined) failed.push(`${s.id} (${s.file}): accepted an invalid request`);
    }
  }
  t.log(`${total - failed.length} passed, ${failed.length} failed of ${total}`);
  for (const f of failed) t.log(`  FAIL ${f.slice(0, 300)}`);
  t.true(total > 150, `only ${total} syntax tests found`);
  t.true(total - failed.length >= BASELINE.minPassed, `passed ${total - failed.length} < baseline ${BASELINE.minPassed}`);
});
