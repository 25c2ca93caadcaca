/**
 * WINDOW counts from the 'w' index's ordinals (receipt-store.ts): the same numbers as counting the
 * range, two index reads however many writes the window holds, writes that reach the log out of
 * time order counted at their own times, and a store upgraded from entries without
 * ordinals still counted right. A data write finds its predecessor from the tail record, without
 * reading the index, unless the chain moved on without the record (an older version wrote).
 */
import test from 'ava';
import { chainHead, countDataReceipts, putReceipt } from '../../../src/engine/receipt-store.js';
import { chainReceipt } from '../../../src/receipts/index.js';
import { openMemoryStorage, u64Key, type ReadTxn, type Storage, type WriteTxn } from '../../../src/storage/index.js';

const T0 = 1_700_000_000_000;

let index = 0;
function write(w: WriteTxn, ns: string, timeMs: number, kind: 'tx' | 'import' | 'hook' = 'tx'): void {
  putReceipt(w, chainReceipt({ namespace: ns, actor: 'a', kind, timeMs, logIndex: ++index, delta: { added: 1, removed: 0, hash: 'x'.repeat(64) } }, chainHead(w, ns)));
}

/** A data write as a version without ordinals or tail record made it: an entry without ordinal, and the chain moved on. */
function writeAsOlderVersion(w: WriteTxn, ns: string, timeMs: number): void {
  const prefix = Buffer.concat([Buffer.from('w'), Buffer.from(ns, 'utf8'), Buffer.from([0])]);
  w.put('receiptIdx', Buffer.concat([prefix, u64Key(timeMs), Buffer.from(`${ns}-old${++index}`)]), Buffer.alloc(0));
  w.put('meta', Buffer.from(`chain/${ns}`, 'utf8'), Buffer.from(`${index}`.padStart(64, '0'), 'utf8'));
}

/** `w` with its range reads of the receipt index counted. */
function watchedWrite(w: WriteTxn): { txn: WriteTxn; reads: () => number } {
  let reads = 0;
  const txn: WriteTxn = Object.create(w, {
    scan: {
      value: (t: Parameters<WriteTxn['scan']>[0], r: Parameters<WriteTxn['scan']>[1]) => {
        if (t === 'receiptIdx') reads++;
        return w.scan(t, r);
      },
    },
    scanKeys: {
      value: (t: Parameters<WriteTxn['scanKeys']>[0], r: Parameters<WriteTxn['scanKeys']>[1]) => {
        if (t === 'receiptIdx') reads++;
        return w.scanKeys(t, r);
      },
    },
    count: {
      value: (t: Parameters<WriteTxn['count']>[0], r: Parameters<WriteTxn['count']>[1]) => {
        if (t === 'receiptIdx') reads++;
        return w.count(t, r);
      },
    },
  }) as WriteTxn;
  return { txn, reads: () => reads };
}

/** Reads through `txn`, counting the index entries read and the native counts asked for. */
function watched(txn: ReadTxn): { txn: ReadTxn; reads: () => number; counts: () => number } {
  let reads = 0;
  let counts = 0;
  const proxy: ReadTxn = {
    get: (t, k) => txn.get(t, k),
    *scan(t, r) {
      for (const e of txn.scan(t, r)) {
        reads++;
        yield e;
      }
    },
    *scanKeys(t, r) {
      for (const k of txn.scanKeys(t, r)) {
        reads++;
        yield k;
      }
    },
    count: (t, r) => {
      counts++;
      return txn.count(t, r);
    },
  };
  return { txn: proxy, reads: () => reads, counts: () => counts };
}

const brute = (times: readonly number[], since: number, until: number): number => times.filter((t) => t > since && t <= until).length;

test('ordinals give the counts of the range, reading two entries however many the window holds', async (t) => {
  const storage: Storage = openMemoryStorage();
  const times = Array.from({ length: 500 }, (_, i) => T0 + i * 100);
  await storage.write((w) => {
    for (const tm of times) {
      write(w, 'n', tm);
      write(w, 'other', tm + 50);
    }
    write(w, 'n', T0 + 1, 'hook'); // not a data write
  });
  const windows = [[T0 - 1, T0 + 60_000], [T0 + 15_000, T0 + 45_000], [T0 + 49_899, T0 + 49_900], [T0 + 100_000, T0 + 200_000], [0, T0 - 1], [T0 - 300_000, T0]];
  for (const [since, until] of windows) {
    storage.read((r) => {
      const w = watched(r);
      t.is(countDataReceipts(w.txn, 'n', since!, until!), brute(times, since!, until!), `(${since! - T0}, ${until! - T0}]`);
      t.true(w.reads() <= 2, `${w.reads()} entries read`);
      t.is(w.counts(), 0);
    });
  }
});

