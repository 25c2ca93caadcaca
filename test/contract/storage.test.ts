/**
 * The Storage port contract (src/storage/port.ts), one suite run against every implementation:
 * LMDB (a fresh temporary directory per test) and the in-memory twin.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Bytes, Range, ReadTxn, Storage, Table } from '../../src/storage/index.js';
import { TABLES, prefixRange } from '../../src/storage/index.js';
import { STORAGE_KINDS, withStorage, type StorageKind, type TestStorage } from '../helpers/storages.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const hex = (k: Bytes): string => Buffer.from(k).toString('hex');
const cmp = (x: Bytes, y: Bytes): number => Buffer.compare(x, y);

/** Keys that catch signed-byte comparison, length-first comparison and prefix mistakes. */
const ODD_KEYS: readonly Buffer[] = [
  b(0x00),
  b(0x00, 0x00),
  b(0x00, 0x00, 0x00),
  b(0x00, 0x01),
  b(0x00, 0xff),
  b(0x01),
  b(0x01, 0x00),
  b(0x61),
  b(0x61, 0x00),
  b(0x61, 0x62),
  b(0x61, 0x62, 0x63),
  b(0x61, 0x62, 0x63, 0xff),
  b(0x62),
  b(0x7f),
  b(0x7f, 0xff),
  b(0x80),
  b(0x80, 0x00),
  b(0xfe, 0xff, 0xff),
  b(0xff),
  b(0xff, 0x00),
  b(0xff, 0xfe),
  b(0xff, 0xff),
  b(0xff, 0xff, 0xff),
];
/** Bounds that are not keys themselves, between and around the keys above. */
const ABSENT_PROBES: readonly Buffer[] = [b(0x00, 0x00, 0x00, 0x00), b(0x00, 0x80), b(0x02), b(0x61, 0x61), b(0x61, 0x62, 0x62), b(0x80, 0x00, 0x00), b(0xc0), b(0xff, 0xff, 0xff, 0xff)];

/** A value derived from the key, so a scan that pairs a key with the wrong value is caught. */
const valueOf = (k: Bytes): Buffer => Buffer.concat([b(0xaa), Buffer.from(k), b(k.length)]);

/** Deterministic permutation (no randomness needed): insertion order must not matter. */
function interleaved<T>(items: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < items.length; i += 2) out.push(items[i] as T);
  for (let i = items.length - 1 - (items.length % 2 === 0 ? 0 : 1); i > 0; i -= 2) out.push(items[i] as T);
  return out;
}

async function putAll(s: Storage, table: Table, keys: readonly Buffer[]): Promise<void> {
  await s.write((w) => {
    for (const k of interleaved(keys)) w.put(table, k, valueOf(k));
  });
}

/** What a correct implementation returns for `range` over `keys`. */
function expectedRange(keys: readonly Buffer[], range: Range): Buffer[] {
  const sorted = [...keys].sort(cmp).filter((k) => (range.start === undefined || cmp(k, range.start) >= 0) && (range.end === undefined || cmp(k, range.end) < 0));
  if (range.reverse === true) sorted.reverse();
  return range.limit === undefined ? sorted : sorted.slice(0, range.limit);
}

function describeRange(r: Range): string {
  return `start=${r.start === undefined ? '-' : hex(r.start)} end=${r.end === undefined ? '-' : hex(r.end)} reverse=${String(r.reverse ?? false)} limit=${String(r.limit ?? '-')}`;
}

function scanHex(r: ReadTxn, table: Table, range: Range): string[] {
  return [...r.scan(table, range)].map((e) => hex(e.key));
}

function contract(title: string, fn: (t: ExecutionContext, ts: TestStorage) => Promise<void> | void, only?: StorageKind): void {
  for (const kind of STORAGE_KINDS) {
    if (only !== undefined && kind !== only) continue;
    test(`${kind}: ${title}`, (t) => withStorage(kind, (ts) => fn(t, ts)));
  }
}

contract('info names the implementation', (t, { kind, storage }) => {
  const info = storage.info();
  t.is(info.kind, kind);
  t.is(info.path === null, kind === 'memory');
});

