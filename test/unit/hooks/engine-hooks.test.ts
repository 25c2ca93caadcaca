/**
 * Knowledge hooks in the engine: WINDOW by entry time (FakeClock), definitions across a reopen (and
 * across the check's cache of them), the predicate filter, the order of the SHACL and hooks verdicts.
 */
import test from 'ava';
import { FakeClock, KnowdError } from '../../../src/base/index.js';
import type { Engine, EngineOptions } from '../../../src/engine/index.js';
import { hookCounters, parseHook } from '../../../src/hooks/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { u64Key, type Storage } from '../../../src/storage/index.js';
import { countDataReceipts } from '../../../src/engine/receipt-store.js';
import { appendRecord, readRecords } from '../../../src/replication/log/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';
import { withStorage } from '../../helpers/storages.js';
import { awaitLeader, startMemoryCluster } from '../../helpers/memory-cluster.js';

const signer = createEd25519Signer(generateSigningKeyPem());
const T0 = 1_700_000_000_000;
const NS = 'n';

async function open(storage: Storage, clock: FakeClock, extra: Partial<EngineOptions> = {}): Promise<{ engine: Engine; stop: () => Promise<void> }> {
  const { engine, node } = await openStandalone({ storage, signer, clock, maxTxQuads: 1000, windowSec: 60, ...extra });
  await engine.ensureNamespace(NS);
  return { engine, stop: async () => { await engine.drain(); await node.stop(); } };
}

const tx = (engine: Engine, add: string): Promise<unknown> => engine.transact({ namespace: NS, add, format: 'turtle', actor: 't' });
const hook = (def: unknown) => parseHook(def, NS);

async function rejected(t: { fail(m: string): void; is(a: unknown, b: unknown): void }, p: Promise<unknown>): Promise<KnowdError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KnowdError) return e;
    throw e;
  }
  t.fail('expected a rejection');
  throw new Error('unreachable');
}

test('WINDOW counts the transactions of the last windowSec by entry time, this one included', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const clock = new FakeClock(T0);
    const { engine, stop } = await open(storage, clock);
    try {
      await engine.putHook(hook({ id: 'rate', phase: 'pre', condition: { window: { count: { op: '>', value: 2 } } } }), 'admin');
      await engine.putHook(hook({ id: 'busy', phase: 'post', condition: { window: { count: { op: '>=', value: 2 } } } }), 'admin');
      await tx(engine, '<http://ex/a> <http://ex/p> 1 .');
      clock.advance(10_000);
      await tx(engine, '<http://ex/a> <http://ex/p> 2 .');
      clock.advance(10_000);
      // Third in 60 s: vetoed (entries at T0, T0+10 s and this one at T0+20 s).
      const e = await rejected(t, tx(engine, '<http://ex/a> <http://ex/p> 3 .'));
      t.is(e.code, 'REJECTED');
      t.deepEqual(e.details['evidence'], { window: 3 });
      // At T0+60 s the entry of T0 is exactly windowSec old: outside (the window is (now-60 s, now]).
      clock.advance(40_000);
      await tx(engine, '<http://ex/a> <http://ex/p> 4 .');
      const fired = engine.firings(NS, 'busy', 100);
      t.deepEqual(fired.map((f) => [f.timeMs - T0, f.evidence]), [[10_000, { window: 2 }], [60_000, { window: 2 }]]);
      // Long after: the window is empty again but this tx.
      clock.advance(600_000);
      await tx(engine, '<http://ex/a> <http://ex/p> 5 .');
      t.is(engine.firings(NS, 'busy', 100).length, 2);
    } finally {
      await stop();
    }
  });
});

