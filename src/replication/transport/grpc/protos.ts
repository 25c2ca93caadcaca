/**
 * Loads proto/knowd/v1/raft.proto, query.proto and proto/grpc/health/v1/health.proto at run time (proto-loader)
 * and hands out one method descriptor per RPC: path, and the protobuf encode/decode functions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { KnowdError } from '../../../base/index.js';

export interface ProtoMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  /** Encodes a plain object shaped like the proto message (numbers for uint64, enum names). */
  readonly encodeRequest: (value: object) => Buffer;
  /** Decodes to a plain object: camelCase fields, uint64 as number, enums as names, `body` naming the set oneof. */
  readonly decodeRequest: (bytes: Buffer) => unknown;
  readonly encodeResponse: (value: object) => Buffer;
  readonly decodeResponse: (bytes: Buffer) => unknown;
}

export interface Protos {
  readonly raft: { readonly Stream: ProtoMethod; readonly InstallSnapshot: ProtoMethod; readonly Forward: ProtoMethod; readonly Status: ProtoMethod };
  readonly health: { readonly Check: ProtoMethod; readonly Watch: ProtoMethod };
  readonly query: { readonly Run: ProtoMethod };
}

const RAFT_PROTO = 'knowd/v1/raft.proto';
const HEALTH_PROTO = 'grpc/health/v1/health.proto';
const QUERY_PROTO = 'knowd/v1/query.proto';

/**
 * The proto/ folder at the package root. This file runs as src/replication/transport/grpc/*.ts under
 * tsx and as dist/src/replication/transport/grpc/*.js after tsc, at different depths: walk up
 * instead of counting "..".
 */
export function findProtoDir(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (let i = 0; i < 10; i++) {
    if (fs.existsSync(path.join(dir, 'proto', RAFT_PROTO))) return path.join(dir, 'proto');
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new KnowdError('INTERNAL', `Cannot find proto/${RAFT_PROTO} above ${start}: the installation is incomplete (proto/ must ship beside dist/)`);
}

/**
 * longs as Number is safe because the decoders insist on Number.isSafeInteger: a uint64 of 2^53 or
 * more becomes a double of at least 2^53, which fails that check and the message is dropped.
 */
const LOAD_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

function method(def: protoLoader.PackageDefinition, service: string, name: string): ProtoMethod {
  const svc = def[service];
  const m = svc !== undefined && !('format' in svc) ? svc[name] : undefined;
  if (m === undefined) throw new KnowdError('INTERNAL', `proto definition lacks ${service}.${name}`);
  return {
    path: m.path,
    requestStream: m.requestStream,
    responseStream: m.responseStream,
    encodeRequest: m.requestSerialize,
    decodeRequest: m.requestDeserialize,
    encodeResponse: m.responseSerialize,
    decodeResponse: m.responseDeserialize,
  };
}

let cached: Protos | undefined;

/** Parsed once per process (synchronous file reads, at transport creation only). */
export function loadProtos(): Protos {
  if (cached !== undefined) return cached;
  const def = protoLoader.loadSync([RAFT_PROTO, HEALTH_PROTO, QUERY_PROTO], { ...LOAD_OPTIONS, includeDirs: [findProtoDir()] });
  cached = {
    raft: {
      Stream: method(def, 'knowd.v1.Raft', 'Stream'),
      InstallSnapshot: method(def, 'knowd.v1.Raft', 'InstallSnapshot'),
      Forward: method(def, 'knowd.v1.Raft', 'Forward'),
      Status: method(def, 'knowd.v1.Raft', 'Status'),
    },
    health: { Check: method(def, 'grpc.health.v1.Health', 'Check'), Watch: method(def, 'grpc.health.v1.Health', 'Watch') },
    query: { Run: method(def, 'knowd.v1.Query', 'Run') },
  };
  return cached;
}
