/** Knowledge hooks in the engine: WINDOW by entry time (FakeClock), definitions across a reopen, the predicate filter. */
import test from 'ava';
import { FakeClock, KnowdError } from '../../../src/base/index.js';
import type { Engine, EngineOptions } from '../../../src/engine/index.js';
import { hookCounters, parseHook } from '../../../src/hooks/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import type { Storage } from '../../../src/storage/index.js';
import { withStorage } from '../../helpers/storages.js';

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
