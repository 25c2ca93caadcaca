import type { Config } from '../../config/index.js';
import type { Engine, QueryExecutor } from '../../engine/index.js';
import type { Logger, Metrics } from '../../obs/index.js';

/** What the HTTP edge needs from the rest of the node (wired by daemon/). */
export interface ApiDeps {
  readonly engine: Engine;
  readonly config: Config;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly version: string;
  readonly nodeId: string;
  readonly startedMs: number;
  /** Where queries run (worker threads on LMDB); default: on the calling thread. */
  readonly queries?: QueryExecutor;
  /** False while starting or draining: /readyz answers 503 and writes get NOT_READY. */
  ready(): boolean;
}
