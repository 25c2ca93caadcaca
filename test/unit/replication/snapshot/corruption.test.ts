/**
 * Every way a snapshot can arrive or lie damaged is rejected with SNAPSHOT_INVALID before the store
 * is touched, and leaves no file behind: damaged, missing, repeated, reordered chunks, short and
 * overlong streams, altered or truncated files, a wrong key, a manifest that disagrees, and forged
 * files that pass SHA-256 and GCM but break the record structure.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { createSnapshot, offerOf, readChunks, receiveSnapshot, restoreSnapshot, verifySnapshot, type SnapshotInfo } from '../../../../src/replication/snapshot/index.js';
import type { SnapshotChunk, SnapshotOffer } from '../../../../src/replication/transport/types.js';
import { openMemoryStorage, type Storage } from '../../../../src/storage/index.js';
import { makeTempDir, openTestStorage, type StorageKind } from '../../../helpers/storages.js';
import { seededRandom, testSeed } from '../../../helpers/random.js';
import { MEMBERSHIP, copySnapshot, dump, fillRandom, filesIn, openPlain, readManifestJson, refreshManifest, reseal, tempFilesIn, testKey, writeManifestJson } from './helpers.js';

const KEY = testKey();
const CHUNK_BYTES = 4096;
interface Original {
  readonly storage: Storage;
  readonly info: SnapshotInfo;
  readonly chunks: SnapshotChunk[];
  readonly dir: string;
}
let source: Promise<Original> | undefined;

/** One valid snapshot (from a memory store) that every test damages in its own copy. */
function original(): Promise<Original> {
  source ??= makeOriginal();
  return source;
}

async function makeOriginal(): Promise<Original> {
  const storage = openMemoryStorage();
  await fillRandom(storage, seededRandom(testSeed(5000)), { largeValueBytes: [300 * 1024] });
  const dir = makeTempDir('knowd-snap-orig-');
  const info = await createSnapshot(storage, dir, KEY, { index: 77, term: 3, membership: MEMBERSHIP });
  const chunks: SnapshotChunk[] = [];
  for await (const c of readChunks(info.path, CHUNK_BYTES)) chunks.push(c);
  return { storage, info, chunks, dir };
}

test.after.always(async () => {
  if (source !== undefined) fs.rmSync((await source).dir, { recursive: true, force: true });
});

function rejectsInvalid(t: ExecutionContext, e: unknown, match: RegExp): void {
  t.true(e instanceof KnowdError, `a KnowdError, got ${String(e)}`);
  t.is((e as KnowdError).code, 'SNAPSHOT_INVALID');
  t.regex((e as KnowdError).message, match);
}

async function* stream(chunks: readonly SnapshotChunk[]): AsyncIterable<SnapshotChunk> {
  yield* chunks;
}

const flip = (data: Uint8Array, at: number): Uint8Array => {
  const copy = Uint8Array.from(data);
  copy[at] = copy[at]! ^ 0x20;
  return copy;
};

// ---------------------------------------------------------------------------------------------
// In transit: the receiver rejects, and nothing is left in its directory.

