/**
 * Snapshots: a consistent, compressed, encrypted copy of a node's state at an applied log index,
 * for followers that are new or too far behind. See format.ts for the file layout.
 */
export { createSnapshot, DEFAULT_COMPRESSION, DEFAULT_LEVEL } from './create.js';
export type { CreateSnapshotOptions, SnapshotMetaSource } from './create.js';
export { restoreSnapshot } from './restore.js';
export { readChunks, receiveSnapshot } from './chunks.js';
export { listSnapshots, verifySnapshot, pruneSnapshots, removeTempFiles, offerOf } from './catalog.js';
export type { VerifyResult } from './catalog.js';
export { loadOrCreateSnapshotKey, keyIdOf, SNAPSHOT_KEY_BYTES, SNAPSHOT_KEY_FILE, KEYS_DIR } from './key.js';
export { snapshotFileName, manifestPathOf } from './files.js';
export type { SnapshotInfo, SnapshotManifest } from './files.js';
export { SNAPSHOT_FORMAT_VERSION, SNAPSHOT_TABLES, RAFT_META_PREFIX } from './format.js';
export type { Compression } from './format.js';
