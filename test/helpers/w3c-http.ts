/**
 * The W3C HTTP test manifests (SPARQL 1.1 Protocol, Graph Store Protocol): each test is a sequence
 * of ht:Requests, each with an expected response (mf:expectedStatus as hts: codes or classes, and
 * optionally headers, a body, mf:expectedFormat, mf:expectedBoolean, mf:expectedLocation). Read in
 * the manifest's order, since later tests may expect what earlier ones left. Run against a real knowd
 * with the manifest's endpoint path (`/sparql/`, `/gsp`) mapped to Knowd's.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Quad, Term } from '@rdfjs/types';
import { DataFactory, Parser, Store } from 'n3';
import { canonizeRdfc10 } from '../../src/receipts/rdfc10.js';

const MF = 'http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#';
const HT = 'http://www.w3.org/2011/http#';
const HTS = 'http://www.w3.org/2011/http-statusCodes#';
const CNT = 'http://www.w3.org/2011/content#';
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

/** The status codes and classes the manifests name. */
const STATUS: Readonly<Record<string, (s: number) => boolean>> = {
  OK: (s) => s === 200,
  Created: (s) => s === 201,
  NoContent: (s) => s === 204,
  NotFound: (s) => s === 404,
  StatusCode2xx: (s) => s >= 200 && s < 300,
  StatusCode3xx: (s) => s >= 300 && s < 400,
  StatusCode4xx: (s) => s >= 400 && s < 500,
};

export interface HttpStep {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly expect: {
    readonly statuses: readonly string[];
    readonly contentType: string | undefined;
    readonly body: string | undefined;
    readonly location: string | undefined;
    readonly format: string | undefined;
    readonly boolean: boolean | undefined;
  };
}

export interface HttpTest {
  readonly id: string;
  readonly name: string;
  readonly steps: readonly HttpStep[];
}

