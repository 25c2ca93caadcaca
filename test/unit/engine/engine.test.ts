/**
 * The engine as the state machine of one node: transactions in every RDF format, set-semantics
 * deltas, rejected writes that change nothing, idempotency, limits, group commit under concurrency,
 * signed hash-chained receipts, blank-node scoping, crash replay and reopening a durable store.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { DataFactory } from 'n3';
import { FakeClock, KnowdError, type ErrorCode } from '../../../src/base/index.js';
import { Engine, encodeCommand, getReceipt, parseTxCommand, receiptsOf, type Command, type EngineOptions, type TxCommand, type TxRequest } from '../../../src/engine/index.js';
import { openStandalone, openStandaloneEngine } from '../../../src/replication/node/index.js';
import { quadToNQuads } from '../../../src/rdf/index.js';
import { GENESIS_PREV_HASH, createEd25519Signer, deltaHash, generateSigningKeyPem, receiptId, signReceipt, verifyChain, verifyReceipt, type Receipt } from '../../../src/receipts/index.js';
import { appendRecord, appliedIndex, lastIndex, readRecords } from '../../../src/replication/log/index.js';
import type { Storage } from '../../../src/storage/index.js';
import { openMemoryStorage } from '../../../src/storage/index.js';
import { STORAGE_KINDS, withStorage } from '../../helpers/storages.js';

const { namedNode, literal } = DataFactory;
const EX = 'http://example.org/';
const NS = 'main';
// One key for the whole file: generating Ed25519 keys is cheap, but replays must sign alike.
const signer = createEd25519Signer(generateSigningKeyPem());

function options(storage: Storage, extra: Partial<Omit<EngineOptions, 'storage' | 'signer'>> = {}): EngineOptions {
  return { storage, signer, clock: new FakeClock(1_700_000_000_000), maxTxQuads: 1000, ...extra };
}

async function openWithNamespace(storage: Storage, extra: Partial<Omit<EngineOptions, 'storage' | 'signer'>> = {}): Promise<Engine> {
  const engine = await openStandaloneEngine(options(storage, extra));
  await engine.createNamespace(NS, 'tester');
  return engine;
}

function tx(add: string, extra: Partial<TxRequest> = {}): TxRequest {
  return { namespace: NS, format: 'turtle', actor: 'alice', add, ...extra };
}

/** Every quad of a namespace as sorted N-Quads lines. */
function dump(engine: Engine, ns = NS): string[] {
  const id = engine.namespace(ns).id;
  return engine.read((r) => [...engine.quads.matchTerms(r, id, null, null, null, 'all')].map(quadToNQuads)).sort();
}

function quadCount(engine: Engine, ns = NS): number {
  const id = engine.namespace(ns).id;
  return engine.read((r) => engine.quads.stats(r, id).quads);
}

function receiptsFor(engine: Engine, ns = NS): Receipt[] {
  return engine.read((r) => [...receiptsOf(r, ns)].map((s) => engine.signReceipt(s)));
}

/** What a rejected write must leave untouched. */
function snapshot(engine: Engine): { position: ReturnType<Engine['position']>; quads: string[]; receipts: number } {
  return { position: engine.position(), quads: dump(engine), receipts: receiptsFor(engine).length };
}

async function rejects(t: ExecutionContext, p: Promise<unknown>, code: ErrorCode): Promise<KnowdError | undefined> {
  const err = await t.throwsAsync(p);
  if (!(err instanceof KnowdError)) {
    t.fail(`expected a KnowdError ${code}, got ${String(err)}`);
    return undefined;
  }
  t.is(err.code, code, err.message);
  return err;
}

function checkChain(t: ExecutionContext, receipts: readonly Receipt[]): void {
  const sorted = [...receipts].sort((a, b) => a.logIndex - b.logIndex);
  sorted.forEach((r, i) => {
    t.true(verifyReceipt(r, { trustedPub: signer.publicKey() }).valid, `receipt ${r.id} verifies`);
    t.is(r.prevHash, i === 0 ? GENESIS_PREV_HASH : sorted[i - 1]!.hash, `receipt ${r.id} links to the one before`);
  });
  t.deepEqual(verifyChain(sorted, { trustedPub: signer.publicKey() }), { valid: true });
}

const TURTLE = `@prefix ex: <${EX}> .
ex:alice ex:knows ex:bob ; ex:name "Alice" .
ex:bob ex:name "Bob"@en .`;

// ---------------------------------------------------------------------------------------------
// Formats and deltas

