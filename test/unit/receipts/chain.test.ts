import test from 'ava';
import type { Quad } from '@rdfjs/types';
import { AssertionError } from '../../../src/base/index.js';
import {
  GENESIS_PREV_HASH,
  RECEIPT_FIELDS,
  buildReceipt,
  canonicalJson,
  createEd25519Signer,
  digestDelta,
  generateSigningKeyPem,
  parseReceiptId,
  receiptHash,
  verifyChain,
  verifyDeltaHash,
  verifyReceipt,
  type Receipt,
  type ReceiptInput,
  type Signer,
} from '../../../src/receipts/index.js';
import { EX, XSD, blankNode, literal, namedNode, quad, seeded, shuffle } from './helpers.js';

const signer = createEd25519Signer(generateSigningKeyPem());
const otherSigner = createEd25519Signer(generateSigningKeyPem());
const timeMs = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

const added: Quad[] = [
  quad(namedNode(`${EX}alice`), namedNode(`${EX}name`), literal('Alice "Al"', 'en')),
  quad(namedNode(`${EX}alice`), namedNode(`${EX}age`), literal('42', namedNode(`${XSD}integer`)), namedNode(`${EX}g`)),
  quad(namedNode(`${EX}alice`), namedNode(`${EX}address`), blankNode('addr')),
  quad(blankNode('addr'), namedNode(`${EX}city`), literal('Zürich')),
];
const removed: Quad[] = [quad(namedNode(`${EX}alice`), namedNode(`${EX}name`), literal('Alicia'))];

async function input(overrides: Partial<ReceiptInput> = {}): Promise<ReceiptInput> {
  return {
    namespace: 'default',
    actor: 'user:alice',
    kind: 'tx',
    timeMs,
    logIndex: 7,
    delta: await digestDelta(added, removed),
    ...overrides,
  };
}

/** Receipts for log entries 1..count of one namespace, chained from genesis. */
async function chainOf(namespace: string, logIndexes: readonly number[], by: Signer = signer): Promise<Receipt[]> {
  const receipts: Receipt[] = [];
  let prevHash = GENESIS_PREV_HASH;
  for (const logIndex of logIndexes) {
    const delta = await digestDelta([quad(namedNode(`${EX}${namespace}`), namedNode(`${EX}seq`), literal(String(logIndex)))], []);
    const r = buildReceipt(await input({ namespace, logIndex, timeMs: timeMs + logIndex, delta }), prevHash, by);
    receipts.push(r);
    prevHash = r.hash;
  }
  return receipts;
}

/** A different value of the same type for each field, or a malformed one where no other is valid. */
function altered(r: Receipt, field: keyof Receipt): unknown {
  const value = r[field];
  if (typeof value === 'number') return value + 1;
  if (field === 'kind') return r.kind === 'tx' ? 'import' : 'tx';
  if (field === 'pub') return otherSigner.publicKey();
  // Change a middle character, so base64 and hex stay well-formed and only the content differs.
  const middle = Math.floor(value.length / 2);
  const replacement = /[0-9a-f]/.test(value[middle] ?? '') ? (value[middle] === 'a' ? 'b' : 'a') : value[middle] === 'Z' ? 'Y' : 'Z';
  return value.slice(0, middle) + replacement + value.slice(middle + 1);
}

test('a built receipt verifies and carries what it was built from', async (t) => {
  const r = buildReceipt(await input(), GENESIS_PREV_HASH, signer);
  t.deepEqual(verifyReceipt(r), { valid: true, canonicalHash: r.hash });
  t.is(r.v, 1);
  t.is(r.id, 'default-7');
  t.is(r.time, '2025-01-02T03:04:05.678Z');
  t.is(r.added, 4);
  t.is(r.removed, 1);
  t.is(r.prevHash, '0'.repeat(64));
  t.is(r.pub, signer.publicKey());
  t.is(Buffer.from(r.pub, 'base64').length, 32);
  t.is(r.hash, receiptHash(r));
  t.deepEqual(Object.keys(r).sort(), [...RECEIPT_FIELDS].sort());
});

test('the hash is SHA-256 of the sorted-key JSON without hash, sig and pub', async (t) => {
  const r = buildReceipt(await input(), GENESIS_PREV_HASH, signer);
  const { hash: _hash, sig: _sig, pub: _pub, ...body } = r;
  const json = canonicalJson(body);
  t.true(json.startsWith('{"actor":"user:alice","added":4,"deltaHash":"'));
  t.false(/\s/.test(json.replace('user:alice', '')));
  const { createHash } = await import('node:crypto');
  t.is(r.hash, createHash('sha256').update(json).digest('hex'));
});

test('a receipt survives a JSON round trip', async (t) => {
  const r = buildReceipt(await input(), GENESIS_PREV_HASH, signer);
  t.true(verifyReceipt(JSON.parse(JSON.stringify(r)) as Receipt).valid);
});

