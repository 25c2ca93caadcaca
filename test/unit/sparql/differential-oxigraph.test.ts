/**
 * Hand-written differential corpus against oxigraph (a devDependency): each query in
 * test/fixtures/sparql-differential/*.rq runs over data.trig in both engines, and the answers must be
 * the same multiset (the same sequence when the case says `#! ordered`). Where oxigraph is wrong by the
 * SPARQL 1.1 spec (or the two read an open point differently), the case says `#! spec: <the decision and
 * why>` and lists the spec's answer as `#= ` lines (`#= (none)`: no rows); Knowd must give that answer. KNOWD_DIFF_SHOW=1 logs both answers of every case.
 *
 * Terms compare by value where oxigraph canonicalises on load (numbers, booleans), and blank nodes by
 * a per-answer relabelling in order of appearance (labels are arbitrary; sharing within a row is kept).
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import type { Quad, Term } from '@rdfjs/types';
import oxigraph from 'oxigraph';
import { FakeClock } from '../../../src/base/index.js';
import type { Engine } from '../../../src/engine/index.js';
import { openStandaloneEngine } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { parseQuery, type QueryResult } from '../../../src/sparql/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';

const DIR = new URL('../../fixtures/sparql-differential/', import.meta.url);
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const PREFIXES = 'PREFIX : <http://e/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n';
const DATA = readFileSync(new URL('data.trig', DIR), 'utf8');

interface Case {
  readonly file: string;
  readonly name: string;
  readonly query: string;
  readonly ordered: boolean;
  /** Set when oxigraph is wrong: the spec's answer, in `key` notation. */
  readonly expected?: readonly string[];
  readonly why?: string;
}