const transit: [string, (chunks: SnapshotChunk[], offer: SnapshotOffer) => { chunks: SnapshotChunk[]; offer?: SnapshotOffer }, RegExp][] = [
  ['a flipped byte in one chunk (its SHA-256)', (c) => ({ chunks: c.map((x, i) => (i === 2 ? { ...x, data: flip(x.data, 100) } : x)) }), /fails its SHA-256/],
  ['a flipped byte with a matching chunk SHA-256 (the whole SHA-256)', (c) => ({ chunks: c.map((x, i) => (i === 2 ? withSha({ ...x, data: flip(x.data, 100) }) : x)) }), /its SHA-256 is .* not the offered/],
  ['a missing chunk', (c) => ({ chunks: c.filter((_, i) => i !== 3) }), /offset \d+ where \d+ was expected/],
  ['a duplicated chunk', (c) => ({ chunks: [...c.slice(0, 4), c[3]!, ...c.slice(4)] }), /offset \d+ where \d+ was expected/],
  ['reordered chunks', (c) => ({ chunks: [c[0]!, c[2]!, c[1]!, ...c.slice(3)] }), /offset \d+ where \d+ was expected/],
  ['a truncated stream (last chunk missing)', (c) => ({ chunks: c.slice(0, -1) }), /ended after \d+ of \d+ bytes/],
  ['a size overrun (offer smaller than the chunks)', (c, o) => ({ chunks: c, offer: { ...o, sizeBytes: o.sizeBytes - 10 } }), /run past its offered size/],
  ['an offer whose index differs from the file', (c, o) => ({ chunks: c, offer: { ...o, index: o.index + 1 } }), /offered as index 78/],
  ['a malformed offer', (c, o) => ({ chunks: c, offer: { ...o, sha256: 'abc' } }), /offer .* is malformed/],
];

function withSha(c: SnapshotChunk): SnapshotChunk {
  return { ...c, sha256: createHashHex(c.data) };
}
const createHashHex = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex');

