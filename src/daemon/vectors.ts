import path from 'node:path';
import type { Clock } from '../base/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../obs/index.js';
import { VectorService, type Engine } from '../engine/index.js';
import type { Storage } from '../storage/index.js';
import { VectorIndexes, WHOLE, hashingEmbedder, httpEmbedder, type OpenReport, type ShardLayout } from '../vector/index.js';
import { usearchBackend } from '../vector/usearch/index.js';

/** Where saved HNSW indexes live: `<dataDir>/vectors/<ns>.usearch` (+ `<ns>.json`). */
export const VECTORS_DIR = 'vectors';

/**
 * The node's HNSW indexes, loaded from their saved copies or rebuilt from the store (before the
 * engine replays the log, so replayed entries land on top). Undefined when vectors are off.
 */
export function openVectorIndexes(config: Config, storage: Storage, layout: ShardLayout = WHOLE, log?: Logger): { indexes: VectorIndexes; report: OpenReport } | undefined {
  if (!config.vecEnabled) return undefined;
  const onRebuilt = (ns: string, vectors: number): void => log?.info({ namespace: ns, vectors }, 'vector index rebuilt in the background');
  const onFault = (ns: string, err: unknown, action: string): void => log?.error({ namespace: ns, err, action }, 'the vector index library failed; the store keeps the vectors');
  const indexes = new VectorIndexes(storage, usearchBackend(config.store === 'disk' ? path.join(config.dataDir, VECTORS_DIR) : undefined), layout, { onRebuilt, onFault });
  return { indexes, report: indexes.open() };
}

export function createVectorService(config: Config, engine: Engine, indexes: VectorIndexes, clock: Clock): VectorService {
  return new VectorService({
    engine,
    indexes,
    // Without an embedding service, text is embedded lexically (feature hashing): see vector/embed.ts.
    embedder: config.embedUrl === undefined ? hashingEmbedder() : httpEmbedder(config.embedUrl),
    clock,
    topKDefault: config.vecTopKDefault,
    m: config.vecHnswM,
    efConstruction: config.vecHnswEfConstruction,
    filterTimeoutMs: config.clusterReadTimeoutMs,
  });
}

/**
 * The members in shard order (KNOWD_VEC_SHARDING=shard): this node and KNOWD_PEER_ADDRS, sorted, so
 * every node configured with the same peers computes the same list. One member (single mode, or
 * replica): the whole namespace.
 */
export function shardOwners(config: Config, self: string, peers: readonly string[]): string[] {
  if (config.vecSharding !== 'shard' || config.clusterMode === 'single') return [self];
  return [...new Set([self, ...peers])].sort();
}

export function layoutOf(owners: readonly string[], self: string): ShardLayout {
  return owners.length <= 1 ? WHOLE : { index: owners.indexOf(self), count: owners.length };
}

/** How often changed indexes are saved: a restart then rebuilds at most this much from the store. */
export const VECTOR_SAVE_INTERVAL_MS = 60_000;

/**
 * Saves changed indexes every interval and once more at stop (after the last apply). A crash in
 * between costs a rebuild at start, never a wrong answer: the saved copy records its version.
 */
export function startVectorSaver(indexes: VectorIndexes, log: Logger, intervalMs = VECTOR_SAVE_INTERVAL_MS): { stop(): void } {
  const save = (): void => {
    try {
      const saved = indexes.saveChanged();
      if (saved.length > 0) log.debug({ namespaces: saved }, 'vector indexes saved');
    } catch (e) {
      log.warn({ err: e }, 'saving the vector indexes failed; they will be rebuilt from the store at the next start');
    }
  };
  const timer = setInterval(save, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      save();
    },
  };
}