test('transact accepts turtle, n-triples, n-quads and trig', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  const r1 = await engine.transact(tx(TURTLE));
  t.deepEqual(r1.delta, { added: 3, removed: 0 });
  t.false(r1.replayed);

  const r2 = await engine.transact(tx(`<${EX}carol> <${EX}name> "Carol" .\n<${EX}carol> <${EX}age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .\n`, { format: 'n-triples' }));
  t.deepEqual(r2.delta, { added: 2, removed: 0 });

  const r3 = await engine.transact(tx(`<${EX}dave> <${EX}name> "Dave" <${EX}g1> .\n<${EX}dave> <${EX}name> "Dave" .\n`, { format: 'n-quads' }));
  t.deepEqual(r3.delta, { added: 2, removed: 0 });

  const r4 = await engine.transact(tx(`@prefix ex: <${EX}> .\nex:g2 { ex:erin ex:name "Erin" . }\n{ ex:erin ex:likes ex:dave . }`, { format: 'trig' }));
  t.deepEqual(r4.delta, { added: 2, removed: 0 });

  t.deepEqual(
    dump(engine),
    [
      `<${EX}alice> <${EX}knows> <${EX}bob> .`,
      `<${EX}alice> <${EX}name> "Alice" .`,
      `<${EX}bob> <${EX}name> "Bob"@en .`,
      `<${EX}carol> <${EX}age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .`,
      `<${EX}carol> <${EX}name> "Carol" .`,
      `<${EX}dave> <${EX}name> "Dave" .`,
      `<${EX}dave> <${EX}name> "Dave" <${EX}g1> .`,
      `<${EX}erin> <${EX}likes> <${EX}dave> .`,
      `<${EX}erin> <${EX}name> "Erin" <${EX}g2> .`,
    ].sort(),
  );
  // One log entry and one receipt per transaction (plus the namespace's creation entry).
  const receipts = receiptsFor(engine);
  t.deepEqual(
    receipts.map((r) => [r.logIndex, r.added, r.removed]),
    [r1, r2, r3, r4].map((r) => [r.receipt.logIndex, r.delta.added, r.delta.removed]),
  );
  // Index 1 is the leader's no-op of term 1 (Raft §5.4.2), 2 the namespace, then the four writes.
  t.deepEqual(engine.position(), { lastIndex: 6, lastTerm: 1, appliedIndex: 6 });
});

test('deltas have set semantics: re-adding adds 0, duplicates count once, removing a missing quad removes 0', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  t.deepEqual((await engine.transact(tx(TURTLE))).delta, { added: 3, removed: 0 });
  const again = await engine.transact(tx(TURTLE));
  t.deepEqual(again.delta, { added: 0, removed: 0 });
  t.is(again.receipt.added, 0);
  t.is(quadCount(engine), 3);

  const dup = `<${EX}x> <${EX}p> "1" .\n<${EX}x> <${EX}p> "1" .\n<${EX}x> <${EX}p> "1"^^<http://www.w3.org/2001/XMLSchema#string> .\n`;
  t.deepEqual((await engine.transact(tx(dup, { format: 'n-triples' }))).delta, { added: 1, removed: 0 });

  const rm = await engine.transact(tx('', { remove: `<${EX}x> <${EX}p> "1" .\n<${EX}x> <${EX}p> "2" .\n<${EX}nobody> <${EX}p> "1" .`, format: 'n-triples' }));
  t.deepEqual(rm.delta, { added: 0, removed: 1 });
  t.deepEqual([rm.receipt.added, rm.receipt.removed], [0, 1]);

  // Removals apply first: a quad both removed and added ends up present.
  const both = await engine.transact(tx(`<${EX}alice> <${EX}name> "Alice" .`, { remove: `<${EX}alice> <${EX}name> "Alice" .`, format: 'n-triples' }));
  t.deepEqual(both.delta, { added: 1, removed: 1 });
  t.true(dump(engine).includes(`<${EX}alice> <${EX}name> "Alice" .`));
  t.is(quadCount(engine), 3);
  // The receipt's counts are the effective change, its hash the delta as sent.
  const parsed = parseTxCommand({ type: 'tx', ns: NS, actor: 'a', kind: 'tx', timeMs: 0, add: `<${EX}alice> <${EX}name> "Alice" .`, remove: `<${EX}alice> <${EX}name> "Alice" .`, format: 'n-triples', bnodePrefix: 'x', deltaHash: '' });
  t.is(both.receipt.deltaHash, await deltaHash(parsed.add, parsed.remove));
});

// ---------------------------------------------------------------------------------------------
// Rejected writes change nothing

test('malformed input is RDF_SYNTAX with line and column, and changes nothing', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  await engine.transact(tx(TURTLE));
  const before = snapshot(engine);

  const e1 = await rejects(t, engine.transact(tx(`@prefix ex: <${EX}> .\nex:a ex:b ex:c .\n  ex:a ex:b ;; .\n`)), 'RDF_SYNTAX');
  t.is(e1?.details['line'], 3);
  t.is(e1?.details['column'], 13);
  t.is(e1?.details['source'], 'add');
  t.is(e1?.status, 400);

  const badLine = `<${EX}s> <${EX}p> <${EX}o> <${EX}g> <${EX}h> .`;
  const e2 = await rejects(t, engine.transact(tx(`<${EX}s> <${EX}p> <${EX}o> .\n${badLine}\n`, { format: 'n-quads' })), 'RDF_SYNTAX');
  t.is(e2?.details['line'], 2);
  // Columns are 1-based and count from the start of the line, not of the document.
  t.is(e2?.details['column'], badLine.indexOf(`<${EX}h>`) + 1);

  // A lexer error has a line but no token, hence no column.
  const e3 = await rejects(t, engine.transact(tx(`<${EX}s> <${EX}p> <${EX}o> .\n<${EX}s> <${EX}p> "unterminated .\n`, { format: 'n-triples' })), 'RDF_SYNTAX');
  t.is(e3?.details['line'], 2);

  // Named graphs are not Turtle.
  await rejects(t, engine.transact(tx(`<${EX}g> { <${EX}s> <${EX}p> <${EX}o> . }`)), 'RDF_SYNTAX');
  // Undefined prefix.
  const e5 = await rejects(t, engine.transact(tx(`foo:a <${EX}p> <${EX}o> .`)), 'RDF_SYNTAX');
  t.is(e5?.details['line'], 1);

  t.deepEqual(snapshot(engine), before);
});

