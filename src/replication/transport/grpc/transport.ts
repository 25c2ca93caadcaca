/**
 * The cluster transport over gRPC with mutual TLS (proto/knowd/v1/raft.proto). Shaped like etcd's
 * rafthttp: each node keeps one long-lived client stream to every peer for its outgoing raft
 * messages (replies come back on the peer's own stream to us), with a bounded queue per peer that
 * drops on overflow (raft retries). Snapshots go over a connection of their own so a big transfer
 * cannot starve heartbeats; forwarded writes and status calls are unary.
 *
 * Trust: the server demands a client certificate from the cluster CA and every channel verifies the
 * server's against it; on top of the handshake each call names its sender (`knowd-from`), which must
 * be a current member whose address the caller's certificate covers, and the certificate must chain
 * to the CA trusted *now* (connections opened before a CA rotation get no new calls).
 */
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ERROR_CODES, KnowdError, assert, type ErrorCode } from '../../../base/index.js';
import type { Message, NodeId } from '../../raft/types.js';
import { formatNodeId, parseNodeId } from '../address.js';
import { LogLimiter, silentLogger, type TransportLogger } from '../logger.js';
import { wholeSnapshot } from '../snapshot-stream.js';
import type { ForwardRequest, ForwardResponse, PeerStatus, QueryPartRequest, SnapshotChunk, SnapshotOffer, Transport, TransportHandlers, TransportStats } from '../types.js';
import {
  batchMessages,
  decodeChunk,
  decodeForwardRequest,
  decodeForwardResponse,
  decodeOffer,
  decodeRaftMessage,
  decodeStatusRequest,
  decodeStatusResponse,
  encodeChunk,
  encodeForwardRequest,
  encodeForwardResponse,
  encodeOffer,
  encodeRaftMessage,
  encodeStatusRequest,
  encodeStatusResponse,
  estimateMessageBytes,
} from './codec.js';
import { HealthService, type ServingStatus } from './health.js';
import { loadProtos, type ProtoMethod } from './protos.js';
import { TlsFiles, certCoversHost, isTlsRefusal, type TlsPaths } from './tls.js';

export interface GrpcTransportOptions {
  /**
   * This node's id, its advertised "host:port". Omitted: `listen.host` and the port actually bound
   * (so `listen.port: 0` works in tests); then `self` is known only after start().
   */
  readonly self?: NodeId;
  readonly listen: { readonly host: string; readonly port: number };
  /** The other members ("host:port"); this node's own id is ignored if listed. */
  readonly peers: readonly NodeId[];
  readonly tls: TlsPaths;
  /** Raft messages waiting per peer before new ones are dropped (default 4096). */
  readonly maxQueuedMessages?: number;
  readonly logger?: TransportLogger;
  /** How often the TLS files are checked for a rotation (default 5000 ms). */
  readonly tlsRefreshMs?: number;
  /** gzip on the raft stream and forwarded calls (default true); false only to measure. */
  readonly compression?: boolean;
  /** Delay before reopening a broken stream, doubling up to `max` (default 100 ms .. 2000 ms). */
  readonly reconnectBackoffMs?: { readonly initial: number; readonly max: number };
}

/** bytesSent/bytesReceived count protobuf bytes before gzip (what the RPCs carry, not the TLS bytes). */
export interface GrpcTransportStats extends TransportStats {
  readonly messagesReceived: number;
  readonly bytesReceived: number;
  /** Frames or messages from the network that failed decoding or validation, or were misaddressed. */
  readonly messagesMalformed: number;
  /** Calls refused: unknown sender, certificate not (or no longer) trusted, name mismatch. */
  readonly callsRefused: number;
}

export interface GrpcTransport extends Transport {
  /** The bound port (after start(); 0 before). */
  readonly port: number;
  /** Membership changed: opens links to new peers, closes those to removed ones and refuses them. */
  setPeers(peers: readonly NodeId[]): void;
  /** What grpc.health.v1 reports (SERVING from start() until close() unless set otherwise). */
  setServing(status: ServingStatus): void;
  /** SHA-256 fingerprint of the certificate in use (changes on rotation). */
  readonly certificateFingerprint: string;
  /** Re-reads the TLS files now instead of at the next poll; true when new material was taken. */
  reloadTls(): Promise<boolean>;
  stats(): GrpcTransportStats;
}

const MiB = 1024 * 1024;
/** gRPC message limit both ways: well above a snapshot chunk (1 MiB default) and a raft batch. */
export const MAX_MESSAGE_BYTES = 64 * MiB;
/** A batch is cut at this many estimated bytes or messages: big enough to amortize, small enough to interleave. */
/** grpc-js WriteFlags.NoCompress (call-interface.d.ts). */
const NO_COMPRESS_FLAG = '2';
const COMPRESS_MIN_BYTES = 16 * 1024;
const MAX_BATCH_BYTES = 4 * MiB;
const MAX_BATCH_MESSAGES = 512;
const DEFAULT_MAX_QUEUED = 4096;
const DEFAULT_TLS_REFRESH_MS = 5000;
const FROM_HEADER = 'knowd-from';
const CODE_TRAILER = 'knowd-code';
/**
 * Peers dialed by IP: grpc-js would put the IP in TLS SNI, which Node flags (DEP0123). The SNI name
 * is then this placeholder, and our checkServerIdentity checks the peer's real address anyway.
 */
const IP_SNI_NAME = 'knowd-peer';

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // A channel per peer link, so closing it (rotation, removal) really closes its connection.
  'grpc.use_local_subchannel_pool': 1,
  // Find dead peers behind half-open TCP within ~15 s even when idle.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  // grpc's own reconnect backoff defaults to 1 s .. 120 s; a restarted peer must be back in seconds.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2_000,
  'grpc.enable_retries': 0,
};

