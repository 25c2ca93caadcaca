/**
 * The in-process twin of the gRPC transport, for driver and cluster tests: transports on one
 * simulated network that delivers asynchronously (never inside send()), with partitions, one-way
 * cuts, random loss and delays (a varying delay reorders, as a real network may across reconnects).
 * It keeps the gRPC transport's observable contract: values are copied (no shared buffers), a
 * handler's KnowdError reaches a forwarder as `ok: false`, unreachable peers are reported through
 * onUnreachable, and members listed with setPeers are the only ones sent to and accepted from.
 */
import { KnowdError, assert } from '../../../base/index.js';
import type { Message, NodeId } from '../../raft/types.js';
import { wholeSnapshot } from '../snapshot-stream.js';
import type { ForwardRequest, ForwardResponse, PeerStatus, QueryPartRequest, SnapshotChunk, SnapshotOffer, Transport, TransportHandlers, TransportStats } from '../types.js';

export interface MemoryTransport extends Transport {
  setPeers(peers: readonly NodeId[]): void;
}

export type DelayMs = number | ((from: NodeId, to: NodeId) => number);

export interface MemoryNetwork {
  /**
   * A transport for `self` on this network. With `peers`, it sends to and accepts from only those
   * (as the gRPC transport does; change with setPeers); without, every node on the network.
   */
  transport(self: NodeId, peers?: readonly NodeId[]): MemoryTransport;
  /** Cuts both directions between a and b. */
  partition(a: NodeId, b: NodeId): void;
  /** Cuts one direction only: from → to loses everything, to → from still works. */
  cut(from: NodeId, to: NodeId): void;
  /** Cuts `node` off from every other node. */
  isolate(node: NodeId): void;
  /** Removes every partition, cut and isolation (loss and delay stay as set). */
  heal(): void;
  /** Each raft message is lost with probability p (0 turns loss off); `random` in [0, 1), seeded for replay. */
  dropRate(p: number, random?: () => number): void;
  /** Delivery delay of raft messages, fixed or per message (0: next turn of the event loop). */
  delay(ms: DelayMs): void;
  /** Whether `from` can reach `to` right now (both up, no cut between them). */
  reachable(from: NodeId, to: NodeId): boolean;
}

interface Node {
  readonly self: NodeId;
  handlers: TransportHandlers | null;
  closed: boolean;
  /** null: everyone on the network. */
  peers: Set<NodeId> | null;
  readonly timers: Set<NodeJS.Timeout>;
  readonly immediates: Set<NodeJS.Immediate>;
  /** Calls waiting for an answer, failed with SHUTTING_DOWN by close() as the gRPC transport does. */
  readonly pending: Set<(e: KnowdError) => void>;
}

function estimateBytes(m: Message): number {
  let n = 64 + m.from.length + m.to.length;
  if (m.type === 'append') for (const e of m.entries) n += 32 + e.data.byteLength;
  return n;
}

