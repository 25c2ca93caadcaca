/**
 * The replicated log on the Storage port: record framing (format byte, term, CRC), ordering by index,
 * inclusive ranges, the applied index and the size counter. Runs on both storage kinds.
 */
import { crc32 } from 'node:zlib';
import test from 'ava';
import { KnowdError } from '../../../src/base/index.js';
import { LOG_FORMAT, appendRecord, appliedIndex, compactTo, decodeRecord, encodeRecord, firstLogIndex, lastIndex, logSize, readRecord, readRecords, readTerm, setAppliedIndex, truncateFrom } from '../../../src/replication/log/index.js';
import { u64Key } from '../../../src/storage/index.js';
import { STORAGE_KINDS, withStorage } from '../../helpers/storages.js';

test('a record round-trips its term and payload, and corruption is detected', (t) => {
  const payload = Buffer.from('{"type":"tx"} é', 'utf8');
  const raw = encodeRecord(2 ** 40 + 3, payload);
  t.is(raw[0], LOG_FORMAT);
  t.deepEqual(decodeRecord(7, raw), { index: 7, term: 2 ** 40 + 3, kind: 'normal', payload });
  t.deepEqual(decodeRecord(8, encodeRecord(5, Buffer.from('{}'), 'config')), { index: 8, term: 5, kind: 'config', payload: Buffer.from('{}') });
  t.deepEqual(decodeRecord(1, encodeRecord(0, Buffer.alloc(0))).payload, Buffer.alloc(0));

  const flipped = Buffer.from(raw);
  flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
  t.is(t.throws(() => decodeRecord(7, flipped), { instanceOf: KnowdError })?.code, 'STORE_CORRUPT');
  const future = Buffer.from(raw);
  future[0] = LOG_FORMAT + 1;
  t.is(t.throws(() => decodeRecord(7, future), { instanceOf: KnowdError })?.code, 'STORE_FORMAT');
  t.is(t.throws(() => decodeRecord(7, raw.subarray(0, 5)), { instanceOf: KnowdError })?.code, 'STORE_FORMAT');
  const badKind = Buffer.from(raw);
  badKind[1] = 9;
  t.is(t.throws(() => decodeRecord(7, badKind), { instanceOf: KnowdError })?.code, 'STORE_FORMAT');
});

test('format 1 records (written before entry kinds existed) still read, as normal entries', (t) => {
  const payload = Buffer.from('{"type":"tx"}');
  const v1 = Buffer.alloc(13 + payload.length);
  v1[0] = 1;
  v1.writeBigUInt64BE(4n, 1);
  v1.writeUInt32BE(crc32(payload), 9);
  payload.copy(v1, 13);
  t.deepEqual(decodeRecord(3, v1), { index: 3, term: 4, kind: 'normal', payload });
});

for (const kind of STORAGE_KINDS) {
  test(`${kind}: records are ordered by index (past 255 and 65535), ranges are inclusive, counters follow`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      storage.read((r) => {
        t.deepEqual(lastIndex(r), { index: 0, term: 0 });
        t.is(appliedIndex(r), 0);
        t.deepEqual(logSize(r), { entries: 0, bytes: 0 });
        t.deepEqual([...readRecords(r, 1)], []);
      });
      // Indexes whose big-endian bytes would sort wrongly as strings or little-endian numbers.
      const indexes = [1, 2, 255, 256, 257, 65535, 65536, 2 ** 32 + 1];
      let bytes = 0;
      await storage.write((w) => {
        // Out of order on purpose: the key decides the order, not the insertion.
        for (const i of [...indexes].reverse()) {
          const payload = Buffer.from(`entry ${i}`);
          appendRecord(w, i, i === 1 ? 1 : 2, payload);
          bytes += encodeRecord(0, payload).length;
        }
        setAppliedIndex(w, 256);
      });
      storage.read((r) => {
        t.deepEqual(lastIndex(r), { index: 2 ** 32 + 1, term: 2 });
        t.is(appliedIndex(r), 256);
        t.deepEqual(logSize(r), { entries: indexes.length, bytes });
        t.deepEqual([...readRecords(r, 1)].map((x) => x.index), indexes);
        t.deepEqual([...readRecords(r, 2, 256)].map((x) => x.index), [2, 255, 256]);
        t.deepEqual([...readRecords(r, 256, 256)].map((x) => x.payload.toString()), ['entry 256']);
        t.deepEqual([...readRecords(r, 3, 254)], []);
        t.is(readRecord(r, 65535)?.payload.toString(), 'entry 65535');
        t.is(readRecord(r, 3), undefined);
        t.is(readRecord(r, 1)?.term, 1);
      });
      // A corrupted stored entry is reported when read, naming its index.
      await storage.write((w) => w.put('log', u64Key(2), Buffer.from([LOG_FORMAT, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 2, 3])));
      const err = t.throws(() => storage.read((r) => [...readRecords(r, 1)]), { instanceOf: KnowdError });
      t.is(err?.code, 'STORE_CORRUPT');
      t.regex(err?.message ?? '', /Log entry 2\b/);
    });
  });

  test(`${kind}: an append in a failed write leaves neither the entry nor the counters`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      await storage.write((w) => appendRecord(w, 1, 1, Buffer.from('one')));
      const before = storage.read((r) => ({ last: lastIndex(r), size: logSize(r) }));
      await t.throwsAsync(
        storage.write((w) => {
          appendRecord(w, 2, 1, Buffer.from('two'));
          setAppliedIndex(w, 2);
          throw new Error('apply failed');
        }),
      );
      t.deepEqual(storage.read((r) => ({ last: lastIndex(r), size: logSize(r) })), before);
      t.is(storage.read((r) => appliedIndex(r)), 0);
    });
  });
}

for (const kind of STORAGE_KINDS) {
  test(`${kind}: truncation drops a suffix and compaction moves entries out, keeping the counters right`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      await storage.write((w) => {
        for (let i = 1; i <= 10; i++) appendRecord(w, i, 1, Buffer.from(`entry ${i}`));
      });
      await storage.write((w) => truncateFrom(w, 8));
      storage.read((r) => {
        t.deepEqual(lastIndex(r), { index: 7, term: 1 });
        t.is(logSize(r).entries, 7);
      });
      await storage.write((w) => t.is(compactTo(w, 4), 4));
      storage.read((r) => {
        t.is(firstLogIndex(r), 5);
        t.is(logSize(r).entries, 3);
        t.is(logSize(r).bytes, [5, 6, 7].map((i) => encodeRecord(1, Buffer.from(`entry ${i}`)).length).reduce((a, b) => a + b));
        t.is(readTerm(r, 6), 1);
        t.is(readTerm(r, 2), undefined);
      });
    });
  });
}
