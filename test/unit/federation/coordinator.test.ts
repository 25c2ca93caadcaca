/**
 * The coordinator in process: three "nodes" share one in-memory store (every node holds the same
 * data), the peers' calls are fakes that can fail before, during or after their rows. A failed part
 * is re-run on another node; a range no node can run fails the query naming it; a query's own error
 * is not retried; ASK stops at the first true part.
 */
import test from 'ava';
import { FakeClock, KnowdError } from '../../../src/base/index.js';
import { inlineQueryExecutor, type Engine, type QueryExecutor, type QueryJob } from '../../../src/engine/index.js';
import { Coordinator, Participant, type PeerCall } from '../../../src/federation/index.js';
import { createLogger } from '../../../src/obs/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';

const DATA = Array.from({ length: 60 }, (_, i) => `<http://e/s${i}> <http://e/p> "${i % 7}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n<http://e/s${i}> <http://e/q> <http://e/s${(i * 5) % 60}> .`).join('\n');

type Behaviour = 'ok' | 'refuse' | 'cut' | 'fail-mid' | 'hang' | 'bad-request' | 'old-version';

interface Rig {
  readonly engine: Engine;
  readonly coordinator: Coordinator;
  readonly calls: string[];
  readonly aborted: string[];
  /** What the parts sent (the peers over the fake wire, the local one in process). */
  readonly shipped: string[];
  readonly counters: { retries: number; outcomes: string[] };
  behaviour: Record<string, Behaviour>;
  stop(): Promise<void>;
}

async function rig(opts: { localInflight?: number; minCost?: number } = {}): Promise<Rig> {
  const { engine, node } = await openStandalone({ storage: openMemoryStorage(), signer: createEd25519Signer(generateSigningKeyPem()), clock: new FakeClock(1), maxTxQuads: 100_000 });
  await engine.createNamespace('t', 'x');
  await engine.transact({ namespace: 't', format: 'n-triples', actor: 'x', add: DATA });
  const executor = inlineQueryExecutor(engine.storage, engine.quads);
  const participant = (maxInflight: number): Participant => new Participant({ executor, waitForApplied: async () => undefined, readyForReads: () => ({ ok: true }), maxInflight });
  const peer = participant(8);
  const calls: string[] = [];
  const aborted: string[] = [];
  const shipped: string[] = [];
  const counters = { retries: 0, outcomes: [] as string[] };
  const r: Rig = {
    engine,
    calls,
    aborted,
    shipped,
    counters,
    behaviour: {},
    coordinator: undefined as unknown as Coordinator,
    stop: () => node.stop(),
  };
  const call: PeerCall = async function* (to, body, _timeoutMs, signal) {
    calls.push(to);
    signal.addEventListener('abort', () => aborted.push(to));
    const b = r.behaviour[to] ?? 'ok';
    if (b === 'refuse') throw new KnowdError('NOT_READY', `Cannot reach ${to} for query: connection refused`);
    if (b === 'bad-request') throw new KnowdError('BAD_REQUEST', 'The query cannot be split: test');
    // What a node of part format 1 answered a body it did not know (its schema was strict).
    if (b === 'old-version') throw new KnowdError('BAD_REQUEST', 'Malformed query part: Unrecognized key(s) in object: \'version\', \'share\'');
    if (b === 'hang') {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      throw new KnowdError('QUERY_CANCELLED', 'cancelled');
    }
    let n = 0;
    for await (const chunk of peer.serve(body, signal)) {
      const lines = chunk.split('\n').filter((l) => l !== '');
      if (b === 'cut') {
        // The connection drops: the rows so far arrive, the closing stats line never does.
        yield `${lines.filter((l) => !l.startsWith('{"stats"')).join('\n')}\n`;
        return;
      }
      if (b === 'fail-mid' && n++ === 0) {
        yield `${lines[0] ?? ''}\n`;
        throw new KnowdError('NOT_READY', `${to} went away mid-stream`);
      }
      shipped.push(chunk);
      yield chunk;
    }
  };
  (r as { coordinator: Coordinator }).coordinator = new Coordinator({
    self: () => 'self',
    peers: () => ['p1', 'p2'],
    readIndex: () => 0,
    call,
    local: recording(participant(opts.localInflight ?? 8), shipped),
    engine,
    counters: { query: (o) => counters.outcomes.push(o), part: () => undefined, retry: () => counters.retries++ },
    log: createLogger('silent'),
    minCost: opts.minCost ?? 0,
  });
  return r;
}

