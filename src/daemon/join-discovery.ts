/**
 * `knowdctl cluster join` without `--url`: find the cluster on the LAN by mDNS. The joining node
 * advertises itself (unprovisioned) for the few seconds it browses, as its knowd would, and lists the
 * provisioned nodes it hears. Nothing here is trusted: the join exchange itself proves the token to the
 * issuing node and pins the answer's CA to the token's hash, so a stranger's advertisement can only
 * waste an attempt, never be joined.
 */
import dgram from 'node:dgram';
import { KnowdError } from '../base/index.js';
import type { Config } from '../config/index.js';
import { selectPeerSource, type PeerEntry, type PeerSource } from '../discovery/index.js';
import type { Logger } from '../obs/index.js';
import { nodeIdOfDataDir } from './node-id.js';
import { VERSION } from './version.js';

export interface DiscoverClusterOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Give up when no provisioned node was heard by then. */
  readonly timeoutMs: number;
  /** After the first provisioned node answers, listen this much longer for the others. */
  readonly settleMs?: number;
  /** For tests: a source instead of the configured backend. */
  readonly source?: PeerSource;
}

export interface JoinCandidate {
  readonly url: string;
  readonly address: string;
  readonly nodeId: string;
  readonly clusterId: string;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Provisioned peers as join URLs, one per address, most recently heard first. */
export function joinCandidates(peers: readonly PeerEntry[]): JoinCandidate[] {
  return [...peers]
    .filter((p) => p.txt.provisioned && p.txt.clusterId !== '')
    .sort((a, b) => b.lastSeenMs - a.lastSeenMs)
    .flatMap((p) => p.addresses.filter((a) => IPV4.test(a)).map((address) => ({ url: `http://${address}:${p.httpPort}`, address, nodeId: p.txt.nodeId, clusterId: p.txt.clusterId })));
}

export async function discoverCluster(o: DiscoverClusterOptions): Promise<JoinCandidate[]> {
  const { config, log } = o;
  if (config.discovery === 'off' && o.source === undefined) {
    throw new KnowdError('BAD_REQUEST', 'cluster join without --url finds the cluster by mDNS, but KNOWD_DISCOVERY is off; pass --url <http://host:port> of the node that issued the token');
  }
  const host = config.addr.host;
  const source = o.source ?? (await selectPeerSource(config.discovery, { log, ...(IPV4.test(host) && host !== '0.0.0.0' && host !== '127.0.0.1' && { interfaceAddress: host }) }));
  if (source === undefined) throw new KnowdError('BAD_REQUEST', 'No mDNS backend is available; pass --url');
  await source.start({
    httpPort: config.addr.port,
    txt: { clusterId: '', nodeId: nodeIdOfDataDir(config.dataDir), grpcPort: config.grpcAdvertiseAddr?.port ?? config.grpcAddr.port, version: VERSION, provisioned: false },
  });
  try {
    const deadline = Date.now() + o.timeoutMs;
    let settleUntil = Infinity;
    for (;;) {
      const found = joinCandidates(source.peers());
      if (found.length > 0 && settleUntil === Infinity) settleUntil = Date.now() + (o.settleMs ?? 1500);
      if (Date.now() >= settleUntil) return found;
      if (Date.now() >= deadline) {
        if (found.length > 0) return found;
        const seen = source.peers().length;
        throw new KnowdError('NOT_READY', `No provisioned Knowd node answered on mDNS (${source.backend}) within ${o.timeoutMs} ms${seen > 0 ? ` (${seen} unprovisioned node(s) seen)` : ''}; is the cluster on this LAN? Or pass --url`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await source.stop();
  }
}

/**
 * The local IPv4 address this host would use to reach `peer`: the member id a joining node gives
 * itself when the operator does not name one. A connected UDP socket picks the route without sending.
 */
export async function localAddressToward(peer: string, port: number): Promise<string> {
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, peer, () => resolve());
    });
    return sock.address().address;
  } finally {
    sock.close();
  }
}