test('a transaction with a good and a bad part changes nothing', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  await engine.transact(tx(TURTLE));
  const before = snapshot(engine);
  // Good add, bad remove: the error names the remove part.
  const e = await rejects(t, engine.transact(tx(`<${EX}new> <${EX}p> "kept?" .`, { remove: `<${EX}alice> <${EX}name> "Alice" .\n<${EX}broken`, format: 'n-triples' })), 'RDF_SYNTAX');
  t.is(e?.details['source'], 'remove');
  // Good first lines, bad last line of the same document.
  await rejects(t, engine.transact(tx(`<${EX}new> <${EX}p> "kept?" .\n<${EX}new2> <${EX}p> "kept?" .\n<${EX}new3> <${EX}p> .\n`, { format: 'n-triples' })), 'RDF_SYNTAX');
  // A literal as subject (n3 accepts it in some modes; the store must not).
  await t.throwsAsync(engine.transact(tx(`<${EX}new> <${EX}p> "ok" .\n"lit" <${EX}p> <${EX}o> .`, { format: 'n-triples' })));
  t.deepEqual(snapshot(engine), before);
});

test('a transaction over maxTxQuads is TOO_LARGE; exactly the limit is accepted', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage(), { maxTxQuads: 5 });
  const lines = (n: number, p = 'p'): string => Array.from({ length: n }, (_, i) => `<${EX}s${i}> <${EX}${p}> "${i}" .`).join('\n');
  const before = snapshot(engine);
  const e = await rejects(t, engine.transact(tx(lines(6), { format: 'n-triples' })), 'TOO_LARGE');
  t.is(e?.status, 413);
  // add and remove together count.
  await rejects(t, engine.transact(tx(lines(3), { remove: lines(3, 'q'), format: 'n-triples' })), 'TOO_LARGE');
  t.deepEqual(snapshot(engine), before);
  t.deepEqual((await engine.transact(tx(lines(5), { format: 'n-triples' }))).delta, { added: 5, removed: 0 });
});

test('an unknown namespace is NAMESPACE_NOT_FOUND; namespace admin errors', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  const before = snapshot(engine);
  const e = await rejects(t, engine.transact(tx(TURTLE, { namespace: 'nope' })), 'NAMESPACE_NOT_FOUND');
  t.is(e?.status, 404);
  await rejects(t, engine.deleteNamespace('nope', 'tester'), 'NAMESPACE_NOT_FOUND');
  await rejects(t, engine.createNamespace(NS, 'tester'), 'NAMESPACE_EXISTS');
  await rejects(t, engine.createNamespace('bad name!', 'tester'), 'BAD_REQUEST');
  t.deepEqual(snapshot(engine), before);
  // ensureNamespace is idempotent and logs nothing when the namespace exists.
  await engine.ensureNamespace(NS);
  t.deepEqual(engine.position(), before.position);
});

// Both calls pass the early check; the second creation is rejected when it applies, on every replica.
test('concurrent creation of one namespace: exactly one succeeds, the other is NAMESPACE_EXISTS', async (t) => {
  const engine = await openStandaloneEngine(options(openMemoryStorage()));
  const settled = await Promise.allSettled([engine.createNamespace('dup', 'a'), engine.createNamespace('dup', 'b')]);
  const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  t.is(rejected.length, 1);
  t.is((rejected[0]?.reason as KnowdError | undefined)?.code, 'NAMESPACE_EXISTS');
  // The no-op, the creation, and the rejected creation (logged, then refused identically everywhere).
  t.is(engine.position().lastIndex, 3);
  t.deepEqual(engine.namespaces().map((n) => n.name), ['dup']);
});

// ---------------------------------------------------------------------------------------------
// Idempotency

test('a retried transaction returns the original receipt and is not applied or logged again', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  const first = await engine.transact(tx(TURTLE, { idempotencyKey: 'k1' }));
  t.false(first.replayed);
  const after = snapshot(engine);

  const retry = await engine.transact(tx(TURTLE, { idempotencyKey: 'k1' }));
  t.true(retry.replayed);
  t.deepEqual(retry.receipt, first.receipt);
  t.deepEqual(retry.delta, first.delta);
  t.deepEqual(snapshot(engine), after);

  // Same key, different body → IDEMPOTENCY_MISMATCH naming the original receipt; nothing changes.
  const e = await rejects(t, engine.transact(tx(`<${EX}other> <${EX}p> "x" .`, { idempotencyKey: 'k1' })), 'IDEMPOTENCY_MISMATCH');
  t.is(e?.details['receiptId'], first.receipt.id);
  t.is(e?.status, 409);
  t.deepEqual(snapshot(engine), after);

  // Keys are per namespace.
  await engine.createNamespace('other', 'tester');
  const elsewhere = await engine.transact(tx(TURTLE, { idempotencyKey: 'k1', namespace: 'other' }));
  t.false(elsewhere.replayed);
  t.not(elsewhere.receipt.id, first.receipt.id);
});

/** Records and expiry-index entries of the 'idem' table (index keys start with 0x00). */
function idemKeys(storage: Storage): { records: number; expiries: number } {
  return storage.read((r) => {
    let records = 0;
    let expiries = 0;
    for (const k of r.scanKeys('idem', {})) {
      if (k[0] === 0) expiries++;
      else records++;
    }
    return { records, expiries };
  });
}

