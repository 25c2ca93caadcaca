/**
 * The cluster transport port and its in-memory twin. Two parts are imported by path instead, so
 * that loading this module stays light and free of side effects:
 *   - ./grpc/index.js, the gRPC edge (loads @grpc/grpc-js): the composition root only;
 *   - ./certs.js, the certificate tooling (loads @peculiar/x509 and installs the Reflect metadata
 *     polyfill it needs): knowdctl cluster init/join and tests.
 */
export type { ForwardRequest, ForwardResponse, PeerStatus, QueryPartRequest, SnapshotChunk, SnapshotOffer, Transport, TransportHandlers, TransportStats } from './types.js';
export { createMemoryNetwork } from './memory/index.js';
export type { DelayMs, MemoryNetwork, MemoryTransport } from './memory/index.js';
export { parseNodeId, formatNodeId } from './address.js';
export type { NodeAddress } from './address.js';
export { wholeSnapshot } from './snapshot-stream.js';
export { silentLogger } from './logger.js';
export type { TransportLogger } from './logger.js';