const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

/** A decode failure of a whole gRPC frame: handlers see this marker instead of a crash. */
const MALFORMED_FRAME: object = Object.freeze({ malformed: true });

function grpcStatusFor(code: ErrorCode): grpc.status {
  switch (code) {
    case 'PEER_REFUSED':
      return grpc.status.PERMISSION_DENIED;
    case 'SNAPSHOT_INVALID':
      return grpc.status.DATA_LOSS;
    default: {
      const http = ERROR_CODES[code].status;
      if (http === 503) return grpc.status.UNAVAILABLE;
      if (http === 400 || http === 422) return grpc.status.INVALID_ARGUMENT;
      if (http === 404) return grpc.status.NOT_FOUND;
      if (http === 409) return grpc.status.ABORTED;
      return grpc.status.INTERNAL;
    }
  }
}

function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && Object.hasOwn(ERROR_CODES, v);
}

/** A server-side failure as a gRPC status, its Knowd code in the `knowd-code` trailer. */
function toGrpcError(e: unknown): grpc.ServerErrorResponse {
  const ke = e instanceof KnowdError ? e : new KnowdError('INTERNAL', 'The peer failed to handle the call; its log has the details');
  const metadata = new grpc.Metadata();
  metadata.set(CODE_TRAILER, ke.code);
  return Object.assign(new Error(ke.message), { code: grpcStatusFor(ke.code), details: ke.message, metadata });
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '{}';
  } catch {
    return '{}';
  }
}

type Op = 'stream' | 'snapshot' | 'forward' | 'status' | 'query';

/** A failed client call as the KnowdError the caller acts on. */
function toKnowdError(err: grpc.ServiceError, to: NodeId, op: Op, closing: boolean): KnowdError {
  const details = { peer: to, grpcCode: err.code };
  const trailer = err.metadata?.get(CODE_TRAILER)[0];
  if (isErrorCode(trailer)) return new KnowdError(trailer, err.details, details);
  if (closing || err.code === grpc.status.CANCELLED) return new KnowdError('SHUTTING_DOWN', `The ${op} call to ${to} was cancelled: this node's transport is closing`, details);
  if (err.code === grpc.status.UNAVAILABLE && isTlsRefusal(err.details)) {
    return new KnowdError(
      'PEER_REFUSED',
      `Mutual TLS with ${to} failed: its certificate is not from this node's cluster CA or does not name its address, or it refused ours. Check KNOWD_MTLS_CA on both nodes (${err.details})`,
      details,
    );
  }
  if (err.code === grpc.status.UNAVAILABLE) {
    return new KnowdError(op === 'forward' ? 'NO_LEADER' : 'NOT_READY', `Cannot reach ${to} for ${op}: ${err.details}`, details);
  }
  if (err.code === grpc.status.DEADLINE_EXCEEDED) {
    return new KnowdError(op === 'forward' ? 'WRITE_TIMEOUT' : 'NOT_READY', `${to} did not answer the ${op} call in time`, details);
  }
  return new KnowdError('INTERNAL', `The ${op} call to ${to} failed: ${grpc.status[err.code] ?? err.code} ${err.details}`, details);
}

interface Counters {
  bytesSent: number;
  messagesSent: number;
  messagesDropped: number;
  messagesReceived: number;
  bytesReceived: number;
  messagesMalformed: number;
  callsRefused: number;
}

/** What a peer link needs from its transport. */
interface LinkContext {
  readonly self: NodeId;
  readonly counters: Counters;
  readonly logger: TransportLogger;
  readonly logLimiter: LogLimiter;
  readonly maxQueued: number;
  readonly backoff: { readonly initial: number; readonly max: number };
  readonly method: ProtoMethod;
  newClient(peer: NodeId, compression: boolean): grpc.Client;
  unreachable(peer: NodeId): void;
}

/** The outgoing raft stream to one peer: queue, batching, backpressure, reconnect with backoff. */
class PeerLink {
  client: grpc.Client;
  private call: grpc.ClientWritableStream<object> | null = null;
  private state: 'idle' | 'connecting' | 'open' | 'backoff' = 'idle';
  private queue: Message[] = [];
  private flushScheduled = false;
  private waitingDrain = false;
  private backoffMs: number;
  private retryAt = 0;
  private closed = false;

  constructor(
    readonly peer: NodeId,
    private readonly ctx: LinkContext,
  ) {
    this.client = ctx.newClient(peer, true);
    this.backoffMs = ctx.backoff.initial;
  }