test('an idempotency key is remembered for KNOWD_IDEMPOTENCY_TTL of entry time, then it is free again', async (t) => {
  const clock = new FakeClock(1_700_000_000_000);
  const engine = await openWithNamespace(openMemoryStorage(), { clock, idempotencyTtlMs: 60_000 });
  const first = await engine.transact(tx(TURTLE, { idempotencyKey: 'k1' }));
  clock.advance(59_999);
  const retry = await engine.transact(tx(TURTLE, { idempotencyKey: 'k1' }));
  t.true(retry.replayed);
  t.deepEqual(retry.receipt, first.receipt);
  await rejects(t, engine.transact(tx(`<${EX}other> <${EX}p> "x" .`, { idempotencyKey: 'k1' })), 'IDEMPOTENCY_MISMATCH');

  clock.advance(1);
  // Expired: the same request is a new transaction (its quads are there already: nothing added), and
  // the key now answers with the new receipt.
  const again = await engine.transact(tx(TURTLE, { idempotencyKey: 'k1' }));
  t.false(again.replayed);
  t.not(again.receipt.id, first.receipt.id);
  t.deepEqual(again.delta, { added: 0, removed: 0 });
  t.deepEqual((await engine.transact(tx(TURTLE, { idempotencyKey: 'k1' }))).receipt, again.receipt);
  // A different body may take over an expired key.
  clock.advance(60_000);
  const other = await engine.transact(tx(`<${EX}other> <${EX}p> "x" .`, { idempotencyKey: 'k1' }));
  t.false(other.replayed);
  t.deepEqual(other.delta, { added: 1, removed: 0 });
});

test('expired idempotency records are removed by later keyed writes, also on replay from the log', async (t) => {
  const clock = new FakeClock(1_700_000_000_000);
  const storage = openMemoryStorage();
  const engine = await openWithNamespace(storage, { clock, idempotencyTtlMs: 60_000 });
  for (let i = 0; i < 10; i++) await engine.transact(tx(`<${EX}s${i}> <${EX}p> "${i}" .`, { idempotencyKey: `old-${i}` }));
  // Unkeyed writes keep no record and remove none.
  await engine.transact(tx(`<${EX}plain> <${EX}p> "x" .`));
  t.deepEqual(idemKeys(storage), { records: 10, expiries: 10 });
  clock.advance(60_000);
  await engine.transact(tx(`<${EX}n0> <${EX}p> "x" .`, { idempotencyKey: 'new-0' }));
  t.deepEqual(idemKeys(storage), { records: 7, expiries: 7 }, 'each keyed write removes up to 4 expired records');
  for (let i = 1; i < 3; i++) await engine.transact(tx(`<${EX}n${i}> <${EX}p> "x" .`, { idempotencyKey: `new-${i}` }));
  t.deepEqual(idemKeys(storage), { records: 3, expiries: 3 });
  // The expired keys are free, the new ones are not.
  t.false((await engine.transact(tx(`<${EX}s0> <${EX}p> "0" .`, { idempotencyKey: 'old-0' }))).replayed);
  t.true((await engine.transact(tx(`<${EX}n1> <${EX}p> "x" .`, { idempotencyKey: 'new-1' }))).replayed);

  // A replica that only has the log, with another TTL and clock of its own, keeps the same records:
  // expiry follows the logged entry times and expiries.
  await engine.drain();
  const copy = openMemoryStorage();
  const records = storage.read((r) => [...readRecords(r, 1)]);
  await copy.write((w) => {
    for (const rec of records) appendRecord(w, rec.index, rec.term, rec.payload);
  });
  await openStandaloneEngine(options(copy, { clock: new FakeClock(0), idempotencyTtlMs: 1 }));
  t.deepEqual(idemKeys(copy), idemKeys(storage));
  t.deepEqual(idemKeys(copy), { records: 4, expiries: 4 });
});

test('with KNOWD_IDEMPOTENCY_TTL 0 keys are kept for good', async (t) => {
  const clock = new FakeClock(1_700_000_000_000);
  const engine = await openWithNamespace(openMemoryStorage(), { clock, idempotencyTtlMs: 0 });
  const first = await engine.transact(tx(TURTLE, { idempotencyKey: 'k1' }));
  clock.advance(10 * 365 * 24 * 3_600_000);
  t.deepEqual((await engine.transact(tx(TURTLE, { idempotencyKey: 'k1' }))).receipt, first.receipt);
});

test('concurrent retries of one idempotent transaction apply it once and share one receipt', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  const before = engine.position().lastIndex;
  const results = await Promise.all([1, 2, 3].map(() => engine.transact(tx(TURTLE, { idempotencyKey: 'same' }))));
  const ids = new Set(results.map((r) => r.receipt.id));
  t.is(ids.size, 1);
  t.is(results.filter((r) => !r.replayed).length, 1);
  for (const r of results) t.deepEqual(r.delta, { added: 3, removed: 0 });
  t.is(quadCount(engine), 3);
  t.is(receiptsFor(engine).length, 1);
  // The duplicates may reach the log (the dedupe happens when entries apply, as it must in a
  // replicated log), but none of them applies anything or makes a receipt.
  const lastIdx = engine.position().lastIndex;
  t.true(lastIdx >= before + 1 && lastIdx <= before + 3);
  t.is(engine.position().appliedIndex, lastIdx);
});

test('concurrent use of one key with different bodies: one wins, the other is IDEMPOTENCY_MISMATCH and leaves no log entry', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  const before = engine.position().lastIndex;
  const settled = await Promise.allSettled([engine.transact(tx(TURTLE, { idempotencyKey: 'k' })), engine.transact(tx(`<${EX}z> <${EX}p> "z" .`, { idempotencyKey: 'k' }))]);
  const ok = settled.filter((s) => s.status === 'fulfilled');
  const bad = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  t.is(ok.length, 1);
  t.is(bad.length, 1);
  t.is((bad[0]?.reason as KnowdError).code, 'IDEMPOTENCY_MISMATCH');
  t.is(engine.position().lastIndex, before + 1);
  t.is(receiptsFor(engine).length, 1);
});

