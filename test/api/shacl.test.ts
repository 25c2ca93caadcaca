/** PUT|GET /v1/shapes, transactions checked against them (422 + report), POST /v1/validate. */
import test from 'ava';
import type { ShaclReport } from '../../src/shacl/index.js';
import { commitTx, fingerprint, json, makeApp, postTx, storeStats, type ErrorBody, type TestApp, type TxResponse } from '../helpers/http-app.js';

async function fresh(t: { teardown(fn: () => Promise<void>): void }): Promise<TestApp> {
  const a = await makeApp();
  t.teardown(() => a.close());
  return a;
}

const P = '@prefix ex: <http://ex/> . @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n';
const SHAPES = `${P}
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:datatype xsd:string ] ;
  sh:property [ sh:path ex:age ; sh:maxCount 1 ; sh:severity sh:Warning ] .`;

type Report = ShaclReport;
type Rejection = ErrorBody & { error: { report: Report } };

async function putShapes(app: TestApp['app'], text: string, url = '/v1/shapes'): Promise<TxResponse> {
  const res = await app.inject({ method: 'PUT', url, payload: text, headers: { 'content-type': 'text/turtle' } });
  if (res.statusCode !== 200) throw new Error(`PUT ${url} answered ${res.statusCode}: ${res.body}`);
  return json<TxResponse>(res);
}

test('PUT /v1/shapes is logged with a receipt of kind "shapes"; GET returns the Turtle; JSON body and ?namespace= work', async (t) => {
  const { app } = await fresh(t);
  const r = await putShapes(app, SHAPES);
  t.is(r.receipt.kind, 'shapes');
  t.true(r.delta.added > 0);
  const got = await app.inject({ method: 'GET', url: '/v1/shapes' });
  t.is(got.statusCode, 200);
  t.regex(got.headers['content-type'] as string, /text\/turtle/);
  t.is(got.body, SHAPES);
  const verify = await app.inject({ method: 'GET', url: `/v1/receipts/${r.receipt.id}/verify` });
  t.true(json<{ valid: boolean }>(verify).valid, verify.body);

  await app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'other' } });
  const viaJson = await app.inject({ method: 'PUT', url: '/v1/shapes', payload: { shapes: SHAPES, namespace: 'other' } });
  t.is(viaJson.statusCode, 200, viaJson.body);
  t.is((await app.inject({ method: 'GET', url: '/v1/shapes?namespace=other' })).body, SHAPES);
  // Deleting a namespace drops its shapes; a new namespace of the same name starts without any.
  await app.inject({ method: 'DELETE', url: '/v1/admin/namespaces/other' });
  await app.inject({ method: 'POST', url: '/v1/admin/namespaces', payload: { name: 'other' } });
  t.is((await app.inject({ method: 'GET', url: '/v1/shapes?namespace=other' })).body, '');
});

test('malformed shapes are refused with 400 before anything is logged', async (t) => {
  const { app } = await fresh(t);
  const before = fingerprint(await storeStats(app));
  const syntax = await app.inject({ method: 'PUT', url: '/v1/shapes', payload: `${P} ex:S sh:targetClass ex:C ; sh:property [ sh:path`, headers: { 'content-type': 'text/turtle' } });
  t.is(syntax.statusCode, 400);
  t.is(json<ErrorBody>(syntax).error.code, 'RDF_SYNTAX');
  t.is(fingerprint(await storeStats(app)), before);
  const badValidate = await app.inject({ method: 'POST', url: '/v1/validate', payload: { data: '', shapes: `${P} ex:S sh:targetNode [` } });
  t.is(badValidate.statusCode, 400);
});