test('altering any single field makes the receipt invalid', async (t) => {
  const r = buildReceipt(await input(), GENESIS_PREV_HASH, signer);
  for (const field of RECEIPT_FIELDS) {
    const tampered = { ...r, [field]: altered(r, field) } as Receipt;
    t.notDeepEqual(tampered, r, field);
    const result = verifyReceipt(tampered);
    t.false(result.valid, `altered ${field}`);
    t.log(`${field}: ${result.reason ?? ''}`);
  }
});

test('altering any hashed field and recomputing the hash still fails the signature', async (t) => {
  const r = buildReceipt(await input(), GENESIS_PREV_HASH, signer);
  for (const field of ['namespace', 'actor', 'kind', 'timeMs', 'logIndex', 'added', 'removed', 'deltaHash', 'prevHash'] as const) {
    let tampered = { ...r, [field]: altered(r, field) } as Receipt;
    // Keep the derived fields consistent, as a careful forger would.
    tampered = { ...tampered, id: `${tampered.namespace}-${tampered.logIndex}`, time: new Date(tampered.timeMs).toISOString() };
    tampered = { ...tampered, hash: receiptHash(tampered) };
    t.deepEqual(verifyReceipt(tampered), {
      valid: false,
      reason: 'signature does not verify with pub',
      canonicalHash: tampered.hash,
    }, field);
  }
});

test('a malformed or re-encoded signature or pub is invalid', async (t) => {
  const r = buildReceipt(await input(), GENESIS_PREV_HASH, signer);
  const variants: Array<Partial<Receipt>> = [
    { sig: otherSigner.sign(Buffer.from(r.hash, 'hex')) },
    { sig: `${r.sig} ` },
    { sig: r.sig.replace(/=+$/, '') },
    { sig: '' },
    { pub: `${r.pub}=` },
    { pub: Buffer.alloc(32).toString('base64') },
    { pub: Buffer.from(r.pub, 'base64').subarray(0, 31).toString('base64') },
  ];
  for (const variant of variants) {
    t.false(verifyReceipt({ ...r, ...variant }).valid, JSON.stringify(variant));
  }
  t.false(verifyReceipt({ ...r, extra: 'smuggled' } as Receipt).valid);
  t.false(verifyReceipt(null as unknown as Receipt).valid);
});

test('a trusted key rejects a receipt re-signed by another key', async (t) => {
  const mine = buildReceipt(await input(), GENESIS_PREV_HASH, signer);
  const forged = buildReceipt(await input(), GENESIS_PREV_HASH, otherSigner);
  t.true(verifyReceipt(forged).valid);
  t.false(verifyReceipt(forged, { trustedPub: signer.publicKey() }).valid);
  t.true(verifyReceipt(mine, { trustedPub: signer.publicKey() }).valid);
  t.true(verifyReceipt(forged, { trustedPub: [signer.publicKey(), otherSigner.publicKey()] }).valid);
});

test('the delta hash matches only the exact delta', async (t) => {
  const r = buildReceipt(await input(), GENESIS_PREV_HASH, signer);
  t.true(await verifyDeltaHash(r, added, removed));
  t.true(await verifyDeltaHash(r, shuffle(seeded(1), added).map((q) => q), [...removed, ...removed]));
  // The same delta with other blank node labels is the same delta.
  const relabelled = added.map((q) =>
    quad(q.subject.termType === 'BlankNode' ? blankNode('b1') : q.subject, q.predicate, q.object.termType === 'BlankNode' ? blankNode('b1') : q.object, q.graph),
  );
  t.true(await verifyDeltaHash(r, relabelled, removed));
  // The engine may count only effective changes; the delta still matches.
  const effective = buildReceipt(await input({ delta: { ...(await digestDelta(added, removed)), added: 3, removed: 0 } }), GENESIS_PREV_HASH, signer);
  t.true(verifyReceipt(effective).valid);
  t.true(await verifyDeltaHash(effective, added, removed));

  for (let i = 0; i < added.length; i++) {
    const q = added[i] as Quad;
    const changedObject = [...added];
    changedObject[i] = quad(q.subject, q.predicate, literal('changed'), q.graph);
    t.false(await verifyDeltaHash(r, changedObject, removed), `object of added quad ${i}`);
    const changedGraph = [...added];
    changedGraph[i] = quad(q.subject, q.predicate, q.object, namedNode(`${EX}other-graph`));
    t.false(await verifyDeltaHash(r, changedGraph, removed), `graph of added quad ${i}`);
    t.false(await verifyDeltaHash(r, added.filter((_, j) => j !== i), removed), `dropped added quad ${i}`);
  }
  t.false(await verifyDeltaHash(r, added, []));
  t.false(await verifyDeltaHash(r, [...added, ...removed], []));
  t.false(await verifyDeltaHash(r, removed, added));
  t.false(await verifyDeltaHash(r, added, [quad(namedNode(`${EX}alice`), namedNode(`${EX}name`), literal('Alicia', 'es'))]));
});

