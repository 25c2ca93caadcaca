/**
 * The W3C SPARQL 1.1 Update evaluation tests (../shared/conformance/suites/rdf-tests/sparql/sparql11:
 * add, basic-update, clear, copy, delete*, drop, move, update-silent), which the shared runner (query
 * evaluation only) does not run; the syntax tests are in sparql-syntax-w3c.test.ts. In-process
 * on the engine: each evaluation test loads its data (default graph and named graphs) into a fresh
 * store, applies the request through the transaction pipeline (engine.update) and compares the whole
 * store with the expected graphs, blank nodes up to isomorphism (RDFC-1.0). CI fails when the count
 * drops below sparql-update-baseline.json; failing tests are logged by name.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { Quad, Term } from '@rdfjs/types';
import { DataFactory, Parser, Store, Writer } from 'n3';
import { FakeClock } from '../../src/base/index.js';
import type { Engine } from '../../src/engine/index.js';
import { openStandaloneEngine } from '../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../src/receipts/index.js';
import { canonizeRdfc10 } from '../../src/receipts/rdfc10.js';
import { parseQuery, type QueryResult } from '../../src/sparql/index.js';
import { openMemoryStorage } from '../../src/storage/index.js';
import { readBaseline, SHARED_CONFORMANCE, sparql11Suite } from '../helpers/conformance.js';

const SUITE = path.join(SHARED_CONFORMANCE, 'suites/rdf-tests/sparql/sparql11');
const BASE_URL = 'https://w3c.github.io/rdf-tests/sparql/sparql11/';
const DIRS = ['add', 'basic-update', 'clear', 'copy', 'delete', 'delete-data', 'delete-insert', 'delete-where', 'drop', 'move', 'update-silent'];
const MF = 'http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#';
const UT = 'http://www.w3.org/2009/sparql/tests/test-update#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const RDFS_LABEL = 'http://www.w3.org/2000/01/rdf-schema#label';
const BASELINE = readBaseline('sparql-update-baseline.json');
const signer = createEd25519Signer(generateSigningKeyPem());

interface GraphFile {
  readonly file: string;
  /** The named graph's IRI; undefined for the default graph. */
  readonly graph: string | undefined;
}

interface UpdateTest {
  readonly id: string;
  readonly request: string;
  readonly before: readonly GraphFile[];
  readonly after: readonly GraphFile[];
}

const fileUrl = (dir: string, file: string): string => `${BASE_URL}${dir}/${file}`;

function readManifest(dir: string): UpdateTest[] {
  const base = fileUrl(dir, 'manifest.ttl');
  const store = new Store(new Parser({ baseIRI: base }).parse(fs.readFileSync(path.join(SUITE, dir, 'manifest.ttl'), 'utf8')));
  const one = (s: Term, p: string): Term | undefined => store.getObjects(s as never, DataFactory.namedNode(p), null)[0];
  const all = (s: Term, p: string): Term[] => store.getObjects(s as never, DataFactory.namedNode(p), null);
  const local = (t: Term): string => decodeURIComponent(t.value.slice(t.value.lastIndexOf('/') + 1));
  const graphs = (node: Term | undefined): GraphFile[] => {
    if (node === undefined) return [];
    const out: GraphFile[] = all(node, `${UT}data`).map((d) => ({ file: local(d), graph: undefined }));
    for (const g of all(node, `${UT}graphData`)) {
      const file = one(g, `${UT}graph`) ?? g;
      const label = one(g, RDFS_LABEL);
      out.push({ file: local(file), graph: label?.value ?? file.value });
    }
    return out;
  };
  const tests: UpdateTest[] = [];
  for (const t of store.getSubjects(DataFactory.namedNode(RDF_TYPE), null, null)) {
    if (one(t, RDF_TYPE)?.value !== `${MF}UpdateEvaluationTest`) continue;
    const action = one(t, `${MF}action`);
    const request = action === undefined ? undefined : one(action, `${UT}request`);
    if (action === undefined || request === undefined) continue;
    tests.push({ id: `${dir}/${t.value.replace(/^.*#/, '')}`, request: local(request), before: graphs(action), after: graphs(one(t, `${MF}result`)) });
  }
  return tests;
}

/** The files' quads, each in its graph (relative IRIs resolved against the file, as the runner does). */
function quadsOf(dir: string, files: readonly GraphFile[]): Quad[] {
  const out: Quad[] = [];
  for (const f of files) {
    const g = f.graph === undefined ? DataFactory.defaultGraph() : DataFactory.namedNode(f.graph);
    for (const q of new Parser({ baseIRI: fileUrl(dir, f.file) }).parse(fs.readFileSync(path.join(SUITE, dir, f.file), 'utf8'))) {
      out.push(DataFactory.quad(q.subject, q.predicate, q.object, g));
    }
  }
  return out;
}

async function canonical(quads: readonly Quad[]): Promise<string> {
  return canonizeRdfc10([...quads]);
}

async function storeQuads(engine: Engine): Promise<Quad[]> {
  const parsed = parseQuery('SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }');
  return engine.query('t', parsed, { deadlineMs: Date.now() + 30_000, timeoutMs: 30_000, maxHeldValues: 10_000_000, nowMs: Date.now }, (r: QueryResult) => {
    if (r.kind !== 'bindings') throw new Error('expected bindings');
    return [...r.rows].map((row) => DataFactory.quad(row['s'] as Quad['subject'], row['p'] as Quad['predicate'], row['o'] as Quad['object'], (row['g'] ?? DataFactory.defaultGraph()) as Quad['graph']));
  });
}

async function runEval(dir: string, t: UpdateTest): Promise<string | undefined> {
  const engine = await openStandaloneEngine({ storage: openMemoryStorage(), signer, clock: new FakeClock(1_700_000_000_000), maxTxQuads: 100_000 });
  await engine.createNamespace('t', 'w3c');
  const before = quadsOf(dir, t.before);
  if (before.length > 0) await engine.transact({ namespace: 't', format: 'n-quads', actor: 'w3c', add: new Writer({ format: 'N-Quads' }).quadsToString(before) });
  const request = fs.readFileSync(path.join(SUITE, dir, t.request), 'utf8');
  try {
    await engine.update('t', request, 'w3c', fileUrl(dir, t.request));
  } catch (e) {
    return `the update failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  const [got, want] = [await canonical(await storeQuads(engine)), await canonical(quadsOf(dir, t.after))];
  if (got === want) return undefined;
  const g = new Set(got.split('\n'));
  const w = new Set(want.split('\n'));
  return `missing: ${[...w].filter((l) => !g.has(l)).slice(0, 3).join(' | ')}; unexpected: ${[...g].filter((l) => !w.has(l)).slice(0, 3).join(' | ')}`;
}

test('W3C SPARQL 1.1 Update evaluation: pass count does not drop below the baseline', async (t) => {
  t.timeout(10 * 60_000);
  if (sparql11Suite(t) === undefined) return;
  const failed: string[] = [];
  let passed = 0;
  let total = 0;
  for (const dir of DIRS) {
    for (const u of readManifest(dir)) {
      total++;
      const why = await runEval(dir, u);
      if (why === undefined) passed++;
      else failed.push(`${u.id}: ${why}`);
    }
  }
  t.log(`${passed} passed, ${failed.length} failed of ${total}`);
  for (const f of failed) t.log(`  FAIL ${f.slice(0, 400)}`);
  t.true(total > 80, `only ${total} tests found`);
  t.true(passed >= BASELINE.minPassed, `passed ${passed} < baseline ${BASELINE.minPassed}`);
});
