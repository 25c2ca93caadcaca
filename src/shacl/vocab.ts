import type { Term } from '@rdfjs/types';

export const SH = 'http://www.w3.org/ns/shacl#';
export const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

/** Objects of (s, p) in some graph. */
export type ObjectsFn = (s: Term, p: string) => Term[];

/** The members of an RDF list (SHACL's sequence paths, sh:alternativePath, sh:and …); at most 1000. */
export function rdfList(head: Term, objects: ObjectsFn): Term[] {
  const out: Term[] = [];
  for (let n: Term | undefined = head, i = 0; n !== undefined && n.value !== `${RDF}nil` && i < 1000; i++) {
    const first = objects(n, `${RDF}first`)[0];
    if (first === undefined) break;
    out.push(first);
    n = objects(n, `${RDF}rest`)[0];
  }
  return out;
}