test('a replica counts WINDOW with the span the proposer logged, not its own KNOWD_WINDOW_SEC', async (t) => {
  const a = openMemoryStorage();
  const clock = new FakeClock(T0);
  const { engine, stop } = await open(a, clock);
  await engine.putHook(hook({ id: 'rate', phase: 'pre', condition: { window: { count: { op: '>', value: 2 } } } }), 'admin');
  await engine.putHook(hook({ id: 'busy', phase: 'post', condition: { window: { count: { op: '>=', value: 2 } } } }), 'admin');
  for (let i = 1; i <= 4; i++) {
    await tx(engine, `<http://ex/a> <http://ex/p> ${i} .`).catch(() => undefined); // the third is vetoed (3 in 60 s)
    clock.advance(25_000);
  }
  const quads = (e: Engine): number => e.read((r) => e.quads.stats(r, e.namespace(NS).id).quads);
  const busy = (e: Engine): number[] => e.firings(NS, 'busy', 100).map((f) => f.timeMs - T0);
  t.is(quads(engine), 3);
  t.deepEqual(busy(engine), [25_000, 75_000]);
  await stop();

  // The same log on a node set to a 5 s window: with its own span it would veto nothing and fire never.
  const b = openMemoryStorage();
  const records = a.read((r) => [...readRecords(r, 1)]);
  await b.write((w) => {
    for (const rec of records) appendRecord(w, rec.index, rec.term, rec.payload);
  });
  const replica = await open(b, new FakeClock(T0 + 3_600_000), { windowSec: 5 });
  t.is(quads(replica.engine), 3);
  t.deepEqual(busy(replica.engine), [25_000, 75_000]);
  await replica.stop();
});

test.serial('hooks whose predicates the delta does not use are not evaluated; a variable predicate always is', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const { engine, stop } = await open(storage, new FakeClock(T0));
    try {
      await engine.putHook(hook({ id: 'p', phase: 'post', condition: { ask: 'ASK { ?s <http://ex/p> ?o }' } }), 'admin');
      await engine.putHook(hook({ id: 'path', phase: 'post', condition: { ask: 'ASK { ?s <http://ex/a>/<http://ex/b> ?o }' } }), 'admin');
      await engine.putHook(hook({ id: 'any', phase: 'post', condition: { ask: 'ASK { ?s ?p ?o }' } }), 'admin');
      const before = { ...hookCounters };
      await tx(engine, '<http://ex/s> <http://ex/q> 1 .');
      t.is(hookCounters.skipped - before.skipped, 2);
      t.is(hookCounters.evaluated - before.evaluated, 1);
      t.deepEqual(engine.firings(NS, 'p', 10), []);
      t.is(engine.firings(NS, 'any', 10).length, 1);
      await tx(engine, '<http://ex/s> <http://ex/b> <http://ex/x> . <http://ex/x0> <http://ex/a> <http://ex/s> .');
      t.is(engine.firings(NS, 'path', 10).length, 1);
      t.deepEqual(engine.firings(NS, 'p', 10), []);
    } finally {
      await stop();
    }
  });
});

test('hook definitions survive a reopen of the store and still veto', async (t) => {
  await withStorage('lmdb', async (ts) => {
    const clock = new FakeClock(T0);
    const first = await open(ts.storage, clock);
    await first.engine.putHook(hook({ id: 'no-neg', phase: 'pre', condition: { ask: 'ASK { ?s <http://ex/v> ?v FILTER(?v < 0) }' } }), 'admin');
    await first.stop();
    const storage = await ts.reopen();
    const again = await open(storage, clock);
    try {
      t.deepEqual(again.engine.hooks(NS).map((h) => h.id), ['no-neg']);
      const e = await rejected(t, tx(again.engine, '<http://ex/a> <http://ex/v> -1 .'));
      t.regex(e.message, /^Vetoed by hook no-neg/);
      await tx(again.engine, '<http://ex/a> <http://ex/v> 1 .');
    } finally {
      await again.stop();
    }
  });
});

