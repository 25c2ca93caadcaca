/** Shapes indexing (targets, path predicates, reach) and the focus-node plan over a fake data graph. */
import test from 'ava';
import { KnowdError } from '../../../src/base/index.js';
import { encodeTerm, factory } from '../../../src/rdf/index.js';
import { MAX_REACH_HOPS, indexShapes } from '../../../src/shacl/index.js';
import { planFocus } from '../../../src/shacl/focus.js';
import type { EncodedTriple, MatchFn } from '../../../src/shacl/view.js';

const PREFIXES = `@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n`;
const ex = (l: string): string => `http://ex/${l}`;
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

function matcher(triples: readonly EncodedTriple[]): MatchFn & { calls: number } {
  const fn = ((s, p, o, limit) => {
    fn.calls++;
    const out = triples.filter(([a, b, c]) => (s === null || a === s) && (p === null || b === p) && (o === null || c === o));
    return limit === undefined ? out : out.slice(0, limit);
  }) as MatchFn & { calls: number };
  fn.calls = 0;
  return fn;
}

test('targets of every kind are indexed; path predicates by direction; reach counts nested shapes', (t) => {
  const s = indexShapes(`${PREFIXES}
ex:Person a sh:NodeShape, rdfs:Class ; sh:property [ sh:path ex:address ; sh:node ex:AddressShape ] .
ex:AddressShape a sh:NodeShape ; sh:property [ sh:path ex:city ; sh:minCount 1 ] .
ex:ByNode a sh:NodeShape ; sh:targetNode ex:alice ; sh:property [ sh:path [ sh:inversePath ex:knows ] ; sh:maxCount 5 ] .
ex:BySubj a sh:NodeShape ; sh:targetSubjectsOf ex:email ; sh:targetObjectsOf ex:manager ; sh:targetClass ex:Employee .`);
  t.deepEqual([...s.byClass.keys()].sort(), [ex('Employee'), ex('Person')]);
  t.deepEqual([...s.byTargetNode.keys()], [ex('alice')]);
  t.deepEqual([...s.bySubjectsOf.keys()], [ex('email')]);
  t.deepEqual([...s.byObjectsOf.keys()], [ex('manager')]);
  t.deepEqual(s.forwardPreds, [ex('address'), ex('city')]);
  t.deepEqual(s.inversePreds, [ex('knows')]);
  // ex:Person → address (1) → AddressShape → city (1) = 2 edges; the others look 1 edge.
  t.is(s.reach, 2);
});

test('unbounded paths are capped at MAX_REACH_HOPS', (t) => {
  const s = indexShapes(`${PREFIXES} ex:S sh:targetClass ex:C ; sh:property [ sh:path [ sh:zeroOrMorePath ex:next ] ; sh:class ex:C ] .`);
  t.is(s.reach, MAX_REACH_HOPS);
});

test('malformed shapes fail with a 400-class error naming the problem', (t) => {
  const syntax = t.throws(() => indexShapes(`${PREFIXES} ex:S sh:targetClass ex:C ; sh:property [ sh:path ex:p`), { instanceOf: KnowdError });
  t.is(syntax.code, 'RDF_SYNTAX');
  t.is(syntax.status, 400);
});

test('focus plan: a changed node is validated, and so is whoever reaches it along a shape path', (t) => {
  const s = indexShapes(`${PREFIXES}
ex:Person a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:address ; sh:node ex:AddressShape ] .
ex:AddressShape a sh:NodeShape ; sh:property [ sh:path ex:city ; sh:minCount 1 ] .`);
  const data: EncodedTriple[] = [
    [ex('bob'), RDF_TYPE, ex('Person')],
    [ex('bob'), ex('address'), ex('addr1')],
    [ex('carol'), RDF_TYPE, ex('Person')],
  ];
  const m = matcher(data);
  // The city of addr1 was removed: bob (a Person whose address is addr1) must be revalidated.
  const removed = [factory.quad(factory.namedNode(ex('addr1')), factory.namedNode(ex('city')), factory.literal('Paris'))];
  const plan = planFocus(s, m, { added: [], removed }, encodeTerm);
  t.deepEqual(plan.pairs, [{ shape: ex('Person'), focus: [ex('bob')] }]);
  t.is(plan.focusNodes, 1, 'carol is not touched');
});

test('focus plan: targetClass via an rdf:type added in the same delta, with rdfs:subClassOf', (t) => {
  const s = indexShapes(`${PREFIXES} ex:S a sh:NodeShape ; sh:targetClass ex:Agent ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .`);
  const data: EncodedTriple[] = [
    [ex('dave'), RDF_TYPE, ex('Person')],
    [ex('Person'), 'http://www.w3.org/2000/01/rdf-schema#subClassOf', ex('Agent')],
  ];
  const added = [factory.quad(factory.namedNode(ex('dave')), factory.namedNode(RDF_TYPE), factory.namedNode(ex('Person')))];
  const plan = planFocus(s, matcher(data), { added, removed: [] }, encodeTerm);
  t.deepEqual(plan.pairs, [{ shape: ex('S'), focus: [ex('dave')] }]);
});

test('focus plan: the object of a triple is a hub only under sh:inversePath (or sh:targetObjectsOf); otherwise its in-links are not walked', (t) => {
  const s = indexShapes(`${PREFIXES}
ex:Member a sh:NodeShape ; sh:targetClass ex:Student ; sh:property [ sh:path ex:memberOf ; sh:class ex:Dept ; sh:maxCount 1 ] .
ex:Dept a sh:NodeShape ; sh:targetClass ex:Dept ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .`);
  const members = Array.from({ length: 50 }, (_, i): EncodedTriple[] => [[ex(`s${i}`), RDF_TYPE, ex('Student')], [ex(`s${i}`), ex('memberOf'), ex('d')]]).flat();
  const data: EncodedTriple[] = [...members, [ex('d'), RDF_TYPE, ex('Dept')], [ex('d'), ex('name'), '"D"'], [ex('new'), RDF_TYPE, ex('Student')], [ex('new'), ex('memberOf'), ex('d')]];
  // A new member of d: only the new student is validated, not d nor d's 50 other members.
  const added = [factory.quad(factory.namedNode(ex('new')), factory.namedNode(ex('memberOf')), factory.namedNode(ex('d')))];
  const plan = planFocus(s, matcher(data), { added, removed: [] }, encodeTerm);
  t.deepEqual(plan.pairs, [{ shape: ex('Member'), focus: [ex('new')] }]);
  // d's own change (its type) still reaches its members: sh:class reads it.
  const retyped = [factory.quad(factory.namedNode(ex('d')), factory.namedNode(RDF_TYPE), factory.namedNode(ex('Dept')))];
  t.is(planFocus(s, matcher(data), { added: [], removed: retyped }, encodeTerm).focusNodes, 52);

  // Under sh:inversePath the object's in-links are what the shape counts: it is validated.
  const inv = indexShapes(`${PREFIXES} ex:Small a sh:NodeShape ; sh:targetClass ex:Dept ; sh:property [ sh:path [ sh:inversePath ex:memberOf ] ; sh:maxCount 10 ] .`);
  t.deepEqual(planFocus(inv, matcher(data), { added, removed: [] }, encodeTerm).pairs, [{ shape: ex('Small'), focus: [ex('d')] }]);
  const objs = indexShapes(`${PREFIXES} ex:Obj a sh:NodeShape ; sh:targetObjectsOf ex:memberOf ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .`);
  t.deepEqual(planFocus(objs, matcher(data), { added, removed: [] }, encodeTerm).pairs, [{ shape: ex('Obj'), focus: [ex('d')] }]);
});
