import { Engine, type EngineOptions } from '../../engine/index.js';
import { ReplicationNode, timingOf, type NodeEvents } from './node.js';

/**
 * An engine on a cluster of one, without transport or snapshots: what single mode runs, and what
 * tests use when they need a working engine. Resolves once the node leads and has replayed any
 * committed entries the store had not applied.
 */
export async function openStandalone(opts: EngineOptions & { readonly writeTimeoutMs?: number; readonly events?: NodeEvents }): Promise<{ engine: Engine; node: ReplicationNode }> {
  const engine = await Engine.open(opts);
  const node = await ReplicationNode.start({
    id: 'local',
    engine,
    storage: opts.storage,
    bootstrap: ['local'],
    timing: timingOf(100, 1000),
    writeTimeoutMs: opts.writeTimeoutMs ?? 60_000,
    readTimeoutMs: 30_000,
    hint: 'single',
    ...(opts.events !== undefined && { events: opts.events }),
  });
  await node.ready();
  return { engine, node };
}

/** The engine of openStandalone, for callers that need nothing else. */
export async function openStandaloneEngine(opts: EngineOptions & { readonly writeTimeoutMs?: number }): Promise<Engine> {
  return (await openStandalone(opts)).engine;
}