test('a SPARQL update is checked by pre hooks and fires post hooks like a transaction', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const { engine, stop } = await open(storage, new FakeClock(T0));
    try {
      await engine.putHook(hook({ id: 'cap', phase: 'pre', condition: { select: 'SELECT ?s { ?s <http://ex/v> ?v }', count: { op: '>', value: 2 } } }), 'admin');
      await engine.putHook(hook({ id: 'seen', phase: 'post', condition: { select: 'SELECT ?v { ?s <http://ex/v> ?v }', delta: { var: 'v', op: '==', value: 3 } } }), 'admin');
      await engine.update(NS, 'INSERT DATA { <http://ex/a> <http://ex/v> 1 . <http://ex/b> <http://ex/v> 2 }', 't');
      t.deepEqual(engine.firings(NS, 'seen', 10).map((f) => f.evidence), [{ before: 0, after: 3, delta: 3 }]);
      const e = await rejected(t, engine.update(NS, 'INSERT DATA { <http://ex/c> <http://ex/v> 3 }', 't'));
      t.is(e.details['hook'], 'cap');
      t.is(engine.firings(NS, 'seen', 10).length, 1);
    } finally {
      await stop();
    }
  });
});

test('a hook past its wall-clock limit on this node fails the write (transient), never vetoes or passes; the same tx passes once the node is fast enough', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    // The node's wall clock: while `slow`, every reading is a minute after the last (an evaluation that takes forever).
    let slow = false;
    let skew = 0;
    const wallMs = (): number => Date.now() + (slow ? (skew += 60_000) : skew);
    const { engine, stop } = await open(storage, new FakeClock(T0), { hookWallLimitMs: 10_000, hookWallMs: wallMs, maxTxQuads: 5000 });
    const quads = (): number => engine.read((r) => engine.quads.count(r, engine.namespace(NS).id, { graph: { kind: 'all' } }));
    const receipts = (): number => engine.read((r) => [...r.scan('receipts', { start: Buffer.alloc(0), end: Buffer.from([0xff]) })].length);
    // Until the node has recovered from the failed write (it restarts its raft core from the durable state).
    const retry = async <T>(fn: () => Promise<T>): Promise<T> => {
      for (let i = 0; ; i++) {
        try {
          return await fn();
        } catch (e) {
          if (i > 100 || (e instanceof KnowdError && e.code === 'REJECTED')) throw e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    try {
      // Enough quads that an evaluation checks the clock (every 1024 quads read).
      await tx(engine, Array.from({ length: 1500 }, (_, i) => `<http://ex/s${i}> <http://ex/v> ${i} .`).join('\n'));
      await engine.putHook(hook({ id: 'scan', phase: 'pre', condition: { select: 'SELECT ?s { ?s <http://ex/v> ?o }', count: { op: '>', value: 1e9 } } }), 'admin');
      const q0 = quads();
      const r0 = receipts();
      slow = true;
      const e = await rejected(t, tx(engine, '<http://ex/new> <http://ex/v> 1 .'));
      t.is(e.code, 'INTERNAL');
      t.true(e.details['transient']);
      t.regex(e.message, /ran longer than 10000 ms on this node/);
      t.is(quads(), q0);
      t.is(receipts(), r0);
      slow = false;
      await retry(() => tx(engine, '<http://ex/new> <http://ex/v> 1 .'));
      t.is(quads(), q0 + 1, 'not a veto: the same tx passes on a node that is fast enough');

      // A post hook likewise: the write fails rather than commit without its firing.
      await engine.deleteHook(NS, 'scan', 'admin');
      await engine.putHook(hook({ id: 'grew', phase: 'post', condition: { select: 'SELECT ?s { ?s <http://ex/v> ?o }', delta: { op: '>', value: 0 } } }), 'admin');
      slow = true;
      const e2 = await rejected(t, tx(engine, '<http://ex/new2> <http://ex/v> 2 .'));
      t.true(e2.details['transient']);
      t.deepEqual(engine.firings(NS, 'grew', 10), []);
      t.is(quads(), q0 + 1);
      slow = false;
      await retry(() => tx(engine, '<http://ex/new2> <http://ex/v> 2 .'));
      t.deepEqual(engine.firings(NS, 'grew', 10).map((f) => [f.ok, f.evidence]), [[true, { before: 1501, after: 1502, delta: 1 }]]);
    } finally {
      await stop();
    }
  });
});

