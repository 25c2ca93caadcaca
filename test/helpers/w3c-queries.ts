/**
 * The W3C SPARQL 1.1 query-evaluation tests of ../shared/conformance as plain data (query text, data
 * files, named graphs), for tests that compare two ways of answering the same query (split vs
 * unsplit, federated vs single node) instead of checking the W3C expected results.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import N3 from 'n3';
import { SHARED_CONFORMANCE } from './conformance.js';

const MF = 'http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#';
const QT = 'http://www.w3.org/2001/sw/DataAccess/tests/test-query#';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

export const W3C_SPARQL11 = path.join(SHARED_CONFORMANCE, 'suites', 'rdf-tests', 'sparql', 'sparql11');

/** Feature folders with plain query-evaluation tests (no entailment, no SERVICE, no updates). */
const FEATURES = ['aggregates', 'bind', 'bindings', 'cast', 'construct', 'csv-tsv-res', 'exists', 'functions', 'grouping', 'json-res', 'negation', 'project-expression', 'property-path', 'subquery'];

export interface W3cQueryTest {
  readonly name: string;
  readonly feature: string;
  readonly query: string;
  readonly baseIRI: string;
  /** Turtle / N-Triples files for the default graph. */
  readonly data: readonly string[];
  /** Named graphs: IRI and file. */
  readonly graphs: readonly { readonly iri: string; readonly file: string }[];
}

function fileOf(iri: string): string {
  return decodeURIComponent(new URL(iri).pathname);
}

export function w3cQueryTests(): W3cQueryTest[] {
  const out: W3cQueryTest[] = [];
  for (const feature of FEATURES) {
    const manifest = path.join(W3C_SPARQL11, feature, 'manifest.ttl');
    if (!fs.existsSync(manifest)) continue;
    const base = pathToFileURL(manifest).href;
    const store = new N3.Store(new N3.Parser({ baseIRI: base }).parse(fs.readFileSync(manifest, 'utf8')));
    const lists = store.extractLists();
    const one = (s: N3.Term, p: string): N3.Term | undefined => store.getObjects(s, p, null)[0];
    const entries = store.getObjects(null, `${MF}entries`, null).flatMap((l) => (lists[l.value] ?? []) as N3.Term[]);
    for (const t of entries) {
      if (!store.getObjects(t, RDF_TYPE, null).some((x) => x.value === `${MF}QueryEvaluationTest`)) continue;
      const action = one(t, `${MF}action`);
      if (action === undefined) continue;
      const q = one(action, `${QT}query`);
      if (q === undefined) continue;
      out.push({
        name: `${feature}/${one(t, `${MF}name`)?.value ?? t.value}`,
        feature,
        query: fs.readFileSync(fileOf(q.value), 'utf8'),
        baseIRI: q.value,
        data: store.getObjects(action, `${QT}data`, null).map((d) => fileOf(d.value)),
        graphs: store.getObjects(action, `${QT}graphData`, null).map((g) => {
          const src = one(g, `${QT}graph`) ?? g;
          return { iri: one(g, `${RDFS}label`)?.value ?? src.value, file: fileOf(src.value) };
        }),
      });
    }
  }
  return out;
}
