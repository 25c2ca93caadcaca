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
  readonly commitBatch = new Histogram({ name: 'knowd_group_commit_entries', help: 'Log entries per group commit', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [this.registry] });
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

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'knowd_process_' });
  }
}