test('scope "delta": ?this is bound to each node the tx changed, so a per-entity rule ignores the rest of the store; a dry run leaves ?this unbound', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const { engine, stop } = await open(storage, new FakeClock(T0));
    try {
      // An old violation the rule does not look at unless that node changes.
      await tx(engine, '<http://ex/old> <http://ex/advisor> <http://ex/p1> , <http://ex/p2> .');
      const noThis = t.throws(() => hook({ id: 'x', phase: 'pre', scope: 'delta', condition: { and: [{ ask: 'ASK { ?s ?p ?o }' }] } }), { instanceOf: KnowdError });
      t.is(noThis.details['field'], 'condition.and.0.ask');
      const rule = hook({ id: 'one-advisor', phase: 'pre', scope: 'delta', condition: { ask: 'ASK { ?this <http://ex/advisor> ?a1 , ?a2 FILTER(?a1 != ?a2) }' } });
      await engine.putHook(rule, 'admin');
      await engine.putHook(hook({ id: 'load', phase: 'post', scope: 'delta', condition: { select: 'SELECT ?c { ?this <http://ex/takes> ?c }', delta: { op: '>', value: 0 } } }), 'admin');
      await tx(engine, '<http://ex/new> <http://ex/advisor> <http://ex/p1> ; <http://ex/takes> <http://ex/c1> .');
      const e = await rejected(t, tx(engine, '<http://ex/new> <http://ex/advisor> <http://ex/p3> .'));
      t.is(e.details['hook'], 'one-advisor');
      // A change to the old node's advisors makes it ?this: its violation now counts. (A change that
      // uses no predicate of the rule, such as a name, does not run it at all.)
      await tx(engine, '<http://ex/old> <http://ex/name> "Old" .');
      t.is((await rejected(t, tx(engine, '<http://ex/old> <http://ex/advisor> <http://ex/p4> .'))).details['hook'], 'one-advisor');
      // DELTA per changed node: only new's course count moved (by 1), not the store's total.
      await tx(engine, '<http://ex/other> <http://ex/takes> <http://ex/c1> , <http://ex/c2> .');
      t.deepEqual(engine.firings(NS, 'load', 10).map((f) => f.evidence), [{ before: 0, after: 1, delta: 1 }, { before: 0, after: 2, delta: 2 }]);
      // Dry run: no delta, ?this unbound, so the rule sees every node (and the old violation).
      t.deepEqual(engine.evaluateHook(rule, 1000), { fired: true, evidence: { ask: true } });
    } finally {
      await stop();
    }
  });
});

test('WINDOW counts: the namespace index and the time-index scan (a store from before the index) agree', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const clock = new FakeClock(T0);
    const { engine, stop } = await open(storage, clock);
    try {
      await engine.createNamespace('other', 't');
      await engine.putHook(hook({ id: 'fires', phase: 'post', condition: { window: { count: { op: '>', value: 0 } } } }), 'admin');
      for (let i = 0; i < 6; i++) {
        await tx(engine, `<http://ex/a> <http://ex/p> ${i} .`);
        await engine.transact({ namespace: 'other', add: `<http://ex/a> <http://ex/p> ${i} .`, format: 'turtle', actor: 't' });
        clock.advance(10_000);
      }
      const windows = [[T0 - 1, T0 + 60_000], [T0 + 15_000, T0 + 45_000], [T0 + 49_999, T0 + 50_000]] as const;
      const fast = windows.map(([a, b]) => engine.read((r) => countDataReceipts(r, NS, a, b)));
      t.deepEqual(fast, [6, 3, 1]);
      // As if the index had been started later (an upgraded store): the scan must give the same.
      await storage.write((w) => w.put('meta', Buffer.from('winidx/since'), u64Key(T0 + 1_000_000)));
      t.deepEqual(windows.map(([a, b]) => engine.read((r) => countDataReceipts(r, NS, a, b))), fast);
    } finally {
      await stop();
    }
  });
});