contract('get, put, overwrite and del', async (t, { storage }) => {
  const k = b(1, 2, 3);
  t.is(storage.read((r) => r.get('meta', k)), undefined);
  await storage.write((w) => w.put('meta', k, b(9)));
  t.deepEqual(Buffer.from(storage.read((r) => r.get('meta', k)) ?? b()), b(9));
  await storage.write((w) => w.put('meta', k, b(7, 7)));
  t.deepEqual(Buffer.from(storage.read((r) => r.get('meta', k)) ?? b()), b(7, 7));
  await storage.write((w) => w.del('meta', k));
  t.is(storage.read((r) => r.get('meta', k)), undefined);
  // Deleting a missing key is not an error.
  await storage.write((w) => w.del('meta', k));
  t.is(storage.read((r) => r.count('meta', {})), 0);
});

contract('an empty value is stored and read back as empty, not as missing', async (t, { storage }) => {
  // The quad indexes store every key with an empty value.
  await storage.write((w) => w.put('quads', b(5), Buffer.alloc(0)));
  const v = storage.read((r) => r.get('quads', b(5)));
  t.not(v, undefined);
  t.is(v?.length, 0);
  t.deepEqual(storage.read((r) => [...r.scan('quads', {})].map((e) => e.value.length)), [0]);
});

contract('tables are separate key spaces', async (t, { storage }) => {
  const k = b(0x42);
  await storage.write((w) => {
    TABLES.forEach((table, i) => w.put(table, k, b(i)));
  });
  storage.read((r) => {
    TABLES.forEach((table, i) => {
      t.deepEqual(Buffer.from(r.get(table, k) ?? b()), b(i), table);
      t.is(r.count(table, {}), 1, table);
    });
  });
  await storage.write((w) => w.del('log', k));
  t.is(storage.read((r) => r.get('log', k)), undefined);
  t.deepEqual(Buffer.from(storage.read((r) => r.get('quads', k)) ?? b()), b(TABLES.indexOf('quads')));
});

contract('stored bytes do not change when the caller reuses its buffers', async (t, { storage }) => {
  const key = b(1, 1);
  const value = b(2, 2);
  await storage.write((w) => {
    w.put('meta', key, value);
    key[1] = 9;
    value[1] = 9;
  });
  t.deepEqual(Buffer.from(storage.read((r) => r.get('meta', b(1, 1))) ?? b()), b(2, 2));
  t.is(storage.read((r) => r.get('meta', b(1, 9))), undefined);
});

contract('keys and values collected from a scan stay intact after the scan moves on', async (t, { storage }) => {
  // lmdb-js may reuse one buffer per cursor; callers (delRange, recovery) collect keys first.
  await putAll(storage, 'terms', ODD_KEYS);
  const collected = storage.read((r) => [...r.scan('terms', {})]);
  const keys = storage.read((r) => [...r.scanKeys('terms', {})]);
  const sorted = [...ODD_KEYS].sort(cmp);
  t.deepEqual(collected.map((e) => hex(e.key)), sorted.map(hex));
  t.deepEqual(collected.map((e) => hex(e.value)), sorted.map((k) => hex(valueOf(k))));
  t.deepEqual(keys.map(hex), sorted.map(hex));
});

contract('scan orders keys as unsigned bytes, shorter prefix first', async (t, { storage }) => {
  await putAll(storage, 'quads', ODD_KEYS);
  const sorted = [...ODD_KEYS].sort(cmp).map(hex);
  // Spot-check the oracle itself against hand-written order.
  t.is(sorted[0], '00');
  t.is(sorted[1], '0000');
  t.true(sorted.indexOf('7fff') < sorted.indexOf('80'));
  t.is(sorted.at(-1), 'ffffff');
  storage.read((r) => {
    t.deepEqual(scanHex(r, 'quads', {}), sorted);
    t.deepEqual([...r.scanKeys('quads', {})].map(hex), sorted);
    t.deepEqual(scanHex(r, 'quads', { reverse: true }), [...sorted].reverse());
    t.is(r.count('quads', {}), ODD_KEYS.length);
    for (const e of r.scan('quads', {})) t.is(hex(e.value), hex(valueOf(e.key)));
  });
});