export function createMemoryNetwork(): MemoryNetwork {
  const nodes = new Map<NodeId, Node>();
  /** Directed cuts as "from\u0000to". */
  const cuts = new Set<string>();
  const isolated = new Set<NodeId>();
  let lossP = 0;
  let lossRandom: () => number = Math.random;
  let delayMs: DelayMs = 0;

  function isCut(from: NodeId, to: NodeId): boolean {
    return cuts.has(`${from}\u0000${to}`) || isolated.has(from) || isolated.has(to);
  }

  /** The receiving node when from → to can carry a call now, else null. */
  function target(from: Node, to: NodeId): Node | null {
    if (from.closed || from.handlers === null) return null;
    if (from.peers !== null && !from.peers.has(to)) return null;
    const t = nodes.get(to);
    if (t === undefined || t.closed || t.handlers === null) return null;
    if (t.peers !== null && !t.peers.has(from.self)) return null;
    if (isCut(from.self, to)) return null;
    return t;
  }

  /** Runs fn after `ms` (or on the next turn), unless the node closes first. */
  function later(node: Node, ms: number, fn: () => void): void {
    if (ms <= 0) {
      const h = setImmediate(() => {
        node.immediates.delete(h);
        fn();
      });
      node.immediates.add(h);
    } else {
      const h = setTimeout(() => {
        node.timers.delete(h);
        fn();
      }, ms);
      node.timers.add(h);
    }
  }

  function createTransport(self: NodeId, peers?: readonly NodeId[]): MemoryTransport {
    const existing = nodes.get(self);
    assert(existing === undefined || existing.closed, `a transport for ${self} is already open on this network`);
    const node: Node = { self, handlers: null, closed: false, peers: peers === undefined ? null : new Set(peers.filter((p) => p !== self)), timers: new Set(), immediates: new Set(), pending: new Set() };
    nodes.set(self, node);
    const stats = { bytesSent: 0, messagesSent: 0, messagesDropped: 0 };
    const unreachable: ((peer: NodeId) => void)[] = [];

    function reportUnreachable(peer: NodeId): void {
      later(node, 0, () => {
        for (const fn of unreachable) fn(peer);
      });
    }

    function refusal(to: NodeId, op: 'forward' | 'status' | 'snapshot' | 'query'): KnowdError {
      if (node.closed) return new KnowdError('SHUTTING_DOWN', `The ${op} call to ${to} was cancelled: this node's transport is closing`);
      if (node.handlers === null) return new KnowdError('NOT_READY', 'The cluster transport is not started');
      if (node.peers !== null && !node.peers.has(to)) return new KnowdError('PEER_REFUSED', `Not calling ${to} (${op}): it is not a member of the cluster as ${self} sees it`);
      const t = nodes.get(to);
      if (t !== undefined && !t.closed && t.handlers !== null && t.peers !== null && !t.peers.has(self) && !isCut(self, to)) {
        return new KnowdError('PEER_REFUSED', `${self} is not a member of the cluster as ${to} sees it`);
      }
      return new KnowdError(op === 'forward' ? 'NO_LEADER' : 'NOT_READY', `Cannot reach ${to} for ${op}: no route in the memory network`);
    }

    function withTimeout<T>(to: NodeId, op: 'forward' | 'status', timeoutMs: number, run: (t: Node) => Promise<T>): Promise<T> {
      const t = target(node, to);
      if (t === null) return Promise.reject(refusal(to, op));
      return new Promise<T>((resolve, reject) => {
        let settled = false;
        const settle = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          node.timers.delete(timer);
          node.pending.delete(cancel);
          fn();
        };
        const cancel = (e: KnowdError): void => settle(() => reject(e));
        node.pending.add(cancel);
        const timer = setTimeout(() => {
          node.timers.delete(timer);
          settle(() => reject(new KnowdError(op === 'forward' ? 'WRITE_TIMEOUT' : 'NOT_READY', `${to} did not answer the ${op} call in time`)));
        }, timeoutMs);
        node.timers.add(timer);
        later(node, 0, () => {
          // The answer crosses the network back: a cut in either direction loses it.
          run(t).then(
            (v) => settle(() => (target(node, to) !== null && !isCut(to, self) ? resolve(structuredClone(v)) : reject(refusal(to, op)))),
            (e: unknown) => settle(() => reject(e instanceof KnowdError ? e : new KnowdError('INTERNAL', `The ${op} call to ${to} failed: ${String(e)}`))),
          );
        });
      });
    }

    const transport: MemoryTransport = {
      self,
      async start(handlers: TransportHandlers): Promise<void> {
        assert(node.handlers === null && !node.closed, 'start() is called once, before close()');
        node.handlers = handlers;
      },
      send(msg: Message): void {
        const t = target(node, msg.to);
        if (t === null) {
          stats.messagesDropped++;
          if (!node.closed && node.handlers !== null) reportUnreachable(msg.to);
          return;
        }
        stats.messagesSent++;
        stats.bytesSent += estimateBytes(msg);
        if (lossP > 0 && lossRandom() < lossP) return; // lost on the wire: the sender does not know
        const copy = structuredClone(msg);
        const ms = typeof delayMs === 'number' ? delayMs : delayMs(self, msg.to);
        later(node, ms, () => {
          // Checked again on arrival: a partition that started meanwhile loses messages in flight.
          const now = target(node, msg.to);
          if (now === null || now.handlers === null) return;
          now.handlers.onMessage(copy);
        });
      },
      async sendSnapshot(to: NodeId, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<void> {
        const t = target(node, to);
        if (t === null || t.handlers === null) throw refusal(to, 'snapshot');
        const source = chunks[Symbol.asyncIterator]();
        let broken: KnowdError | null = null;
        async function* relay(): AsyncGenerator<SnapshotChunk> {
          try {
            for (;;) {
              const r = await source.next();
              if (r.done === true) return;
              if (target(node, to) === null) {
                broken = refusal(to, 'snapshot');
                throw new KnowdError('SNAPSHOT_INVALID', 'The snapshot stream broke before it was complete');
              }
              yield structuredClone(r.value);
            }
          } finally {
            await source.return?.();
          }
        }
        await new Promise<void>((resolve) => later(node, 0, resolve));
        const receiver = t.handlers;
        try {
          await receiver.onSnapshot(self, structuredClone(offer), wholeSnapshot(offer, relay()));
        } catch (e) {
          if (broken !== null) throw broken;
          throw e instanceof KnowdError ? e : new KnowdError('SNAPSHOT_INVALID', `The snapshot was not installed: ${String(e)}`);
        }
        if (broken !== null) throw broken;
      },
      forward(to: NodeId, req: ForwardRequest, timeoutMs: number): Promise<ForwardResponse> {
        return withTimeout(to, 'forward', timeoutMs, async (t) => {
          assert(t.handlers !== null, 'target started');
          try {
            return await t.handlers.onForward(self, structuredClone(req));
          } catch (e) {
            if (e instanceof KnowdError) return { ok: false, code: e.code, message: e.message, details: JSON.stringify(e.details) };
            return { ok: false, code: 'INTERNAL', message: 'The leader failed to run the forwarded write; its log has the details', details: '{}' };
          }
        });
      },
      status(to: NodeId, timeoutMs: number): Promise<PeerStatus> {
        return withTimeout(to, 'status', timeoutMs, (t) => {
          assert(t.handlers !== null, 'target started');
          return t.handlers.onStatus(self);
        });
      },
      /** A part of a federated query: the target's chunks as they come; a cut or a closed target fails it mid-stream. */
      async *query(to: NodeId, req: QueryPartRequest, timeoutMs: number, signal: AbortSignal): AsyncGenerator<string> {
        const t = target(node, to);
        if (t === null) throw refusal(to, 'query');
        assert(t.handlers !== null, 'target started');
        if (t.handlers.onQuery === undefined) throw new KnowdError('NOT_SUPPORTED', `${to} does not run federated query parts`);
        const ac = new AbortController();
        const stop = (): void => ac.abort();
        signal.addEventListener('abort', stop, { once: true });
        const deadline = Date.now() + timeoutMs;
        try {
          for await (const chunk of t.handlers.onQuery(self, structuredClone(req), ac.signal)) {
            if (signal.aborted) throw new KnowdError('QUERY_CANCELLED', `The query part on ${to} was cancelled`);
            if (target(node, to) === null || isCut(to, self)) throw refusal(to, 'query');
            if (Date.now() > deadline) throw new KnowdError('NOT_READY', `${to} did not answer the query call in time`);
            yield chunk;
          }
        } finally {
          signal.removeEventListener('abort', stop);
          ac.abort();
        }
      },
      setPeers(peers: readonly NodeId[]): void {
        node.peers = new Set(peers.filter((p) => p !== self));
      },
      onUnreachable(fn: (peer: NodeId) => void): void {
        unreachable.push(fn);
      },
      stats(): TransportStats {
        return { ...stats };
      },
      async close(): Promise<void> {
        node.closed = true;
        for (const cancel of [...node.pending]) cancel(new KnowdError('SHUTTING_DOWN', `A call from ${self} was cancelled: its transport is closing`));
        for (const h of node.timers) clearTimeout(h);
        for (const h of node.immediates) clearImmediate(h);
        node.timers.clear();
        node.immediates.clear();
      },
    };
    return transport;
  }

  return {
    transport: createTransport,
    partition(a, b) {
      cuts.add(`${a}\u0000${b}`);
      cuts.add(`${b}\u0000${a}`);
    },
    cut(from, to) {
      cuts.add(`${from}\u0000${to}`);
    },
    isolate(n) {
      isolated.add(n);
    },
    heal() {
      cuts.clear();
      isolated.clear();
    },
    dropRate(p, random) {
      assert(p >= 0 && p <= 1, 'dropRate is a probability in [0, 1]');
      lossP = p;
      if (random !== undefined) lossRandom = random;
    },
    delay(ms) {
      if (typeof ms === 'number') assert(ms >= 0, 'delay is at least 0 ms');
      delayMs = ms;
    },
    reachable(from, to) {
      const f = nodes.get(from);
      return f !== undefined && target(f, to) !== null;
    },
  };
}