  send(m: Message): void {
    const c = this.ctx.counters;
    if (this.closed) {
      c.messagesDropped++;
      return;
    }
    if (this.state === 'backoff') {
      // While backing off every message is dropped: raft has been told the peer is unreachable and
      // probes again; a queue here would only deliver stale messages later.
      if (Date.now() < this.retryAt) {
        c.messagesDropped++;
        return;
      }
      this.state = 'idle';
    }
    if (this.queue.length >= this.ctx.maxQueued) {
      c.messagesDropped++;
      if (this.ctx.logLimiter.allow(`queue:${this.peer}`)) this.ctx.logger.warn({ peer: this.peer, queued: this.queue.length }, 'raft queue to peer is full; dropping messages (raft retries)');
      return;
    }
    if (estimateMessageBytes(m) > MAX_MESSAGE_BYTES - MiB) {
      c.messagesDropped++;
      this.ctx.logger.error({ peer: this.peer, type: m.type }, 'raft message larger than the gRPC message limit; dropped (lower maxMsgBytes)');
      return;
    }
    this.queue.push(m);
    if (this.state === 'idle') this.open();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // A microtask, so all messages of one Ready go out as one batch.
      queueMicrotask(() => this.flush());
    }
  }

  private open(): void {
    const md = new grpc.Metadata();
    md.set(FROM_HEADER, this.ctx.self);
    const m = this.ctx.method;
    const call = this.client.makeClientStreamRequest<object, unknown>(m.path, m.encodeRequest, m.decodeResponse, md, {}, (err) => this.ended(call, err));
    // The server sends headers once it has accepted us: the stream is up, the backoff resets.
    call.on('metadata', () => {
      if (this.call !== call) return;
      this.state = 'open';
      this.backoffMs = this.ctx.backoff.initial;
    });
    // Failures are reported through the callback; this keeps an 'error' event from being unhandled.
    call.on('error', () => {});
    this.call = call;
    this.state = 'connecting';
  }

  private flush(): void {
    this.flushScheduled = false;
    const call = this.call;
    if (call === null || this.waitingDrain) return;
    const c = this.ctx.counters;
    while (this.queue.length > 0) {
      let n = 0;
      let bytes = 0;
      while (n < this.queue.length && n < MAX_BATCH_MESSAGES) {
        const size = estimateMessageBytes(this.queue[n] as Message);
        if (n > 0 && bytes + size > MAX_BATCH_BYTES) break;
        bytes += size;
        n++;
      }
      const batch = this.queue.splice(0, n);
      // Small batches (heartbeats, a few small entries) go uncompressed: gzip cost the leader about a
      // seventh of its CPU at 500 tx/s for little gain on a LAN. Bulk batches are compressed.
      const flags = bytes < COMPRESS_MIN_BYTES ? NO_COMPRESS_FLAG : undefined;
      const msg = { messages: batch.map(encodeRaftMessage) };
      // grpc-js takes per-message write flags through the encoding argument of a stream write.
      const ok = flags === undefined ? call.write(msg) : call.write(msg, flags as unknown as BufferEncoding);
      c.messagesSent += batch.length;
      if (!ok) {
        this.waitingDrain = true;
        call.once('drain', () => {
          this.waitingDrain = false;
          if (this.call === call) this.flush();
        });
        return;
      }
    }
  }

  private ended(call: grpc.ClientWritableStream<object>, err: grpc.ServiceError | null): void {
    if (this.call !== call) return; // a stream we replaced or closed on purpose
    this.call = null;
    this.waitingDrain = false;
    this.ctx.counters.messagesDropped += this.queue.length;
    this.queue = [];
    if (this.closed) return;
    const wasOpen = this.state === 'open';
    this.state = 'backoff';
    const jitter = 0.8 + Math.random() * 0.4;
    this.retryAt = Date.now() + Math.round(this.backoffMs * jitter);
    this.backoffMs = Math.min(this.backoffMs * 2, this.ctx.backoff.max);
    const reason = err === null ? 'the peer ended the stream' : toKnowdError(err, this.peer, 'stream', false).message;
    if (this.ctx.logLimiter.allow(`stream:${this.peer}`)) {
      this.ctx.logger.warn({ peer: this.peer, wasOpen, retryInMs: this.retryAt - Date.now(), reason }, 'raft stream to peer broke; will reconnect');
    }
    this.ctx.unreachable(this.peer);
  }

  /** The peer called us: if our stream to it is down, reconnect now on a fresh channel. */
  peerIsBack(): void {
    if (this.closed || this.state === 'open' || this.state === 'connecting') return;
    this.reconnect();
  }

  /** New TLS material: drop the connection and the stream so the next ones use it. */
  reconnect(): void {
    if (this.closed) return;
    const call = this.call;
    this.call = null;
    this.waitingDrain = false;
    call?.cancel();
    this.client.close();
    this.client = this.ctx.newClient(this.peer, true);
    this.state = 'idle';
    this.backoffMs = this.ctx.backoff.initial;
    if (this.queue.length > 0) {
      this.open();
      this.flush();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.counters.messagesDropped += this.queue.length;
    this.queue = [];
    const call = this.call;
    this.call = null;
    call?.cancel();
    this.client.close();
  }
}

/** Incoming snapshot messages as a pull queue that pauses the gRPC stream when the consumer lags. */
class IncomingQueue {
  private readonly items: unknown[] = [];
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private static readonly HIGH_WATER = 8;

