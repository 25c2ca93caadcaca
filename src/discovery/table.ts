/**
 * The list of peers a source has seen, shared by every backend: turns "saw this advertisement" and
 * "it is gone" into up/update/down events, filters out this node itself, and bounds the list so a
 * noisy LAN cannot grow it without limit.
 */
import type { DiscoveredPeer, PeerEntry, PeerEvent, PeerListener } from './port.js';

/** More advertisers than this on one LAN is not a Knowd deployment; the rest are ignored (and logged by the caller). */
export const MAX_PEERS = 256;

function samePeer(a: DiscoveredPeer, b: DiscoveredPeer): boolean {
  return a.host === b.host && a.httpPort === b.httpPort && a.addresses.join(',') === b.addresses.join(',')
    && a.txt.clusterId === b.txt.clusterId && a.txt.nodeId === b.txt.nodeId && a.txt.grpcPort === b.txt.grpcPort
    && a.txt.version === b.txt.version && a.txt.provisioned === b.txt.provisioned;
}

export class PeerTable {
  private readonly byInstance = new Map<string, PeerEntry>();
  private readonly listeners: Record<PeerEvent, Set<PeerListener>> = { up: new Set(), update: new Set(), down: new Set() };
  private selfNodeId: string | undefined;

  constructor(private readonly nowMs: () => number = Date.now) {}

  setSelf(nodeId: string): void {
    this.selfNodeId = nodeId;
  }

  on(event: PeerEvent, listener: PeerListener): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Records a sighting; returns false when it was ignored (this node, or the table is full). */
  seen(peer: DiscoveredPeer): boolean {
    if (peer.txt.nodeId === this.selfNodeId) return false;
    const addresses = [...new Set(peer.addresses)].sort();
    const entry: PeerEntry = { ...peer, addresses, lastSeenMs: this.nowMs() };
    const before = this.byInstance.get(peer.instance);
    if (before === undefined && this.byInstance.size >= MAX_PEERS) return false;
    this.byInstance.set(peer.instance, entry);
    if (before === undefined) this.emit('up', entry);
    else if (!samePeer(before, entry)) this.emit('update', entry);
    return true;
  }

  gone(instance: string): void {
    const before = this.byInstance.get(instance);
    if (before === undefined) return;
    this.byInstance.delete(instance);
    this.emit('down', before);
  }

  clear(): void {
    for (const instance of [...this.byInstance.keys()]) this.gone(instance);
  }

  has(instance: string): boolean {
    return this.byInstance.has(instance);
  }

  list(): readonly PeerEntry[] {
    return [...this.byInstance.values()];
  }

  private emit(event: PeerEvent, peer: DiscoveredPeer): void {
    for (const l of this.listeners[event]) l(peer);
  }
}
