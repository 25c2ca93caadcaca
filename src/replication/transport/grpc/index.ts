/**
 * The gRPC edge of the cluster transport: the only module that imports @grpc/grpc-js.
 */
export { createGrpcTransport, MAX_MESSAGE_BYTES } from './transport.js';
export type { GrpcTransport, GrpcTransportOptions, GrpcTransportStats } from './transport.js';
export type { ServingStatus } from './health.js';
export type { TlsPaths } from './tls.js';
export { findProtoDir } from './protos.js';