// ---------------------------------------------------------------------------------------------
// Concurrency, group commit, receipts

for (const kind of STORAGE_KINDS) {
  test(`${kind}: 200 concurrent transactions get consecutive log indexes, a linked receipt chain, and are group-committed`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      const commits: number[] = [];
      const { engine } = await openStandalone({ ...options(storage), events: { onApplied: (info) => commits.push(info.entries) } });
      await engine.createNamespace(NS, 'tester');
      const start = engine.position().lastIndex;
      const N = 200;
      const results = await Promise.all(Array.from({ length: N }, (_, i) => engine.transact(tx(`<${EX}s${i}> <${EX}p> "${i}" .\n_:b <${EX}p> "${i}" .`, { actor: `actor${i % 7}` }))));
      const indexes = results.map((r) => r.receipt.logIndex).sort((a, b) => a - b);
      t.deepEqual(indexes, Array.from({ length: N }, (_, i) => start + 1 + i));
      for (const r of results) t.deepEqual(r.delta, { added: 2, removed: 0 });
      t.deepEqual(engine.position(), { lastIndex: start + N, lastTerm: 1, appliedIndex: start + N });
      t.is(quadCount(engine), 2 * N);

      // Chain in log order: each prevHash is the hash of the receipt at the previous index.
      const byIndex = [...results.map((r) => r.receipt)].sort((a, b) => a.logIndex - b.logIndex);
      checkChain(t, byIndex);
      // What is stored is what was returned (signed as it is handed out).
      t.deepEqual(receiptsFor(engine), byIndex);
      engine.read((r) => {
        for (const rec of byIndex) t.deepEqual(engine.signReceipt(getReceipt(r, rec.id)!), rec);
      });

      // Group commit batched: fewer commits than entries, and some commit held several.
      // Every entry applied once: the no-op, the namespace and the N writes.
      t.is(commits.reduce((a, b) => a + b, 0), N + 2);
      t.true(commits.some((n) => n > 1), `commit sizes ${commits.join(',')}`);
      t.true(commits.length < N);
    });
  });
}

test('receipts are signed, verifiable, and tampering is detected', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  const { receipt } = await engine.transact(tx(TURTLE, { actor: 'bob' }));
  t.is(receipt.id, receiptId(NS, receipt.logIndex));
  t.is(receipt.namespace, NS);
  t.is(receipt.actor, 'bob');
  t.is(receipt.kind, 'tx');
  t.is(receipt.timeMs, 1_700_000_000_000);
  t.is(receipt.pub, signer.publicKey());
  t.is(receipt.prevHash, GENESIS_PREV_HASH);
  t.true(verifyReceipt(receipt).valid);
  t.true(verifyReceipt(receipt, { trustedPub: signer.publicKey() }).valid);
  t.false(verifyReceipt({ ...receipt, added: receipt.added + 1 }).valid);
  t.false(verifyReceipt(receipt, { trustedPub: createEd25519Signer(generateSigningKeyPem()).publicKey() }).valid);
  const second = (await engine.transact(tx(`<${EX}x> <${EX}p> "y" .`))).receipt;
  t.is(second.prevHash, receipt.hash);
  t.true(verifyChain([second, receipt]).valid);
  t.false(verifyChain([second]).valid, 'a chain missing its first receipt does not start at genesis');
});


test('receipts are stored chained but unsigned, the same on every replica; a node signs them as it hands them out', async (t) => {
  const storage = openMemoryStorage();
  const engine = await openWithNamespace(storage);
  const { receipt } = await engine.transact(tx(TURTLE));
  const stored = engine.read((r) => getReceipt(r, receipt.id));
  t.truthy(stored);
  t.is(stored?.sig, undefined, 'no signature in the store');
  t.is(stored?.pub, undefined);
  t.is(stored?.hash, receipt.hash);
  // Ed25519 is deterministic: signing the stored receipt again gives the very receipt the client got.
  t.deepEqual(engine.signReceipt(stored!), receipt);
  // Another node's key signs the same stored receipt into another valid receipt of the same hash.
  const other = createEd25519Signer(generateSigningKeyPem());
  const theirs = signReceipt(stored!, other);
  t.is(theirs.pub, other.publicKey());
  t.is(theirs.hash, receipt.hash);
  t.true(verifyReceipt(theirs).valid);
  // A receipt stored signed (by versions before this change) keeps the signature it was stored with.
  t.deepEqual(signReceipt(receipt, other), receipt);
});
test('a failed commit rejects its batch, changes nothing, and the next transaction continues the log and chain', async (t) => {
  const storage = openMemoryStorage();
  const engine = await openWithNamespace(storage);
  await engine.transact(tx(TURTLE));
  const before = snapshot(engine);
  const disk = new Error('disk full');
  storage.faults.beforeCommit = () => {
    throw disk;
  };
  const err = await t.throwsAsync(engine.transact(tx(`<${EX}new> <${EX}term> "fresh" .`)));
  t.is(err, disk);
  delete storage.faults.beforeCommit;
  t.deepEqual(snapshot(engine), before);
  // The same new terms again: the dictionary must not remember ids from the failed commit. The node
  // restarted its raft core from disk, so a new term's no-op comes first.
  const next = await engine.transact(tx(`<${EX}new> <${EX}term> "fresh" .\n<${EX}new> <${EX}term> "other" .`));
  t.is(next.receipt.logIndex, before.position.lastIndex + 2);
  t.deepEqual(next.delta, { added: 2, removed: 0 });
  t.true(dump(engine).includes(`<${EX}new> <${EX}term> "fresh" .`));
  checkChain(t, receiptsFor(engine));
});

