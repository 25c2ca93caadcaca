/**
 * LAN discovery for the daemon: picks the backend (KNOWD_DISCOVERY), advertises this node once HTTP
 * listens, keeps the discovered-peers gauge current, and gives the status route its view. It runs in
 * every mode, single included, so an operator (or `knowdctl cluster join`) can find a freshly racked
 * box. It never changes raft membership: that happens by an explicit init/join. A failure to start
 * (no LAN interface, socket error) is logged and leaves the node running without discovery.
 */
import { readClusterInfo } from '../replication/join/index.js';
import type { Config } from '../config/index.js';
import { selectPeerSource, type BackendName, type PeerEntry, type PeerSource, type PeerTxt } from '../discovery/index.js';

export interface NodeDiscoveryDeps {
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly nodeId: string;
  readonly version: string;
  /** Tests inject a static source here; default: the backend KNOWD_DISCOVERY picks. */
  readonly select?: typeof selectPeerSource;
}
import type { Logger, Metrics } from '../obs/index.js';

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export class NodeDiscovery {
  private source: PeerSource | undefined;
  private txt: PeerTxt;
  private stopped = false;
  private starting = false;

  constructor(private readonly config: Config, private readonly deps: NodeDiscoveryDeps) {
    // A provisioned node (knowdctl cluster init|join) advertises its cluster id.
    const info = config.store === 'disk' ? readClusterInfo(config.dataDir) : undefined;
    this.txt = {
      clusterId: info?.clusterId ?? '',
      nodeId: deps.nodeId,
      grpcPort: config.grpcAdvertiseAddr?.port ?? config.grpcAddr.port,
      version: deps.version,
      // Until init/join records a cluster id, a node configured for a cluster by hand counts as provisioned.
      provisioned: info !== undefined || config.clusterMode !== 'single',
    };
  }

  /** Starts advertising on `httpPort`; never throws. */
  async start(httpPort: number): Promise<void> {
    const { log, metrics } = this.deps;
    const host = this.config.addr.host;
    this.starting = true;
    try {
      const source = await (this.deps.select ?? selectPeerSource)(this.config.discovery, { log, ...(IPV4.test(host) && host !== '0.0.0.0' && host !== '127.0.0.1' && { interfaceAddress: host }) });
      if (source === undefined || this.stopped) return;
      const refresh = (): void => {
        const peers = source.peers();
        const provisioned = peers.filter((p) => p.txt.provisioned).length;
        metrics.clusterDiscoveredPeers.set({ provisioned: 'true' }, provisioned);
        metrics.clusterDiscoveredPeers.set({ provisioned: 'false' }, peers.length - provisioned);
      };
      source.on('up', (p) => {
        refresh();
        log.info({ peer: p.txt.nodeId, addresses: p.addresses, clusterId: p.txt.clusterId, provisioned: p.txt.provisioned }, 'discovered a node on the LAN');
      });
      source.on('update', refresh);
      source.on('down', (p) => {
        refresh();
        log.info({ peer: p.txt.nodeId }, 'a discovered node is no longer advertised (a hint only: heartbeats decide liveness)');
      });
      this.source = source;
      await source.start({ httpPort, txt: this.txt });
      refresh();
    } catch (e) {
      this.source = undefined;
      log.warn({ err: e, discovery: this.config.discovery }, 'LAN discovery did not start; peers must be given in KNOWD_PEER_ADDRS or knowdctl --url');
    } finally {
      this.starting = false;
    }
  }

  /** For init/join: advertise the cluster id and the provisioned flag once they change. */
  async update(txt: Partial<Pick<PeerTxt, 'clusterId' | 'provisioned'>>): Promise<void> {
    this.txt = { ...this.txt, ...txt };
    await this.source?.update(this.txt);
  }

  /** 'starting' while the backend is being chosen (probing avahi takes up to 2 s). */
  status(): { backend: BackendName | 'off' | 'starting'; peers: readonly PeerEntry[] } {
    if (this.source !== undefined) return { backend: this.source.backend, peers: this.source.peers() };
    return { backend: this.starting ? 'starting' : 'off', peers: [] };
  }

  /** Sends the goodbyes; idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const s = this.source;
    this.source = undefined;
    await s?.stop().catch((e: unknown) => this.deps.log.warn({ err: e }, 'stopping LAN discovery failed'));
  }
}
