// The soak's workload: a few concurrent clients, each drawing operations from a seeded random
// stream, over every public surface of one knowd (transactions, SPARQL query/update in every form
// and endpoint, the Graph Store, namespaces, shapes, hooks, receipts, vectors, operations routes),
// with queries that time out and clients that hang up mid-answer. Each request names the statuses it
// may get; anything else (a 5xx above all) is recorded as a finding with the request and its answer.
//
// Each client writes only its own subjects, graphs, namespaces and vector ids, so what a request may
// answer does not depend on how the clients interleave; a few things are shared on purpose (the
// default namespace's post hook and the heavy data the timed-out and abandoned queries read).
import { seededRandom } from '../../test/helpers/random.js';
import { SoakHttp, type SoakOutcome, type SoakRequest } from './soak-http.js';

export const EX = 'http://soak/';
/** Heavy data: HEAVY_N triples on one predicate, so that a three-way cross join has HEAVY_N^3 rows. */
const HEAVY_N = 300;
const HEAVY_P = `<${EX}h/p>`;
/** Never true, and it needs all three variables, so it cannot be pushed below the joins. */
const HEAVY_QUERY = `SELECT * WHERE { ?a ${HEAVY_P} ?x . ?b ${HEAVY_P} ?y . ?c ${HEAVY_P} ?z . FILTER(CONCAT(STR(?x), STR(?y), STR(?z)) = "none") }`;
const WIDE_QUERY = `SELECT * WHERE { ?a ${HEAVY_P} ?x . ?b ${HEAVY_P} ?y }`;
const SUBJECTS_PER_CLIENT = 60;
const GRAPHS_PER_CLIENT = 4;
const VECTOR_IDS_PER_CLIENT = 40;
const VECTOR_DIMS = 8;
const RECEIPTS_KEPT = 32;

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const PREFIX = `PREFIX ex: <${EX}>\n`;

export interface Unexpected {
  readonly atMs: number;
  readonly client: number;
  readonly op: string;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly expected: readonly number[];
  /** The start of the request body and of the answer (or the client's error). */
  readonly request: string;
  readonly answer: string;
}

export interface OpStats {
  count: number;
  statuses: Record<string, number>;
  msTotal: number;
  msMax: number;
}

/** What all clients did: per operation, statuses and latencies; every unexpected answer (the first 200 in full). */
export class Recorder {
  readonly ops: Record<string, OpStats> = {};
  readonly unexpected: Unexpected[] = [];
  unexpectedTotal = 0;
  requests = 0;
  writesCommitted = 0;
  private readonly startedMs = Date.now();

  record(op: string, status: string, ms: number): void {
    this.requests++;
    const s = (this.ops[op] ??= { count: 0, statuses: {}, msTotal: 0, msMax: 0 });
    s.count++;
    s.statuses[status] = (s.statuses[status] ?? 0) + 1;
    s.msTotal += ms;
    s.msMax = Math.max(s.msMax, ms);
  }

  finding(u: Omit<Unexpected, 'atMs'>): void {
    this.unexpectedTotal++;
    if (this.unexpected.length < 200) this.unexpected.push({ atMs: Date.now() - this.startedMs, ...u });
  }
}

type Check = (body: string) => string | undefined;

