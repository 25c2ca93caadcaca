/**
 * The W3C SPARQL 1.1 csv-tsv-res tests, byte for byte: each query is evaluated here by hand over the
 * test's data (three triple patterns and an OPTIONAL are not worth an engine), and our writers must
 * reproduce the expected .csv/.tsv files exactly.
 *
 * Two notes on the expected files:
 * - The .csv files use LF line ends although the CSV format requires CRLF (RFC 4180, which the SPARQL
 *   CSV spec adopts; the W3C harness compares CSV results by value). We write CRLF and compare against
 *   the expected file with LF → CRLF; everything else is byte-exact.
 * - Blank node labels are arbitrary: the files use `_:a` (CSV) and `_:b0` (TSV), so the data's one
 *   blank node is handed to the writers under that label.
 *
 * Set KNOWD_W3C_TESTS to the rdf-tests checkout if it is not at ../shared/conformance/suites/rdf-tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { Quad, Term } from '@rdfjs/types';
import { Parser } from 'n3';
import { bindingsToString, createBindingsWriter, type ResultRow } from '../../../../src/sparql/results/index.js';
import { blankNode, quad } from './fixtures.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const suites = process.env['KNOWD_W3C_TESTS'] ?? join(repoRoot, '..', 'shared', 'conformance', 'suites', 'rdf-tests');
const dir = join(suites, 'sparql', 'sparql11', 'csv-tsv-res');

function load(file: string, bnodeLabel: string): Quad[] {
  const quads = new Parser({ format: 'Turtle', baseIRI: `file://${dir}/` }).parse(readFileSync(join(dir, file), 'utf8'));
  const relabel = <T extends Term>(x: T): T => (x.termType === 'BlankNode' ? (blankNode(bnodeLabel) as unknown as T) : x);
  return quads.map((q) => quad(relabel(q.subject), q.predicate, relabel(q.object)));
}

/** Term order of ORDER BY for the terms in these files: IRIs by their string (all rows differ on ?s). */
const byS = (a: Quad, b: Quad): number => (a.subject.value < b.subject.value ? -1 : a.subject.value > b.subject.value ? 1 : 0);

/** csvtsv01.rq: SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o */
function select01(data: Quad[]): { vars: string[]; rows: ResultRow[] } {
  return { vars: ['s', 'p', 'o'], rows: [...data].sort(byS).map((q) => ({ s: q.subject, p: q.predicate, o: q.object })) };
}

/** csvtsv02.rq: SELECT * WHERE { ?s ?p ?o OPTIONAL {?o ?p2 ?o2 } } ORDER BY ?s ?p ?o ?p2 ?o2 */
function select02(data: Quad[]): { vars: string[]; rows: ResultRow[] } {
  const rows: ResultRow[] = [];
  for (const q of [...data].sort(byS)) {
    const ext = data.filter((r) => r.subject.equals(q.object));
    if (ext.length === 0) rows.push({ s: q.subject, p: q.predicate, o: q.object });
    for (const r of ext) rows.push({ s: q.subject, p: q.predicate, o: q.object, p2: r.predicate, o2: r.object });
  }
  return { vars: ['s', 'p', 'o', 'p2', 'o2'], rows };
}

const CASES = [
  { name: 'csv01', format: 'csv', data: 'data.ttl', select: select01, result: 'csvtsv01.csv', bnode: 'a' },
  { name: 'tsv01', format: 'tsv', data: 'data.ttl', select: select01, result: 'csvtsv01.tsv', bnode: 'b0' },
  { name: 'csv02', format: 'csv', data: 'data.ttl', select: select02, result: 'csvtsv02.csv', bnode: 'a' },
  { name: 'tsv02', format: 'tsv', data: 'data.ttl', select: select02, result: 'csvtsv02.tsv', bnode: 'b0' },
  { name: 'csv03', format: 'csv', data: 'data2.ttl', select: select01, result: 'csvtsv03.csv', bnode: 'a' },
  { name: 'tsv03', format: 'tsv', data: 'data2.ttl', select: select01, result: 'csvtsv03.tsv', bnode: 'b0' },
] as const;

if (!existsSync(join(dir, 'manifest.ttl'))) {
  // CI always has ../shared: a missing suite there is a failure, not a skip.
  if (process.env['CI'] === 'true') test('W3C csv-tsv-res tests are present', (t) => t.fail(`not found at ${dir}`));
  else test.skip(`W3C csv-tsv-res tests: not found at ${dir} (set KNOWD_W3C_TESTS)`, () => undefined);
} else {
  test('the manifest lists exactly the cases run here', (t) => {
    const manifest = readFileSync(join(dir, 'manifest.ttl'), 'utf8');
    for (const c of CASES) t.true(manifest.includes(`mf:result  <${c.result}>`), c.result);
    t.is((manifest.match(/mf:result/g) ?? []).length, CASES.length);
  });

  for (const c of CASES) {
    test(`W3C ${c.name}: ${c.result} byte for byte${c.format === 'csv' ? ' (line ends CRLF)' : ''}`, (t) => {
      const { vars, rows } = c.select(load(c.data, c.bnode));
      const expectedFile = readFileSync(join(dir, c.result), 'utf8');
      const expected = c.format === 'csv' ? expectedFile.replace(/\r?\n/g, '\r\n') : expectedFile;
      t.is(bindingsToString(createBindingsWriter(c.format), vars, rows), expected);
    });
  }
}
