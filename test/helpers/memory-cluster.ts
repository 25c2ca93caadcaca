/** An in-process cluster of engines on memory stores over the memory transport, for replication tests. */
import type { ExecutionContext } from 'ava';
import { FakeClock } from '../../src/base/index.js';
import { Engine, type EngineOptions } from '../../src/engine/index.js';
import type { Signer } from '../../src/receipts/index.js';
import { ReplicationNode } from '../../src/replication/node/index.js';
import { createMemoryNetwork } from '../../src/replication/transport/memory/index.js';
import { openMemoryStorage } from '../../src/storage/index.js';

export interface MemoryMember {
  readonly id: string;
  readonly engine: Engine;
  readonly node: ReplicationNode;
}

/** Starts one member per id (the first hinted leader); every node is stopped at teardown. */
/** `options`: engine options of the i-th member beyond the defaults (its settings). */
export async function startMemoryCluster(t: ExecutionContext, ids: readonly string[], signer: Signer, options: (i: number) => Partial<EngineOptions> = () => ({})): Promise<MemoryMember[]> {
  const net = createMemoryNetwork();
  const members: MemoryMember[] = [];
  t.teardown(async () => {
    for (const m of members) await m.node.stop();
  });
  for (const [i, id] of ids.entries()) {
    const storage = openMemoryStorage();
    const engine = await Engine.open({ storage, signer, clock: new FakeClock(1_700_000_000_000), maxTxQuads: 1000, ...options(i) });
    const node = await ReplicationNode.start({
      id, engine, storage, bootstrap: [...ids], transport: net.transport(id, ids.filter((x) => x !== id)),
      timing: { tickMs: 10, heartbeatTicks: 2, electionTicks: 10 }, writeTimeoutMs: 5000, readTimeoutMs: 2000, hint: i === 0 ? 'leader' : 'follower',
    });
    members.push({ id, engine, node });
  }
  return members;
}

/** Waits until one member leads and every member knows it (5 s at most); returns the leader. */
export async function awaitLeader(members: readonly MemoryMember[]): Promise<MemoryMember> {
  const deadline = Date.now() + 5000;
  while (!members.some((m) => m.node.raftStatus().role === 'leader') || members.some((m) => m.node.raftStatus().leader === undefined)) {
    if (Date.now() > deadline) throw new Error('no leader within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  return members.find((m) => m.node.raftStatus().role === 'leader')!;
}