test('pipelined writes: when a commit fails, the write queued behind it does not run on top of it; both fail, nothing of them stays, the node recovers', async (t) => {
  // Each commit "flushes" for 30 ms after it ran, so the next write's transaction runs meanwhile
  // (as lmdb-js does during an fsync). The first of the two fails at its commit.
  const inner = openMemoryStorage();
  const disk = new Error('disk full');
  let failNext = false;
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const storage: Storage = {
    ...inner,
    write: (fn) =>
      inner
        .write((w) => {
          const out = fn(w);
          if (failNext) {
            failNext = false;
            throw disk;
          }
          return out;
        })
        .then(
          async (v) => (await sleep(30), v),
          async (e: unknown) => {
            await sleep(30);
            throw e;
          },
        ),
  };
  const engine = await openWithNamespace(storage);
  await engine.transact(tx(TURTLE));
  const before = snapshot(engine);
  failNext = true;
  const first = engine.transact(tx(`<${EX}a> <${EX}p> "first" .`));
  first.catch(() => undefined);
  await sleep(5);
  const second = engine.transact(tx(`<${EX}b> <${EX}p> "second" .`));
  second.catch(() => undefined);
  t.is(await t.throwsAsync(first), disk);
  await t.throwsAsync(second);
  t.deepEqual(snapshot(engine).quads, before.quads);
  const next = await engine.transact(tx(`<${EX}c> <${EX}p> "third" .`));
  t.deepEqual(next.delta, { added: 1, removed: 0 });
  const dumped = dump(engine);
  t.false(dumped.some((l) => l.includes('"first"') || l.includes('"second"')), dumped.join('\n'));
  t.true(dumped.some((l) => l.includes('"third"')));
  t.deepEqual(engine.position().appliedIndex, engine.position().lastIndex);
  checkChain(t, receiptsFor(engine));
});

test('a transaction rejected when it applies fails alone: the others commit and the chain holds', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  await engine.createNamespace('tmp', 'tester');
  const before = engine.position().lastIndex;
  // transact awaits its delta hash before queueing, so the delete is queued first and the tx
  // meets a namespace that is gone when it applies.
  const doomed = engine.transact(tx(TURTLE, { namespace: 'tmp' }));
  const del = engine.deleteNamespace('tmp', 'tester');
  const others = Array.from({ length: 5 }, (_, i) => engine.transact(tx(`<${EX}o${i}> <${EX}p> "${i}" .`)));
  await rejects(t, doomed, 'NAMESPACE_NOT_FOUND');
  await del;
  const ok = await Promise.all(others);
  // Seven entries: the deletion, the doomed write (logged, rejected alike on every replica) and five.
  t.deepEqual(engine.position(), { lastIndex: before + 7, lastTerm: 1, appliedIndex: before + 7 });
  t.is(new Set(ok.map((r) => r.receipt.logIndex)).size, 5);
  checkChain(t, receiptsFor(engine));
  t.throws(() => engine.namespace('tmp'), { instanceOf: KnowdError });
});

test('after drain the engine refuses writes with SHUTTING_DOWN; a write in flight either commits or changes nothing', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  await engine.transact(tx(TURTLE));
  const before = snapshot(engine);
  // In flight: transact() is still hashing its delta when drain() starts, so it has not been queued
  // and is refused (it is not among the "queued ones" drain waits for).
  const inFlight = engine.transact(tx(`<${EX}inflight> <${EX}p> "x" .`));
  await engine.drain();
  const outcome = await inFlight.then(
    (r) => r.receipt.logIndex,
    (e: unknown) => (e instanceof KnowdError ? e.code : String(e)),
  );
  if (outcome === 'SHUTTING_DOWN') t.deepEqual(snapshot(engine), before);
  else t.is(outcome, before.position.lastIndex + 1);
  await rejects(t, engine.transact(tx(`<${EX}late> <${EX}p> "x" .`)), 'SHUTTING_DOWN');
  await rejects(t, engine.createNamespace('late', 'tester'), 'SHUTTING_DOWN');
});

// ---------------------------------------------------------------------------------------------
// Blank nodes

test('blank nodes with the same label in two transactions are distinct; within one they are the same', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  await engine.transact(tx(`_:b <${EX}name> "first" .\n_:b <${EX}age> "1" .`, { format: 'n-triples' }));
  await engine.transact(tx(`_:b <${EX}name> "second" .`, { format: 'n-triples' }));
  const id = engine.namespace(NS).id;
  const subjects = engine.read((r) => [...engine.quads.matchTerms(r, id, null, namedNode(`${EX}name`), null, 'all')].map((q) => q.subject));
  t.is(subjects.length, 2);
  t.true(subjects.every((s) => s.termType === 'BlankNode'));
  t.not(subjects[0]!.value, subjects[1]!.value);
  const first = engine.read((r) => [...engine.quads.matchTerms(r, id, null, null, literal('first'), 'all')][0]!.subject);
  t.is(engine.read((r) => [...engine.quads.matchTerms(r, id, first, null, null, 'all')].length), 2);

  // An exported blank node can be removed by its stored label.
  const rm = await engine.transact(tx('', { remove: `_:${first.value} <${EX}name> "first" .\n_:${first.value} <${EX}age> "1" .`, format: 'n-triples' }));
  t.deepEqual(rm.delta, { added: 0, removed: 2 });
  t.is(quadCount(engine), 1);
});