interface Expectation {
  readonly op: string;
  readonly allowed: readonly number[];
  readonly check?: Check;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function field(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

const hasReceipt: Check = (body) => (typeof field(parseJson(body), 'receipt', 'id') === 'string' ? undefined : 'the answer has no receipt.id');

/** One simulated client: its own random stream, connection pool, subjects, graphs and namespaces. */
export class SoakClient {
  private readonly receipts: string[] = [];
  private readonly keys: { key: string; body: string }[] = [];
  private serial = 0;
  readonly actor: string;

  constructor(
    readonly id: number,
    private readonly rnd: () => number,
    private readonly http: SoakHttp,
    private readonly rec: Recorder,
  ) {
    this.actor = `soak-c${id}`;
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }

  chance(p: number): boolean {
    return this.rnd() < p;
  }

  subject(n = this.int(SUBJECTS_PER_CLIENT)): string {
    return `<${EX}c${this.id}/s${n}>`;
  }

  graph(n = this.int(GRAPHS_PER_CLIENT)): string {
    return `${EX}c${this.id}/g${n}`;
  }

  vectorId(n = this.int(VECTOR_IDS_PER_CLIENT)): string {
    return `${EX}c${this.id}/v${n}`;
  }

  next(): number {
    return ++this.serial;
  }

  close(): void {
    this.http.close();
  }

  rememberReceipt(body: string): void {
    const id = field(parseJson(body), 'receipt', 'id');
    if (typeof id !== 'string') return;
    this.receipts.push(id);
    if (this.receipts.length > RECEIPTS_KEPT) this.receipts.shift();
  }

  someReceipt(): string | undefined {
    return this.receipts.length === 0 ? undefined : this.pick(this.receipts);
  }

  rememberKey(key: string, body: string): void {
    this.keys.push({ key, body });
    if (this.keys.length > 16) this.keys.shift();
  }

  someKey(): { key: string; body: string } | undefined {
    return this.keys.length === 0 ? undefined : this.pick(this.keys);
  }

  /** Sends one request and records its outcome; answers the body when the status was allowed. */
  async call(e: Expectation, r: SoakRequest): Promise<{ status: number; body: string } | undefined> {
    const started = performance.now();
    const o: SoakOutcome = await this.http.request(r);
    const ms = performance.now() - started;
    const base = { client: this.id, op: e.op, method: r.method, path: r.path, expected: e.allowed, request: (r.body ?? '').slice(0, 300) };
    if (o.kind === 'failed') {
      this.rec.record(e.op, 'failed', ms);
      this.rec.finding({ ...base, status: null, answer: o.error });
      return undefined;
    }
    if (o.kind === 'hung-up') {
      this.rec.record(e.op, 'hung-up', ms);
      if (o.status !== null && !e.allowed.includes(o.status)) this.rec.finding({ ...base, status: o.status, answer: '(hung up)' });
      return undefined;
    }
    const { status, body } = o.res;
    this.rec.record(e.op, String(status), ms);
    if (!e.allowed.includes(status)) {
      this.rec.finding({ ...base, status, answer: body.slice(0, 600) });
      return undefined;
    }
    const problem = e.check?.(body);
    if (problem !== undefined) {
      this.rec.finding({ ...base, status, answer: `${problem}: ${body.slice(0, 500)}` });
      return undefined;
    }
    if (status >= 200 && status < 300 && r.method !== 'GET' && hasReceipt(body) === undefined) this.rec.writesCommitted++;
    return { status, body };
  }

  json(op: string, method: string, path: string, body: unknown, allowed: readonly number[], check?: Check): Promise<{ status: number; body: string } | undefined> {
    return this.call({ op, allowed, ...(check !== undefined && { check }) }, { method, path, body: JSON.stringify(body), headers: JSON_HEADERS });
  }

  get(op: string, path: string, allowed: readonly number[], headers: Readonly<Record<string, string>> = {}, check?: Check): Promise<{ status: number; body: string } | undefined> {
    return this.call({ op, allowed, ...(check !== undefined && { check }) }, { method: 'GET', path, headers });
  }
}

// ---- the operations ----------------------------------------------------------------------------------

type Op = (c: SoakClient) => Promise<void>;

function personTurtle(c: SoakClient, n: number, withName: boolean): string {
  const s = c.subject(n);
  const knows = c.subject();
  return `@prefix ex: <${EX}> .\n${s} a ex:Person ;${withName ? ` ex:name "n${n}-${c.next()}" ;` : ''} ex:age ${20 + c.int(50)} ; ex:knows ${knows} ; ex:balance ${c.int(1000)} .`;
}

const txAdd: Op = async (c) => {
  const add = personTurtle(c, c.int(SUBJECTS_PER_CLIENT), true);
  const withKey = c.chance(0.3);
  const body: Record<string, unknown> = { add, actor: c.actor };
  if (withKey) body['idempotencyKey'] = `${c.actor}-k${c.next()}`;
  const r = await c.json('tx.add', 'POST', '/v1/tx', body, [200], hasReceipt);
  if (r === undefined) return;
  c.rememberReceipt(r.body);
  if (withKey) c.rememberKey(String(body['idempotencyKey']), JSON.stringify(body));
};

const txRemove: Op = async (c) => {
  // Removes what some subject has (read first), so that removes change something most of the time.
  const s = c.subject();
  const r = await c.json('query.for-remove', 'POST', '/v1/query', { query: `SELECT ?p ?o WHERE { ${s} ?p ?o } LIMIT 3` }, [200]);
  const rows = field(parseJson(r?.body ?? '{}'), 'rows');
  const lines = (Array.isArray(rows) ? rows : []).flatMap((row: unknown) => {
    const p = field(row, 'p');
    const o = field(row, 'o');
    if (typeof p !== 'string' || typeof o !== 'string') return [];
    const obj = o.startsWith('http') ? `<${o}>` : JSON.stringify(o);
    return [`${s} <${p}> ${obj} .`];
  });
  const remove = lines.length > 0 ? lines.join('\n') : `${s} <${EX}name> "nothing" .`;
  const add = c.chance(0.5) ? `${s} <${EX}tag> "t${c.next()}" .` : undefined;
  const out = await c.json('tx.remove', 'POST', '/v1/tx', { remove, ...(add !== undefined && { add }), format: 'n-triples', actor: c.actor }, [200], hasReceipt);
  if (out !== undefined) c.rememberReceipt(out.body);
};

const txReplay: Op = async (c) => {
  const k = c.someKey();
  if (k === undefined) return txAdd(c);
  const sameBody = c.chance(0.7);
  if (sameBody) {
    await c.call({ op: 'tx.replay', allowed: [200], check: (b) => (field(parseJson(b), 'replayed') === true ? undefined : 'a replay did not say "replayed": true') }, { method: 'POST', path: '/v1/tx', body: k.body, headers: JSON_HEADERS });
  } else {
    await c.json('tx.key-mismatch', 'POST', '/v1/tx', { add: `${c.subject()} <${EX}other> "x${c.next()}" .`, format: 'n-triples', idempotencyKey: k.key }, [409]);
  }
};

const txInvalid: Op = async (c) => {
  const bad: [string, unknown, number][] = [
    ['tx.bad-turtle', { add: `@prefix ex: <${EX}> . ex:a ex:b "unterminated .` }, 400],
    ['tx.bad-ntriples', { add: `"lit" <${EX}p> <${EX}o> .`, format: 'n-triples' }, 400],
    ['tx.empty', { actor: c.actor }, 400],
    ['tx.unknown-field', { add: `<${EX}a> <${EX}b> <${EX}c> .`, nope: 1 }, 400],
    ['tx.bad-format', { add: `<${EX}a> <${EX}b> <${EX}c> .`, format: 'rdfxml-please' }, 400],
    ['tx.unknown-ns', { add: `<${EX}a> <${EX}b> <${EX}c> .`, namespace: `nope-${c.id}` }, 404],
  ];
  const [op, body, status] = c.pick(bad);
  await c.json(op, 'POST', '/v1/tx', body, [status]);
};

const SELECTS = [
  `SELECT ?s ?n ?o WHERE { ?s ex:knows ?o . ?o ex:name ?n } LIMIT 20`,
  `SELECT ?s ?a WHERE { ?s ex:name ?n OPTIONAL { ?s ex:age ?a } } ORDER BY ?s LIMIT 50`,
  `SELECT ?p (COUNT(*) AS ?c) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?c)`,
  `SELECT (AVG(?b) AS ?avg) (MAX(?b) AS ?max) (SUM(?b) AS ?sum) WHERE { ?s ex:balance ?b }`,
  `SELECT ?s WHERE { ?s a ex:Person FILTER NOT EXISTS { ?s ex:tag ?t } } LIMIT 10`,
  `SELECT ?s WHERE { ?s a ex:Person MINUS { ?s ex:age ?a FILTER(?a > 40) } } LIMIT 15`,
  `SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }`,
  `SELECT ?s ?o WHERE { ?s ex:knows+ ?o } LIMIT 25`,
  `SELECT ?s (GROUP_CONCAT(?t; separator=",") AS ?tags) WHERE { ?s ex:tag ?t } GROUP BY ?s HAVING (COUNT(?t) > 1) LIMIT 10`,
  `SELECT * WHERE { ?s ex:age ?a . BIND(?a * 2 AS ?d) FILTER(?d > 60) } ORDER BY DESC(?a) OFFSET 3 LIMIT 7`,
  `SELECT ?s WHERE { { ?s ex:tag ?t } UNION { ?s ex:balance 5 } } LIMIT 10`,
  `SELECT ?x WHERE { VALUES ?x { 1 2 3 } ?s ex:age ?x }`,
];
const ASKS = [`ASK { ?s ex:knows ?o . ?o ex:name ?n }`, `ASK { ?s ex:knows ?o FILTER EXISTS { ?o ex:balance ?b FILTER(?b > 500) } }`, `ASK { ?s ex:nothing ?o }`, `ASK { ${HEAVY_P.replace('p>', 's1>')} ?p ?o }`];
const GRAPH_QUERIES = [`CONSTRUCT { ?s ex:knows ?o } WHERE { ?s ex:knows ?o } LIMIT 30`, `CONSTRUCT WHERE { ?s ex:name ?n } LIMIT 20`];
const RESULT_TYPES = ['application/sparql-results+json', 'application/sparql-results+xml', 'text/csv', 'text/tab-separated-values'];
const GRAPH_TYPES = ['text/turtle', 'application/n-triples', 'application/n-quads', 'application/trig', 'application/ld+json'];

/** A query through one of the SPARQL Protocol's three ways of sending it. */
function sparqlRequest(c: SoakClient, query: string, accept: string, prefix = ''): SoakRequest {
  const way = c.int(3);
  const path = `${prefix}/sparql`;
  if (way === 0) return { method: 'GET', path: `${path}?query=${encodeURIComponent(query)}`, headers: { accept } };
  if (way === 1) return { method: 'POST', path, body: `query=${encodeURIComponent(query)}`, headers: { accept, 'content-type': 'application/x-www-form-urlencoded' } };
  return { method: 'POST', path, body: query, headers: { accept, 'content-type': 'application/sparql-query' } };
}

const querySparql: Op = async (c) => {
  const kind = c.int(4);
  if (kind === 0 || kind === 1) await c.call({ op: 'sparql.select', allowed: [200] }, sparqlRequest(c, PREFIX + c.pick(SELECTS), c.pick(RESULT_TYPES)));
  else if (kind === 2) await c.call({ op: 'sparql.ask', allowed: [200] }, sparqlRequest(c, PREFIX + c.pick(ASKS), c.pick(RESULT_TYPES.slice(0, 2))));
  else if (c.chance(0.5)) await c.call({ op: 'sparql.construct', allowed: [200] }, sparqlRequest(c, PREFIX + c.pick(GRAPH_QUERIES), c.pick(GRAPH_TYPES)));
  else await c.call({ op: 'sparql.describe', allowed: [200] }, sparqlRequest(c, `DESCRIBE ${c.subject()}`, c.pick(GRAPH_TYPES)));
};

const queryV1: Op = async (c) => {
  const query = PREFIX + c.pick([...SELECTS, ...ASKS]);
  if (c.chance(0.5)) {
    await c.json('v1.query', 'POST', '/v1/query', { query, timeoutMs: 20_000 }, [200]);
  } else {
    const check: Check = (b) => {
      const last = b.trimEnd().split('\n').at(-1) ?? '';
      return field(parseJson(last), 'stats') !== undefined ? undefined : 'the stream did not end with a stats line';
    };
    await c.json('v1.stream', 'POST', '/v1/query/stream', { query }, [200], check);
  }
};

const queryParams: Op = async (c) => {
  await c.json('v1.params', 'POST', '/v1/query', { query: PREFIX + 'SELECT ?o ?n WHERE { ?s ex:knows ?o OPTIONAL { ?o ex:name ?n } }', params: { s: c.subject() } }, [200]);
};

const queryInvalid: Op = async (c) => {
  if (c.chance(0.5)) await c.call({ op: 'sparql.syntax-error', allowed: [400] }, sparqlRequest(c, 'SELECT ?s WHERE { ?s ?p }', 'application/sparql-results+json'));
  else await c.json('v1.syntax-error', 'POST', '/v1/query', { query: 'SELEKT * WHERE {}' }, [400]);
};

const queryTimeout: Op = async (c) => {
  await c.json('v1.timeout', 'POST', '/v1/query', { query: HEAVY_QUERY, timeoutMs: 20 + c.int(300) }, [408]);
};

const queryHangUp: Op = async (c) => {
  const way = c.int(6);
  if (way === 4) {
    // Whole-store downloads streamed from one snapshot (a client gone mid-download must release it).
    await c.call({ op: 'hangup.gsp-dataset', allowed: [200] }, { method: 'GET', path: '/store', headers: { accept: 'application/n-quads' }, hangUpAfterBytes: 1000 + c.int(20_000) });
  } else if (way === 5) {
    await c.call({ op: 'hangup.export', allowed: [200] }, { method: 'GET', path: '/v1/admin/export', headers: {}, hangUpAfterBytes: 1000 + c.int(20_000) });
  } else if (way === 0) {
    await c.call({ op: 'hangup.stream', allowed: [200] }, { method: 'POST', path: '/v1/query/stream', body: JSON.stringify({ query: WIDE_QUERY }), headers: JSON_HEADERS, hangUpAfterBytes: 1000 + c.int(20_000) });
  } else if (way === 1) {
    await c.call({ op: 'hangup.sparql-tsv', allowed: [200] }, { method: 'POST', path: '/sparql', body: WIDE_QUERY, headers: { 'content-type': 'application/sparql-query', accept: 'text/tab-separated-values' }, hangUpAfterBytes: 1000 + c.int(20_000) });
  } else if (way === 2) {
    await c.call({ op: 'hangup.heavy', allowed: [200] }, { method: 'POST', path: '/sparql', body: HEAVY_QUERY, headers: { 'content-type': 'application/sparql-query' }, hangUpAfterMs: 50 + c.int(400) });
  } else {
    await c.call({ op: 'hangup.v1-json', allowed: [200] }, { method: 'POST', path: '/v1/query', body: JSON.stringify({ query: HEAVY_QUERY }), headers: JSON_HEADERS, hangUpAfterMs: 50 + c.int(400) });
  }
};

const update: Op = async (c) => {
  const s = c.subject();
  const g = c.graph();
  const updates = [
    `${PREFIX}INSERT DATA { ${s} ex:tag "u${c.next()}" }`,
    `${PREFIX}DELETE WHERE { ${s} ex:tag ?t }`,
    `${PREFIX}DELETE { ?s ex:age ?a } INSERT { ?s ex:age ?b } WHERE { ?s ex:age ?a FILTER(?s = ${s}) BIND(?a + 1 AS ?b) }`,
    `${PREFIX}INSERT DATA { GRAPH <${g}> { ${s} ex:inGraph "${c.next()}" } }`,
    `${PREFIX}DELETE { GRAPH <${g}> { ?s ?p ?o } } WHERE { GRAPH <${g}> { ?s ?p ?o FILTER(?s = ${s}) } }`,
    `CLEAR SILENT GRAPH <${g}>`,
  ];
  if (c.chance(0.1)) {
    await c.call({ op: 'update.syntax-error', allowed: [400] }, { method: 'POST', path: '/sparql', body: 'INSERT DATA { <a> }', headers: { 'content-type': 'application/sparql-update' } });
    return;
  }
  const body = c.pick(updates);
  const form = c.chance(0.3);
  await c.call(
    { op: 'update', allowed: [200, 204] },
    form
      ? { method: 'POST', path: '/sparql', body: `update=${encodeURIComponent(body)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
      : { method: 'POST', path: '/sparql', body, headers: { 'content-type': 'application/sparql-update' } },
  );
};

const graphStore: Op = async (c) => {
  const g = encodeURIComponent(c.graph());
  // Valid N-Triples and Turtle alike.
  const data = `<${EX}c${c.id}/gs${c.int(10)}> <${EX}p> "${c.next()}" .\n<${EX}c${c.id}/gs${c.int(10)}> <${EX}q> "${c.int(100)}"^^<http://www.w3.org/2001/XMLSchema#integer> .`;
  switch (c.int(5)) {
    case 0:
      await c.call({ op: 'gsp.put', allowed: [200, 201] }, { method: 'PUT', path: `/store?graph=${g}`, body: data, headers: { 'content-type': 'application/n-triples' } });
      break;
    case 1:
      await c.call({ op: 'gsp.post', allowed: [200, 201] }, { method: 'POST', path: `/store?graph=${g}`, body: data, headers: { 'content-type': 'text/turtle' } });
      break;
    case 2:
      await c.get('gsp.get', `/store?graph=${g}`, [200, 404], { accept: c.pick(GRAPH_TYPES) });
      break;
    case 3:
      await c.call({ op: 'gsp.delete', allowed: [200, 404] }, { method: 'DELETE', path: `/store?graph=${g}` });
      break;
    default:
      // A new graph named by the store: it is deleted at once, so these do not pile up.
      {
        const r = await c.call({ op: 'gsp.post-new', allowed: [201] }, { method: 'POST', path: '/store', body: data, headers: { 'content-type': 'application/n-triples' } });
        const minted = field(parseJson(r?.body ?? '{}'), 'graph');
        if (typeof minted === 'string') await c.call({ op: 'gsp.delete', allowed: [200] }, { method: 'DELETE', path: `/store?graph=${encodeURIComponent(minted)}` });
      }
  }
};

const SHAPES = `@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <${EX}> .
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .`;

/** A namespace's whole life: created, given shapes and hooks, written (and refused), queried, searched, deleted. */
const namespaceLife: Op = async (c) => {
  const ns = `soak-c${c.id}-n${c.next()}`;
  const q = `?namespace=${ns}`;
  if ((await c.json('ns.create', 'POST', '/v1/admin/namespaces', { name: ns }, [201])) === undefined) return;
  await c.json('ns.create-again', 'POST', '/v1/admin/namespaces', { name: ns }, [409]);
  const withShapes = c.chance(0.6);
  const withHooks = c.chance(0.6);
  if (withShapes) await c.call({ op: 'shapes.put', allowed: [200] }, { method: 'PUT', path: `/v1/shapes${q}`, body: SHAPES, headers: { 'content-type': 'text/turtle' } });
  if (withHooks) {
    const pre = { id: 'no-negative', namespace: ns, phase: 'pre', scope: 'delta', condition: { select: `${PREFIX}SELECT ?this ?b { ?this ex:balance ?b }`, threshold: { var: 'b', op: '<', value: 0 } } };
    const post = { id: 'rich', namespace: ns, phase: 'post', condition: { ask: `${PREFIX}ASK { ?a ex:balance ?b FILTER(?b > 100) }` } };
    await c.json('hooks.post', 'POST', `/v1/hooks${q}`, pre, [200]);
    await c.json('hooks.post', 'POST', `/v1/hooks${q}`, post, [200]);
    await c.json('hooks.bad', 'POST', `/v1/hooks${q}`, { id: 'bad', namespace: ns, phase: 'pre', condition: { select: 'SELECT * {}', threshold: { var: 'x', op: '~', value: 0 } } }, [400]);
  }
  for (let i = 0; i < 3; i++) {
    const r = await c.json('ns.tx', 'POST', '/v1/tx', { namespace: ns, add: personTurtle(c, i, true), actor: c.actor }, [200], hasReceipt);
    if (r !== undefined) c.rememberReceipt(r.body);
  }
  await c.json('ns.tx-shacl', 'POST', '/v1/tx', { namespace: ns, add: personTurtle(c, 7, false) }, withShapes ? [422] : [200]);
  await c.json('ns.tx-veto', 'POST', '/v1/tx', { namespace: ns, add: `<${EX}acct> <${EX}balance> -5 .` }, withHooks ? [422] : [200]);
  await c.call({ op: 'ns.sparql', allowed: [200] }, sparqlRequest(c, PREFIX + c.pick(SELECTS), 'application/sparql-results+json', `/ns/${ns}`));
  await c.call({ op: 'ns.gsp-put', allowed: [200, 201] }, { method: 'PUT', path: `/ns/${ns}/store?default`, body: `<${EX}x> <${EX}y> ${c.int(9)} .`, headers: { 'content-type': 'text/turtle' } });
  await c.json('ns.validate', 'POST', '/v1/validate', { namespace: ns, shapes: SHAPES }, [200]);
  if (c.chance(0.5)) {
    await c.json('ns.vector-upsert', 'POST', '/v1/vector/upsert', { namespace: ns, items: [{ id: 'a', text: 'red running shoes' }, { id: 'b', text: 'blue walking boots' }] }, [200]);
    await c.json('ns.similar', 'POST', '/v1/similar', { namespace: ns, text: 'running shoes', topK: 2 }, [200]);
  }
  if (withHooks) {
    await c.get('hooks.firings', `/v1/hooks/rich/firings${q}&limit=5`, [200]);
    await c.call({ op: 'hooks.delete', allowed: [200] }, { method: 'DELETE', path: `/v1/hooks/no-negative${q}` });
  }
  if (withShapes) await c.call({ op: 'shapes.clear', allowed: [200] }, { method: 'PUT', path: `/v1/shapes${q}`, body: '', headers: { 'content-type': 'text/turtle' } });
  await c.call({ op: 'ns.delete', allowed: [200] }, { method: 'DELETE', path: `/v1/admin/namespaces/${ns}` });
  await c.json('ns.tx-after-delete', 'POST', '/v1/tx', { namespace: ns, add: `<${EX}a> <${EX}b> 1 .` }, [404]);
  await c.call({ op: 'ns.sparql-after-delete', allowed: [404] }, sparqlRequest(c, 'ASK {}', 'application/sparql-results+json', `/ns/${ns}`));
};

const receipts: Op = async (c) => {
  const id = c.someReceipt();
  if (id === undefined || c.chance(0.15)) {
    await c.get('receipts.search', `/v1/receipts/search?actor=${c.actor}&since=2020-01-01T00:00:00Z`, [200]);
    return;
  }
  const enc = encodeURIComponent(id);
  // A receipt of a namespace the client has since deleted is gone with it.
  const allowed = id.startsWith('default-') ? [200] : [200, 404];
  await c.get('receipts.get', `/v1/receipts/${enc}`, allowed);
  await c.get('receipts.verify', `/v1/receipts/${enc}/verify`, allowed, {}, (b) => (field(parseJson(b), 'valid') === true || field(parseJson(b), 'error') !== undefined ? undefined : 'a receipt did not verify'));
};

function vector(c: SoakClient): number[] {
  return Array.from({ length: VECTOR_DIMS }, () => Math.round((c.int(2000) - 1000) / 10) / 100 + 0.001);
}

const vectors: Op = async (c) => {
  switch (c.int(5)) {
    case 0:
      await c.json('vector.upsert', 'POST', '/v1/vector/upsert', { id: c.vectorId(), vector: vector(c) }, [200]);
      break;
    case 1:
      await c.json('vector.upsert-batch', 'POST', '/v1/vector/upsert', { items: Array.from({ length: 5 }, (_, i) => ({ id: `${EX}c${c.id}/v${(c.int(8) * 5 + i) % VECTOR_IDS_PER_CLIENT}`, vector: vector(c) })) }, [200]);
      break;
    case 2:
      // 404 before the first upsert made the default namespace's index.
      await c.json('vector.similar', 'POST', '/v1/similar', { vector: vector(c), topK: 1 + c.int(10) }, [200, 404]);
      break;
    case 3:
      await c.json('vector.similar-id', 'POST', '/v1/similar', { id: c.vectorId(), topK: 3 }, [200, 404]);
      break;
    default:
      await c.call({ op: 'vector.delete', allowed: [200, 404] }, { method: 'DELETE', path: `/v1/vector/${encodeURIComponent(c.vectorId())}` });
  }
};

const ops: Op = async (c) => {
  const ok = [200];
  switch (c.int(11)) {
    case 0:
      await c.get('ops.metrics', '/metrics', ok);
      break;
    case 1:
      await c.get('ops.healthz', '/healthz', ok);
      break;
    case 2:
      await c.get('ops.readyz', '/readyz', ok);
      break;
    case 3:
      await c.get('ops.stats', '/v1/store/stats', ok);
      break;
    case 4:
      await c.get('ops.cluster', '/v1/cluster/status', ok);
      break;
    case 5:
      await c.get('ops.namespaces', '/v1/admin/namespaces', ok);
      break;
    case 6:
      await c.get('hooks.list', '/v1/hooks', ok);
      break;
    case 7:
      await c.get('hooks.firings', '/v1/hooks/soak-post/firings?limit=5', ok);
      break;
    case 8:
      await c.json('hooks.evaluate', 'POST', '/v1/hooks/evaluate', { id: 'soak-post' }, ok);
      break;
    case 9:
      await c.get('vector.indexes', '/v1/vector/indexes', ok);
      break;
    default:
      // Server-sent events: subscribe, then hang up (each subscription must be let go by the server).
      await c.call({ op: c.chance(0.5) ? 'sse.events' : 'sse.admin-events', allowed: [200] }, { method: 'GET', path: c.chance(0.5) ? '/v1/events' : '/v1/admin/events', hangUpAfterMs: 100 + c.int(1500) });
  }
};

const snapshot: Op = async (c) => {
  await c.call({ op: 'admin.snapshot', allowed: [201] }, { method: 'POST', path: '/v1/admin/snapshot', body: '{}', headers: JSON_HEADERS, timeoutMs: 120_000 });
};

/** Relative weights: mostly small writes and queries, as a service sees them. */
const MIX: readonly (readonly [Op, number])[] = [
  [txAdd, 14],
  [txRemove, 8],
  [txReplay, 3],
  [txInvalid, 4],
  [querySparql, 14],
  [queryV1, 8],
  [queryParams, 3],
  [queryInvalid, 2],
  [queryTimeout, 2],
  [queryHangUp, 3],
  [update, 8],
  [graphStore, 7],
  [namespaceLife, 1],
  [receipts, 5],
  [vectors, 5],
  [ops, 6],
  [snapshot, 0.1],
];
const MIX_TOTAL = MIX.reduce((a, [, w]) => a + w, 0);

function drawOp(c: SoakClient): Op {
  let x = c.int(1_000_000) / 1_000_000 * MIX_TOTAL;
  for (const [op, w] of MIX) {
    if (x < w) return op;
    x -= w;
  }
  return MIX[0]![0];
}

// ---- set-up and the run ------------------------------------------------------------------------------

/** Data and definitions every client relies on: the heavy triples and the default namespace's post hook. */
export async function setUp(port: number, rec: Recorder): Promise<void> {
  const http = new SoakHttp(port);
  const c = new SoakClient(-1, seededRandom(1), http, rec);
  try {
    const heavy = Array.from({ length: HEAVY_N }, (_, i) => `<${EX}h/s${i}> ${HEAVY_P} "${i}" .`).join('\n');
    if ((await c.json('setup.heavy', 'POST', '/v1/tx', { add: heavy, format: 'n-triples' }, [200])) === undefined) throw new Error('could not load the heavy data');
    const hook = { id: 'soak-post', phase: 'post', scope: 'delta', condition: { ask: `${PREFIX}ASK { ?this ex:balance ?b FILTER(?b > 950) }` } };
    if ((await c.json('setup.hook', 'POST', '/v1/hooks', hook, [200])) === undefined) throw new Error('could not define the soak-post hook');
  } finally {
    http.close();
  }
}

export interface WorkloadOptions {
  readonly port: number;
  readonly seed: number;
  readonly clients: number;
  /** The clients stop starting operations at this time (Date.now() ms). */
  readonly untilMs: number;
  /** Client 0 also takes a snapshot now and then; off by default in short runs. */
  readonly snapshots?: boolean;
  /** Stops the clients early (the server is gone: every further request would only fail). */
  readonly stop?: () => boolean;
}

/** Runs the clients until `untilMs`; every operation in flight then finishes. */
export async function runWorkload(o: WorkloadOptions, rec: Recorder): Promise<void> {
  const clients = Array.from({ length: o.clients }, (_, i) => new SoakClient(i, seededRandom(o.seed * 1000 + i), new SoakHttp(o.port), rec));
  await Promise.all(
    clients.map(async (c) => {
      try {
        while (Date.now() < o.untilMs && o.stop?.() !== true) {
          const op = drawOp(c);
          if (op === snapshot && (c.id !== 0 || o.snapshots !== true)) continue;
          await op(c);
        }
      } finally {
        c.close();
      }
    }),
  );
}
