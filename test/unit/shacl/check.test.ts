/**
 * The SHACL apply check on real engines: cost follows the delta, shapes survive a restart, and a
 * cluster's followers reject what the shapes reject (the check runs in every replica's apply).
 */
import test from 'ava';
import { KnowdError, systemClock } from '../../../src/base/index.js';

import { Engine } from '../../../src/engine/index.js';
import { openStandalone } from '../../../src/replication/node/index.js';

import { createEd25519Signer, generateSigningKeyPem } from '../../../src/receipts/index.js';
import { shaclCounters } from '../../../src/shacl/index.js';
import { appendRecord, readRecords } from '../../../src/replication/log/index.js';
import { openMemoryStorage, type Storage } from '../../../src/storage/index.js';
import { awaitLeader, startMemoryCluster } from '../../helpers/memory-cluster.js';
import { openTestStorage } from '../../helpers/storages.js';

const signer = createEd25519Signer(generateSigningKeyPem());
const SHAPES = `@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
ex:PersonShape a sh:NodeShape ; sh:targetClass ex:Person ;
  sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:maxCount 1 ] .`;
const person = (i: number, name = true): string => `<http://ex/p${i}> a <http://ex/Person> .${name ? ` <http://ex/p${i}> <http://ex/name> "P${i}" .` : ''}\n`;

function quadCount(engine: Engine, ns: string): number {
  const info = engine.namespace(ns);
  return engine.read((r) => engine.quads.stats(r, info.id).quads);
}

test.serial('validation cost follows the delta: a 1-quad tx on a namespace of many conforming nodes validates one focus node', async (t) => {
  const { engine, node } = await openStandalone({ storage: openMemoryStorage(), signer, clock: systemClock, maxTxQuads: 100_000 });
  t.teardown(() => node.stop());
  await engine.createNamespace('big', 't');
  await engine.transact({ namespace: 'big', format: 'turtle', actor: 't', add: Array.from({ length: 2000 }, (_, i) => person(i)).join('') });
  await engine.putShapes('big', SHAPES, 't');
  const before = { ...shaclCounters };
  await engine.transact({ namespace: 'big', format: 'turtle', actor: 't', add: '<http://ex/p7> <http://ex/age> "7" .\n' });
  t.is(shaclCounters.transactions - before.transactions, 1);
  t.is(shaclCounters.focusNodes - before.focusNodes, 1, 'only ex:p7 was validated, not the 2000 persons');
  t.is(shaclCounters.roundTrips - before.roundTrips, 0, "ex:p7's triples were read ahead: the worker asked for nothing");
  // An unrelated triple (no shape targets its nodes) does not reach the validator at all.
  await engine.transact({ namespace: 'big', format: 'turtle', actor: 't', add: '<http://ex/thing> <http://ex/colour> "red" .\n' });
  t.is(shaclCounters.transactions - before.transactions, 1);
});

test.serial('what is not read ahead (an inverse path) the worker still reads, and decides by it', async (t) => {
  const { engine, node } = await openStandalone({ storage: openMemoryStorage(), signer, clock: systemClock, maxTxQuads: 100_000 });
  t.teardown(() => node.stop());
  await engine.createNamespace('inv', 't');
  await engine.putShapes('inv', `@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
ex:Small sh:targetClass ex:Team ; sh:property [ sh:path [ sh:inversePath ex:memberOf ] ; sh:maxCount 2 ] .`, 't');
  await engine.transact({ namespace: 'inv', format: 'turtle', actor: 't', add: '<http://ex/t> a <http://ex/Team> . <http://ex/a> <http://ex/memberOf> <http://ex/t> . <http://ex/b> <http://ex/memberOf> <http://ex/t> .' });
  const before = shaclCounters.roundTrips;
  const e = await t.throwsAsync(engine.transact({ namespace: 'inv', format: 'turtle', actor: 't', add: '<http://ex/c> <http://ex/memberOf> <http://ex/t> .' }), { instanceOf: KnowdError });
  t.is(e.code, 'REJECTED');
  t.true(shaclCounters.roundTrips > before);
});

test('shapes survive a restart (engine reopened on the same LMDB store) and still reject', async (t) => {
  const ts = openTestStorage('lmdb');
  t.teardown(() => ts.dispose());
  const first = await openStandalone({ storage: ts.storage, signer, clock: systemClock, maxTxQuads: 1000 });
  await first.engine.createNamespace('main', 't');
  await first.engine.putShapes('main', SHAPES, 't');
  await first.engine.drain();
  await first.node.stop();
  const storage = await ts.reopen();
  const again = await openStandalone({ storage, signer, clock: systemClock, maxTxQuads: 1000 });
  t.teardown(() => again.node.stop());
  t.is(again.engine.shapes('main'), SHAPES);
  const e = await t.throwsAsync(again.engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: person(1, false) }), { instanceOf: KnowdError });
  t.is(e.code, 'REJECTED');
  t.is(quadCount(again.engine, 'main'), 0);
});