// BUG (src/rdf/parse.ts, n3Options + relabel): parseRdf now asks n3 for blankNodePrefix '' so user
// labels come back raw (`_:n3-7` → "n3-7"), while n3 names anonymous nodes (`[]`, lists) "n3-<N>"
// from a process-wide counter. relabel() keys its map by that raw value, so a user label that spells
// the next generated name is merged with the anonymous node: two different blank nodes become one,
// and whether it happens depends on the process's counter, so the proposer and a replica replaying
// the same log text can disagree. Fix: keep user labels and generated names in disjoint spaces
// (e.g. give n3 a blankNodePrefix such as "u." for user labels, which cannot start "n3-", and strip it
// only when no relabelling is asked for), or relabel with a custom factory passed to the Parser.
test('a user blank-node label that spells an n3 generated name is not merged with an anonymous node', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  // The next anonymous node n3 creates in this process will be called n3-<next>; nothing between
  // here and the parse inside transact() (synchronous up to the parse) creates another one.
  const next = Number(DataFactory.blankNode().value.slice('n3-'.length)) + 1;
  await engine.transact(tx(`_:n3-${next} <${EX}p> "user" .\n[] <${EX}p> "anonymous" .`));
  const id = engine.namespace(NS).id;
  const subjects = engine.read((r) => [...engine.quads.matchTerms(r, id, null, namedNode(`${EX}p`), null, 'all')].map((q) => q.subject.value));
  t.is(new Set(subjects).size, 2, `subjects: ${subjects.join(', ')}`);
});

// ---------------------------------------------------------------------------------------------
// Crash replay and reopening

/** A tx command as the leader would log it, with its delta hash. */
async function txCommand(ns: string, add: string, index: number): Promise<TxCommand> {
  const cmd: TxCommand = { type: 'tx', ns, actor: 'replayer', kind: 'tx', timeMs: 1_700_000_100_000 + index, add, remove: '', format: 'turtle', bnodePrefix: `kcrash${index}_`, deltaHash: '' };
  const parsed = parseTxCommand(cmd);
  return { ...cmd, deltaHash: await deltaHash(parsed.add, parsed.remove) };
}

/** Appends entries to the log without applying them: a crash between append and apply. */
async function appendUnapplied(storage: Storage, cmds: readonly Command[]): Promise<number> {
  return storage.write((w) => {
    const last = lastIndex(w);
    let index = last.index;
    for (const c of cmds) appendRecord(w, ++index, last.term, encodeCommand(c));
    return index;
  });
}

for (const kind of STORAGE_KINDS) {
  test(`${kind}: entries logged but not applied before a crash are applied when the engine opens again`, async (t) => {
    await withStorage(kind, async (ts) => {
      const engine = await openWithNamespace(ts.storage);
      const first = await engine.transact(tx(TURTLE));
      await engine.drain();

      const cmds: Command[] = [
        await txCommand(NS, `<${EX}crash> <${EX}p> _:x . _:x <${EX}q> "replayed" .`, 1),
        { type: 'ns-create', ns: 'later', timeMs: 5, actor: 'replayer' },
        await txCommand('later', `<${EX}in-later> <${EX}p> "1" .`, 2),
        await txCommand(NS, `<${EX}alice> <${EX}name> "Alice" . <${EX}crash> <${EX}p> "2" .`, 3),
      ];
      const last = await appendUnapplied(ts.storage, cmds);
      t.is(last, first.receipt.logIndex + 4);
      t.is(ts.storage.read((r) => appliedIndex(r)), first.receipt.logIndex);

      const storage = kind === 'lmdb' ? await ts.reopen() : ts.storage;
      const reopened = await openStandaloneEngine(options(storage));
      // The reopened node leads a new term; its no-op commits the entries before it, which apply.
      t.deepEqual(reopened.position(), { lastIndex: last + 1, lastTerm: 2, appliedIndex: last + 1 });
      t.is(storage.read((r) => appliedIndex(r)), last + 1);

      const quads = dump(reopened);
      t.true(quads.includes(`<${EX}crash> <${EX}p> _:kcrash1_0 .`), quads.join('\n'));
      t.true(quads.includes(`_:kcrash1_0 <${EX}q> "replayed" .`));
      t.true(quads.includes(`<${EX}crash> <${EX}p> "2" .`));
      t.is(quads.length, 3 + 3);
      t.deepEqual(dump(reopened, 'later'), [`<${EX}in-later> <${EX}p> "1" .`]);

      // Receipts were made for the replayed entries, chained after the one made before the crash.
      const receipts = receiptsFor(reopened);
      t.deepEqual(
        receipts.map((r) => [r.logIndex, r.added, r.actor]),
        [
          [first.receipt.logIndex, 3, 'alice'],
          [first.receipt.logIndex + 1, 2, 'replayer'],
          [first.receipt.logIndex + 4, 1, 'replayer'],
        ],
      );
      t.is(receipts[1]?.prevHash, first.receipt.hash);
      t.is(receipts[1]?.timeMs, 1_700_000_100_001);
      checkChain(t, receipts);
      checkChain(t, receiptsFor(reopened, 'later'));

      // Opening once more replays nothing, and new writes continue the log.
      const again = await openStandaloneEngine(options(storage));
      t.deepEqual(receiptsFor(again), receipts);
      const next = await again.transact(tx(`<${EX}after> <${EX}p> "x" .`));
      t.is(next.receipt.logIndex, last + 3);
      t.is(next.receipt.prevHash, receipts.at(-1)?.hash ?? 'missing');
      await again.drain();
    });
  });
}

