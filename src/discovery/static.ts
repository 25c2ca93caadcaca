/**
 * A PeerSource over a fixed list: the in-memory twin of the mDNS backends (tests drive it with set())
 * and the source for deployments that list their peers by hand.
 */
import type { DiscoveredPeer, PeerEntry, PeerEvent, PeerListener, PeerSource, PeerTxt, SelfAdvert } from './port.js';
import { PeerTable } from './table.js';

export interface StaticSource extends PeerSource {
  /** Replaces the list: new peers come up, changed ones update, missing ones go down. */
  set(peers: readonly DiscoveredPeer[]): void;
  /** What this node advertises now (undefined before start and after stop). */
  advertised(): SelfAdvert | undefined;
}

export function createStaticSource(initial: readonly DiscoveredPeer[] = [], nowMs: () => number = Date.now): StaticSource {
  const table = new PeerTable(nowMs);
  let list: readonly DiscoveredPeer[] = initial;
  let self: SelfAdvert | undefined;
  const apply = (): void => {
    const wanted = new Set(list.map((p) => p.instance));
    for (const p of table.list()) if (!wanted.has(p.instance)) table.gone(p.instance);
    for (const p of list) table.seen(p);
  };
  return {
    backend: 'static',
    async start(s) {
      self = s;
      table.setSelf(s.txt.nodeId);
      apply();
    },
    async update(txt: Partial<PeerTxt>) {
      if (self !== undefined) self = { ...self, txt: { ...self.txt, ...txt } };
    },
    async stop() {
      self = undefined;
      table.clear();
    },
    on: (event: PeerEvent, listener: PeerListener) => table.on(event, listener),
    peers: (): readonly PeerEntry[] => table.list(),
    set(peers) {
      list = peers;
      if (self !== undefined) apply();
    },
    advertised: () => self,
  };
}
