/**
 * The SPARQL 1.1 Service Description of a namespace's endpoint: what GET on /sparql (or
 * /ns/{name}/sparql) without a query answers, as the Service Description Recommendation asks of a
 * Protocol endpoint. It says what Knowd is: SPARQL 1.1 Query and Update, its result and graph
 * formats, a default graph that is its own graph (not the union of the named ones), no SERVICE.
 */
import type { Quad, Term } from '@rdfjs/types';
import { factory } from '../../rdf/index.js';

const SD = 'http://www.w3.org/ns/sparql-service-description#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const FORMATS = 'http://www.w3.org/ns/formats/';

/** The formats Knowd answers in (sparql/results/formats.ts), by their W3C format IRIs. */
const RESULT_FORMATS = ['SPARQL_Results_JSON', 'SPARQL_Results_XML', 'SPARQL_Results_CSV', 'SPARQL_Results_TSV', 'Turtle', 'N-Triples', 'N-Quads', 'TriG', 'JSON-LD'];

export function serviceDescription(endpoint: string): Quad[] {
  const iri = (v: string): Term => factory.namedNode(v);
  const service = factory.blankNode('service');
  const dataset = factory.blankNode('dataset');
  const graph = factory.blankNode('defaultGraph');
  const triple = (s: Term, p: string, o: Term): Quad => factory.quad(s as Quad['subject'], iri(p) as Quad['predicate'], o as Quad['object']);
  return [
    triple(service, RDF_TYPE, iri(`${SD}Service`)),
    triple(service, `${SD}endpoint`, iri(endpoint)),
    triple(service, `${SD}supportedLanguage`, iri(`${SD}SPARQL11Query`)),
    triple(service, `${SD}supportedLanguage`, iri(`${SD}SPARQL11Update`)),
    ...RESULT_FORMATS.map((f) => triple(service, `${SD}resultFormat`, iri(`${FORMATS}${f}`))),
    triple(service, `${SD}defaultDataset`, dataset),
    triple(dataset, RDF_TYPE, iri(`${SD}Dataset`)),
    triple(dataset, `${SD}defaultGraph`, graph),
    triple(graph, RDF_TYPE, iri(`${SD}Graph`)),
  ];
}
