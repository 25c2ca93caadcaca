import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one node; a registry per instance so tests can run several servers. */
export class Metrics {
  readonly registry = new Registry();
  readonly txTotal = new Counter({ name: 'knowd_tx_total', help: 'Transactions by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly txDuration = new Histogram({
    name: 'knowd_tx_duration_seconds',
    help: 'Time from receiving a transaction to its durable commit',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly quadsChanged = new Counter({ name: 'knowd_quads_changed_total', help: 'Quads added or removed by committed transactions', labelNames: ['op'] as const, registers: [this.registry] });
  readonly commitBatch = new Histogram({ name: 'knowd_group_commit_entries', help: 'Log entries applied per storage commit', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'knowd_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly queries = new Counter({ name: 'knowd_queries_total', help: 'SPARQL queries by outcome (ok, error, timeout, cancelled)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly queryDuration = new Histogram({
    name: 'knowd_query_duration_seconds',
    help: 'Query time including streaming the result',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly storeBytes = new Gauge({ name: 'knowd_store_bytes', help: 'Bytes used by the store', registers: [this.registry] });
  readonly storeQuads = new Gauge({ name: 'knowd_store_quads', help: 'Quads per namespace', labelNames: ['namespace'] as const, registers: [this.registry] });
  readonly logEntries = new Gauge({ name: 'knowd_log_entries', help: 'Entries in the replication log', registers: [this.registry] });
  readonly logBytes = new Gauge({ name: 'knowd_log_bytes', help: 'Bytes in the replication log', registers: [this.registry] });
  readonly appliedIndex = new Gauge({ name: 'knowd_cluster_applied_index', help: 'Last log index applied to the store', registers: [this.registry] });
  readonly commitIndex = new Gauge({ name: 'knowd_cluster_commit_index', help: 'Last committed log index', registers: [this.registry] });

  readonly clusterTerm = new Gauge({ name: 'knowd_cluster_term', help: 'Current raft term', registers: [this.registry] });
  readonly clusterRole = new Gauge({ name: 'knowd_cluster_role', help: '1 for the role this node has now (follower, pre-candidate, candidate, leader)', labelNames: ['role'] as const, registers: [this.registry] });
  readonly clusterPeerLag = new Gauge({ name: 'knowd_cluster_peer_lag_entries', help: 'Entries a peer is behind the leader (leader only)', labelNames: ['peer'] as const, registers: [this.registry] });
  readonly clusterPeerContact = new Gauge({ name: 'knowd_cluster_peer_last_contact_seconds', help: 'Seconds since the leader last heard from a peer', labelNames: ['peer'] as const, registers: [this.registry] });
  readonly clusterLag = new Gauge({ name: 'knowd_cluster_lag_seconds', help: 'How long this follower has been behind the leader\'s commit index', registers: [this.registry] });
  readonly federatedQueries = new Counter({ name: 'knowd_federated_queries_total', help: 'Queries routed for federation by outcome (ok, error, local = run on one node)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly federationParts = new Counter({ name: 'knowd_federation_parts_total', help: 'Parts (hash ranges) of federated queries this node coordinated, by where they ran (local, remote)', labelNames: ['where'] as const, registers: [this.registry] });
  readonly federationPartDuration = new Histogram({ name: 'knowd_federation_part_duration_seconds', help: 'Time of one part of a federated query as the coordinator saw it', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [this.registry] });
  readonly federationRetries = new Counter({ name: 'knowd_federation_retries_total', help: 'Parts of federated queries re-run on another node after a failure', registers: [this.registry] });
  readonly federationPartsServed = new Counter({ name: 'knowd_federation_parts_served_total', help: 'Parts of federated queries this node ran for a coordinator, by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly vectorSearches = new Counter({ name: 'knowd_vector_searches_total', help: 'POST /v1/similar searches by outcome (ok, error)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly vectorSearchDuration = new Histogram({ name: 'knowd_vector_search_duration_seconds', help: 'Time of one /v1/similar search as this node served it', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  readonly vectorItems = new Gauge({ name: 'knowd_vector_items', help: 'Vectors in the HNSW index of each namespace on this node (a shard when KNOWD_VEC_SHARDING=shard)', labelNames: ['namespace'] as const, registers: [this.registry] });
  readonly clusterElections = new Counter({ name: 'knowd_cluster_elections_total', help: 'Times this node became leader', registers: [this.registry] });
  readonly clusterRoleChanges = new Counter({ name: 'knowd_cluster_role_changes_total', help: 'Role or leader changes seen by this node', registers: [this.registry] });
  readonly clusterSnapshots = new Counter({ name: 'knowd_cluster_snapshots_total', help: 'Snapshot events by kind (created, sent, received, restored, rejected)', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly clusterBytesReplicated = new Gauge({ name: 'knowd_cluster_bytes_sent', help: 'Bytes this node sent to peers (raft messages and snapshots)', registers: [this.registry] });
  readonly clusterMessagesDropped = new Gauge({ name: 'knowd_cluster_messages_dropped', help: 'Raft messages dropped because a peer was unreachable or backed up', registers: [this.registry] });
  readonly clusterDiscoveredPeers = new Gauge({ name: 'knowd_cluster_discovered_peers', help: 'Nodes seen by LAN discovery now, by provisioning state (a candidate list: liveness comes from heartbeats)', labelNames: ['provisioned'] as const, registers: [this.registry] });

  constructor(defaults = true) {
    if (!defaults) return;
    collectDefaultMetrics({ register: this.registry, prefix: 'knowd_process_' });
    // Every GC kind's series exists from the start (at zero): a series that
    // appears only at the first major GC, minutes in, looks to a scraper (and to the soak test's
    // "no growing label" rule) like a new label value.
    const gc = this.registry.getSingleMetric('knowd_process_nodejs_gc_duration_seconds');
    if (gc instanceof Histogram) for (const kind of ['minor', 'major', 'incremental', 'weakcb']) gc.zero({ kind });
  }
}