for (const [title, damage, match] of transit) {
  test(`receive rejects ${title} and leaves nothing behind`, async (t) => {
    const { info, chunks } = await original();
    const dir = makeTempDir('knowd-snap-recv-');
    try {
      const d = damage([...chunks], offerOf(info));
      const e = await t.throwsAsync(receiveSnapshot(dir, d.offer ?? offerOf(info), stream(d.chunks)));
      rejectsInvalid(t, e, match);
      t.deepEqual(filesIn(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('receive stops consuming at the first bad chunk and cleans up when the stream itself fails', async (t) => {
  const { info, chunks } = await original();
  const dir = makeTempDir('knowd-snap-recv-');
  try {
    let pulled = 0;
    const e = await t.throwsAsync(
      receiveSnapshot(dir, offerOf(info), (async function* () {
        for (const [i, c] of chunks.entries()) {
          pulled++;
          yield i === 1 ? { ...c, sha256: '0'.repeat(64) } : c;
        }
      })()),
    );
    rejectsInvalid(t, e, /fails its SHA-256/);
    t.is(pulled, 2);
    const broken = await t.throwsAsync(
      receiveSnapshot(dir, offerOf(info), (async function* () {
        yield chunks[0]!;
        throw new Error('stream reset by peer');
      })()),
    );
    t.is(broken?.message, 'stream reset by peer');
    t.deepEqual(filesIn(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// At rest: restore rejects before touching the store; verifySnapshot says why; no temp file stays.

type FileDamage = (file: string) => void;

const atRest: [string, FileDamage, RegExp, Buffer?][] = [
  ['a flipped byte in the file (whole SHA-256)', (f) => flipFileByte(f, 0.5), /does not match its manifest \(\d+ bytes with SHA-256/],
  ['a flipped ciphertext byte with a matching manifest (GCM tag)', (f) => (flipFileByte(f, 0.5), refreshManifest(f)), /fails decryption or decompression/],
  ['a flipped byte in the GCM tag with a matching manifest', (f) => (flipFileByte(f, -1), refreshManifest(f)), /fails decryption or decompression/],
  ['a flipped file-header byte (authenticated as AAD) with a matching manifest', (f) => (flipAt(f, 11), refreshManifest(f)), /fails decryption or decompression/],
  ['a truncated file', (f) => truncate(f, 0.7), /does not match its manifest/],
  ['a truncated file with a matching manifest', (f) => (truncate(f, 0.7), refreshManifest(f)), /fails decryption or decompression/],
  ['a file cut to its header', (f) => (truncate(f, 0), refreshManifest(f)), /too short|not a Knowd snapshot/],
  ['a wrong key', () => undefined, /encrypted with key id [0-9a-f]{16}, but this node's snapshot key has id/, testKey()],
  ['a manifest with another SHA-256', (f) => writeManifestJson(f, { ...readManifestJson(f), sha256: 'ab'.repeat(32) }), /does not match its manifest/],
  ['a manifest with another index', (f) => writeManifestJson(f, { ...readManifestJson(f), index: 78 }), /does not match its manifest \(index, term/],
  ['a manifest with another membership', (f) => writeManifestJson(f, { ...readManifestJson(f), membership: { voters: ['x:1'], learners: [] } }), /index, term, membership/],
  ['a manifest that is not JSON', (f) => fs.writeFileSync(manifestOf(f), '{"index": 7'), /Cannot read snapshot manifest/],
  ['a manifest with a missing field', (f) => writeManifestJson(f, { ...readManifestJson(f), sha256: undefined }), /lacks a field/],
  ['a missing manifest', (f) => fs.rmSync(manifestOf(f)), /has no manifest/],
  ['a file of a newer format', (f) => (setU16(f, 8, 2), refreshManifest(f)), /format 2, newer than the 1 this version reads: upgrade/],
  ['a stream without its trailer (sealed validly)', (f) => reseal(f, KEY, (p) => p.subarray(0, p.length - 13)), /without its trailer: the file is truncated/],
  ['a stream cut inside a record (sealed validly)', (f) => reseal(f, KEY, (p) => p.subarray(0, p.length - 40)), /truncated/],
  ['a stream with bytes after its trailer (sealed validly)', (f) => reseal(f, KEY, (p) => Buffer.concat([p, Buffer.from([0])])), /bytes after its trailer/],
  ['a trailer with the wrong count (sealed validly)', (f) => reseal(f, KEY, (p) => bumpTrailerCount(p)), /trailer counts/],
  ['a record dropped (sealed validly)', (f) => reseal(f, KEY, (p) => dropLastRecord(p)), /records of table .* where its header says|trailer counts/],
  ['a stream carrying meta raft/ keys (sealed validly)', (f) => reseal(f, KEY, (p) => renameFirstMetaKey(p, 'raft/')), /raft/],
  ['a header naming the log table (sealed validly)', (f) => reseal(f, KEY, (p) => editHeader(p, (h) => ({ ...h, tables: (h['tables'] as string[]).map((x) => (x === 'meta' ? 'log' : x)) }))), /table "log"/],
  ['a header from another index than the manifest (sealed validly)', (f) => reseal(f, KEY, (p) => editHeader(p, (h) => ({ ...h, index: 78 }))), /index, term, membership or creation time differ/],
];

const manifestOf = (f: string): string => f.replace(/\.knsnap$/, '.json');

function flipAt(file: string, at: number): void {
  const data = fs.readFileSync(file);
  data[at] = data[at]! ^ 0x01;
  fs.writeFileSync(file, data);
}

function flipFileByte(file: string, where: number): void {
  const size = fs.statSync(file).size;
  flipAt(file, where < 0 ? size + where : Math.floor(size * where));
}

function truncate(file: string, fraction: number): void {
  const size = fs.statSync(file).size;
  fs.truncateSync(file, fraction === 0 ? 56 : Math.floor(size * fraction));
}

function setU16(file: string, at: number, v: number): void {
  const data = fs.readFileSync(file);
  data.writeUInt16BE(v, at);
  fs.writeFileSync(file, data);
}

function bumpTrailerCount(p: Buffer): Buffer {
  const out = Buffer.from(p);
  out.writeBigUInt64BE(out.readBigUInt64BE(out.length - 8) + 1n, out.length - 8);
  return out;
}

/** Parses the plain stream's records (test-side, independent of the decoder under test). */
function records(p: Buffer): { start: number; end: number; table: number; keyStart: number; keyLen: number }[] {
  const hlen = p.readUInt32BE(4);
  let o = 8 + hlen;
  const out = [];
  while (p[o] !== 0xff) {
    const keyLen = p.readUInt32BE(o + 1);
    const valueLen = p.readUInt32BE(o + 5);
    out.push({ start: o, end: o + 9 + keyLen + valueLen, table: p[o]!, keyStart: o + 9, keyLen });
    o += 9 + keyLen + valueLen;
  }
  return out;
}

function dropLastRecord(p: Buffer): Buffer {
  const last = records(p).at(-1)!;
  return Buffer.concat([p.subarray(0, last.start), p.subarray(last.end)]);
}

function renameFirstMetaKey(p: Buffer, prefix: string): Buffer {
  const header = JSON.parse(p.subarray(8, 8 + p.readUInt32BE(4)).toString('utf8')) as { tables: string[] };
  const metaId = header.tables.indexOf('meta');
  const rec = records(p).find((r) => r.table === metaId && r.keyLen >= prefix.length)!;
  const out = Buffer.from(p);
  // The earliest long-enough meta key: the keys before it are short and sort below "raft/", so the
  // prefix check (not the order check) is what fires.
  out.write(prefix, rec.keyStart, 'latin1');
  return out;
}

function editHeader(p: Buffer, edit: (h: Record<string, unknown>) => Record<string, unknown>): Buffer {
  const hlen = p.readUInt32BE(4);
  const h = JSON.parse(p.subarray(8, 8 + hlen).toString('utf8')) as Record<string, unknown>;
  const json = Buffer.from(JSON.stringify(edit(h)));
  const head = Buffer.alloc(8);
  p.copy(head, 0, 0, 4);
  head.writeUInt32BE(json.length, 4);
  return Buffer.concat([head, json, p.subarray(8 + hlen)]);
}

for (const kind of ['memory', 'lmdb'] as const satisfies readonly StorageKind[]) {
  for (const [title, damage, match, key] of atRest) {
    if (kind === 'lmdb' && !/flipped byte in the file|truncated file with|wrong key|trailer \(/.test(title)) continue;
    test(`${kind}: restore rejects ${title}; the store is unchanged and no temp file stays`, async (t) => {
      const { info } = await original();
      const file = copySnapshot(info.path);
      const dir = path.dirname(file);
      const ts = openTestStorage(kind);
      try {
        damage(file);
        await fillRandom(ts.storage, seededRandom(testSeed(6000)));
        const before = dump(ts.storage);
        let called = false;
        const e = await t.throwsAsync(restoreSnapshot(ts.storage, file, key ?? KEY, () => (called = true)));
        rejectsInvalid(t, e, match);
        t.false(called);
        t.deepEqual(dump(ts.storage), before);
        t.deepEqual(tempFilesIn(dir), []);
        const verdict = await verifySnapshot(file, key ?? KEY);
        t.false(verdict.ok);
        if (!verdict.ok) t.regex(verdict.reason, match);
      } finally {
        await ts.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}

test('the forging helper itself produces a valid snapshot when it changes nothing', async (t) => {
  const { info } = await original();
  const file = copySnapshot(info.path);
  try {
    reseal(file, KEY, (p) => p);
    t.like(await verifySnapshot(file, KEY), { ok: true });
    t.true(openPlain(file, KEY).length > 300 * 1024);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
});

for (const kind of ['memory', 'lmdb'] as const) {
  test(`${kind}: a failure inside the restore transaction (onTxn throws) commits nothing`, async (t) => {
    const { info } = await original();
    const file = copySnapshot(info.path);
    const ts = openTestStorage(kind);
    try {
      await fillRandom(ts.storage, seededRandom(testSeed(7000)));
      const before = dump(ts.storage);
      const e = await t.throwsAsync(
        restoreSnapshot(ts.storage, file, KEY, (w) => {
          t.true(w.count('quads', {}) > 0, 'the records are in the transaction');
          throw new Error('driver failed to write its raft state');
        }),
      );
      t.is(e?.message, 'driver failed to write its raft state');
      t.deepEqual(dump(ts.storage), before);
      t.deepEqual(tempFilesIn(path.dirname(file)), []);
    } finally {
      await ts.dispose();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
}
