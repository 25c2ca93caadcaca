import type { Config } from '../config/index.js';
import type { Engine, QueryExecutor, VectorService } from '../engine/index.js';
import { Coordinator, Participant, vectorScatter } from '../federation/index.js';
import type { Logger, Metrics } from '../obs/index.js';
import type { ReplicationNode } from '../replication/node/index.js';

export interface Federation {
  readonly coordinator: Coordinator;
  readonly participant: Participant;
}

/**
 * Federated queries: this node's participant (serves hash ranges to coordinators over the cluster's
 * mutual-TLS gRPC) and its coordinator (splits the heavy queries it is asked).
 */
export function startFederation(
  config: Config,
  deps: { engine: Engine; node: ReplicationNode; executor: QueryExecutor; metrics: Metrics; log: Logger; vectors?: VectorService; shardOwners?: readonly string[] },
): Federation {
  const { node, metrics } = deps;
  const participant = new Participant({
    executor: deps.executor,
    waitForApplied: (index, timeoutMs) => node.waitForApplied(index, timeoutMs),
    readyForReads: () => node.health().ready,
    maxInflight: config.federationMaxInflight,
    ...(deps.vectors !== undefined && { vectors: deps.vectors }),
  });
  const owners = deps.shardOwners ?? [];
  if (deps.vectors !== undefined && owners.length > 1) {
    deps.vectors.setScatter(
      vectorScatter({
        self: () => node.id,
        owners: () => owners,
        readIndex: () => node.status().commitIndex,
        call: node.queryPeer,
        vectors: deps.vectors,
        timeoutMs: config.clusterReadTimeoutMs,
        log: deps.log,
        fallback: () => metrics.federationRetries.inc(),
      }),
    );
  }
  node.serveQueryParts((req, signal) => served(participant.serve(req.body, signal), metrics));
  const coordinator = new Coordinator({
    self: () => node.id,
    peers: () => {
      const m = node.status().membership;
      return [...m.voters, ...m.learners].filter((id) => id !== node.id);
    },
    readIndex: () => node.status().commitIndex,
    call: node.queryPeer,
    local: participant,
    engine: deps.engine,
    counters: {
      query: (outcome) => metrics.federatedQueries.inc({ outcome }),
      part: (where, seconds) => {
        metrics.federationParts.inc({ where });
        metrics.federationPartDuration.observe(seconds);
      },
      retry: () => metrics.federationRetries.inc(),
    },
    log: deps.log,
    minCost: config.federationMinCost,
  });
  return { coordinator, participant };
}

async function* served(parts: AsyncIterable<string>, metrics: Metrics): AsyncGenerator<string> {
  let outcome = 'error';
  try {
    yield* parts;
    outcome = 'ok';
  } finally {
    metrics.federationPartsServed.inc({ outcome });
  }
}
