/**
 * A snapshot carries a store's state to another store exactly: every table but `log`, and `meta`
 * but its `raft/` keys, on both storage kinds and across them; from one read view even while writes
 * go on; and through chunked transfer.
 */
import fs from 'node:fs';
import test from 'ava';
import { createSnapshot, offerOf, readChunks, receiveSnapshot, restoreSnapshot, verifySnapshot } from '../../../../src/replication/snapshot/index.js';
import type { SnapshotChunk } from '../../../../src/replication/transport/types.js';
import { FakeClock } from '../../../../src/base/index.js';
import { STORAGE_KINDS, makeTempDir, withStorage } from '../../../helpers/storages.js';
import { seededRandom, testSeed } from '../../../helpers/random.js';
import { MEMBERSHIP, RAFT, dump, dumpTxn, fillRandom, filesIn, raftPart, snapshotPart, tempFilesIn, testKey } from './helpers.js';

const LARGE = [3 * 1024 * 1024 + 17, 1024 * 1024, 70 * 1024];

for (const from of STORAGE_KINDS) {
  for (const to of STORAGE_KINDS) {
    for (const compression of ['brotli', 'gzip'] as const) {
      test(`${from} → ${to} (${compression}): the target ends equal to the source but for log and meta raft/*`, async (t) => {
        const seed = testSeed(1000);
        t.log(`seed ${seed}`);
        const dir = makeTempDir('knowd-snap-');
        const key = testKey();
        try {
          await withStorage(from, async (src) => {
            await fillRandom(src.storage, seededRandom(seed), { largeValueBytes: LARGE });
            const info = await createSnapshot(src.storage, dir, key, { index: 42, term: 7, membership: MEMBERSHIP }, { compression, clock: new FakeClock(1_700_000_000_123) });
            t.is(info.name, 'snap-00000000000000000042-7.knsnap');
            t.like(info, { index: 42, term: 7, membership: MEMBERSHIP, compression, cipher: 'aes-256-gcm', createdAtMs: 1_700_000_000_123, formatVersion: 1 });
            t.is(info.sizeBytes, fs.statSync(info.path).size);
            t.deepEqual(filesIn(dir), ['snap-00000000000000000042-7.json', 'snap-00000000000000000042-7.knsnap']);
            t.is(fs.statSync(info.path).mode & 0o777, 0o600);

            await withStorage(to, async (dst) => {
              await fillRandom(dst.storage, seededRandom(seed + 1), { largeValueBytes: [2 * 1024 * 1024] });
              const before = dump(dst.storage);
              let seenMeta;
              const meta = await restoreSnapshot(dst.storage, info.path, key, (w, m) => {
                seenMeta = m;
                // The driver's raft state goes in with the data, in the same transaction.
                w.put('meta', RAFT('snapshot'), Buffer.from('42/7'));
                t.is(w.count('log', {}), 0, 'the log is already empty when onTxn runs');
              });
              t.deepEqual(meta, { index: 42, term: 7, membership: MEMBERSHIP });
              t.deepEqual(seenMeta, meta);
              const after = dump(dst.storage);
              const source = dump(src.storage);
              t.deepEqual(snapshotPart(after), snapshotPart(source));
              t.deepEqual(after.log, []);
              const snapshotKey = RAFT('snapshot').toString('hex');
              const written = after.meta.find(([k]) => k === snapshotKey);
              t.truthy(written);
              const expectedRaft = [...raftPart(before), [snapshotKey, written?.[1] ?? '']].sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
              t.deepEqual(raftPart(after), expectedRaft, "the target's own raft/ keys stay, the source's are not copied");
              t.true(raftPart(source).length > 0 && raftPart(source).every((e) => !after.meta.some(([k, v]) => k === e[0] && v === e[1])));
            });
          });
          t.deepEqual(tempFilesIn(dir), []);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
}

for (const kind of STORAGE_KINDS) {
  test(`${kind}: the snapshot is one read view while writes commit during its creation`, async (t) => {
    const seed = testSeed(2000);
    t.log(`seed ${seed}`);
    const random = seededRandom(seed);
    const dir = makeTempDir('knowd-snap-');
    const key = testKey();
    try {
      await withStorage(kind, async (src) => {
        // Incompressible bulk, so that creation spans many turns of the event loop.
        await fillRandom(src.storage, random, { perTable: 2000, largeValueBytes: [4 * 1024 * 1024, 4 * 1024 * 1024] });
        let expected: Record<string, [string, string][]> | undefined;
        let stop = false;
        let committedDuring = 0;
        let writer: Promise<void> = Promise.resolve();
        const info = createSnapshot(src.storage, dir, key, (txn) => {
          // The view the snapshot is taken from, as the meta callback sees it.
          expected = snapshotPart(dumpTxn(txn));
          writer = (async () => {
            for (let i = 0; !stop && i < 1000; i++) {
              await src.storage.write((w) => {
                w.put('quads', Buffer.from(`during-${i}`), Buffer.from('x'));
                for (const k of [...w.scanKeys('terms', { limit: 3 })]) w.del('terms', k);
                w.put('meta', Buffer.from('appliedIndex'), Buffer.from([i]));
              });
              if (!stop) committedDuring++;
            }
          })();
          return { index: 9, term: 2, membership: MEMBERSHIP };
        });
        const created = await info;
        stop = true;
        await writer;
        t.true(committedDuring > 0, 'some writes committed while the snapshot was being written');
        t.log(`${committedDuring} writes committed during creation`);

        await withStorage(kind, async (dst) => {
          await restoreSnapshot(dst.storage, created.path, key);
          t.deepEqual(snapshotPart(dump(dst.storage)), expected);
          t.notDeepEqual(snapshotPart(dump(src.storage)), expected, 'the source did change meanwhile');
        });
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

for (const chunkBytes of [1024, 1024 * 1024]) {
  test(`chunked transfer in ${chunkBytes}-byte chunks stores a snapshot that restores like the original`, async (t) => {
    const seed = testSeed(3000);
    t.log(`seed ${seed}`);
    const sendDir = makeTempDir('knowd-snap-send-');
    const recvDir = makeTempDir('knowd-snap-recv-');
    const key = testKey();
    try {
      await withStorage('lmdb', async (src) => {
        await fillRandom(src.storage, seededRandom(seed), { largeValueBytes: LARGE });
        const info = await createSnapshot(src.storage, sendDir, key, { index: 1234, term: 5, membership: MEMBERSHIP });
        const chunks: SnapshotChunk[] = [];
        for await (const c of readChunks(info.path, chunkBytes)) chunks.push(c);
        t.true(chunks.length >= 2, 'more than one chunk');
        t.true(chunks.slice(0, -1).every((c) => c.data.length === chunkBytes));
        t.is(
          chunks.reduce((n, c) => n + c.data.length, 0),
          info.sizeBytes,
        );

        const stored = await receiveSnapshot(recvDir, offerOf(info), (async function* () {
          yield* chunks;
        })());
        t.is(stored, `${recvDir}/${info.name}`);
        t.true(fs.readFileSync(stored).equals(fs.readFileSync(info.path)), 'the stored file is byte for byte the sent one');
        t.deepEqual(filesIn(recvDir), ['snap-00000000000000001234-5.json', 'snap-00000000000000001234-5.knsnap']);
        const sent = JSON.parse(fs.readFileSync(info.manifestPath, 'utf8')) as unknown;
        const received = JSON.parse(fs.readFileSync(`${recvDir}/snap-00000000000000001234-5.json`, 'utf8')) as unknown;
        t.deepEqual(received, sent, 'the receiver writes the same manifest');
        t.like(await verifySnapshot(stored, key), { ok: true, meta: { index: 1234, term: 5, membership: MEMBERSHIP } });

        await withStorage('memory', async (dst) => {
          await restoreSnapshot(dst.storage, stored, key);
          t.deepEqual(snapshotPart(dump(dst.storage)), snapshotPart(dump(src.storage)));
        });
      });
    } finally {
      fs.rmSync(sendDir, { recursive: true, force: true });
      fs.rmSync(recvDir, { recursive: true, force: true });
    }
  });
}

test('an empty store snapshots and restores (all tables emptied on the target)', async (t) => {
  const dir = makeTempDir('knowd-snap-');
  const key = testKey();
  try {
    await withStorage('memory', async (src) => {
      const info = await createSnapshot(src.storage, dir, key, { index: 1, term: 1, membership: { voters: ['a:1'], learners: [] } });
      await withStorage('lmdb', async (dst) => {
        await fillRandom(dst.storage, seededRandom(testSeed(4000)));
        const raftBefore = raftPart(dump(dst.storage));
        await restoreSnapshot(dst.storage, info.path, key);
        const after = dump(dst.storage);
        for (const [table, rows] of Object.entries(snapshotPart(after))) t.deepEqual(rows, [], table);
        t.deepEqual(after.log, []);
        t.deepEqual(raftPart(after), raftBefore);
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