test('ill-formed shapes (valid Turtle, invalid SHACL) are refused with 400 naming the problem, before anything is logged', async (t) => {
  const { app } = await fresh(t);
  await putShapes(app, SHAPES);
  const before = fingerprint(await storeStats(app));
  // Each would compile in the library and then check nothing (or something else) on every write.
  const illFormed = [
    [`${P} ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:minCount "one" ] .`, /minCount/],
    [`${P} ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:maxCount 1, 2 ] .`, /maxCount/],
    [`${P} ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:minCount 1 ] .`, /property shape \(exactly one sh:path/],
    [`${P} ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:nodeKind sh:Nothing .`, /nodeKind/],
  ] as const;
  for (const [text, problem] of illFormed) {
    const res = await app.inject({ method: 'PUT', url: '/v1/shapes', payload: text, headers: { 'content-type': 'text/turtle' } });
    t.is(res.statusCode, 400, text);
    const body = json<ErrorBody & { error: { problems: string[] } }>(res);
    t.is(body.error.code, 'BAD_REQUEST');
    t.regex(body.error.message, /not well-formed SHACL/);
    t.regex(body.error.problems.join('\n'), problem, text);
    const v = await app.inject({ method: 'POST', url: '/v1/validate', payload: { data: '<http://ex/a> a <http://ex/C> .', shapes: text } });
    t.is(v.statusCode, 400, `validate: ${text}`);
  }
  t.is(fingerprint(await storeStats(app)), before);
  t.is((await app.inject({ url: '/v1/shapes' })).body, SHAPES);
});

test('a violating tx gets 422 with the report and changes nothing (quads, receipts, log effects); a fixing tx passes', async (t) => {
  const { app } = await fresh(t);
  await putShapes(app, SHAPES);
  const before = (await storeStats(app)).namespaces;
  const receiptsBefore = (await app.inject({ method: 'GET', url: '/v1/receipts/search?actor=local' })).body;
  const res = await postTx(app, { add: `${P} ex:alice a ex:Person ; ex:name 42 .` });
  t.is(res.statusCode, 422, res.body);
  const body = json<Rejection>(res);
  t.is(body.error.code, 'REJECTED');
  t.regex(body.error.message, /^SHACL: 1 violation/);
  t.false(body.error.report.conforms);
  t.deepEqual(body.error.report.results, [
    {
      focusNode: 'http://ex/alice',
      resultPath: 'http://ex/name',
      sourceConstraintComponent: 'http://www.w3.org/ns/shacl#DatatypeConstraintComponent',
      sourceShape: body.error.report.results[0]!.sourceShape,
      resultSeverity: 'http://www.w3.org/ns/shacl#Violation',
      resultMessage: body.error.report.results[0]!.resultMessage!,
      value: '"42"^^<http://www.w3.org/2001/XMLSchema#integer>',
    },
  ]);
  // The entry is in the log (the check runs when it is applied, on every replica), but its effects
  // were undone with its savepoint: no quads, no receipt.
  t.deepEqual((await storeStats(app)).namespaces, before);
  t.is((await app.inject({ method: 'GET', url: '/v1/receipts/search?actor=local' })).body, receiptsBefore, 'no receipt for the rejected tx');
  const ask = await app.inject({ method: 'POST', url: '/v1/query', payload: { query: 'ASK { ?s ?p ?o }' } });
  t.false(json<{ boolean: boolean }>(ask).boolean);

  // The fix passes; warnings (two ages, sh:Warning) do not reject.
  const fixed = await commitTx(app, { add: `${P} ex:alice a ex:Person ; ex:name "Alice" ; ex:age 1, 2 .` });
  t.deepEqual(fixed.delta, { added: 4, removed: 0 });
});

test('shapes added later apply to later transactions only; minCount is checked on removal', async (t) => {
  const { app } = await fresh(t);
  await commitTx(app, { add: `${P} ex:bob a ex:Person .` });
  await putShapes(app, SHAPES);
  // Existing data is not revalidated by PUT; POST /v1/validate shows it.
  const v = json<Report>(await app.inject({ method: 'POST', url: '/v1/validate', payload: {} }));
  t.false(v.conforms);
  t.is(v.results[0]?.focusNode, 'http://ex/bob');
  const later = await postTx(app, { add: `${P} ex:carol a ex:Person .` });
  t.is(later.statusCode, 422);
  await commitTx(app, { add: `${P} ex:dave a ex:Person ; ex:name "Dave" .` });
  const removal = await postTx(app, { remove: `${P} ex:dave ex:name "Dave" .` });
  t.is(removal.statusCode, 422, 'removing the only name violates minCount');
  t.is(json<Rejection>(removal).error.report.results[0]?.focusNode, 'http://ex/dave');
  // Removing the type too takes dave out of the shape's targets.
  await commitTx(app, { remove: `${P} ex:dave ex:name "Dave" ; a ex:Person .` });
});

test('targetClass via rdf:type added in the same tx; a node reached through a shape path is revalidated', async (t) => {
  const { app } = await fresh(t);
  await putShapes(app, `${P}
ex:OrderShape a sh:NodeShape ; sh:targetClass ex:Order ; sh:property [ sh:path ex:customer ; sh:minCount 1 ; sh:node ex:CustomerShape ] .
ex:CustomerShape a sh:NodeShape ; sh:property [ sh:path ex:email ; sh:minCount 1 ] .`);
  await commitTx(app, { add: `${P} ex:c1 ex:email "c1@ex" . ex:o1 a ex:Order ; ex:customer ex:c1 .` });
  // Only ex:c1 changes, but ex:o1 reaches it along ex:customer: the order is revalidated and fails.
  const res = await postTx(app, { remove: `${P} ex:c1 ex:email "c1@ex" .` });
  t.is(res.statusCode, 422, res.body);
  t.is(json<Rejection>(res).error.report.results[0]?.focusNode, 'http://ex/o1');
  const typed = await postTx(app, { add: `${P} ex:o2 a ex:Order .` });
  t.is(typed.statusCode, 422);
});

test('POST /v1/validate: given data + shapes, namespace data + stored shapes, Turtle on request', async (t) => {
  const { app } = await fresh(t);
  const both = await app.inject({ method: 'POST', url: '/v1/validate', payload: { data: `${P} ex:x a ex:Person .`, shapes: SHAPES } });
  t.is(both.statusCode, 200);
  const r = json<Report>(both);
  t.false(r.conforms);
  t.is(r.results.length, 1);
  t.is(r.results[0]?.sourceConstraintComponent, 'http://www.w3.org/ns/shacl#MinCountConstraintComponent');

  // No shapes stored: everything conforms.
  t.deepEqual(json<Report>(await app.inject({ method: 'POST', url: '/v1/validate', payload: {} })), { conforms: true, results: [] });
  await commitTx(app, { add: `${P} ex:y a ex:Person ; ex:name "Y" .` });
  await putShapes(app, SHAPES);
  t.true(json<Report>(await app.inject({ method: 'POST', url: '/v1/validate', payload: {} })).conforms);
  // Given data against the stored shapes.
  t.false(json<Report>(await app.inject({ method: 'POST', url: '/v1/validate', payload: { data: '<http://ex/z> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://ex/Person> .', format: 'n-triples' } })).conforms);
  const ttl = await app.inject({ method: 'POST', url: '/v1/validate', payload: { data: `${P} ex:x a ex:Person .` }, headers: { accept: 'text/turtle' } });
  t.is(ttl.statusCode, 200);
  t.regex(ttl.headers['content-type'] as string, /text\/turtle/);
  t.regex(ttl.body, /sh:ValidationReport/);
  t.regex(ttl.body, /sh:conforms false/);
});