test('a chain verifies per namespace, whatever the order of the array', async (t) => {
  const a = await chainOf('a', [1, 3, 4, 8, 9]);
  const b = await chainOf('b-with-dash', [2, 5, 6]);
  t.deepEqual(verifyChain([...a, ...b]), { valid: true });
  t.deepEqual(verifyChain(shuffle(seeded(3), [...a, ...b])), { valid: true });
  t.deepEqual(verifyChain([]), { valid: true });
  t.is(a[1]?.prevHash, a[0]?.hash);
});

test('a chain with a removed receipt is broken', async (t) => {
  const a = await chainOf('a', [1, 2, 3, 4, 5]);
  const withoutMiddle = a.filter((r) => r.logIndex !== 3);
  t.like(verifyChain(withoutMiddle), { valid: false, brokenAt: 'a-4' });
  const withoutFirst = a.slice(1);
  t.like(verifyChain(withoutFirst), { valid: false, brokenAt: 'a-2' });
  // A window of a longer chain is fine when asked for as one.
  t.deepEqual(verifyChain(withoutFirst, { fromGenesis: false }), { valid: true });
  t.like(verifyChain(withoutMiddle, { fromGenesis: false }), { valid: false, brokenAt: 'a-4' });
});

test('a chain with reordered transactions is broken, even when re-signed with the right key', async (t) => {
  const a = await chainOf('a', [1, 2, 3, 4]);
  const [r1, r2, r3, r4] = a as [Receipt, Receipt, Receipt, Receipt];
  // Swap entries 2 and 3 and re-sign each in its new place, without rebuilding the links.
  const moved = (r: Receipt, logIndex: number): Receipt =>
    buildReceipt({ namespace: r.namespace, actor: r.actor, kind: r.kind, timeMs: r.timeMs, logIndex, delta: { hash: r.deltaHash, added: r.added, removed: r.removed } }, r.prevHash, signer);
  const result = verifyChain([r1, moved(r3, 2), moved(r2, 3), r4]);
  t.like(result, { valid: false, brokenAt: 'a-2' });
  // Merely swapping their positions in the array changes nothing: the log index orders the chain.
  t.true(verifyChain([r1, r3, r2, r4]).valid);
});

test('a chain with an altered receipt is broken at that receipt', async (t) => {
  const a = await chainOf('a', [1, 2, 3]);
  const altered3 = { ...(a[2] as Receipt), actor: 'mallory' };
  t.like(verifyChain([a[0] as Receipt, a[1] as Receipt, altered3]), { valid: false, brokenAt: 'a-3' });
  const b = await chainOf('b', [1, 2, 3]);
  // A receipt from another chain does not link in, even with a matching log index.
  t.like(verifyChain([a[0] as Receipt, { ...(b[1] as Receipt) }, a[2] as Receipt].map((r) => ({ ...r }))), { valid: false });
  t.like(verifyChain([a[0] as Receipt, a[1] as Receipt, a[1] as Receipt]), { valid: false, brokenAt: 'a-2' });
  t.like(verifyChain(a, { trustedPub: otherSigner.publicKey() }), { valid: false, brokenAt: 'a-1' });
});

test('a fork (two receipts after the same one) is broken', async (t) => {
  const a = await chainOf('a', [1, 2]);
  const fork = buildReceipt(await input({ namespace: 'a', logIndex: 3 }), (a[0] as Receipt).hash, signer);
  t.like(verifyChain([...a, fork]), { valid: false, brokenAt: 'a-3' });
});

test('receipt ids are <namespace>-<logIndex> and parse back', (t) => {
  t.deepEqual(parseReceiptId('my-ns-42'), { namespace: 'my-ns', logIndex: 42 });
  t.deepEqual(parseReceiptId('default-0'), { namespace: 'default', logIndex: 0 });
  t.is(parseReceiptId('default-007'), undefined);
  t.is(parseReceiptId('-3'), undefined);
  t.is(parseReceiptId('default'), undefined);
});

test('building from impossible input is a programmer error', async (t) => {
  const good = await input();
  t.throws(() => buildReceipt({ ...good, logIndex: -1 }, GENESIS_PREV_HASH, signer), { instanceOf: AssertionError });
  t.throws(() => buildReceipt({ ...good, namespace: '' }, GENESIS_PREV_HASH, signer), { instanceOf: AssertionError });
  t.throws(() => buildReceipt({ ...good, timeMs: 1.5 }, GENESIS_PREV_HASH, signer), { instanceOf: AssertionError });
  t.throws(() => buildReceipt(good, 'not-a-hash', signer), { instanceOf: AssertionError });
});

test('canonical JSON sorts keys at every depth and refuses fractions', (t) => {
  t.is(canonicalJson({ b: 1, a: [{ d: null, c: 'x"y' }, true] }), '{"a":[{"c":"x\\"y","d":null},true],"b":1}');
  t.throws(() => canonicalJson({ a: 0.5 }), { instanceOf: AssertionError });
});
