import fs from 'node:fs';
import path from 'node:path';
import { KnowdError } from '../base/index.js';
import { StoredLog, setAppliedIndex, writeHardState, writeMembership } from '../replication/log/index.js';
import { KEYS_DIR, SNAPSHOT_KEY_FILE, loadOrCreateSnapshotKey, restoreSnapshot, verifySnapshot, type VerifyResult } from '../replication/snapshot/index.js';
import { caPinOf, joinProof, parseToken, readClusterInfo, unseal, writeClusterFiles, writeFileAtomic, type JoinAnswer } from '../replication/join/index.js';
import { createCsr } from '../replication/transport/certs.js';
import { parseNodeId } from '../replication/transport/address.js';
import { NODE_KEY_FILE } from '../receipts/index.js';
import type { HardState, SnapshotMeta } from '../replication/raft/types.js';
import { openLmdbStorage } from '../storage/lmdb/index.js';
import { lockDataDir } from './data-dir-lock.js';

/** Maintenance on a stopped node's data directory (knowdctl snapshot verify|restore). */

async function keyOf(dataDir: string, keyPath: string | undefined): Promise<Buffer> {
  return loadOrCreateSnapshotKey(dataDir, keyPath);
}

export async function verifySnapshotFile(file: string, dataDir: string, keyPath?: string): Promise<VerifyResult> {
  return verifySnapshot(path.resolve(file), await keyOf(dataDir, keyPath));
}

/**
 * Replaces the store of a stopped node with a snapshot, in one transaction: the state becomes the
 * snapshot's, the log restarts after it, and the node's own raft term and vote are kept. Refused
 * while knowd runs on the directory (its pid lock).
 */
export async function restoreSnapshotOffline(file: string, dataDir: string, keyPath?: string, mapSizeBytes = 0): Promise<SnapshotMeta> {
  const key = await keyOf(dataDir, keyPath);
  const unlock = lockDataDir(dataDir);
  try {
    return await installSnapshot(dataDir, file, key, mapSizeBytes);
  } catch (e) {
    if (e instanceof KnowdError) throw e;
    throw new KnowdError('INTERNAL', `Cannot restore "${file}" into "${dataDir}": ${(e as Error).message}`, {}, { cause: e });
  } finally {
    unlock();
  }
}

/**
 * Installs a snapshot as the store of `dir` (its `store/`), in one transaction: the state becomes
 * the snapshot's and the log restarts after it. The node's raft term and vote are kept — those in
 * the store, or `carry` (a whole-node restore into a new store carries the replaced store's, so the
 * node never votes twice in one term). The caller holds the data directory's lock.
 */
export async function installSnapshot(dir: string, file: string, key: Buffer, mapSizeBytes = 0, carry?: HardState): Promise<SnapshotMeta> {
  const storage = openLmdbStorage({ path: dir, mapSizeBytes });
  try {
    const log = new StoredLog(storage);
    return await restoreSnapshot(storage, path.resolve(file), key, (w, meta) => {
      log.resetTo(w, meta);
      writeMembership(w, meta.membership);
      setAppliedIndex(w, meta.index);
      if (carry !== undefined) writeHardState(w, { term: Math.max(carry.term, meta.term), vote: carry.term >= meta.term ? carry.vote : null, commit: meta.index });
    });
  } finally {
    await storage.close();
  }
}

export interface JoinOptions {
  readonly token: string;
  /**
   * HTTP addresses to present the token to, tried in order until one accepts it: the node that issued
   * the token (--url), or every provisioned node heard on mDNS (only the issuer knows the token).
   */
  readonly urls: readonly string[];
  /** This node's member id: the host:port its peers reach its gRPC at. */
  readonly memberId: string;
  readonly dataDir: string;
  /** Remove an existing store (its history is not the cluster's, and would conflict with it). */
  readonly wipe: boolean;
}

/** One join exchange: the sealed answer, opened and checked against the token's CA pin. */
async function presentToken(url: string, request: string, token: ReturnType<typeof parseToken>): Promise<JoinAnswer> {
  const res = await fetch(new URL('/v1/cluster/join', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: request, signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { sealed?: string; error?: { code: string; message: string } };
  if (!res.ok || body.sealed === undefined) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  const answer = JSON.parse(unseal(token, body.sealed)) as JoinAnswer;
  if (caPinOf(answer.caCertPem) !== token.caPin) throw new Error('its CA does not match the token\'s pin: not the cluster that issued the token');
  return answer;
}

/**
 * The joining side of `knowdctl cluster join`, run while knowd is stopped: make a key and a CSR,
 * prove the token, check the answer's CA against the token's pin, and write the cluster files and
 * keys; knowd then starts as a follower, is admitted as a learner and becomes a voter once caught up.
 */
export async function joinCluster(o: JoinOptions): Promise<{ clusterId: string; peers: readonly string[] }> {
  const token = parseToken(o.token);
  parseNodeId(o.memberId);
  if (readClusterInfo(o.dataDir) !== undefined) throw new KnowdError('CONFLICT', `${o.dataDir} already belongs to a cluster; remove its cluster/ directory (and store) to join another`);
  fs.mkdirSync(o.dataDir, { recursive: true, mode: 0o750 });
  const unlock = lockDataDir(o.dataDir);
  try {
    const store = path.join(o.dataDir, 'store');
    if (fs.existsSync(store)) {
      if (!o.wipe) throw new KnowdError('CONFLICT', `${o.dataDir} holds a store whose history is not the cluster's; pass --wipe to remove it (the node receives the cluster's data when it joins)`);
      fs.rmSync(store, { recursive: true, force: true });
    }
    const csr = await createCsr(o.memberId);
    const request = JSON.stringify({ tokenId: token.id, memberId: o.memberId, csrPem: csr.csrPem, proof: joinProof(token.secret, o.memberId, csr.csrPem) });
    const refusals: string[] = [];
    let answer: JoinAnswer | undefined;
    for (const url of o.urls) {
      try {
        answer = await presentToken(url, request, token);
        break;
      } catch (e) {
        refusals.push(`${url}: ${(e as Error).message}`);
      }
    }
    if (answer === undefined) {
      throw new KnowdError('PEER_REFUSED', o.urls.length === 1 ? `The cluster refused the join: ${refusals[0]?.replace(/^[^ ]+: /, '') ?? ''}` : `No node accepted the token:\n  ${refusals.join('\n  ')}`);
    }
    writeClusterFiles(o.dataDir, {
      info: { clusterId: answer.clusterId, memberId: o.memberId, createdAtMs: Date.now() },
      role: 'follower',
      peers: answer.peers,
      caCertPem: answer.caCertPem,
      caKeyPem: answer.caKeyPem,
      nodeCertPem: answer.certPem,
      nodeKeyPem: csr.keyPem,
    });
    writeFileAtomic(path.join(o.dataDir, KEYS_DIR, SNAPSHOT_KEY_FILE), `${answer.snapshotKeyHex}\n`, 0o600);
    writeFileAtomic(path.join(o.dataDir, KEYS_DIR, NODE_KEY_FILE), answer.signingKeyPem, 0o600);
    return { clusterId: answer.clusterId, peers: answer.peers };
  } finally {
    unlock();
  }
}