/** The coordinator's own participant, its chunks recorded like the peers'. */
function recording(p: Participant, shipped: string[]): Participant {
  const serve = p.serve.bind(p);
  p.serve = (raw, signal) => {
    const inner = serve(raw, signal);
    return (async function* () {
      for await (const c of inner) {
        shipped.push(c);
        yield c;
      }
    })();
  };
  return p;
}

const job = (query: string, explain = true): QueryJob => ({ namespace: 't', query, timeoutMs: 10_000, maxHeldValues: 1_000_000, format: 'v1-json', ...(explain && { explain: true }) });

async function run(r: Rig, query: string): Promise<{ rows: Record<string, string>[]; boolean?: boolean; federation: { parts: { range: string; node: string; rows: number; attempts: { node: string; error?: string }[] }[] } }> {
  const j = job(query);
  const d = r.coordinator.decide(j, true);
  if (!d.federate) throw new Error(`not federated: ${d.reason}`);
  let out = '';
  for await (const c of r.coordinator.run(j, d, new AbortController().signal)) out += c;
  return JSON.parse(out) as Awaited<ReturnType<typeof run>>;
}

async function single(r: Rig, query: string): Promise<string[]> {
  return r.engine.query('t', (await import('../../../src/sparql/index.js')).parseQuery(query), { deadlineMs: Date.now() + 10_000, timeoutMs: 10_000, maxHeldValues: 1_000_000, nowMs: Date.now }, (res) => {
    if (res.kind !== 'bindings') throw new Error('bindings expected');
    return [...res.rows].map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v.value])))).sort();
  });
}

const Q = 'SELECT ?s ?o ?n WHERE { ?s <http://e/q> ?o . ?o <http://e/p> ?n }';
const sorted = (rows: Record<string, string>[]): string[] => rows.map((r) => JSON.stringify(r)).sort();

test('three healthy nodes: the parts cover every row once, and explain shows each part', async (t) => {
  const r = await rig();
  try {
    const got = await run(r, Q);
    t.deepEqual(sorted(got.rows), await single(r, Q));
    t.is(got.federation.parts.length, 3);
    t.deepEqual(got.federation.parts.map((p) => p.node), ['self', 'p1', 'p2']);
    t.is(got.federation.parts.reduce((n, p) => n + p.rows, 0), 60);
    t.true(got.federation.parts.every((p) => p.rows < 60), 'each part did a share of the work');
    t.is(r.counters.retries, 0);
  } finally {
    await r.stop();
  }
});

for (const b of ['refuse', 'cut', 'fail-mid', 'old-version'] as const) {
  test(`a peer that fails (${b}) has its share re-run on another node: the answer is whole`, async (t) => {
    const r = await rig();
    r.behaviour['p1'] = b;
    try {
      const got = await run(r, Q);
      t.deepEqual(sorted(got.rows), await single(r, Q));
      t.is(r.counters.retries, 1);
      const part = got.federation.parts[1]!;
      t.is(part.attempts[0]!.node, 'p1');
      t.truthy(part.attempts[0]!.error);
      t.not(part.node, 'p1');
      // The failed peer is passed over by the next query.
      t.deepEqual(r.coordinator.participants(), ['self', 'p2']);
    } finally {
      await r.stop();
    }
  });
}