contract('every range (start inclusive, end exclusive, reverse, limit) equals the oracle in scan, scanKeys and count', async (t, { storage }) => {
  await putAll(storage, 'quads', ODD_KEYS);
  const bounds: (Buffer | undefined)[] = [undefined, ...ODD_KEYS, ...ABSENT_PROBES];
  let checked = 0;
  const failures: string[] = [];
  storage.read((r) => {
    for (const start of bounds) {
      for (const end of bounds) {
        for (const reverse of [false, true]) {
          for (const limit of [undefined, 0, 1, 2, 5, 1000]) {
            const range: Range = {
              ...(start !== undefined && { start }),
              ...(end !== undefined && { end }),
              ...(reverse && { reverse }),
              ...(limit !== undefined && { limit }),
            };
            const want = expectedRange(ODD_KEYS, range).map(hex);
            const got = scanHex(r, 'quads', range);
            const gotKeys = [...r.scanKeys('quads', range)].map(hex);
            // count() is checked without a limit here; count with a limit has its own test below.
            const n = limit === undefined ? r.count('quads', range) : want.length;
            if (got.join() !== want.join() || gotKeys.join() !== want.join() || n !== want.length) {
              failures.push(`${describeRange(range)}: want [${want.join(' ')}], scan [${got.join(' ')}], scanKeys [${gotKeys.join(' ')}], count ${n}`);
            }
            checked++;
          }
        }
      }
    }
  });
  t.deepEqual(failures.slice(0, 10), [], `${failures.length} ranges differ from the oracle`);
  t.is(checked, bounds.length * bounds.length * 2 * 6);
});

/** count(table, range) counts what scan(table, range) yields, limit included (memory twin does). */
async function countHonoursLimit(t: ExecutionContext, { storage }: TestStorage): Promise<void> {
  await putAll(storage, 'quads', ODD_KEYS);
  storage.read((r) => {
    t.is(r.count('quads', { limit: 3 }), 3);
    t.is(r.count('quads', { limit: 0 }), 0);
    t.is(r.count('quads', { start: b(0xff), limit: 2 }), 2);
    t.is(r.count('quads', { reverse: true, limit: 4 }), 4);
  });
}
test('memory: count honours the range limit', (t) => withStorage('memory', (ts) => countHonoursLimit(t, ts)));
// BUG (src/storage/lmdb/lmdb-storage.ts, LmdbRead.count → lmdb-js getKeysCount): lmdb-js ignores
// `limit` when it only counts (read.js: the onlyCount branch returns before the limit check), so
// count({limit: 3}) returns every key in the range while scan({limit: 3}) yields 3 and the memory twin
// counts 3. No caller passes a limit to count() today. Fix: in LmdbRead.count, return
// Math.min(n, range.limit) when a limit is given.
test('lmdb: count honours the range limit', (t) => withStorage('lmdb', (ts) => countHonoursLimit(t, ts)));

contract('reverse scans with one bound', async (t, { storage }) => {
  await putAll(storage, 'log', [b(1), b(2), b(3), b(4), b(5)]);
  storage.read((r) => {
    t.deepEqual(scanHex(r, 'log', { reverse: true, start: b(3) }), ['05', '04', '03']);
    t.deepEqual(scanHex(r, 'log', { reverse: true, end: b(3) }), ['02', '01']);
    t.deepEqual(scanHex(r, 'log', { reverse: true, start: b(2), end: b(4) }), ['03', '02']);
    t.deepEqual(scanHex(r, 'log', { reverse: true, limit: 1 }), ['05']);
    t.deepEqual(scanHex(r, 'log', { reverse: true, end: b(5), limit: 2 }), ['04', '03']);
    t.deepEqual(scanHex(r, 'log', { start: b(4), end: b(2) }), []);
    t.deepEqual(scanHex(r, 'log', { reverse: true, start: b(4), end: b(2) }), []);
    t.deepEqual(scanHex(r, 'log', { start: b(3), end: b(3) }), []);
  });
});

