/**
 * A write's receipt is signed while its commit is flushed, not after: the answer waits for both, and
 * nothing is answered before the commit is durable. A write that does not commit answers its error.
 */
import test from 'ava';
import { FakeClock, KnowdError } from '../../../src/base/index.js';
import { createEd25519Signer, generateSigningKeyPem, verifyReceipt, type BatchSigner } from '../../../src/receipts/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';
import { openMemoryStorage, type Storage } from '../../../src/storage/index.js';

const signer = createEd25519Signer(generateSigningKeyPem());

/** A memory store whose commits become durable only when the test says so (while `held`). */
function gatedStorage(): { storage: Storage; hold(): void; release(): void; failNext(): void } {
  const mem = openMemoryStorage();
  let gate: Promise<void> | undefined;
  let open = (): void => undefined;
  let fail = false;
  const storage: Storage = {
    read: (fn) => mem.read(fn),
    info: () => mem.info(),
    close: () => mem.close(),
    async write(fn) {
      const failing = fail;
      fail = false;
      const out = await mem.write((w) => {
        const r = fn(w);
        // As if the commit failed after the transaction ran: nothing of it is kept.
        if (failing) throw new KnowdError('INTERNAL', 'injected commit failure');
        return r;
      });
      if (gate !== undefined) await gate;
      return out;
    },
  };
  return {
    storage,
    hold: () => void (gate = new Promise<void>((r) => (open = r))),
    release: () => {
      gate = undefined;
      open();
    },
    failNext: () => void (fail = true),
  };
}

/** The engine's signing thread, in the test: it signs at once and records when it was asked. */
function recordingSigner(events: string[]): BatchSigner {
  return {
    publicKey: () => signer.publicKey(),
    sign: (data) => {
      events.push('signed');
      return Promise.resolve(signer.sign(data));
    },
    close: () => Promise.resolve(),
  };
}

async function setUp(): Promise<{ events: string[]; g: ReturnType<typeof gatedStorage> } & Awaited<ReturnType<typeof openStandalone>>> {
  const events: string[] = [];
  const g = gatedStorage();
  const opened = await openStandalone({ storage: g.storage, signer, batchSigner: recordingSigner(events), clock: new FakeClock(1_700_000_000_000), maxTxQuads: 100 });
  await opened.engine.createNamespace('n', 'tester');
  return { events, g, ...opened };
}

test('the receipt is signed before the commit is durable, and the answer comes after both', async (t) => {
  const { events, g, engine, node } = await setUp();
  g.hold();
  const answer = engine.transact({ namespace: 'n', format: 'n-triples', actor: 'a', add: '<http://e/s> <http://e/p> "o" .\n' }).then((r) => {
    events.push('answered');
    return r;
  });
  for (let i = 0; i < 200 && !events.includes('signed'); i++) await new Promise((r) => setTimeout(r, 5));
  t.deepEqual(events, ['signed'], 'signed while the commit is still being flushed, and not answered yet');
  events.push('durable');
  g.release();
  const r = await answer;
  t.deepEqual(events, ['signed', 'durable', 'answered']);
  t.true(verifyReceipt(r.receipt).valid);
  t.is(r.receipt.pub, signer.publicKey());
  await node.stop();
});

test('a write whose commit fails answers the error, not the receipt it had signed', async (t) => {
  const { g, engine, node } = await setUp();
  g.failNext();
  await t.throwsAsync(engine.transact({ namespace: 'n', format: 'n-triples', actor: 'a', add: '<http://e/s> <http://e/p> "o" .\n' }));
  // The node restarts from the durable state and takes the next write.
  let r;
  for (let i = 0; i < 100 && r === undefined; i++) {
    try {
      r = await engine.transact({ namespace: 'n', format: 'n-triples', actor: 'a', add: '<http://e/s> <http://e/p> "o2" .\n' });
    } catch {
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  t.truthy(r);
  t.true(verifyReceipt(r!.receipt).valid);
  t.is(r!.delta.added, 1);
  await node.stop();
});