test('the hooks a transaction meets are the ones committed before it: every put and delete takes effect at the next entry', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const { engine, stop } = await open(storage, new FakeClock(T0));
    try {
      await engine.putHook(hook({ id: 'cap', phase: 'pre', condition: { ask: 'ASK { ?s <http://ex/v> ?v FILTER(?v < 0) }' } }), 'admin');
      // The first transactions see (and the check keeps) one hook.
      t.is((await rejected(t, tx(engine, '<http://ex/a> <http://ex/v> -1 .'))).details['hook'], 'cap');
      await tx(engine, '<http://ex/a> <http://ex/v> 1 .');
      // Replaced: the old condition no longer vetoes, the new one does.
      await engine.putHook(hook({ id: 'cap', phase: 'pre', condition: { ask: 'ASK { ?s <http://ex/v> ?v FILTER(?v > 100) }' } }), 'admin');
      await tx(engine, '<http://ex/b> <http://ex/v> -1 .');
      t.is((await rejected(t, tx(engine, '<http://ex/c> <http://ex/v> 200 .'))).details['hook'], 'cap');
      // A second hook, of the other phase, next to it.
      await engine.putHook(hook({ id: 'big', phase: 'post', condition: { ask: 'ASK { ?s <http://ex/v> ?v FILTER(?v > 10) }' } }), 'admin');
      await tx(engine, '<http://ex/d> <http://ex/v> 50 .');
      t.is(engine.firings(NS, 'big', 10).length, 1);
      // Deleted: nothing vetoes or fires any more.
      await engine.deleteHook(NS, 'cap', 'admin');
      await engine.deleteHook(NS, 'big', 'admin');
      await tx(engine, '<http://ex/e> <http://ex/v> 200 .');
      t.is(engine.firings(NS, 'big', 10).length, 1);
      // A namespace deleted and made again (a new id) starts without hooks.
      await engine.putHook(hook({ id: 'cap', phase: 'pre', condition: { ask: 'ASK { ?s <http://ex/v> ?v }' } }), 'admin');
      await engine.deleteNamespace(NS, 'admin');
      await engine.ensureNamespace(NS);
      await tx(engine, '<http://ex/f> <http://ex/v> 1 .');
      t.deepEqual(engine.hooks(NS), []);
    } finally {
      await stop();
    }
  });
});

test.serial('SHACL (in its worker) and hooks (meanwhile, here) decide as if one ran after the other: the shapes first, then the hooks', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const { engine, stop } = await open(storage, new FakeClock(T0));
    try {
      const shapes = (max: number): string => `@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:name ; sh:maxCount ${max} ] .`;
      await engine.putShapes(NS, shapes(1), 'admin');
      // A hook whose own SHACL condition is validated while the transaction's validation is in flight.
      const ages = `@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:AgeShape a sh:NodeShape ; sh:targetClass ex:Person ; sh:property [ sh:path ex:age ; sh:datatype xsd:integer ] .`;
      await engine.putHook(hook({ id: 'ages', phase: 'pre', condition: { not: { shacl: ages } } }), 'admin');
      await engine.putHook(hook({ id: 'no-bob', phase: 'pre', condition: { ask: 'ASK { ?s <http://ex/name> "bob" }' } }), 'admin');
      // Post hooks run while the worker still validates: a rejected transaction must keep none of their firings.
      await engine.putHook(hook({ id: 'seen', phase: 'post', condition: { ask: 'ASK { ?s a <http://ex/Person> }' } }), 'admin');
      const person = (s: string, names: string[], age: string): string => `<http://ex/${s}> a <http://ex/Person> ; ${names.map((n) => `<http://ex/name> "${n}"`).join(' ; ')} ; <http://ex/age> ${age} .`;
      await tx(engine, person('a', ['ann'], '1'));
      const shacl = await rejected(t, tx(engine, person('b', ['x', 'y'], '1')));
      t.truthy(shacl.details['report']);
      t.is(shacl.details['hook'], undefined);
      const byAge = await rejected(t, tx(engine, person('c', ['cy'], '"old"')));
      t.is(byAge.details['hook'], 'ages');
      t.is((await rejected(t, tx(engine, person('d', ['bob'], '2')))).details['hook'], 'no-bob');
      // Both would reject: the shapes' report decides, as when SHACL ran alone first.
      const both = await rejected(t, tx(engine, person('e', ['bob', 'eve'], '"old"')));
      t.truthy(both.details['report']);
      t.is(both.details['hook'], undefined);
      // New shapes (the worker asks for their text once): two names now conform.
      await engine.putShapes(NS, shapes(2), 'admin');
      await t.notThrowsAsync(tx(engine, person('b', ['x', 'y'], '1')));
      // Fired by the two transactions that committed, and by none of the four rejected ones.
      const seen = engine.firings(NS, 'seen', 100);
      t.is(seen.length, 2);
      t.is(new Set(seen.map((f) => f.logIndex)).size, 2);
      t.true(seen.every((f) => f.ok));
    } finally {
      await stop();
    }
  });
});