export function readHttpManifest(file: string, testType: string): HttpTest[] {
  const g = new Store(new Parser({ baseIRI: `https://w3c.github.io/rdf-tests/sparql/sparql11/${path.basename(path.dirname(file))}/${path.basename(file)}` }).parse(fs.readFileSync(file, 'utf8')));
  const one = (s: Term, p: string): Term | undefined => g.getObjects(s as never, DataFactory.namedNode(p), null)[0];
  const all = (s: Term, p: string): Term[] => g.getObjects(s as never, DataFactory.namedNode(p), null);
  const list = (head: Term | undefined): Term[] => {
    const out: Term[] = [];
    for (let n = head; n !== undefined && n.value !== `${RDF}nil`; n = one(n, `${RDF}rest`)) {
      const first = one(n, `${RDF}first`);
      if (first !== undefined) out.push(first);
    }
    return out;
  };
  const headers = (node: Term): Record<string, string> => Object.fromEntries(list(one(node, `${HT}headers`)).map((h) => [one(h, `${HT}fieldName`)?.value.toLowerCase() ?? '', one(h, `${HT}fieldValue`)?.value ?? '']));
  const body = (node: Term): string | undefined => {
    const b = one(node, `${HT}body`);
    return b === undefined ? undefined : one(b, `${CNT}chars`)?.value;
  };
  const manifest = g.getSubjects(DataFactory.namedNode(`${RDF}type`), DataFactory.namedNode(`${MF}Manifest`), null)[0];
  const tests: HttpTest[] = [];
  for (const t of manifest === undefined ? [] : list(one(manifest, `${MF}entries`))) {
    if (one(t, `${RDF}type`)?.value !== `${MF}${testType}`) continue;
    const action = one(t, `${MF}action`);
    if (action === undefined) continue;
    const steps = list(one(action, `${HT}requests`)).map((r): HttpStep => {
      const resp = one(r, `${HT}resp`);
      const bool = resp === undefined ? undefined : one(resp, `${MF}expectedBoolean`);
      return {
        method: one(r, `${HT}methodName`)?.value ?? 'GET',
        path: one(r, `${HT}absolutePath`)?.value ?? '/',
        headers: headers(r),
        body: body(r),
        expect: {
          statuses: resp === undefined ? [] : all(resp, `${MF}expectedStatus`).map((s) => s.value.replace(HTS, '')),
          contentType: resp === undefined ? undefined : headers(resp)['content-type'],
          body: resp === undefined ? undefined : body(resp),
          location: resp === undefined ? undefined : one(resp, `${MF}expectedLocation`)?.value,
          format: resp === undefined ? undefined : one(resp, `${MF}expectedFormat`)?.value,
          boolean: bool === undefined ? undefined : bool.value === 'true',
        },
      };
    });
    tests.push({ id: t.value.replace(/^.*#/, ''), name: one(t, `${MF}name`)?.value ?? '', steps });
  }
  return tests;
}

const mediaType = (v: string | null | undefined): string => (v ?? '').split(';')[0]!.trim().toLowerCase();

async function canonicalTurtle(text: string, base: string): Promise<string> {
  const quads: Quad[] = new Parser({ baseIRI: base }).parse(text);
  return canonizeRdfc10(quads);
}

/** What a response of mf:expectedFormat "boolean" / "RDF" / "tabular" must look like; undefined when fine. */
function formatProblem(format: string, contentType: string, text: string, boolean: boolean | undefined): string | undefined {
  if (format === 'boolean') {
    let value: unknown;
    try {
      value = (JSON.parse(text) as { boolean?: unknown }).boolean;
    } catch {
      const m = /<boolean>\s*(true|false)\s*<\/boolean>/.exec(text);
      value = m === null ? undefined : m[1] === 'true';
    }
    if (typeof value !== 'boolean') return `expected a boolean result, got ${contentType}: ${text.slice(0, 120)}`;
    if (boolean !== undefined && value !== boolean) return `expected ${boolean}, got ${value}`;
    return undefined;
  }
  if (format === 'RDF' && !/turtle|n-triples|n-quads|trig|rdf\+xml|ld\+json/.test(contentType)) return `expected an RDF graph, got ${contentType}`;
  if (format === 'tabular' && !/sparql-results|csv|tab-separated/.test(contentType)) return `expected a results table, got ${contentType}`;
  return undefined;
}

/**
 * Runs one test's requests in order against `baseUrl`; `mapPath` turns the manifest's path into
 * Knowd's. Returns why it failed, or undefined when every response was as expected.
 */
export async function runHttpTest(test: HttpTest, baseUrl: string, mapPath: (p: string) => string): Promise<string | undefined> {
  const vars = new Map<string, string>();
  const fill = (s: string): string => [...vars].reduce((acc, [k, v]) => acc.replaceAll(k, v), s);
  for (const [i, step] of test.steps.entries()) {
    const target = mapPath(fill(step.path));
    const url = `${baseUrl}${target}`;
    const hasBody = step.body !== undefined && step.method !== 'GET' && step.method !== 'HEAD';
    const res = await fetch(url, { method: step.method, headers: step.headers, redirect: 'manual', ...(hasBody && { body: fill(step.body!) }) });
    const text = await res.text();
    const where = `request ${i + 1} (${step.method} ${target})`;
    if (step.expect.statuses.length > 0 && !step.expect.statuses.some((s) => STATUS[s]?.(res.status) === true)) {
      return `${where}: status ${res.status}, expected ${step.expect.statuses.join(' or ')}: ${text.slice(0, 200)}`;
    }
    if (step.expect.location !== undefined) {
      const loc = res.headers.get('location');
      if (loc === null) return `${where}: no Location header`;
      vars.set(step.expect.location, loc);
    }
    const contentType = mediaType(res.headers.get('content-type'));
    if (step.expect.contentType !== undefined && contentType !== mediaType(step.expect.contentType)) {
      return `${where}: Content-Type ${res.headers.get('content-type')}, expected ${step.expect.contentType}`;
    }
    if (step.expect.format !== undefined) {
      const problem = formatProblem(step.expect.format, contentType, text, step.expect.boolean);
      if (problem !== undefined) return `${where}: ${problem}`;
    }
    if (step.expect.body !== undefined && step.method !== 'HEAD') {
      const [got, want] = [await canonicalTurtle(text, url), await canonicalTurtle(fill(step.expect.body), url)];
      if (got !== want) return `${where}: the graph differs\n got: ${got.slice(0, 300)}\nwant: ${want.slice(0, 300)}`;
    }
  }
  return undefined;
}