/** Cases are separated by `#### name` lines; `#!` lines are directives, `#=` lines expected rows. */
function readCases(): Case[] {
  const cases: Case[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.rq')).sort()) {
    const blocks = readFileSync(new URL(file, DIR), 'utf8').split(/^#### /m).slice(1);
    for (const block of blocks) {
      const [head, ...lines] = block.split('\n');
      const directives = lines.filter((l) => l.startsWith('#!')).map((l) => l.slice(2).trim());
      const expected = lines.filter((l) => l.startsWith('#=')).map((l) => l.slice(2).trim());
      const why = directives.find((d) => d.startsWith('spec:'));
      const query = lines.filter((l) => !l.startsWith('#')).join('\n').trim();
      cases.push({
        file,
        name: head!.trim(),
        query,
        ordered: directives.includes('ordered'),
        ...(why !== undefined && { why, expected: expected.filter((e) => e !== '(none)') }),
      });
    }
  }
  return cases;
}

function numericKey(lex: string, dt: string): string | undefined {
  const local = dt.startsWith(XSD) ? dt.slice(XSD.length) : '';
  if (['integer', 'int', 'long', 'short', 'byte', 'nonNegativeInteger', 'positiveInteger', 'negativeInteger', 'nonPositiveInteger', 'unsignedInt', 'unsignedLong'].includes(local)) {
    return /^[+-]?\d+$/.test(lex) ? BigInt(lex).toString() : undefined;
  }
  if (local === 'decimal') {
    // Exact: decimals carry more digits than a double holds.
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(lex.trim());
    if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
    const int = m[2]!.replace(/^0+(?=\d)/, '') || '0';
    const frac = (m[3] ?? '').replace(/0+$/, '');
    const abs = frac === '' ? int : `${int}.${frac}`;
    return m[1] === '-' && abs !== '0' ? `-${abs}` : abs;
  }
  if (local === 'double' || local === 'float') {
    const t = lex.trim();
    if (t === 'INF' || t === '+INF') return 'INF';
    if (t === '-INF') return '-INF';
    if (t === 'NaN') return 'NaN';
    const n = Number(t);
    if (t === '' || Number.isNaN(n)) return undefined;
    return Object.is(n, -0) ? '-0' : String(n);
  }
  // Oxigraph drops trailing zeros of the seconds' fraction; the instant is the same.
  if (local === 'dateTime') return lex.replace(/(\.\d*?)0+(?=$|Z|[+-])/, '$1').replace(/\.(?=$|Z|[+-])/, '');
  if (local === 'boolean') return lex === 'true' || lex === '1' ? 'true' : lex === 'false' || lex === '0' ? 'false' : undefined;
  return undefined;
}

function termKey(t: Term | undefined, blanks: Map<string, string>): string {
  if (t === undefined) return '-';
  switch (t.termType) {
    case 'NamedNode':
      return t.value.startsWith('http://e/') ? `:${t.value.slice(9)}` : `<${t.value}>`;
    case 'BlankNode': {
      let b = blanks.get(t.value);
      if (b === undefined) blanks.set(t.value, (b = `_:b${blanks.size}`));
      return b;
    }
    case 'Literal': {
      const lit = t as Term & { language: string; datatype: { value: string } };
      const dt = lit.datatype.value;
      if (lit.language !== '') return `${JSON.stringify(lit.value)}@${lit.language.toLowerCase()}`;
      if (dt === `${XSD}string`) return JSON.stringify(lit.value);
      const short = dt.startsWith(XSD) ? `xsd:${dt.slice(XSD.length)}` : `<${dt}>`;
      return `${JSON.stringify(numericKey(lit.value, dt) ?? lit.value)}^^${short}`;
    }
    default:
      return t.termType;
  }
}

function rowKey(row: (name: string) => Term | undefined, vars: readonly string[]): string {
  const blanks = new Map<string, string>();
  return vars.map((v) => `${v}=${termKey(row(v), blanks)}`).join(' ');
}

function quadKey(q: Quad, blanks: Map<string, string>): string {
  return [q.subject, q.predicate, q.object].map((t) => termKey(t, blanks)).join(' ');
}

/** Whole-graph blank relabelling would need isomorphism; per-triple labels are enough for these cases. */
function quadKeys(quads: Iterable<Quad>): string[] {
  return [...quads].map((q) => quadKey(q, new Map()));
}

let engine: Promise<Engine> | undefined;
function knowd(): Promise<Engine> {
  engine ??= (async () => {
    const e = await openStandaloneEngine({ storage: openMemoryStorage(), signer: createEd25519Signer(generateSigningKeyPem()), clock: new FakeClock(1_700_000_000_000), maxTxQuads: 10_000 });
    await e.createNamespace('t', 'tester');
    await e.transact({ namespace: 't', format: 'trig', actor: 'tester', add: DATA });
    return e;
  })();
  return engine;
}

const ox = new oxigraph.Store();
ox.load(DATA, { format: 'application/trig' });

async function ours(q: string): Promise<string[]> {
  const parsed = parseQuery(q);
  const e = await knowd();
  return e.query('t', parsed, { deadlineMs: Date.now() + 10_000, timeoutMs: 10_000, maxHeldValues: 1_000_000, nowMs: Date.now }, (r: QueryResult) => {
    if (r.kind === 'boolean') return [String(r.value)];
    if (r.kind === 'quads') return quadKeys(r.quads);
    return [...r.rows].map((row) => rowKey((v) => row[v], r.vars));
  });
}

function theirs(q: string): string[] {
  const parsed = parseQuery(q);
  const r = ox.query(q) as boolean | Map<string, Term>[] | Quad[];
  if (typeof r === 'boolean') return [String(r)];
  if (parsed.form === 'construct' || parsed.form === 'describe') return quadKeys(r as Quad[]);
  return (r as Map<string, Term>[]).map((b) => rowKey((v) => b.get(v), parsed.variables));
}

async function attempt<T>(f: () => T | Promise<T>): Promise<T | string> {
  try {
    return await f();
  } catch (e) {
    return `ERROR ${(e as Error).message.split('\n')[0]}`;
  }
}

for (const c of readCases()) {
  test(`${c.file}: ${c.name}`, async (t) => {
    const q = PREFIXES + c.query;
    const mine = await attempt(() => ours(q));
    const other = c.expected ?? (await attempt(() => theirs(q)));
    const norm = (x: readonly string[] | string): readonly string[] | string => (typeof x === 'string' || c.ordered ? x : [...x].sort());
    if (process.env.KNOWD_DIFF_SHOW === '1') t.log(`knowd:\n${[mine].flat().map((r) => `#= ${r}`).join('\n')}\nother:\n${[other].flat().map((r) => `#= ${r}`).join('\n')}`);
    t.deepEqual(norm(mine), norm(other), `${c.query}\n${c.why ?? 'compared with oxigraph'}`);
  });
}