test('a share no node can run fails the query, naming the share; never a partial answer', async (t) => {
  const r = await rig({ localInflight: 0 });
  r.behaviour['p1'] = 'refuse';
  r.behaviour['p2'] = 'refuse';
  try {
    const e = await t.throwsAsync(run(r, Q));
    t.is((e as KnowdError).code, 'FEDERATION_INCOMPLETE');
    t.regex(e!.message, /missing part \d\/3 \(ids in \d+ slices \[\d+, \d+\) … \[\d+, (\d+|2\^40)\); computed values hashing into \[0x[0-9a-f]{8}, 0x[0-9a-f]+\)\) of \?/);
    const share = (e as KnowdError).details['share'] as { parts: number; slices: unknown[] };
    t.is(share.parts, 3);
    t.true(share.slices.length > 1, 'the details carry the exact share to re-run');
    t.regex(e!.message, /no partial answer/);
    t.deepEqual(r.counters.outcomes, ['error']);
  } finally {
    await r.stop();
  }
});

test('an error of the query itself is not re-run elsewhere', async (t) => {
  const r = await rig();
  r.behaviour['p1'] = 'bad-request';
  try {
    const e = await t.throwsAsync(run(r, Q));
    t.is((e as KnowdError).code, 'BAD_REQUEST');
    t.is(r.counters.retries, 0);
  } finally {
    await r.stop();
  }
});

test('ASK: the first part that answers true decides, the others are cancelled', async (t) => {
  const r = await rig();
  r.behaviour['p1'] = 'hang';
  r.behaviour['p2'] = 'hang';
  try {
    const got = await run(r, 'ASK { ?s <http://e/q> ?o }');
    t.true(got.boolean);
    t.deepEqual(r.aborted.sort(), ['p1', 'p2']);
  } finally {
    await r.stop();
  }
});

test('aggregates and ORDER BY + LIMIT come out as on one node', async (t) => {
  const r = await rig();
  try {
    const agg = 'SELECT ?n (COUNT(*) AS ?c) (SUM(?n) AS ?sum) (AVG(?n) AS ?avg) (MIN(?o) AS ?min) WHERE { ?s <http://e/q> ?o . ?o <http://e/p> ?n } GROUP BY ?n';
    t.deepEqual(sorted((await run(r, agg)).rows), await single(r, agg));
    const top = 'SELECT ?s ?n WHERE { ?s <http://e/p> ?n } ORDER BY DESC(?n) ?s LIMIT 7 OFFSET 3';
    const got = (await run(r, top)).rows.map((x) => JSON.stringify(x));
    const want = await r.engine.query('t', (await import('../../../src/sparql/index.js')).parseQuery(top), { deadlineMs: Date.now() + 10_000, timeoutMs: 10_000, maxHeldValues: 1_000_000, nowMs: Date.now }, (res) => (res.kind === 'bindings' ? [...res.rows].map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v.value])))) : []));
    t.deepEqual(got, want);
  } finally {
    await r.stop();
  }
});