contract('prefixRange selects exactly the keys that start with the prefix, including 0xff prefixes', async (t, { storage }) => {
  await putAll(storage, 'quads', ODD_KEYS);
  storage.read((r) => {
    for (const prefix of [b(0x00), b(0x61), b(0x61, 0x62), b(0x7f), b(0xff), b(0xff, 0xff), b(0x00, 0xff)]) {
      const want = [...ODD_KEYS].sort(cmp).filter((k) => k.subarray(0, prefix.length).equals(prefix)).map(hex);
      t.deepEqual(scanHex(r, 'quads', prefixRange(prefix)), want, hex(prefix));
      t.is(r.count('quads', prefixRange(prefix)), want.length, hex(prefix));
    }
  });
});

contract('delRange removes exactly the range and returns how many', async (t, { storage }) => {
  await putAll(storage, 'terms', ODD_KEYS);
  await putAll(storage, 'ids', ODD_KEYS);
  const range = { start: b(0x00, 0x01), end: b(0x61, 0x62, 0x63) };
  const gone = expectedRange(ODD_KEYS, range).map(hex);
  t.true(gone.length > 3);
  const n = await storage.write((w) => w.delRange('terms', range));
  t.is(n, gone.length);
  const left = [...ODD_KEYS].sort(cmp).map(hex).filter((k) => !gone.includes(k));
  storage.read((r) => {
    t.deepEqual(scanHex(r, 'terms', {}), left);
    // Another table is untouched.
    t.is(r.count('ids', {}), ODD_KEYS.length);
  });
  // A prefix range ending at the top of the key space, then everything.
  t.is(await storage.write((w) => w.delRange('terms', prefixRange(b(0xff)))), 5);
  t.is(await storage.write((w) => w.delRange('terms', {})), left.length - 5);
  t.is(storage.read((r) => r.count('terms', {})), 0);
  t.is(await storage.write((w) => w.delRange('terms', {})), 0);
});

contract('delRange over many keys in one transaction', async (t, { storage }) => {
  const keys = Array.from({ length: 3000 }, (_, i) => b(0x10, i >> 8, i & 0xff));
  await putAll(storage, 'quads', keys);
  await storage.write((w) => {
    t.is(w.delRange('quads', { start: b(0x10, 0x01), end: b(0x10, 0x0a) }), 9 * 256);
    // The transaction sees its own deletes.
    t.is(w.count('quads', {}), 3000 - 9 * 256);
  });
  t.is(storage.read((r) => r.count('quads', {})), 3000 - 9 * 256);
});

contract('a write transaction reads its own puts and deletes', async (t, { storage }) => {
  await putAll(storage, 'meta', [b(1), b(3)]);
  await storage.write((w) => {
    w.put('meta', b(2), b(0x22));
    w.del('meta', b(3));
    t.deepEqual(Buffer.from(w.get('meta', b(2)) ?? b()), b(0x22));
    t.is(w.get('meta', b(3)), undefined);
    t.deepEqual(scanHex(w, 'meta', {}), ['01', '02']);
    t.deepEqual(scanHex(w, 'meta', { reverse: true }), ['02', '01']);
    t.is(w.count('meta', {}), 2);
  });
});

contract('write resolves with what fn returns', async (t, { storage }) => {
  t.is(await storage.write(() => 42), 42);
  t.deepEqual(await storage.write((w) => (w.put('meta', b(1), b(1)), { ok: true })), { ok: true });
});

