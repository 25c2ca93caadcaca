/**
 * Well-formedness of a shapes graph, checked against "SHACL for SHACL" (shacl-shacl.ts) before
 * shapes are accepted: the library compiles what it understands and silently ignores the rest
 * (`sh:minCount "x"` compiled to a constraint that never fires), so an ill-formed shapes graph would
 * be stored and would then validate nothing. Checked where shapes arrive (PUT /v1/shapes, policy
 * packs, POST /v1/validate with shapes), not in the apply: the leader's check decides once.
 */
import type { Quad } from '@rdfjs/types';
import { Store } from 'n3';
import { KnowdError } from '../base/index.js';
import { parseRdf } from '../rdf/index.js';
import { ShapesValidator } from './library.js';
import type { ShaclResult } from './report.js';
import { SHACL_SHACL_TURTLE } from './shacl-shacl.js';

/** Problems named in an error (the rest are counted). */
const MAX_LISTED = 20;

let shsh: ShapesValidator | undefined;

function shaclForShacl(): ShapesValidator {
  shsh ??= ShapesValidator.fromQuads(parseRdf(SHACL_SHACL_TURTLE, { format: 'turtle', blankNodePrefix: 'shsh', source: 'shapes' }));
  return shsh;
}

const SH = 'http://www.w3.org/ns/shacl#';

/**
 * What a SHACL-for-SHACL result means, in the shapes author's words. Its one sh:xone says a shape
 * is a node shape or a property shape, never both or neither; the other components name the
 * property (resultPath) and the value that breaks the rule.
 */
function describe(r: ShaclResult): string {
  const component = r.sourceConstraintComponent.replace(/^.*#/, '').replace(/ConstraintComponent$/, '');
  const path = r.resultPath?.startsWith(SH) === true ? `sh:${r.resultPath.slice(SH.length)}` : r.resultPath;
  if (r.resultMessage !== undefined) return `${r.focusNode}${path !== undefined ? ` ${path}` : ''}: ${r.resultMessage}`;
  if (component === 'Xone' && path === undefined) {
    return `${r.focusNode}: a shape must be either a node shape (no sh:path) or a property shape (exactly one sh:path, an IRI or a well-formed path), with the values its constraints allow`;
  }
  return `${r.focusNode}${path !== undefined ? ` ${path}` : ''}: fails the ${component} rule${r.value !== undefined ? ` (value ${r.value})` : ''}`;
}

/** What makes the shapes graph ill-formed, one line each; empty when it is well-formed. */
export async function wellFormedProblems(shapes: readonly Quad[]): Promise<string[]> {
  if (shapes.length === 0) return [];
  const { report } = await shaclForShacl().validateAll(new Store([...shapes]));
  return report.results.map(describe);
}

/** Throws BAD_REQUEST naming the problems when the shapes graph is ill-formed. */
export async function assertWellFormed(shapes: readonly Quad[]): Promise<void> {
  const problems = await wellFormedProblems(shapes);
  if (problems.length === 0) return;
  const more = problems.length > MAX_LISTED ? ` (and ${problems.length - MAX_LISTED} more)` : '';
  throw new KnowdError('BAD_REQUEST', `The shapes graph is not well-formed SHACL (checked against SHACL for SHACL): ${problems.slice(0, MAX_LISTED).join('; ')}${more}`, {
    problems: problems.slice(0, MAX_LISTED),
  });
}
