/** Hook definitions (schema, errors naming the field) and the predicate filter. */
import test from 'ava';
import { KnowdError } from '../../../src/base/index.js';
import { deltaTouches, hookFilter, hookPredicates, parseHook } from '../../../src/hooks/index.js';
import { factory } from '../../../src/rdf/index.js';

const err = (f: () => unknown): KnowdError => {
  try {
    f();
  } catch (e) {
    if (e instanceof KnowdError) return e;
    throw e;
  }
  throw new Error('expected an error');
};

test('a definition gets the default namespace; unknown fields and bad values are named', (t) => {
  t.is(parseHook({ id: 'a', phase: 'pre', condition: { ask: 'ASK {}' } }, 'dflt').namespace, 'dflt');
  t.is(parseHook({ id: 'a', namespace: 'x', phase: 'post', condition: { ask: 'ASK {}' } }, 'dflt').namespace, 'x');
  t.regex(err(() => parseHook({ id: 'a', phase: 'pre', condition: { ask: 'ASK {}' }, extra: 1 }, 'd')).message, /extra/);
  t.regex(err(() => parseHook({ id: '', phase: 'pre', condition: { ask: 'ASK {}' } }, 'd')).message, /^Invalid hook definition: id:/);
  t.regex(err(() => parseHook({ id: 'a', phase: 'pre', condition: { window: { count: { op: '>', value: 'x' } } } }, 'd')).message, /condition\.window\.count\.value/);
  t.regex(err(() => parseHook({ id: 'a', phase: 'pre', condition: { and: [{ ask: 'ASK {}' }, { nope: 1 }] } }, 'd')).message, /condition\.and\.1/);
  t.is(err(() => parseHook({ id: 'a', phase: 'pre', condition: { select: 'SELECT * {', count: { op: '>', value: 1 } } }, 'd')).code, 'SPARQL_SYNTAX');
});

test('hookPredicates: fixed predicates and paths are collected; a variable predicate, SHACL or WINDOW means any', (t) => {
  const preds = hookPredicates({ and: [{ ask: 'ASK { ?s <http://ex/p> ?o . ?o <http://ex/a>/<http://ex/b>* ?x }' }, { select: 'SELECT ?s { GRAPH ?g { ?s <http://ex/q> 1 } }', count: { op: '>', value: 0 } }] });
  t.deepEqual(preds === 'any' ? 'any' : [...preds].sort(), ['http://ex/a', 'http://ex/b', 'http://ex/p', 'http://ex/q']);
  t.is(hookPredicates({ ask: 'ASK { ?s ?p ?o }' }), 'any');
  t.is(hookPredicates({ ask: 'ASK { ?s !<http://ex/p> ?o }' }), 'any');
  t.is(hookPredicates({ shacl: '' }), 'any');
  t.is(hookPredicates({ or: [{ ask: 'ASK { ?s <http://ex/p> ?o }' }, { window: { count: { op: '>', value: 1 } } }] }), 'any');
  const q = factory.quad(factory.namedNode('http://ex/s'), factory.namedNode('http://ex/q'), factory.literal('1'));
  t.true(deltaTouches(new Set(['http://ex/q']), { added: [], removed: [q] }));
  t.false(deltaTouches(new Set(['http://ex/p']), { added: [q], removed: [] }));
});

test('hookFilter: the graphs a hook reads (default, a named IRI, any named); a delta in other graphs does not run it; FROM means any graph', (t) => {
  const f = hookFilter({ and: [{ ask: 'ASK { ?s <http://ex/p> ?o }' }, { ask: 'ASK { GRAPH <http://ex/g1> { ?s <http://ex/q> ?o FILTER EXISTS { ?o <http://ex/r> ?x } } }' }] });
  t.deepEqual(f === 'any' ? 'any' : [...f.entries()].map(([g, ps]) => [g, [...ps].sort()]).sort(), [['', ['http://ex/p']], ['http://ex/g1', ['http://ex/q', 'http://ex/r']]]);
  const quad = (p: string, g?: string) => factory.quad(factory.namedNode('http://ex/s'), factory.namedNode(p), factory.literal('1'), g === undefined ? factory.defaultGraph() : factory.namedNode(g));
  t.true(deltaTouches(f, { added: [quad('http://ex/p')], removed: [] }));
  t.true(deltaTouches(f, { added: [quad('http://ex/r', 'http://ex/g1')], removed: [] }), 'EXISTS inside GRAPH <g1> reads g1');
  t.false(deltaTouches(f, { added: [quad('http://ex/p', 'http://ex/g2')], removed: [] }), 'ex:p in another named graph: not read by the default-graph pattern');
  t.false(deltaTouches(f, { added: [quad('http://ex/q')], removed: [] }), 'ex:q in the default graph: the hook reads it only in g1');
  const anyNamed = hookFilter({ ask: 'ASK { GRAPH ?g { ?s <http://ex/p> ?o } }' });
  t.true(deltaTouches(anyNamed, { added: [quad('http://ex/p', 'http://ex/g9')], removed: [] }));
  t.false(deltaTouches(anyNamed, { added: [quad('http://ex/p')], removed: [] }));
  t.is(hookFilter({ ask: 'ASK FROM <http://ex/g1> { ?s <http://ex/p> ?o }' }), 'any');
});