test('a term stored after the query was planned travels as text; ids, computed values and new terms mix in one row; the answer is as on one node', async (t) => {
  const r = await rig();
  try {
    const q = 'SELECT ?s ?n ?x WHERE { ?s <http://e/p> ?n BIND(CONCAT("v", STR(?n)) AS ?x) }';
    const j = job(q);
    const d = r.coordinator.decide(j, true);
    t.truthy(d.ids);
    // After the coordinator planned (its id bound is set), before the parts read.
    await r.engine.transact({ namespace: 't', format: 'n-triples', actor: 'x', add: '<http://e/late> <http://e/p> "99"^^<http://www.w3.org/2001/XMLSchema#integer> .' });
    let out = '';
    for await (const c of r.coordinator.run(j, d, new AbortController().signal)) out += c;
    const rows = (JSON.parse(out) as { rows: Record<string, string>[] }).rows;
    t.deepEqual(sorted(rows), await single(r, q));
    t.deepEqual(rows.find((x) => x['s'] === 'http://e/late'), { s: 'http://e/late', n: '99', x: 'v99' });
    const wire = r.shipped.join('');
    t.regex(wire, /"vals":\[\d+,/, 'stored terms travel as ids');
    t.true(wire.includes('"\\"v1\\""'), 'computed values travel as text');
    t.true(wire.includes('"http://e/late"'), 'the term newer than the bound travels as text');
  } finally {
    await r.stop();
  }
});

test('unbound values and computed values come out as on one node', async (t) => {
  const r = await rig();
  try {
    const q = 'SELECT ?s ?o ?half WHERE { ?s <http://e/p> ?n OPTIONAL { ?s <http://e/q> ?o FILTER(?n > 3) } BIND(?n / 2 AS ?half) }';
    const got = await run(r, q);
    t.deepEqual(sorted(got.rows), await single(r, q));
    t.true(got.rows.some((x) => x['o'] === undefined) && got.rows.some((x) => x['o'] !== undefined));
  } finally {
    await r.stop();
  }
});

test('a namespace deleted and re-created while a query ran fails it: ids are never decoded in another namespace', async (t) => {
  const r = await rig();
  try {
    const j = job(Q);
    const d = r.coordinator.decide(j, true);
    await r.engine.deleteNamespace('t', 'x');
    await r.engine.createNamespace('t', 'x');
    await r.engine.transact({ namespace: 't', format: 'n-triples', actor: 'x', add: DATA.split('\n').reverse().join('\n') });
    const err = await t.throwsAsync(async () => {
      for await (const _ of r.coordinator.run(j, d, new AbortController().signal));
    });
    t.is((err as KnowdError).code, 'NAMESPACE_NOT_FOUND');
  } finally {
    await r.stop();
  }
});

test('routing: unasked queries split only from KNOWD_FEDERATION_MIN_COST; asked ones when splittable; "false" never', async (t) => {
  const r = await rig({ minCost: 1_000 });
  try {
    const cheap = r.coordinator.decide(job('SELECT ?n WHERE { <http://e/s1> <http://e/p> ?n }'), false);
    t.false(cheap.federate);
    t.regex(cheap.reason, /below KNOWD_FEDERATION_MIN_COST/);
    // 60 × 60 rows through the join: above 1000.
    const heavy = r.coordinator.decide(job('SELECT * WHERE { ?a <http://e/p> ?x . ?b <http://e/p> ?x }'), false);
    t.true(heavy.federate, heavy.reason);
    t.true((heavy.cost ?? 0) >= 1_000);
    t.true(r.coordinator.decide(job('SELECT ?n WHERE { <http://e/s1> <http://e/p> ?n }'), true).federate);
    const construct = r.coordinator.decide(job('CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }'), true);
    t.false(construct.federate);
    t.regex(construct.reason, /not splittable/);
  } finally {
    await r.stop();
  }
});

test('a participant refuses a part of another format version clearly (PART_VERSION), and a malformed share as BAD_REQUEST', (t) => {
  const p = new Participant({ executor: { run: () => (async function* () {})() } as unknown as QueryExecutor, waitForApplied: async () => undefined, readyForReads: () => ({ ok: true }), maxInflight: 1 });
  const common = { namespace: 't', query: 'ASK {}', driving: 'x', readIndex: 0, queryTimeMs: 0, timeoutMs: 10, maxHeldValues: 10 };
  // What a coordinator of format 1 sends: a hash range.
  const old = t.throws(() => p.serve(JSON.stringify({ ...common, lo: 0, hi: 100 }), new AbortController().signal)) as KnowdError;
  t.is(old.code, 'PART_VERSION');
  t.regex(old.message, /format 2, the coordinator sent format 1.*upgrade every node/);
  const bad = t.throws(() => p.serve(JSON.stringify({ ...common, version: 2, share: { part: 0, parts: 2, slices: [{ lo: 5, hi: 9 }, { lo: 7, hi: 20 }], terms: { lo: 0, hi: 10 } } }), new AbortController().signal)) as KnowdError;
  t.is(bad.code, 'BAD_REQUEST');
  t.regex(bad.message, /share has id slice \[7, 20\)/);
  // Neither format: malformed, not a version question.
  t.is((t.throws(() => p.serve(JSON.stringify({ ...common }), new AbortController().signal)) as KnowdError).code, 'BAD_REQUEST');
  t.is((t.throws(() => p.serve('[1]', new AbortController().signal)) as KnowdError).code, 'BAD_REQUEST');
});