// A committed entry can fail deterministically on every node (its namespace deleted by an earlier
// entry): its effects are skipped, but appliedIndex moves past it, as raft state machines do.
test('a logged entry whose apply fails does not stop recovery', async (t) => {
  const storage = openMemoryStorage();
  const engine = await openWithNamespace(storage);
  await engine.transact(tx(TURTLE));
  await engine.drain();
  const last = await appendUnapplied(storage, [
    await txCommand('gone', `<${EX}a> <${EX}p> "lost" .`, 1),
    await txCommand(NS, `<${EX}b> <${EX}p> "kept" .`, 2),
  ]);
  const reopened = await openStandaloneEngine(options(storage));
  t.deepEqual(reopened.position(), { lastIndex: last + 1, lastTerm: 2, appliedIndex: last + 1 });
  t.true(dump(reopened).includes(`<${EX}b> <${EX}p> "kept" .`));
});

test('replaying a log on an empty store rebuilds identical quads and receipts (apply is deterministic)', async (t) => {
  const a = openMemoryStorage();
  const engine = await openWithNamespace(a);
  await engine.createNamespace('second', 'tester');
  await engine.transact(tx(TURTLE, { idempotencyKey: 'once' }));
  await engine.transact(tx(`@prefix ex: <${EX}> .\nex:list ex:items ( 1 "two" ex:three ) .\n[] ex:p [ ex:q _:named ] .\n_:named ex:r "x"@en .`));
  await engine.transact(tx(`<${EX}g> { _:b <${EX}p> "in graph" . }`, { format: 'trig', namespace: 'second' }));
  await engine.transact(tx(`<${EX}alice> <${EX}knows> <${EX}carol> .`, { remove: `<${EX}alice> <${EX}knows> <${EX}bob> .`, format: 'n-triples' }));
  await engine.transact(tx(TURTLE, { idempotencyKey: 'once' })); // replayed, not applied
  await Promise.all(Array.from({ length: 20 }, (_, i) => engine.transact(tx(`_:b <${EX}n> "${i}" .`))));
  await engine.drain();

  // A second node that only has the log.
  const b = openMemoryStorage();
  const records = a.read((r) => [...readRecords(r, 1)]);
  await b.write((w) => {
    for (const rec of records) appendRecord(w, rec.index, rec.term, rec.payload);
  });
  const replica = await openStandaloneEngine(options(b));
  // The replica leads a term of its own: one no-op more.
  t.is(replica.position().lastIndex, engine.position().lastIndex + 1);
  for (const ns of [NS, 'second']) {
    t.deepEqual(dump(replica, ns), dump(engine, ns));
    t.deepEqual(receiptsFor(replica, ns), receiptsFor(engine, ns));
  }
  t.is(quadCount(replica), quadCount(engine));
});

test('lmdb: reopening the store keeps quads, receipts and the chain, and the log continues', async (t) => {
  await withStorage('lmdb', async (ts) => {
    const engine = await openWithNamespace(ts.storage);
    await engine.transact(tx(TURTLE, { idempotencyKey: 'k' }));
    await Promise.all(Array.from({ length: 10 }, (_, i) => engine.transact(tx(`_:b <${EX}n> "${i}" .`))));
    const quads = dump(engine);
    const receipts = receiptsFor(engine);
    const position = engine.position();
    await engine.drain();

    const storage = await ts.reopen();
    const reopened = await openStandaloneEngine(options(storage));
    t.deepEqual(reopened.position(), { lastIndex: position.lastIndex + 1, lastTerm: position.lastTerm + 1, appliedIndex: position.appliedIndex + 1 });
    t.deepEqual(dump(reopened), quads);
    t.deepEqual(receiptsFor(reopened), receipts);
    checkChain(t, receipts);
    // The idempotency record survived too.
    const retry = await reopened.transact(tx(TURTLE, { idempotencyKey: 'k' }));
    t.true(retry.replayed);
    t.deepEqual(retry.receipt, receipts[0]);
    // New terms and new entries continue where the store left off.
    const next = await reopened.transact(tx(`<${EX}after> <${EX}knows> <${EX}alice> .`));
    t.is(next.receipt.logIndex, position.lastIndex + 2);
    t.is(next.receipt.prevHash, receipts.at(-1)?.hash ?? 'missing');
    t.true(dump(reopened).includes(`<${EX}after> <${EX}knows> <${EX}alice> .`));
    checkChain(t, receiptsFor(reopened));
    await reopened.drain();
  });
});

test('a check failing for reasons of this node only (transient) fails the write instead of rejecting the entry; the node recovers', async (t) => {
  const engine = await openWithNamespace(openMemoryStorage());
  let calls = 0;
  engine.addCheck({
    name: 'flaky',
    check: () => {
      calls++;
      if (calls === 1) throw new KnowdError('INTERNAL', 'worker did not start', { transient: true });
    },
  });
  const before = snapshot(engine);
  const err = await t.throwsAsync(engine.transact(tx(`<${EX}a> <${EX}p> "1" .`)));
  t.is((err as KnowdError).details['transient'], true);
  // Nothing of it was made durable (a sole voter appends and applies in one write).
  t.deepEqual(snapshot(engine).quads, before.quads);
  const ok = await engine.transact(tx(`<${EX}b> <${EX}p> "2" .`));
  t.is(ok.delta.added, 1);
  t.true(dump(engine).includes(`<${EX}b> <${EX}p> "2" .`));
});
