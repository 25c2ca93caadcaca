/**
 * The snapshots a node holds: listed newest first from their manifests, pruned to the newest few
 * (with leftovers of crashes), offered with what the manifest says, verified without a store.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { AssertionError } from '../../../../src/base/index.js';
import {
  createSnapshot, listSnapshots, offerOf, pruneSnapshots, removeTempFiles, snapshotFileName, verifySnapshot, type SnapshotInfo,
} from '../../../../src/replication/snapshot/index.js';
import { openMemoryStorage, type Storage } from '../../../../src/storage/index.js';
import { makeTempDir } from '../../../helpers/storages.js';
import { seededRandom, testSeed } from '../../../helpers/random.js';
import { MEMBERSHIP, fillRandom, filesIn, testKey } from './helpers.js';

const KEY = testKey();

async function withSnapshots(fn: (dir: string, storage: Storage, made: SnapshotInfo[]) => Promise<void>): Promise<void> {
  const dir = makeTempDir('knowd-snapcat-');
  const storage = openMemoryStorage();
  try {
    await fillRandom(storage, seededRandom(testSeed(8000)), { perTable: 20 });
    const made: SnapshotInfo[] = [];
    // Out of order on purpose, and two terms at one index: the list orders by index, then term.
    for (const [index, term] of [
      [5, 1],
      [120, 3],
      [9, 2],
      [120, 4],
    ] as const) {
      made.push(await createSnapshot(storage, dir, KEY, { index, term, membership: MEMBERSHIP }));
    }
    await fn(dir, storage, made);
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ids = (list: readonly SnapshotInfo[]): string[] => list.map((i) => `${i.index}/${i.term}`);

test('snapshots are listed newest first, with what their manifests say', async (t) => {
  await withSnapshots(async (dir, _storage, made) => {
    const list = listSnapshots(dir);
    t.deepEqual(ids(list), ['120/4', '120/3', '9/2', '5/1']);
    t.deepEqual(
      list.find((i) => i.index === 9),
      made.find((i) => i.index === 9),
    );
    t.is(list[0]!.path, path.join(dir, snapshotFileName(120, 4)));
    t.deepEqual(listSnapshots(path.join(dir, 'nowhere')), []);
  });
});

test('a snapshot whose manifest is missing, malformed, or disagrees with the file is not listed', async (t) => {
  await withSnapshots(async (dir, _storage, made) => {
    const [five, big3, nine, big4] = made as [SnapshotInfo, SnapshotInfo, SnapshotInfo, SnapshotInfo];
    fs.rmSync(five.manifestPath);
    fs.writeFileSync(nine.manifestPath, '{');
    fs.appendFileSync(big3.path, Buffer.from([0])); // size no longer matches
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    t.deepEqual(ids(listSnapshots(dir)), [`${big4.index}/${big4.term}`]);
  });
});

test('prune keeps the newest snapshots and clears leftovers older than them', async (t) => {
  await withSnapshots(async (dir) => {
    // Leftovers of crashes: a snapshot without manifest (older, and newer than what is kept), a
    // manifest whose file is gone, and a temporary file of a snapshot in the making.
    fs.writeFileSync(path.join(dir, snapshotFileName(2, 1)), 'orphan');
    fs.writeFileSync(path.join(dir, snapshotFileName(500, 9)), 'being written');
    fs.writeFileSync(path.join(dir, 'snap-00000000000000000003-1.json'), '{}');
    fs.writeFileSync(path.join(dir, '.tmp-1234.knsnap.part'), 'in flight');

    const removed = await pruneSnapshots(dir, 2);
    t.deepEqual(removed.sort(), [
      'snap-00000000000000000002-1.knsnap',
      'snap-00000000000000000003-1.json',
      'snap-00000000000000000005-1.json',
      'snap-00000000000000000005-1.knsnap',
      'snap-00000000000000000009-2.json',
      'snap-00000000000000000009-2.knsnap',
    ]);
    t.deepEqual(ids(listSnapshots(dir)), ['120/4', '120/3']);
    t.deepEqual(filesIn(dir), [
      '.tmp-1234.knsnap.part',
      'snap-00000000000000000120-3.json',
      'snap-00000000000000000120-3.knsnap',
      'snap-00000000000000000120-4.json',
      'snap-00000000000000000120-4.knsnap',
      'snap-00000000000000000500-9.knsnap',
    ]);
    t.deepEqual(await pruneSnapshots(dir, 2), [], 'pruning again removes nothing');
    t.deepEqual(await removeTempFiles(dir), ['.tmp-1234.knsnap.part']);
    await t.throwsAsync(pruneSnapshots(dir, 0), { instanceOf: AssertionError });
  });
});

test('the offer carries what a receiver checks against', async (t) => {
  await withSnapshots(async (_dir, _storage, made) => {
    const info = made[1]!;
    t.deepEqual(offerOf(info), {
      index: 120,
      term: 3,
      membership: MEMBERSHIP,
      sha256: info.sha256,
      sizeBytes: fs.statSync(info.path).size,
      name: 'snap-00000000000000000120-3.knsnap',
    });
  });
});

test('verify checks a snapshot fully without a store and says why one fails', async (t) => {
  await withSnapshots(async (dir, _storage, made) => {
    t.deepEqual(await verifySnapshot(made[2]!.path, KEY), { ok: true, meta: { index: 9, term: 2, membership: MEMBERSHIP } });
    const wrongKey = await verifySnapshot(made[2]!.path, testKey());
    t.false(wrongKey.ok);
    if (!wrongKey.ok) t.regex(wrongKey.reason, /every cluster member needs the same snapshot key file/);
    const missing = await verifySnapshot(path.join(dir, snapshotFileName(77, 1)), KEY);
    t.false(missing.ok);
    if (!missing.ok) t.regex(missing.reason, /has no manifest/);
    t.deepEqual(filesIn(dir).filter((n) => n.startsWith('.tmp-')), []);
  });
});

test('creation refuses a bad key or index as the programmer error it is, leaving no file', async (t) => {
  const dir = makeTempDir('knowd-snapcat-');
  const storage = openMemoryStorage();
  try {
    await t.throwsAsync(createSnapshot(storage, dir, Buffer.alloc(16), { index: 1, term: 1, membership: MEMBERSHIP }), { instanceOf: AssertionError });
    await t.throwsAsync(createSnapshot(storage, dir, KEY, { index: 0, term: 1, membership: MEMBERSHIP }), { instanceOf: AssertionError });
    await t.throwsAsync(createSnapshot(storage, dir, KEY, { index: 1, term: 1, membership: MEMBERSHIP }, { compression: 'gzip', level: 11 }), { instanceOf: AssertionError });
    t.deepEqual(filesIn(dir), []);
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failing store read during creation leaves no file', async (t) => {
  const dir = makeTempDir('knowd-snapcat-');
  const storage = openMemoryStorage();
  try {
    await fillRandom(storage, seededRandom(testSeed(8100)), { perTable: 5 });
    const failing: Storage = {
      ...storage,
      read: (fn) =>
        storage.read((txn) =>
          fn({
            ...txn,
            // Fails mid-stream, after the file has been started.
            scan: function* (table, range) {
              let n = 0;
              for (const e of txn.scan(table, range)) {
                if (table === 'receipts' && n++ === 2) throw new Error('disk read error');
                yield e;
              }
            },
          }),
        ),
    };
    const e = await t.throwsAsync(createSnapshot(failing, dir, KEY, { index: 3, term: 1, membership: MEMBERSHIP }));
    t.is(e?.message, 'disk read error');
    t.deepEqual(filesIn(dir), []);
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