contract('write is atomic: when fn throws nothing is kept and the error propagates', async (t, { storage }) => {
  await putAll(storage, 'meta', [b(1), b(2)]);
  const boom = new Error('boom');
  const err = await t.throwsAsync(
    storage.write((w) => {
      w.put('meta', b(3), b(3));
      w.put('meta', b(1), b(0xee));
      w.del('meta', b(2));
      w.delRange('meta', {});
      w.put('log', b(9), b(9));
      throw boom;
    }),
  );
  t.is(err, boom);
  storage.read((r) => {
    t.deepEqual(scanHex(r, 'meta', {}), ['01', '02']);
    t.is(hex(r.get('meta', b(1)) ?? b()), hex(valueOf(b(1))));
    t.is(r.count('log', {}), 0);
  });
  // The store goes on working after a failed write.
  await storage.write((w) => w.put('meta', b(4), b(4)));
  t.deepEqual(storage.read((r) => scanHex(r, 'meta', {})), ['01', '02', '04']);
});

contract('a savepoint that throws is undone while the outer writes are kept', async (t, { storage }) => {
  await putAll(storage, 'meta', [b(1)]);
  const out = await storage.write((w) => {
    w.put('meta', b(2), b(2));
    const err = t.throws(() =>
      w.savepoint(() => {
        w.put('meta', b(3), b(3));
        w.put('meta', b(2), b(0xee)); // overwrites an outer write
        w.del('meta', b(1)); // deletes a committed key
        t.is(w.get('meta', b(3))?.length, 1);
        throw new Error('inner');
      }),
    );
    t.is(err?.message, 'inner');
    // Inside the same transaction, the rollback is visible at once.
    t.is(w.get('meta', b(3)), undefined);
    t.deepEqual(Buffer.from(w.get('meta', b(2)) ?? b()), b(2));
    t.not(w.get('meta', b(1)), undefined);
    w.put('meta', b(4), b(4));
    return w.savepoint(() => {
      w.put('meta', b(5), b(5));
      return 'kept';
    });
  });
  t.is(out, 'kept');
  storage.read((r) => {
    t.deepEqual(scanHex(r, 'meta', {}), ['01', '02', '04', '05']);
    t.deepEqual(Buffer.from(r.get('meta', b(2)) ?? b()), b(2));
  });
});

contract('nested savepoints roll back only their own level', async (t, { storage }) => {
  await storage.write((w) => {
    w.put('meta', b(1), b(1));
    w.savepoint(() => {
      w.put('meta', b(2), b(2));
      t.throws(() =>
        w.savepoint(() => {
          w.put('meta', b(3), b(3));
          w.savepoint(() => w.put('meta', b(4), b(4))); // succeeds, then its parent fails
          throw new Error('level 2');
        }),
      );
      t.is(w.get('meta', b(4)), undefined);
      w.put('meta', b(5), b(5));
    });
    t.throws(() =>
      w.savepoint(() => {
        w.put('meta', b(6), b(6));
        w.savepoint(() => w.put('meta', b(7), b(7)));
        throw new Error('level 1');
      }),
    );
    w.put('meta', b(8), b(8));
  });
  t.deepEqual(
    storage.read((r) => scanHex(r, 'meta', {})),
    ['01', '02', '05', '08'],
  );
});

contract('a write whose savepoint failed can still fail as a whole', async (t, { storage }) => {
  await t.throwsAsync(
    storage.write((w) => {
      w.put('meta', b(1), b(1));
      t.throws(() => w.savepoint(() => { w.put('meta', b(2), b(2)); throw new Error('inner'); }));
      w.savepoint(() => w.put('meta', b(3), b(3)));
      throw new Error('outer');
    }),
    { message: 'outer' },
  );
  t.is(storage.read((r) => r.count('meta', {})), 0);
});

