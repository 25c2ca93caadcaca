/**
 * Inside a write, the dictionary serves ids through its shared caches only below the durable floor
 * (ids whose writes were published): an id handed out by a write that rolls back is handed out
 * again, for another term, and must never be answered from a cache.
 */
import test from 'ava';
import { Dictionary } from '../../../src/dataset/dictionary.js';
import { openMemoryStorage } from '../../../src/storage/index.js';

const NS = 7;

test('a rolled-back id is not cached inside a write; a published one is', async (t) => {
  const storage = openMemoryStorage();
  const dict = new Dictionary(1000);

  // A durable write: "a" and "b", published.
  const first = await storage.write((txn) => {
    const w = dict.writer(txn, NS);
    const ids = [w.intern('http://ex/a'), w.intern('http://ex/b')];
    w.finish();
    return { ids, created: w.created };
  });
  dict.publish(NS, first.created);
  const [a, b] = first.ids as [number, number];

  // A write that reads its own new id inside the write, then fails (rolled back).
  let lost = 0;
  await t.throwsAsync(
    storage.write((txn) => {
      const w = dict.writer(txn, NS);
      lost = w.intern('http://ex/lost');
      t.is(dict.termInWrite(txn, NS, lost), 'http://ex/lost');
      t.is(dict.decodedInWrite(txn, NS, lost).value, 'http://ex/lost');
      t.is(dict.lookupInWrite(txn, NS, 'http://ex/lost'), lost);
      w.finish();
      throw new Error('veto');
    }),
    { message: 'veto' },
  );

  // The next write is handed the same id for another term: nothing may answer the old one.
  await storage.write((txn) => {
    const w = dict.writer(txn, NS);
    const again = w.intern('http://ex/kept');
    t.is(again, lost, 'ids of a rolled-back write are handed out again');
    t.is(dict.termInWrite(txn, NS, again), 'http://ex/kept');
    t.is(dict.decodedInWrite(txn, NS, again).value, 'http://ex/kept');
    t.is(dict.lookupInWrite(txn, NS, 'http://ex/lost'), undefined);
    // Published ids are served (and cached) as usual.
    t.is(dict.termInWrite(txn, NS, a), 'http://ex/a');
    t.is(dict.decodedInWrite(txn, NS, b).value, 'http://ex/b');
    t.is(dict.lookupInWrite(txn, NS, 'http://ex/b'), b);
    w.finish();
  });
  t.is(dict.cachedId(NS, 'http://ex/lost'), undefined);
  t.is(dict.cachedId(NS, 'http://ex/b'), b);
});

test('a snapshot install (reset) drops the durable floor with the caches', async (t) => {
  const storage = openMemoryStorage();
  const dict = new Dictionary(1000);
  const created = await storage.write((txn) => {
    const w = dict.writer(txn, NS);
    w.intern('http://ex/a');
    w.finish();
    return w.created;
  });
  dict.publish(NS, created);
  dict.reset();
  await storage.write((txn) => {
    t.is(dict.lookupInWrite(txn, NS, 'http://ex/a'), 1);
  });
  t.is(dict.cachedId(NS, 'http://ex/a'), undefined, 'below no floor after a reset: not cached');
});