test('writes logged out of time order are counted at their own times', async (t) => {
  const storage = openMemoryStorage();
  const times = [T0 + 1000, T0 + 900, T0 + 2000, T0 + 950, T0 + 950, T0 + 2500, T0 + 100];
  await storage.write((w) => {
    for (const tm of times) write(w, 'n', tm);
  });
  for (const [since, until] of [[T0, T0 + 950], [T0, T0 + 1000], [T0 + 899, T0 + 2000], [T0 + 950, T0 + 3000], [T0 + 99, T0 + 100], [T0 + 2000, T0 + 2499]]) {
    storage.read((r) => {
      const w = watched(r);
      t.is(countDataReceipts(w.txn, 'n', since!, until!), brute(times, since!, until!), `(${since! - T0}, ${until! - T0}]`);
      t.is(w.counts(), 0);
    });
  }
});

test('entries written before ordinals (a store from an older version) are still counted right', async (t) => {
  const storage = openMemoryStorage();
  // Ten entries as an older version wrote them: no ordinal.
  await storage.write((w) => {
    write(w, 'n', T0 - 10); // marks the index as complete from the start (winidx/since)
    for (let i = 0; i < 10; i++) writeAsOlderVersion(w, 'n', T0 + i * 10);
  });
  await storage.write((w) => {
    for (let i = 0; i < 5; i++) write(w, 'n', T0 + 1000 + i * 10);
  });
  const times = [T0 - 10, ...Array.from({ length: 10 }, (_, i) => T0 + i * 10), ...Array.from({ length: 5 }, (_, i) => T0 + 1000 + i * 10)];
  for (const [since, until] of [[T0 - 100, T0 + 5000], [T0 + 45, T0 + 1020], [T0 + 1000, T0 + 1030], [T0 + 95, T0 + 5000]]) {
    storage.read((r) => t.is(countDataReceipts(r, 'n', since!, until!), brute(times, since!, until!), `(${since! - T0}, ${until! - T0}]`));
  }
  // A window wholly past the old entries needs no native count.
  storage.read((r) => {
    const w = watched(r);
    t.is(countDataReceipts(w.txn, 'n', T0 + 1000, T0 + 5000), 4);
    t.is(w.counts(), 0);
  });
});

test('a data write after one of this version reads no index range; after one of an older version it reads the index and counts right', async (t) => {
  const storage = openMemoryStorage();
  const times: number[] = [];
  await storage.write((w) => {
    for (let i = 0; i < 20; i++) write(w, 'n', T0 + i * 10);
    write(w, 'n', T0 + 205, 'hook'); // a receipt that is not a data write keeps the record current
  });
  times.push(...Array.from({ length: 20 }, (_, i) => T0 + i * 10));
  for (const tm of [T0 + 300, T0 + 150, T0 + 400]) {
    await storage.write((w) => {
      const watched = watchedWrite(w);
      write(watched.txn, 'n', tm);
      times.push(tm);
      // In time order: the record alone. Out of order (T0 + 150): the entries after it are renumbered.
      if (tm !== T0 + 150) t.is(watched.reads(), 0, `write at ${tm - T0}`);
    });
  }
  await storage.write((w) => {
    writeAsOlderVersion(w, 'n', T0 + 450);
    writeAsOlderVersion(w, 'n', T0 + 460);
  });
  times.push(T0 + 450, T0 + 460);
  await storage.write((w) => {
    const watched = watchedWrite(w);
    write(watched.txn, 'n', T0 + 500);
    t.true(watched.reads() > 0, 'the stale record was not trusted');
  });
  times.push(T0 + 500);
  await storage.write((w) => {
    const watched = watchedWrite(w);
    write(watched.txn, 'n', T0 + 600);
    t.is(watched.reads(), 0, 'the record is current again');
  });
  times.push(T0 + 600);
  for (const [since, until] of [[T0 - 1, T0 + 1000], [T0 + 140, T0 + 310], [T0 + 455, T0 + 600], [T0 + 460, T0 + 1000], [T0 + 499, T0 + 500], [T0 + 149, T0 + 150]]) {
    storage.read((r) => t.is(countDataReceipts(r, 'n', since!, until!), brute(times, since!, until!), `(${since! - T0}, ${until! - T0}]`));
  }
});
