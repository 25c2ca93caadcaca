/**
 * Both Storage implementations behind one small factory, so a suite can run unchanged against each
 * (the contract-test habit of ARCHITECTURE.md). LMDB stores live in a fresh temporary directory that
 * `dispose()` removes; `reopen()` closes and opens the same directory again (LMDB only).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Storage } from '../../src/storage/index.js';
import { openMemoryStorage, type MemoryStorage } from '../../src/storage/index.js';
import { openLmdbStorage } from '../../src/storage/lmdb/lmdb-storage.js';

export type StorageKind = 'lmdb' | 'memory';
export const STORAGE_KINDS: readonly StorageKind[] = ['lmdb', 'memory'];

/** Small map size: tests write kilobytes, and a huge sparse map is slow to set up on some file systems. */
const TEST_MAP_BYTES = 256 * 1024 * 1024;

export interface TestStorage {
  readonly kind: StorageKind;
  /** The open store; replaced by reopen(). */
  storage: Storage;
  /** The memory twin (for fault injection), undefined for LMDB. */
  readonly memory: MemoryStorage | undefined;
  /** LMDB: the directory of the store. */
  readonly dir: string | undefined;
  /** Closes and opens the same store again (LMDB only: the twin keeps nothing across a close). */
  reopen(): Promise<Storage>;
  dispose(): Promise<void>;
}

export function makeTempDir(prefix = 'knowd-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function openTestStorage(kind: StorageKind): TestStorage {
  if (kind === 'memory') {
    const memory = openMemoryStorage();
    return {
      kind,
      storage: memory,
      memory,
      dir: undefined,
      reopen: () => Promise.reject(new Error('the memory twin cannot be reopened')),
      dispose: () => memory.close(),
    };
  }
  const dir = makeTempDir();
  const ts: TestStorage = {
    kind,
    storage: openLmdbStorage({ path: dir, mapSizeBytes: TEST_MAP_BYTES }),
    memory: undefined,
    dir,
    async reopen() {
      await ts.storage.close();
      ts.storage = openLmdbStorage({ path: dir, mapSizeBytes: TEST_MAP_BYTES });
      return ts.storage;
    },
    async dispose() {
      try {
        await ts.storage.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return ts;
}

/** Opens a store, runs `fn`, and always disposes of the store (and its directory). */
export async function withStorage<T>(kind: StorageKind, fn: (ts: TestStorage) => Promise<T> | T): Promise<T> {
  const ts = openTestStorage(kind);
  try {
    return await fn(ts);
  } finally {
    await ts.dispose();
  }
}
