/**
 * Shared pieces of the snapshot tests: seeded store contents, a store dump to compare stores by,
 * and re-sealing a snapshot's plain stream (to forge files that pass SHA-256 and GCM but break the
 * record structure, which only the key holder could make).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { constants as zlibConstants, brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { ReadTxn, Storage, Table } from '../../../../src/storage/index.js';
import { TABLES } from '../../../../src/storage/index.js';
import { manifestPathOf } from '../../../../src/replication/snapshot/index.js';
import type { SnapshotManifest } from '../../../../src/replication/snapshot/index.js';
import type { Membership } from '../../../../src/replication/raft/types.js';
import { makeTempDir } from '../../../helpers/storages.js';

export const MEMBERSHIP: Membership = { voters: ['10.0.0.1:7000', '10.0.0.2:7000', '10.0.0.3:7000'], learners: ['10.0.0.4:7000'] };
export const RAFT = (s: string): Buffer => Buffer.from(`raft/${s}`, 'latin1');
export const testKey = (): Buffer => randomBytes(32);

function bytes(random: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
  return b;
}

export interface FillOptions {
  /** Records per table (about). */
  readonly perTable?: number;
  /** Sizes of extra large values put in `receipts`. */
  readonly largeValueBytes?: readonly number[];
}

/**
 * Seeded random contents in every table: random binary keys and values (some empty), keys around
 * the `raft/` boundary in meta, raft hard state, log entries, and a few large values.
 */
export async function fillRandom(storage: Storage, random: () => number, opts: FillOptions = {}): Promise<void> {
  const perTable = opts.perTable ?? 200;
  await storage.write((w) => {
    for (const table of TABLES) {
      for (let i = 0; i < perTable; i++) {
        const key = bytes(random, 1 + Math.floor(random() * 40));
        const value = random() < 0.1 ? Buffer.alloc(0) : bytes(random, Math.floor(random() * 300));
        w.put(table, key, value);
      }
    }
    // Around the excluded prefix: only the exact `raft/` prefix is node-local.
    for (const k of ['raft', 'raft.', 'raft0', 'rafs', 'raft/x', 'raft/hardState', 'raft//', 'appliedIndex', 'logStats']) {
      w.put('meta', Buffer.from(k, 'latin1'), bytes(random, 8 + Math.floor(random() * 8)));
    }
    let n = 0;
    for (const size of opts.largeValueBytes ?? []) w.put('receipts', Buffer.from(`large-${n++}`), bytes(random, size));
  });
}

/** A table's contents as [hex key, sha256 of value] pairs, in key order (big values stay cheap to compare). */
export function dump(storage: Storage): Record<Table, [string, string][]> {
  return storage.read(dumpTxn);
}

export function dumpTxn(r: ReadTxn): Record<Table, [string, string][]> {
  const out = {} as Record<Table, [string, string][]>;
  for (const t of TABLES) {
    out[t] = [...r.scan(t, {})].map((e) => [Buffer.from(e.key).toString('hex'), createHash('sha256').update(e.value).digest('hex')]);
  }
  return out;
}

const isRaftKey = (hexKey: string): boolean => Buffer.from(hexKey, 'hex').subarray(0, 5).equals(Buffer.from('raft/'));

/** What a snapshot carries of a dump: everything but `log` and meta `raft/*`. */
export function snapshotPart(d: Record<Table, [string, string][]>): Record<string, [string, string][]> {
  const out: Record<string, [string, string][]> = {};
  for (const t of TABLES) {
    if (t === 'log') continue;
    out[t] = t === 'meta' ? d[t].filter(([k]) => !isRaftKey(k)) : d[t];
  }
  return out;
}

export function raftPart(d: Record<Table, [string, string][]>): [string, string][] {
  return d.meta.filter(([k]) => isRaftKey(k));
}

/** Files in a directory (empty when it is gone). */
export function filesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

export const tempFilesIn = (dir: string): string[] => filesIn(dir).filter((n) => n.startsWith('.tmp-'));

/** Copies a snapshot and its manifest into a fresh directory; returns the copy's path. */
export function copySnapshot(file: string): string {
  const dir = makeTempDir('knowd-snapcopy-');
  const to = path.join(dir, path.basename(file));
  fs.copyFileSync(file, to);
  fs.copyFileSync(manifestPathOf(file), manifestPathOf(to));
  return to;
}

export function readManifestJson(file: string): SnapshotManifest {
  return JSON.parse(fs.readFileSync(manifestPathOf(file), 'utf8')) as SnapshotManifest;
}

export function writeManifestJson(file: string, m: unknown): void {
  fs.writeFileSync(manifestPathOf(file), JSON.stringify(m));
}

/** Makes the manifest agree with the file's current bytes (so the later checks are what is tested). */
export function refreshManifest(file: string): void {
  const data = fs.readFileSync(file);
  writeManifestJson(file, { ...readManifestJson(file), sha256: createHash('sha256').update(data).digest('hex'), sizeBytes: data.length });
}

const HEADER_BYTES = 56;
const TAG_BYTES = 16;

/** The decrypted, decompressed record stream of a snapshot file. */
export function openPlain(file: string, key: Buffer): Buffer {
  const data = fs.readFileSync(file);
  const header = data.subarray(0, HEADER_BYTES);
  const iv = header.subarray(HEADER_BYTES - 12);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(header);
  d.setAuthTag(data.subarray(data.length - TAG_BYTES));
  const compressed = Buffer.concat([d.update(data.subarray(HEADER_BYTES, data.length - TAG_BYTES)), d.final()]);
  return header[10] === 1 ? gunzipSync(compressed) : brotliDecompressSync(compressed);
}

/** Rewrites a snapshot around a changed plain stream, validly encrypted, with a matching manifest. */
export function reseal(file: string, key: Buffer, change: (plain: Buffer) => Buffer): void {
  const data = fs.readFileSync(file);
  const header = Buffer.from(data.subarray(0, HEADER_BYTES));
  const plain = change(openPlain(file, key));
  const compressed = header[10] === 1 ? gzipSync(plain) : brotliCompressSync(plain, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } });
  const c = createCipheriv('aes-256-gcm', key, header.subarray(HEADER_BYTES - 12));
  c.setAAD(header);
  const body = Buffer.concat([c.update(compressed), c.final()]);
  fs.writeFileSync(file, Buffer.concat([header, body, c.getAuthTag()]));
  refreshManifest(file);
}