contract('concurrent write() calls run one at a time in call order', async (t, { storage }) => {
  const N = 100;
  const ran: number[] = [];
  const settled: number[] = [];
  const calls = Array.from({ length: N }, (_, i) =>
    storage
      .write((w) => {
        // Each write reads the previous one's result: a lost or reordered write breaks the chain.
        const prev = w.get('meta', b(0));
        const n = prev === undefined ? 0 : Buffer.from(prev).readUInt32BE();
        // Writes i with i % 10 === 7 fail and are undone, so write i sees the kept writes before it.
        const keptBefore = i - Math.floor((i + 2) / 10);
        t.is(n, keptBefore, `write ${i} saw counter ${n}`);
        const next = Buffer.alloc(4);
        next.writeUInt32BE(n + 1);
        w.put('meta', b(0), next);
        w.put('log', Buffer.from([i >> 8, i & 0xff]), b(i & 0xff));
        ran.push(i);
        if (i % 10 === 7) throw new Error(`fails ${i}`);
        return i;
      })
      .then(
        (v) => {
          settled.push(i);
          return v;
        },
        (e: unknown) => {
          settled.push(i);
          return e instanceof Error ? e.message : 'non-error';
        },
      ),
  );
  const results = await Promise.all(calls);
  t.deepEqual(ran, Array.from({ length: N }, (_, i) => i));
  t.deepEqual(settled, Array.from({ length: N }, (_, i) => i));
  t.deepEqual(
    results,
    Array.from({ length: N }, (_, i) => (i % 10 === 7 ? `fails ${i}` : i)),
  );
  const kept = Array.from({ length: N }, (_, i) => i).filter((i) => i % 10 !== 7);
  t.is(storage.read((r) => r.count('log', {})), kept.length);
});

contract('a read sees only committed state, and sees a write once it resolved', async (t, { storage }) => {
  await putAll(storage, 'meta', [b(1)]);
  const pending = storage.write((w) => w.put('meta', b(2), b(2)));
  // Issued but not awaited: a reader now sees the state before it.
  t.is(storage.read((r) => r.get('meta', b(2))), undefined);
  await pending;
  t.not(storage.read((r) => r.get('meta', b(2))), undefined);
});

contract('iterators of one read are consistent with each other while fn runs', async (t, { storage }) => {
  await putAll(storage, 'meta', ODD_KEYS);
  const pending = storage.write((w) => {
    w.delRange('meta', {});
    w.put('meta', b(0x55), b(0x55));
  });
  storage.read((r) => {
    const it = r.scan('meta', {});
    const first = it.next();
    t.false(first.done === true);
    const rest = [...it].map((e) => hex(e.key));
    t.deepEqual(rest, [...ODD_KEYS].sort(cmp).slice(1).map(hex));
    t.is(r.count('meta', {}), ODD_KEYS.length);
  });
  await pending;
  t.deepEqual(storage.read((r) => scanHex(r, 'meta', {})), ['55']);
});

contract('nested scans of one table, each opened while the others are open, return their own ranges', async (t, { storage }) => {
  await putAll(storage, 'quads', ODD_KEYS);
  storage.read((r) => {
    const outer = [...r.scanKeys('quads', {})].map(hex);
    const seen: string[] = [];
    for (const k of r.scanKeys('quads', {})) {
      // Point and prefix scans under a live outer scan, some left unfinished: the shape of an index nested loop.
      seen.push(hex(k));
      t.deepEqual([...r.scanKeys('quads', prefixRange(k))].map(hex), expectedRange(ODD_KEYS, prefixRange(k)).map(hex));
      const partial = r.scan('quads', { start: k });
      t.is(hex(partial.next().value?.key ?? b()), hex(k));
      t.is(r.count('quads', prefixRange(k)), expectedRange(ODD_KEYS, prefixRange(k)).length);
    }
    t.deepEqual(seen, outer);
  });
});

// LMDB only: lmdb-js reads through the running write transaction unless told otherwise, which the cursor
// reuse in lmdb-storage.ts must not fall into. The memory twin's reads inside a write fn do see the write
// in progress (a divergence the port does not yet rule on).
contract('a read started inside a write fn sees the committed state, not the write in progress', async (t, { storage }) => {
  await putAll(storage, 'meta', [b(1), b(2)]);
  const inner = await storage.write((w) => {
    w.put('meta', b(3), b(3));
    w.del('meta', b(1));
    return storage.read((r) => ({ keys: scanHex(r, 'meta', {}), count: r.count('meta', {}), keysOnly: [...r.scanKeys('meta', {})].map(hex) }));
  });
  t.deepEqual(inner, { keys: ['01', '02'], count: 2, keysOnly: ['01', '02'] });
  t.deepEqual(storage.read((r) => scanHex(r, 'meta', {})), ['02', '03']);
}, 'lmdb');

