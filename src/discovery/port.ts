/**
 * The PeerSource port: how a node learns which other Knowd nodes are on its LAN. A source advertises
 * this node and reports the others as candidates; it never decides membership. "down" is only a hint
 * (a crashed peer can stay listed in avahi's cache for over an hour, and a live one can miss a packet):
 * liveness comes from raft heartbeats, trust from the cluster CA.
 */

/** The DNS-SD service type every node advertises, on its HTTP port. */
export const SERVICE_TYPE = '_knowd._tcp';

/** What a node says about itself in its TXT record: static identity only (term and role travel in heartbeats). */
export interface PeerTxt {
  /** Empty while the node is not part of a cluster. */
  readonly clusterId: string;
  /** The node's stable id (the UUID in its data directory). */
  readonly nodeId: string;
  readonly grpcPort: number;
  readonly version: string;
  /** True once the node holds a certificate of a cluster (after init or join). */
  readonly provisioned: boolean;
}

export interface DiscoveredPeer {
  /** The DNS-SD instance name (unique on the LAN). */
  readonly instance: string;
  /** The host name the SRV record names (e.g. `knode-b.local`). */
  readonly host: string;
  /** IPv4 addresses of `host`, as resolved by the backend. */
  readonly addresses: readonly string[];
  readonly httpPort: number;
  readonly txt: PeerTxt;
}

/** A peer as a source lists it: when the backend last confirmed it. */
export interface PeerEntry extends DiscoveredPeer {
  readonly lastSeenMs: number;
}

export type PeerEvent = 'up' | 'update' | 'down';
export type PeerListener = (peer: DiscoveredPeer) => void;

export type BackendName = 'static' | 'avahi' | 'mdns-js';

/** What this node advertises. */
export interface SelfAdvert {
  readonly httpPort: number;
  readonly txt: PeerTxt;
}

export interface PeerSource {
  readonly backend: BackendName;
  /** Advertises `self` and starts browsing; resolves once both are under way (not when peers are found). */
  start(self: SelfAdvert): Promise<void>;
  /** Changes the advertised TXT (e.g. clusterId and provisioned after a join); peers see an 'update'. */
  update(txt: Partial<PeerTxt>): Promise<void>;
  /** Withdraws the advertisement (goodbye packets) and stops browsing; idempotent. */
  stop(): Promise<void>;
  /** Subscribes to peer events; returns the unsubscribe function. */
  on(event: PeerEvent, listener: PeerListener): () => void;
  /** The peers listed now, never this node itself. */
  peers(): readonly PeerEntry[];
}