test('post hooks read the state the pre hooks read in the same entry, and never a previous entry\'s', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const { engine, stop } = await open(storage, new FakeClock(T0));
    try {
      // Both phases read ?this's courses: the post hook replays what the pre hook read in that entry.
      await engine.putHook(hook({ id: 'no-bad', scope: 'delta', phase: 'pre', condition: { ask: 'ASK { ?this <http://ex/takes> <http://ex/bad> }' } }), 'admin');
      await engine.putHook(hook({ id: 'grew', scope: 'delta', phase: 'post', condition: { select: 'SELECT ?c { { ?this <http://ex/takes> ?c } UNION { ?this <http://ex/likes> ?c } }', delta: { op: '>', value: 0 } } }), 'admin');
      await tx(engine, '<http://ex/s> <http://ex/takes> <http://ex/c1>, <http://ex/c2> .');
      const e = await rejected(t, tx(engine, '<http://ex/s> <http://ex/takes> <http://ex/c3>, <http://ex/bad> .'));
      t.is(e.details['hook'], 'no-bad');
      await tx(engine, '<http://ex/s> <http://ex/takes> <http://ex/c4> .');
      await tx(engine, '<http://ex/t> <http://ex/takes> <http://ex/c1> .');
      // No pre hook sees <likes>: the post hook must not replay the previous entry's reads.
      await tx(engine, '<http://ex/t> <http://ex/likes> <http://ex/c9> .');
      const evidence = engine.firings(NS, 'grew', 10).sort((a, b) => a.logIndex - b.logIndex).map((f) => f.evidence);
      t.deepEqual(evidence, [
        { before: 0, after: 2, delta: 2 },
        { before: 2, after: 3, delta: 1 },
        { before: 0, after: 1, delta: 1 },
        { before: 1, after: 2, delta: 1 },
      ]);
    } finally {
      await stop();
    }
  });
});

test('a logged entry whose hooks keep running past the wall-clock limit is applied unhurried after two tries, on every replica', async (t) => {
  // Every node's wall clock jumps a minute at each reading: no evaluation that checks it finishes in time.
  const slowWall = (): (() => number) => {
    let skew = 0;
    return () => Date.now() + (skew += 60_000);
  };
  const members = await startMemoryCluster(t, ['10.0.0.1:8091', '10.0.0.2:8091', '10.0.0.3:8091'], signer, () => ({ hookWallMs: slowWall(), hookWallLimitMs: 10_000, maxTxQuads: 5000 }));
  const leader = await awaitLeader(members);
  await leader.engine.createNamespace(NS, 't');
  // Enough quads that an evaluation reads the clock (every 1024 quads read).
  await tx(leader.engine, Array.from({ length: 1500 }, (_, i) => `<http://ex/s${i}> <http://ex/v> ${i} .`).join('\n'));
  await leader.engine.putHook(hook({ id: 'scan', phase: 'pre', condition: { select: 'SELECT ?s { ?s <http://ex/v> ?o }', count: { op: '>', value: 1e9 } } }), 'admin');
  // Once in the log the entry must be applied: before, every retry ran out of time again, for good.
  await tx(leader.engine, '<http://ex/new> <http://ex/v> 1 .').catch(() => undefined);
  const index = leader.engine.position().lastIndex;
  await Promise.all(members.map((m) => m.node.waitForApplied(index, 10_000)));
  for (const m of members) t.is(m.engine.read((r) => m.engine.quads.count(r, m.engine.namespace(NS).id, { graph: { kind: 'all' } })), 1501, m.id);
});
