import type { DatasetCore, Quad, Term } from '@rdfjs/types';
import { RDF, SH, rdfList } from './vocab.js';

/** One sh:ValidationResult as JSON: IRIs as they are, blank nodes `_:label`, literals in N-Triples form. */
export interface ShaclResult {
  readonly focusNode: string;
  readonly resultPath?: string;
  readonly sourceConstraintComponent: string;
  readonly sourceShape: string;
  readonly resultSeverity: string;
  readonly resultMessage?: string;
  readonly value?: string;
}

export interface ShaclReport {
  readonly conforms: boolean;
  readonly results: readonly ShaclResult[];
}

export const SH_VIOLATION = `${SH}Violation`;

function termText(t: Term): string {
  if (t.termType === 'NamedNode') return t.value;
  if (t.termType === 'BlankNode') return `_:${t.value}`;
  if (t.termType !== 'Literal') return t.value;
  const escaped = JSON.stringify(t.value);
  if (t.language !== '') return `${escaped}@${t.language}`;
  return t.datatype.value === 'http://www.w3.org/2001/XMLSchema#string' ? escaped : `${escaped}^^<${t.datatype.value}>`;
}

/** Reads the report graph a validator produced into its JSON form (sh:detail results are not kept). */
export function reportFromDataset(ds: DatasetCore): ShaclReport {
  const objects = (s: Term, p: string): Term[] => [...ds.match(s as Quad['subject'], { termType: 'NamedNode', value: p } as Quad['predicate'], null, null)].map((q) => q.object);
  const one = (s: Term, p: string): Term | undefined => objects(s, p)[0];
  const reportNode = [...ds.match(null, { termType: 'NamedNode', value: `${RDF}type` } as Quad['predicate'], { termType: 'NamedNode', value: `${SH}ValidationReport` } as Quad['object'], null)][0]?.subject;
  if (reportNode === undefined) return { conforms: true, results: [] };
  const conforms = one(reportNode, `${SH}conforms`)?.value === 'true';
  const results: ShaclResult[] = [];
  for (const r of objects(reportNode, `${SH}result`)) {
    const get = (p: string): Term | undefined => one(r, SH + p);
    const path = get('resultPath');
    const message = get('resultMessage');
    const value = get('value');
    results.push({
      focusNode: termText(get('focusNode') ?? { termType: 'NamedNode', value: '' } as Term),
      ...(path !== undefined && { resultPath: path.termType === 'NamedNode' ? path.value : pathText(path, objects) }),
      sourceConstraintComponent: termText(get('sourceConstraintComponent') ?? ({ termType: 'NamedNode', value: '' } as Term)),
      sourceShape: termText(get('sourceShape') ?? ({ termType: 'NamedNode', value: '' } as Term)),
      resultSeverity: termText(get('resultSeverity') ?? ({ termType: 'NamedNode', value: SH_VIOLATION } as Term)),
      ...(message !== undefined && { resultMessage: message.value }),
      ...(value !== undefined && { value: termText(value) }),
    });
  }
  // A stable order, so a report reads the same on every replica and in every test run.
  results.sort((a, b) => (a.focusNode + a.sourceShape + (a.resultPath ?? '') + (a.value ?? '') < b.focusNode + b.sourceShape + (b.resultPath ?? '') + (b.value ?? '') ? -1 : 1));
  return { conforms, results };
}

/** A SHACL path structure as a SPARQL property path (`^<p>`, `<p>/<q>`, `(<p>|<q>)*`); a plain predicate is given as its IRI. */
function pathText(t: Term, objects: (s: Term, p: string) => Term[], depth = 0): string {
  if (depth > 16) return '…';
  if (t.termType === 'NamedNode') return `<${t.value}>`;
  const sub = (p: string): Term | undefined => objects(t, SH + p)[0];
  const list = (head: Term): Term[] => rdfList(head, objects);
  const inner = (x: Term): string => pathText(x, objects, depth + 1);
  const inv = sub('inversePath');
  if (inv !== undefined) return `^${inner(inv)}`;
  const alt = sub('alternativePath');
  if (alt !== undefined) return `(${list(alt).map(inner).join('|')})`;
  for (const [p, op] of [['zeroOrMorePath', '*'], ['oneOrMorePath', '+'], ['zeroOrOnePath', '?']] as const) {
    const x = sub(p);
    if (x !== undefined) return `(${inner(x)})${op}`;
  }
  const seq = list(t);
  return seq.length > 0 ? seq.map(inner).join('/') : termText(t);
}

/** Counts results by severity: only sh:Violation rejects a transaction. */
export function violations(r: ShaclReport): number {
  return r.results.filter((x) => x.resultSeverity === SH_VIOLATION).length;
}
