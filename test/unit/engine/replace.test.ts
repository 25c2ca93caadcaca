/**
 * Graph replacement (Graph Store PUT/DELETE) as explicit removals checked at apply, and concurrent
 * idempotent retries.
 */
import test from 'ava';
import { FakeClock, KnowdError } from '../../../src/base/index.js';
import { Engine, encodeCommand, parseTxCommand, type TxCommand } from '../../../src/engine/index.js';
import { openStandaloneEngine } from '../../../src/replication/node/index.js';
import { createEd25519Signer, deltaHash, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';

const signer = createEd25519Signer(generateSigningKeyPem());
const G = 'http://example.org/g';

async function engine(): Promise<Engine> {
  const e = await openStandaloneEngine({ storage: openMemoryStorage(), signer, clock: new FakeClock(1_700_000_000_000), maxTxQuads: 1000 });
  await e.createNamespace('main', 'tester');
  return e;
}

test('replacing a graph with its own content changes nothing and reports 0/0', async (t) => {
  const e = await engine();
  const body = '<http://e/a> <http://e/p> "one" .\n<http://e/b> <http://e/p> "two" .';
  await e.transact({ namespace: 'main', format: 'turtle', actor: 'a', add: body, graph: G, replace: G });
  const again = await e.transact({ namespace: 'main', format: 'turtle', actor: 'a', add: body, graph: G, replace: G });
  t.deepEqual(again.delta, { added: 0, removed: 0 });
});

test('the receipt of a replacement hashes the removed quads, so it can be verified from the log', async (t) => {
  const e = await engine();
  await e.transact({ namespace: 'main', format: 'turtle', actor: 'a', add: '<http://e/a> <http://e/p> "old" .', graph: G, replace: G });
  const r = await e.transact({ namespace: 'main', format: 'turtle', actor: 'a', add: '<http://e/a> <http://e/p> "new" .', graph: G, replace: G });
  t.deepEqual(r.delta, { added: 1, removed: 1 });
  const entry = e.logEntry(r.receipt.logIndex);
  t.truthy(entry);
  const parsed = parseTxCommand(entry as TxCommand);
  t.is(parsed.remove.length, 1);
  t.is(await deltaHash(parsed.add, parsed.remove), r.receipt.deltaHash);
});

test('a graph that changed between proposal and apply fails the replacement with CONFLICT and changes nothing', async (t) => {
  const e = await engine();
  await e.transact({ namespace: 'main', format: 'turtle', actor: 'a', add: '<http://e/a> <http://e/p> "old" .', graph: G, replace: G });
  const before = e.position();
  // A replacement proposed against a snapshot that no longer holds: its removals miss "sneaky".
  await e.transact({ namespace: 'main', format: 'n-quads', actor: 'b', add: `<http://e/x> <http://e/p> "sneaky" <${G}> .` });
  const stale: TxCommand = {
    type: 'tx', ns: 'main', actor: 'a', kind: 'tx', timeMs: 1, format: 'turtle', bnodePrefix: 'k_',
    add: '<http://e/a> <http://e/p> "new" .', remove: `<http://e/a> <http://e/p> "old" <${G}> .\n`, removeFormat: 'n-quads', graph: G, exact: G, deltaHash: 'x',
  };
  t.truthy(encodeCommand(stale));
  const internal = e as unknown as { submit(c: TxCommand, p: undefined): Promise<unknown> };
  const err = await t.throwsAsync(internal.submit(stale, undefined));
  t.true(err instanceof KnowdError && err.code === 'CONFLICT', String(err));
  // Logged (apply decides, identically on every replica) and rejected: nothing of it is applied.
  t.is(e.position().lastIndex, before.lastIndex + 2);
});

test('concurrent retries of one idempotency key log one entry and share one receipt', async (t) => {
  const e = await engine();
  const before = e.position().lastIndex;
  const req = { namespace: 'main', format: 'turtle' as const, actor: 'a', add: '<http://e/a> <http://e/p> 1 .', idempotencyKey: 'k1' };
  const results = await Promise.all(Array.from({ length: 8 }, () => e.transact(req)));
  t.is(new Set(results.map((r) => r.receipt.id)).size, 1);
  t.is(e.position().lastIndex, before + 1);
  t.is(results.filter((r) => !r.replayed).length, 1);
});
