/**
 * The record stream's decoder: a stream split anywhere decodes the same, and a stream cut anywhere
 * is caught as truncated (never taken as complete).
 */
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { RecordDecoder, recordStream, SNAPSHOT_TABLES } from '../../../../src/replication/snapshot/format.js';
import { openMemoryStorage } from '../../../../src/storage/index.js';
import { seededRandom, testSeed } from '../../../helpers/random.js';
import { MEMBERSHIP, RAFT } from './helpers.js';

async function smallStream(): Promise<{ plain: Buffer; records: number }> {
  const storage = openMemoryStorage();
  await storage.write((w) => {
    w.put('meta', Buffer.from('appliedIndex'), Buffer.from([1, 2]));
    w.put('meta', RAFT('hardState'), Buffer.from('{"term":3}'));
    w.put('quads', Buffer.from([0, 1]), Buffer.alloc(0));
    w.put('quads', Buffer.from([0, 2]), Buffer.alloc(0));
    w.put('terms', Buffer.from('t'), Buffer.alloc(600, 9));
    w.put('log', Buffer.from([1]), Buffer.from('entry'));
  });
  const plain = Buffer.concat(storage.read((r) => [...recordStream(r, { index: 4, term: 2, membership: MEMBERSHIP }, 1234, 64)]));
  return { plain, records: 4 };
}

type Decoded = { table: string; key: string; value: string }[];

/** With `reuse`, every chunk goes through one scratch block that is scribbled over after each push. */
function decodeAll(chunks: Buffer[], reuse = false): Decoded {
  const out: Decoded = [];
  const d = new RecordDecoder((r) => out.push({ table: r.table, key: r.key.toString('hex'), value: r.value.toString('hex') }));
  const scratch = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const c of chunks) {
    if (!reuse) {
      d.push(c);
      continue;
    }
    c.copy(scratch);
    d.push(scratch.subarray(0, c.length), true);
    scratch.fill(0xee);
  }
  d.end();
  return out;
}

test('the stream carries every table but log, and meta without raft/ keys', async (t) => {
  const { plain } = await smallStream();
  const d = new RecordDecoder();
  d.push(plain);
  const { header, records } = d.end();
  t.is(records, 4);
  t.deepEqual(header.tables, SNAPSHOT_TABLES);
  t.false(header.tables.includes('log'));
  t.like(header, { index: 4, term: 2, membership: MEMBERSHIP, createdAtMs: 1234, formatVersion: 1 });
  t.deepEqual(decodeAll([plain]), [
    { table: 'meta', key: Buffer.from('appliedIndex').toString('hex'), value: '0102' },
    { table: 'terms', key: '74', value: '09'.repeat(600) },
    { table: 'quads', key: '0001', value: '' },
    { table: 'quads', key: '0002', value: '' },
  ]);
});

test('a stream split at random points decodes the same as whole, also through one reused block', async (t) => {
  const seed = testSeed(9000);
  t.log(`seed ${seed}`);
  const random = seededRandom(seed);
  const { plain } = await smallStream();
  const whole = decodeAll([plain]);
  for (let round = 0; round < 50; round++) {
    const chunks: Buffer[] = [];
    for (let o = 0; o < plain.length; ) {
      const n = 1 + Math.floor(random() * (round % 2 === 0 ? 3 : 200));
      chunks.push(plain.subarray(o, o + n));
      o += n;
    }
    t.deepEqual(decodeAll(chunks), whole);
    t.deepEqual(decodeAll(chunks, true), whole);
  }
});

test('a stream cut at any byte is rejected as truncated, never taken as complete', async (t) => {
  const { plain } = await smallStream();
  for (let cut = 0; cut < plain.length; cut++) {
    const d = new RecordDecoder();
    const e = t.throws(() => {
      d.push(plain.subarray(0, cut));
      d.end();
    });
    t.true(e instanceof KnowdError && e.code === 'SNAPSHOT_INVALID' && /truncated/.test(e.message), `cut at ${cut}: ${String(e)}`);
  }
});