/**
 * Port: "The view stays valid while fn runs ... it is released when fn returns (or its promise
 * settles)": a read whose fn is async keeps its snapshot across awaits, even if writes commit.
 */
async function asyncSnapshot(t: ExecutionContext, { storage }: TestStorage): Promise<void> {
  await putAll(storage, 'meta', [b(1), b(2)]);
  const seen = await storage.read(async (r) => {
    const before = scanHex(r, 'meta', {});
    await storage.write((w) => {
      w.put('meta', b(3), b(3));
      w.del('meta', b(1));
    });
    return { before, after: scanHex(r, 'meta', {}), one: r.get('meta', b(1)) !== undefined };
  });
  t.deepEqual(seen.before, ['01', '02']);
  t.deepEqual(seen.after, ['01', '02'], 'the snapshot changed under an async reader');
  t.true(seen.one);
  t.deepEqual(storage.read((r) => scanHex(r, 'meta', {})), ['02', '03']);
}
test('lmdb: an async read keeps its snapshot across a committed write', (t) => withStorage('lmdb', (ts) => asyncSnapshot(t, ts)));
test('memory: an async read keeps its snapshot across a committed write', (t) => withStorage('memory', (ts) => asyncSnapshot(t, ts)));

contract('write after close is refused with SHUTTING_DOWN', async (t, ts) => {
  await ts.storage.write((w) => w.put('meta', b(1), b(1)));
  await ts.storage.close();
  const err = await t.throwsAsync(ts.storage.write((w) => w.put('meta', b(2), b(2))));
  t.is((err as Error & { code?: string }).code, 'SHUTTING_DOWN');
  // Closing twice is harmless.
  await ts.storage.close();
});

test('lmdb: reopening keeps committed data, and not what a failed write did', async (t) => {
  await withStorage('lmdb', async (ts) => {
    await putAll(ts.storage, 'quads', ODD_KEYS);
    await ts.storage.write((w) => w.put('log', b(0, 0, 0, 1), Buffer.alloc(100_000, 7)));
    await t.throwsAsync(
      ts.storage.write((w) => {
        w.put('log', b(0, 0, 0, 2), b(2));
        throw new Error('not kept');
      }),
    );
    const s = await ts.reopen();
    s.read((r) => {
      t.deepEqual(scanHex(r, 'quads', {}), [...ODD_KEYS].sort(cmp).map(hex));
      const big = r.get('log', b(0, 0, 0, 1));
      t.is(big?.length, 100_000);
      t.true(Buffer.from(big ?? b()).every((x) => x === 7));
      t.is(r.get('log', b(0, 0, 0, 2)), undefined);
    });
    await s.write((w) => w.put('meta', b(1), b(1)));
    t.is(s.read((r) => r.count('meta', {})), 1);
  });
});

test('memory: an injected commit fault rejects the write and keeps nothing', async (t) => {
  await withStorage('memory', async (ts) => {
    const mem = ts.memory;
    if (mem === undefined) return t.fail('no memory twin');
    await putAll(mem, 'meta', [b(1)]);
    const disk = new Error('disk full');
    let calls = 0;
    mem.faults.beforeCommit = () => {
      calls++;
      throw disk;
    };
    const err = await t.throwsAsync(
      mem.write((w) => {
        w.put('meta', b(2), b(2));
        w.del('meta', b(1));
        w.savepoint(() => w.put('meta', b(3), b(3)));
        return 'unreachable';
      }),
    );
    t.is(err, disk);
    t.is(calls, 1);
    t.deepEqual(mem.read((r) => scanHex(r, 'meta', {})), ['01']);
    // Writes queued behind the failing one are not poisoned by it once the fault is gone.
    delete mem.faults.beforeCommit;
    await mem.write((w) => w.put('meta', b(4), b(4)));
    t.deepEqual(mem.read((r) => scanHex(r, 'meta', {})), ['01', '04']);
    return undefined;
  });
});