test('KNOWD_SHACL_ENABLED=false (shacl: false): shapes are kept but do not reject', async (t) => {
  const { engine, node } = await openStandalone({ storage: openMemoryStorage(), signer, clock: systemClock, maxTxQuads: 1000, shacl: false });
  t.teardown(() => node.stop());
  await engine.createNamespace('main', 't');
  await engine.putShapes('main', SHAPES, 't');
  await engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: person(1, false) });
  t.is(quadCount(engine, 'main'), 1);
});

test('replicated: shapes put through the leader reject a violating tx on every replica, followers included', async (t) => {
  const members = await startMemoryCluster(t, ['10.0.0.1:8091', '10.0.0.2:8091', '10.0.0.3:8091'], signer);
  const leader = await awaitLeader(members);
  const follower = members.find((m) => m !== leader)!;
  await leader.engine.createNamespace('main', 't');
  const put = await leader.engine.putShapes('main', SHAPES, 't');
  await Promise.all(members.map((m) => m.node.waitForApplied(put.receipt.logIndex)));
  for (const m of members) t.is(m.engine.shapes('main'), SHAPES);
  // Through the follower (forwarded, logged, and rejected by each replica's apply).
  const e = await t.throwsAsync(follower.engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: person(1, false) }), { instanceOf: KnowdError });
  t.is(e.code, 'REJECTED');
  const ok = await follower.engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: person(2) });
  await Promise.all(members.map((m) => m.node.waitForApplied(ok.receipt.logIndex)));
  for (const m of members) t.is(quadCount(m.engine, 'main'), 2, 'only the conforming person, on every node');
});

/** A node that has only `from`'s log, applied with its own KNOWD_SHACL_ENABLED. */
async function replayed(from: Storage, shacl: boolean): Promise<Awaited<ReturnType<typeof openStandalone>>> {
  const to = openMemoryStorage();
  const records = from.read((r) => [...readRecords(r, 1)]);
  await to.write((w) => {
    for (const rec of records) appendRecord(w, rec.index, rec.term, rec.payload);
  });
  return openStandalone({ storage: to, signer, clock: systemClock, maxTxQuads: 1000, shacl });
}

for (const leaderValidates of [true, false]) {
  test(`a replica validates exactly the writes its proposer did (proposer ${leaderValidates ? 'validating' : 'not validating'}, replica the other way)`, async (t) => {
    const storage = openMemoryStorage();
    const { engine, node } = await openStandalone({ storage, signer, clock: systemClock, maxTxQuads: 1000, shacl: leaderValidates });
    await engine.createNamespace('main', 't');
    await engine.putShapes('main', SHAPES, 't');
    await engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: person(1, false) }).catch((e: unknown) => t.is((e as KnowdError).code, 'REJECTED'));
    await engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: person(2) });
    const expected = leaderValidates ? 2 : 3;
    t.is(quadCount(engine, 'main'), expected);
    await engine.drain();
    await node.stop();
    const replica = await replayed(storage, !leaderValidates);
    t.teardown(() => replica.node.stop());
    t.is(quadCount(replica.engine, 'main'), expected);
  });
}

test('a write forwarded by a follower is validated by the leader\'s KNOWD_SHACL_ENABLED, on every replica', async (t) => {
  // Only the first member validates; whoever leads decides for every write, forwarded or not.
  const members = await startMemoryCluster(t, ['10.0.0.1:8091', '10.0.0.2:8091', '10.0.0.3:8091'], signer, (i) => ({ shacl: i === 0 }));
  const leader = await awaitLeader(members);
  const follower = members.find((m) => m !== leader)!;
  const validates = leader === members[0];
  await leader.engine.createNamespace('main', 't');
  const put = await leader.engine.putShapes('main', SHAPES, 't');
  await Promise.all(members.map((m) => m.node.waitForApplied(put.receipt.logIndex)));
  const bad = await follower.engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: person(1, false) }).then(
    () => 'accepted',
    (e: unknown) => (e as KnowdError).code,
  );
  t.is(bad, validates ? 'REJECTED' : 'accepted');
  const ok = await follower.engine.transact({ namespace: 'main', format: 'turtle', actor: 't', add: person(2) });
  await Promise.all(members.map((m) => m.node.waitForApplied(ok.receipt.logIndex)));
  for (const m of members) t.is(quadCount(m.engine, 'main'), validates ? 2 : 3, m.id);
});