  constructor(private readonly call: grpc.ServerReadableStream<unknown, object>) {
    call.on('data', (m: unknown) => {
      this.items.push(m);
      if (this.items.length >= IncomingQueue.HIGH_WATER) call.pause();
      this.notify();
    });
    call.on('end', () => {
      this.ended = true;
      this.notify();
    });
    call.on('cancelled', () => this.fail(new KnowdError('SNAPSHOT_INVALID', 'The sender cancelled the snapshot stream before it was complete')));
    call.on('error', (e: Error) => this.fail(new KnowdError('SNAPSHOT_INVALID', `The snapshot stream broke: ${e.message}`)));
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The next message, or `undefined` at the end of the stream; throws once the stream failed. */
  async next(): Promise<unknown> {
    for (;;) {
      if (this.failure !== null) throw this.failure;
      if (this.items.length > 0) {
        const v = this.items.shift();
        if (this.items.length <= IncomingQueue.HIGH_WATER / 2) this.call.resume();
        return v;
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** A streaming call from a peer, tracked so close(), setPeers() and a CA rotation can end it. */
class IncomingStream {
  private ended = false;

  constructor(
    readonly from: NodeId,
    readonly cert: tls.PeerCertificate,
    private readonly registry: Set<IncomingStream>,
    private readonly callback: grpc.sendUnaryData<object>,
    private readonly onFail: (err: KnowdError) => void = () => {},
  ) {
    registry.add(this);
  }

  get done(): boolean {
    return this.ended;
  }

  /** Answers the call: OK, or the error as a status (refusal, shutdown); no-op once ended. */
  end(err: KnowdError | null): void {
    if (this.ended) return;
    this.forget();
    if (err !== null) this.onFail(err);
    this.callback(err === null ? null : toGrpcError(err), err === null ? {} : null);
  }

  /** The caller went away (cancelled): nothing to answer. */
  forget(): void {
    this.ended = true;
    this.registry.delete(this);
  }
}

type Authorized = { readonly ok: true; readonly from: NodeId; readonly cert: tls.PeerCertificate } | { readonly ok: false; readonly error: KnowdError };

/**
 * A Transport over gRPC with mutual TLS. Reads and checks the TLS files now (throws CONFIG_INVALID);
 * binds the port in start().
 */
export function createGrpcTransport(opts: GrpcTransportOptions): GrpcTransport {
  const logger = opts.logger ?? silentLogger;
  const protos = loadProtos();
  const counters: Counters = { bytesSent: 0, messagesSent: 0, messagesDropped: 0, messagesReceived: 0, bytesReceived: 0, messagesMalformed: 0, callsRefused: 0 };
  const logLimiter = new LogLimiter(30_000);
  const compression = opts.compression ?? true;
  const backoff = opts.reconnectBackoffMs ?? { initial: 100, max: 2000 };
  assert(backoff.initial > 0 && backoff.max >= backoff.initial, 'reconnectBackoffMs: 0 < initial <= max');
  const maxQueued = opts.maxQueuedMessages ?? DEFAULT_MAX_QUEUED;
  assert(Number.isInteger(maxQueued) && maxQueued > 0, 'maxQueuedMessages must be a positive integer');
  if (opts.self !== undefined) parseNodeId(opts.self);
  for (const p of opts.peers) parseNodeId(p);

  let selfId: NodeId | undefined = opts.self;
  let boundPort = 0;
  let handlers: TransportHandlers | null = null;
  let server: grpc.Server | null = null;
  let closing = false;
  let members = new Set<NodeId>();
  /** The peer list until start() (setPeers before start only replaces it). */
  let initialPeers: readonly NodeId[] = opts.peers;
  const links = new Map<NodeId, PeerLink>();
  const unreachableListeners: ((peer: NodeId) => void)[] = [];
  const incoming = new Set<IncomingStream>();
  /** Client calls in flight (snapshot, forward, status), cancelled by close(). */
  const inflight = new Set<{ cancel(): void }>();
  const health = new HealthService();

  const tlsFiles = new TlsFiles(opts.tls, logger, () => onTlsChange());

  function self(): NodeId {
    assert(selfId !== undefined, 'transport.self is known only after start() when options.self is omitted');
    return selfId;
  }

  /** Wraps encoders and decoders: counts bytes, and turns an undecodable frame into a marker. */
  const countEncode =
    (encode: (v: object) => Buffer) =>
    (v: object): Buffer => {
      const b = encode(v);
      counters.bytesSent += b.length;
      return b;
    };
  const safeDecode =
    (decode: (b: Buffer) => unknown) =>
    (b: Buffer): object => {
      counters.bytesReceived += b.length;
      try {
        const v = decode(b);
        return typeof v === 'object' && v !== null ? v : MALFORMED_FRAME;
      } catch {
        counters.messagesMalformed++;
        return MALFORMED_FRAME;
      }
    };

  function methodDef(m: ProtoMethod, name: string): grpc.MethodDefinition<object, object> {
    return {
      path: m.path,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: m.encodeRequest,
      requestDeserialize: safeDecode(m.decodeRequest),
      responseSerialize: m.encodeResponse,
      responseDeserialize: safeDecode(m.decodeResponse),
      originalName: name,
    };
  }

  const clientMethods = {
    stream: { ...protos.raft.Stream, encodeRequest: countEncode(protos.raft.Stream.encodeRequest) },
    snapshot: { ...protos.raft.InstallSnapshot, encodeRequest: countEncode(protos.raft.InstallSnapshot.encodeRequest) },
    forward: { ...protos.raft.Forward, encodeRequest: countEncode(protos.raft.Forward.encodeRequest) },
    status: { ...protos.raft.Status, encodeRequest: countEncode(protos.raft.Status.encodeRequest) },
    query: { ...protos.query.Run, encodeRequest: countEncode(protos.query.Run.encodeRequest) },
  };
  /** Query parts get their own connection per peer: a large result must not delay heartbeats. */
  const queryClients = new Map<NodeId, grpc.Client>();

  function newClient(peer: NodeId, compressed: boolean): grpc.Client {
    const { host, port } = parseNodeId(peer);
    const isIp = /^[0-9.]+$/.test(host) || host.includes(':');
    // Verify the server's certificate against the address we dialed (the node id), whatever SNI says.
    const creds = grpc.experimental.createCertificateProviderChannelCredentials(tlsFiles, tlsFiles, {
      checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
    });
    const options: grpc.ChannelOptions = { ...CHANNEL_OPTIONS };
    if (isIp) options['grpc.ssl_target_name_override'] = IP_SNI_NAME;
    if (compressed && compression) options['grpc.default_compression_algorithm'] = grpc.compressionAlgorithms.gzip;
    return new grpc.Client(formatNodeId(host, port), creds, options);
  }

  const linkContext: LinkContext = {
    get self() {
      return self();
    },
    counters,
    logger,
    logLimiter,
    maxQueued,
    backoff,
    method: clientMethods.stream,
    newClient,
    unreachable: (peer) => {
      for (const fn of unreachableListeners) {
        try {
          fn(peer);
        } catch (e) {
          logger.error({ peer, err: errorMessage(e) }, 'onUnreachable listener threw');
        }
      }
    },
  };

  function applyPeers(peers: readonly NodeId[]): void {
    const next = new Set(peers.filter((p) => p !== selfId));
    for (const p of next) parseNodeId(p);
    for (const [peer, link] of links) {
      if (!next.has(peer)) {
        link.close();
        links.delete(peer);
      }
    }
    for (const s of incoming) {
      if (!next.has(s.from)) s.end(new KnowdError('PEER_REFUSED', `${s.from} is no longer a member of the cluster as ${self()} sees it`));
    }
    for (const p of next) if (!links.has(p)) links.set(p, new PeerLink(p, linkContext));
    members = next;
  }

  function onTlsChange(): void {
    if (closing || server === null) return;
    // Outgoing: fresh connections with the new certificate and CA.
    for (const link of links.values()) link.reconnect();
    // Incoming: streams whose caller the new CA does not vouch for are ended.
    for (const s of incoming) {
      if (!tlsFiles.trusts(s.cert)) s.end(new KnowdError('PEER_REFUSED', `Your certificate is no longer trusted by ${self()}: its cluster CA changed`));
    }
  }

  function refuse(error: KnowdError, peerAddr: string): Authorized {
    counters.callsRefused++;
    if (logLimiter.allow(`refuse:${peerAddr}:${error.message}`)) logger.warn({ caller: peerAddr, reason: error.message }, 'refused a cluster call');
    return { ok: false, error };
  }

  /** Checks a call's sender: named, a member, certificate trusted now and covering its address. */
  function authorize(call: grpc.ServerUnaryCall<unknown, object> | grpc.ServerReadableStream<unknown, object> | grpc.ServerWritableStream<unknown, object>): Authorized {
    const peerAddr = call.getPeer();
    const from = call.metadata.get(FROM_HEADER)[0];
    if (typeof from !== 'string' || from === '') return refuse(new KnowdError('PEER_REFUSED', `The call does not name its sender (${FROM_HEADER} metadata)`), peerAddr);
    if (!members.has(from)) return refuse(new KnowdError('PEER_REFUSED', `${from} is not a member of the cluster as ${self()} sees it; add it with \`knowdctl cluster join\` first`), peerAddr);
    const cert = call.getAuthContext().sslPeerCertificate;
    if (cert === undefined) return refuse(new KnowdError('PEER_REFUSED', 'The call carries no verified client certificate'), peerAddr);
    if (!tlsFiles.trusts(cert)) return refuse(new KnowdError('PEER_REFUSED', `The certificate of ${from} is not signed by the cluster CA ${self()} trusts now (CA rotated?)`), peerAddr);
    let host: string;
    try {
      host = parseNodeId(from).host;
    } catch {
      return refuse(new KnowdError('PEER_REFUSED', `"${from}" is not a node address`), peerAddr);
    }
    if (!certCoversHost(host, cert)) return refuse(new KnowdError('PEER_REFUSED', `The certificate presented by ${from} does not name ${host} in its subjectAltName`), peerAddr);
    return { ok: true, from, cert };
  }

  function requireHandlers(): TransportHandlers {
    assert(handlers !== null, 'a call arrived before start()');
    return handlers;
  }

  // --- server side -------------------------------------------------------------------------------

  function serveStream(call: grpc.ServerReadableStream<unknown, object>, callback: grpc.sendUnaryData<object>): void {
    const auth = authorize(call);
    if (!auth.ok) {
      callback(toGrpcError(auth.error));
      return;
    }
    const h = requireHandlers();
    const me = self();
    const entry = new IncomingStream(auth.from, auth.cert, incoming, callback);
    call.sendMetadata(new grpc.Metadata());
    // The peer just reached us, so it is up: our stream to it need not sit out its backoff (a
    // restarted follower would otherwise wait up to the backoff maximum for the leader's appends).
    links.get(auth.from)?.peerIsBack();
    call.on('data', (batch: unknown) => {
      if (entry.done) return;
      let list: readonly unknown[];
      try {
        list = batchMessages(batch);
      } catch {
        if (batch !== MALFORMED_FRAME) counters.messagesMalformed++;
        return;
      }
      for (const raw of list) {
        let msg: Message;
        try {
          msg = decodeRaftMessage(raw);
        } catch (e) {
          counters.messagesMalformed++;
          if (logLimiter.allow(`malformed:${auth.from}`)) logger.warn({ peer: auth.from, err: errorMessage(e) }, 'dropped a malformed raft message');
          continue;
        }
        if (msg.from !== auth.from || msg.to !== me) {
          counters.messagesMalformed++;
          if (logLimiter.allow(`misaddressed:${auth.from}`)) logger.warn({ peer: auth.from, from: msg.from, to: msg.to }, 'dropped a raft message not from the stream sender or not addressed to this node');
          continue;
        }
        counters.messagesReceived++;
        try {
          h.onMessage(msg);
        } catch (e) {
          logger.error({ peer: auth.from, type: msg.type, err: errorMessage(e) }, 'onMessage handler threw');
        }
      }
    });
    call.on('end', () => entry.end(null));
    call.on('cancelled', () => entry.forget());
    call.on('error', () => {});
  }

  function serveSnapshot(call: grpc.ServerReadableStream<unknown, object>, callback: grpc.sendUnaryData<object>): void {
    const auth = authorize(call);
    if (!auth.ok) {
      callback(toGrpcError(auth.error));
      return;
    }
    const h = requireHandlers();
    const queue = new IncomingQueue(call);
    const entry = new IncomingStream(auth.from, auth.cert, incoming, callback, (err) => queue.fail(err));
    /** Decodes one stream message; a bad one fails the whole transfer (a snapshot has no gaps). */
    const decode = <T>(v: unknown, what: string, fn: (v: unknown) => T): T => {
      try {
        return fn(v);
      } catch (e) {
        if (v !== MALFORMED_FRAME) counters.messagesMalformed++; // a bad frame was counted when decoded
        throw new KnowdError('SNAPSHOT_INVALID', `The snapshot ${what} is malformed: ${errorMessage(e)}`);
      }
    };
    const receive = async (): Promise<void> => {
      const first = await queue.next();
      if (first === undefined) throw new KnowdError('SNAPSHOT_INVALID', 'The snapshot stream ended before its offer');
      const env = decode(first, 'offer', decodeOffer);
      if (env.from !== auth.from) throw new KnowdError('PEER_REFUSED', `The snapshot offer names ${env.from} as sender, but the call came from ${auth.from}`);
      if (env.to !== self()) throw new KnowdError('SNAPSHOT_INVALID', `The snapshot is addressed to ${env.to}, not ${self()}`);
      async function* chunks(): AsyncGenerator<SnapshotChunk> {
        for (;;) {
          const v = await queue.next();
          if (v === undefined) return;
          yield decode(v, 'chunk', decodeChunk);
        }
      }
      await h.onSnapshot(auth.from, env.offer, wholeSnapshot(env.offer, chunks()));
    };
    receive().then(
      () => entry.end(null),
      (e: unknown) => {
        if (!(e instanceof KnowdError)) logger.error({ peer: auth.from, err: errorMessage(e) }, 'onSnapshot handler failed');
        entry.end(e instanceof KnowdError ? e : new KnowdError('SNAPSHOT_INVALID', `The snapshot was not installed: ${errorMessage(e)}`));
      },
    );
  }

  /**
   * The checked sender and decoded request of a unary call, or null once the call has been answered
   * with the refusal: the sender must be admitted, and the name in the request must be its own.
   */
  function admitUnary<T>(call: grpc.ServerUnaryCall<unknown, object>, callback: grpc.sendUnaryData<object>, what: string, decode: (v: unknown) => T, sender: (r: T) => NodeId): { from: NodeId; req: T } | null {
    const auth = authorize(call);
    if (!auth.ok) {
      callback(toGrpcError(auth.error));
      return null;
    }
    let req: T;
    try {
      req = decode(call.request);
    } catch (e) {
      if (call.request !== MALFORMED_FRAME) counters.messagesMalformed++;
      callback(toGrpcError(new KnowdError('BAD_REQUEST', `Malformed ${what} request: ${errorMessage(e)}`)));
      return null;
    }
    if (sender(req) !== auth.from) {
      callback(toGrpcError(new KnowdError('PEER_REFUSED', `The ${what} request names ${sender(req)} as sender, but the call came from ${auth.from}`)));
      return null;
    }
    return { from: auth.from, req };
  }

  function serveForward(call: grpc.ServerUnaryCall<unknown, object>, callback: grpc.sendUnaryData<object>): void {
    const admitted = admitUnary(call, callback, 'forward', decodeForwardRequest, (r) => r.from);
    if (admitted === null) return;
    const { from, req: decoded } = admitted;
    requireHandlers()
      .onForward(from, decoded.req)
      .then(
        (res) => callback(null, encodeForwardResponse(res)),
        (e: unknown) => {
          // The handler's failure is the answer, not a transport failure: it travels as ok:false.
          if (!(e instanceof KnowdError)) logger.error({ peer: from, kind: decoded.req.kind, err: errorMessage(e) }, 'onForward handler failed');
          const res: ForwardResponse =
            e instanceof KnowdError
              ? { ok: false, code: e.code, message: e.message, details: safeJson(e.details) }
              : { ok: false, code: 'INTERNAL', message: 'The leader failed to run the forwarded write; its log has the details', details: '{}' };
          callback(null, encodeForwardResponse(res));
        },
      );
  }

  function serveStatus(call: grpc.ServerUnaryCall<unknown, object>, callback: grpc.sendUnaryData<object>): void {
    const admitted = admitUnary(call, callback, 'status', decodeStatusRequest, (from) => from);
    if (admitted === null) return;
    requireHandlers()
      .onStatus(admitted.from)
      .then(
        (s) => callback(null, encodeStatusResponse(s)),
        (e: unknown) => {
          if (!(e instanceof KnowdError)) logger.error({ peer: admitted.from, err: errorMessage(e) }, 'onStatus handler failed');
          callback(toGrpcError(e));
        },
      );
  }

  /**
   * One part of a federated query: admitted like any cluster call, then the handler's chunks are
   * written with backpressure. A cancelled call (the coordinator gave up or re-ran the range
   * elsewhere) aborts the handler's query.
   */
  function serveQuery(call: grpc.ServerWritableStream<unknown, object>): void {
    const fail = (e: unknown): void => {
      call.emit('error', toGrpcError(e));
    };
    const auth = authorize(call);
    if (!auth.ok) {
      fail(auth.error);
      return;
    }
    const body = (call.request as { from?: unknown; body?: unknown } | undefined) ?? {};
    if (typeof body.from !== 'string' || typeof body.body !== 'string') {
      if (call.request !== MALFORMED_FRAME) counters.messagesMalformed++;
      fail(new KnowdError('BAD_REQUEST', 'Malformed query request'));
      return;
    }
    if (body.from !== auth.from) {
      fail(new KnowdError('PEER_REFUSED', `The query request names ${body.from} as sender, but the call came from ${auth.from}`));
      return;
    }
    const h = requireHandlers();
    if (h.onQuery === undefined) {
      fail(new KnowdError('NOT_SUPPORTED', `${self()} does not run federated query parts`));
      return;
    }
    const ac = new AbortController();
    call.on('cancelled', () => ac.abort());
    call.on('error', () => ac.abort());
    const run = async (): Promise<void> => {
      for await (const data of h.onQuery!(auth.from, { body: body.body as string }, ac.signal)) {
        if (ac.signal.aborted) return;
        if (!call.write({ data })) await new Promise<void>((r) => call.once('drain', r));
      }
      call.end();
    };
    run().catch((e: unknown) => {
      if (ac.signal.aborted) return;
      if (!(e instanceof KnowdError)) logger.error({ peer: auth.from, err: errorMessage(e) }, 'onQuery handler failed');
      fail(e);
    });
  }

  // --- client side -------------------------------------------------------------------------------

  async function* queryPeer(to: NodeId, req: QueryPartRequest, timeoutMs: number, signal: AbortSignal): AsyncGenerator<string> {
    if (closing || server === null) throw new KnowdError(closing ? 'SHUTTING_DOWN' : 'NOT_READY', `The cluster transport is ${closing ? 'closing' : 'not started'}`);
    linkTo(to, 'query');
    let client = queryClients.get(to);
    if (client === undefined) queryClients.set(to, (client = newClient(to, true)));
    const m = clientMethods.query;
    const call = client.makeServerStreamRequest<object, unknown>(m.path, m.encodeRequest, m.decodeResponse, { from: self(), body: req.body }, metadata(), { deadline: Date.now() + timeoutMs });
    const cancel = (): void => call.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    inflight.add(call);
    try {
      for await (const msg of call as AsyncIterable<unknown>) {
        const data = (msg as { data?: unknown }).data;
        if (typeof data !== 'string') {
          counters.messagesMalformed++;
          throw new KnowdError('INTERNAL', `${to} sent a malformed query chunk`, { peer: to });
        }
        yield data;
      }
    } catch (e) {
      if (e instanceof KnowdError) throw e;
      if (signal.aborted) throw new KnowdError('QUERY_CANCELLED', `The query part on ${to} was cancelled`, { peer: to });
      throw toKnowdError(e as grpc.ServiceError, to, 'query', closing);
    } finally {
      signal.removeEventListener('abort', cancel);
      inflight.delete(call);
      call.cancel();
    }
  }

  function linkTo(to: NodeId, op: Op): PeerLink {
    const link = links.get(to);
    if (link === undefined) throw new KnowdError('PEER_REFUSED', `Not calling ${to} (${op}): it is not a member of the cluster as ${self()} sees it`);
    return link;
  }

  function metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(FROM_HEADER, self());
    return md;
  }

  function unary<Res>(to: NodeId, op: 'forward' | 'status', request: object, timeoutMs: number, decode: (v: unknown) => Res): Promise<Res> {
    if (closing || server === null) return Promise.reject(new KnowdError(closing ? 'SHUTTING_DOWN' : 'NOT_READY', `The cluster transport is ${closing ? 'closing' : 'not started'}`));
    let link: PeerLink;
    try {
      link = linkTo(to, op);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const m = op === 'forward' ? clientMethods.forward : clientMethods.status;
    return new Promise<Res>((resolve, reject) => {
      const call = link.client.makeUnaryRequest<object, unknown>(m.path, m.encodeRequest, m.decodeResponse, request, metadata(), { deadline: Date.now() + timeoutMs }, (err, value) => {
        inflight.delete(call);
        if (err !== null) {
          reject(toKnowdError(err, to, op, closing));
          return;
        }
        try {
          resolve(decode(value));
        } catch (e) {
          counters.messagesMalformed++;
          reject(new KnowdError('INTERNAL', `${to} sent a malformed ${op} response: ${errorMessage(e)}`, { peer: to }));
        }
      });
      inflight.add(call);
    });
  }

  async function sendSnapshot(to: NodeId, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<void> {
    if (closing || server === null) throw new KnowdError(closing ? 'SHUTTING_DOWN' : 'NOT_READY', `The cluster transport is ${closing ? 'closing' : 'not started'}`);
    linkTo(to, 'snapshot');
    // Its own connection, uncompressed: the file is already compressed and encrypted, and a big
    // transfer must not queue heartbeats behind it on the raft stream's connection.
    const client = newClient(to, false);
    const m = clientMethods.snapshot;
    let failure: KnowdError | null = null;
    let finished = false;
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const result = new Promise<void>((resolve, reject) => {
      const call = client.makeClientStreamRequest<object, unknown>(m.path, m.encodeRequest, m.decodeResponse, metadata(), {}, (err) => {
        inflight.delete(call);
        finished = true;
        if (err !== null) {
          failure = toKnowdError(err, to, 'snapshot', closing);
          reject(failure);
        } else resolve();
        notify();
      });
      call.on('error', () => {});
      call.on('drain', notify);
      inflight.add(call);
      void (async () => {
        try {
          const writeAndWait = async (msg: object): Promise<void> => {
            if (call.write(msg)) return;
            await new Promise<void>((r) => {
              wake = r;
              if (finished) notify();
            });
          };
          await writeAndWait(encodeOffer({ from: self(), to, offer }));
          for await (const chunk of chunks) {
            if (finished) break; // the receiver already answered (rejected): stop reading the file
            await writeAndWait(encodeChunk(chunk));
            if (finished) break;
          }
          if (!finished) call.end();
        } catch (e) {
          // The chunk source failed (file read error): abandon the transfer and report that.
          failure ??= e instanceof KnowdError ? e : new KnowdError('SNAPSHOT_INVALID', `Reading the snapshot to send failed: ${errorMessage(e)}`);
          reject(failure);
          call.cancel();
        }
      })();
    });
    try {
      await result;
    } finally {
      client.close();
    }
  }

  // --- lifecycle ---------------------------------------------------------------------------------

  async function start(h: TransportHandlers): Promise<void> {
    assert(handlers === null && !closing, 'start() is called once, before close()');
    handlers = h;
    const srv = new grpc.Server(SERVER_OPTIONS);
    srv.addService(
      {
        Stream: methodDef(protos.raft.Stream, 'Stream'),
        InstallSnapshot: methodDef(protos.raft.InstallSnapshot, 'InstallSnapshot'),
        Forward: methodDef(protos.raft.Forward, 'Forward'),
        Status: methodDef(protos.raft.Status, 'Status'),
      },
      { Stream: serveStream, InstallSnapshot: serveSnapshot, Forward: serveForward, Status: serveStatus },
    );
    srv.addService({ Run: methodDef(protos.query.Run, 'Run') }, { Run: serveQuery });
    srv.addService({ Check: methodDef(protos.health.Check, 'Check'), Watch: methodDef(protos.health.Watch, 'Watch') }, { Check: health.check, Watch: health.watch });
    const creds = grpc.experimental.createCertificateProviderServerCredentials(tlsFiles, tlsFiles, true);
    const addr = formatNodeId(opts.listen.host, opts.listen.port);
    try {
      boundPort = await new Promise<number>((resolve, reject) => srv.bindAsync(addr, creds, (err, port) => (err === null ? resolve(port) : reject(err))));
    } catch (e) {
      srv.forceShutdown();
      handlers = null;
      throw new KnowdError('CONFIG_INVALID', `Cannot listen for cluster traffic on ${addr}: ${errorMessage(e)} (KNOWD_GRPC_ADDR)`);
    }
    server = srv;
    if (selfId === undefined) {
      if (opts.listen.host === '0.0.0.0' || opts.listen.host === '::') {
        srv.forceShutdown();
        server = null;
        handlers = null;
        throw new KnowdError('CONFIG_INVALID', `Listening on ${addr} needs an explicit advertised address (self): peers cannot dial a wildcard address`);
      }
      selfId = formatNodeId(opts.listen.host, boundPort);
    }
    applyPeers(initialPeers);
    tlsFiles.watch(opts.tlsRefreshMs ?? DEFAULT_TLS_REFRESH_MS);
    health.set('SERVING');
    logger.info({ self: selfId, port: boundPort, peers: [...members], fingerprint: tlsFiles.fingerprint }, 'cluster transport listening (mutual TLS)');
  }

  async function close(): Promise<void> {
    if (closing) return;
    closing = true;
    tlsFiles.stop();
    health.close();
    for (const link of links.values()) link.close();
    links.clear();
    for (const c of queryClients.values()) c.close();
    queryClients.clear();
    for (const c of inflight) c.cancel();
    inflight.clear();
    for (const s of incoming) s.end(new KnowdError('SHUTTING_DOWN', `${selfId ?? 'the peer'} is shutting down`));
    incoming.clear();
    const srv = server;
    server = null;
    if (srv !== null) {
      // Let the statuses just sent reach the peers, then cut every connection.
      await new Promise<void>((resolve) => setImmediate(resolve));
      srv.forceShutdown();
    }
  }

  const transport: GrpcTransport = {
    get self() {
      return self();
    },
    get port() {
      return boundPort;
    },
    get certificateFingerprint() {
      return tlsFiles.fingerprint;
    },
    start,
    send(msg: Message): void {
      const link = links.get(msg.to);
      if (link === undefined || closing) {
        counters.messagesDropped++;
        if (!closing && handlers !== null && logLimiter.allow(`nolink:${msg.to}`)) logger.warn({ to: msg.to, type: msg.type }, 'dropped a raft message to a node that is not a known peer (setPeers)');
        return;
      }
      link.send(msg);
    },
    sendSnapshot,
    forward(to: NodeId, req: ForwardRequest, timeoutMs: number): Promise<ForwardResponse> {
      return unary(to, 'forward', encodeForwardRequest(selfId ?? '', req), timeoutMs, decodeForwardResponse);
    },
    status(to: NodeId, timeoutMs: number): Promise<PeerStatus> {
      return unary(to, 'status', encodeStatusRequest(selfId ?? ''), timeoutMs, decodeStatusResponse);
    },
    query: queryPeer,
    onUnreachable(fn: (peer: NodeId) => void): void {
      unreachableListeners.push(fn);
    },
    setPeers(peers: readonly NodeId[]): void {
      if (closing) return;
      if (server === null) {
        for (const p of peers) parseNodeId(p);
        initialPeers = [...peers];
        return;
      }
      applyPeers(peers);
    },
    setServing(status: ServingStatus): void {
      if (!closing) health.set(status);
    },
    reloadTls: () => tlsFiles.poll(),
    stats: () => ({ ...counters }),
    close,
  };
  return transport;
}
