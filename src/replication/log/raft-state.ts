import { KnowdError } from '../../base/index.js';
import type { HardState, Membership, SnapshotMeta } from '../raft/types.js';
import type { ReadTxn, WriteTxn } from '../../storage/index.js';

/**
 * Node-local raft state in the `meta` table. Keys start with `raft/`, which snapshots leave out: a
 * node's term and vote are its own, never copied from the leader's store.
 */
const HARD_STATE_KEY = Buffer.from('raft/hardState');
const SNAPSHOT_KEY = Buffer.from('raft/snapshot');
const MEMBERSHIP_KEY = Buffer.from('raft/membership');

function readJson<T>(txn: ReadTxn, key: Buffer, check: (v: unknown) => v is T): T | undefined {
  const v = txn.get('meta', key);
  if (v === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(v).toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!check(parsed)) throw new KnowdError('STORE_CORRUPT', `Stored ${key.toString()} is not valid; restore this node from a snapshot`);
  return parsed;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isMembership(v: unknown): v is Membership {
  return isObject(v) && Array.isArray(v.voters) && Array.isArray(v.learners) && [...v.voters, ...v.learners].every((x) => typeof x === 'string');
}

function isHardState(v: unknown): v is HardState {
  return isObject(v) && Number.isSafeInteger(v.term) && Number.isSafeInteger(v.commit) && (v.vote === null || typeof v.vote === 'string');
}

function isSnapshotMeta(v: unknown): v is SnapshotMeta {
  return isObject(v) && Number.isSafeInteger(v.index) && Number.isSafeInteger(v.term) && isMembership(v.membership);
}

export function readHardState(txn: ReadTxn): HardState | undefined {
  return readJson(txn, HARD_STATE_KEY, isHardState);
}

export function writeHardState(txn: WriteTxn, hs: HardState): void {
  txn.put('meta', HARD_STATE_KEY, Buffer.from(JSON.stringify(hs)));
}

export function readSnapshotMeta(txn: ReadTxn): SnapshotMeta | undefined {
  return readJson(txn, SNAPSHOT_KEY, isSnapshotMeta);
}

export function writeSnapshotMeta(txn: WriteTxn, meta: SnapshotMeta): void {
  txn.put('meta', SNAPSHOT_KEY, Buffer.from(JSON.stringify(meta)));
}

/** Membership as of the applied index (written with each applied config entry). */
export function readMembership(txn: ReadTxn): Membership | undefined {
  return readJson(txn, MEMBERSHIP_KEY, isMembership);
}

export function writeMembership(txn: WriteTxn, m: Membership): void {
  txn.put('meta', MEMBERSHIP_KEY, Buffer.from(JSON.stringify({ voters: [...m.voters].sort(), learners: [...m.learners].sort() })));
}
