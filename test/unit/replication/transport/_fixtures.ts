/**
 * Shared setup of the transport tests: a PKI in a temp dir (CA and node certificates from the
 * certs.ts tooling), gRPC transports on 127.0.0.1 with kernel-chosen ports, and recording handlers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import type { Message, NodeId } from '../../../../src/replication/raft/types.js';
import { createCa, issueNodeCert, type CertBundle } from '../../../../src/replication/transport/certs.js';
import { createGrpcTransport, type GrpcTransport, type GrpcTransportOptions } from '../../../../src/replication/transport/grpc/index.js';
import type { ForwardRequest, ForwardResponse, PeerStatus, QueryPartRequest, SnapshotChunk, SnapshotOffer, TransportHandlers } from '../../../../src/replication/transport/types.js';

export function tempDir(t: ExecutionContext, prefix = 'knowd-transport-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TlsFilePaths {
  readonly certPath: string;
  readonly keyPath: string;
  readonly caPath: string;
}

/** Writes a file by rename, as an operator's tooling should: readers never see half a file. */
export function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** A node certificate for loopback use (SAN IP 127.0.0.1 and DNS localhost) written to `dir`. */
export async function writeNodeTls(dir: string, ca: CertBundle, name: string): Promise<TlsFilePaths> {
  fs.mkdirSync(dir, { recursive: true });
  const node = await issueNodeCert(ca, { commonName: name, ips: ['127.0.0.1'], dnsNames: ['localhost'] });
  const paths = { certPath: path.join(dir, 'node.crt'), keyPath: path.join(dir, 'node.key'), caPath: path.join(dir, 'ca.crt') };
  writeAtomic(paths.caPath, ca.certPem);
  writeAtomic(paths.certPath, node.certPem);
  writeAtomic(paths.keyPath, node.keyPem);
  return paths;
}

let caCache: Promise<CertBundle> | undefined;
/** One cluster CA per test process (key generation is cheap, but there is no need to repeat it). */
export function clusterCa(): Promise<CertBundle> {
  caCache ??= createCa('Knowd test cluster CA');
  return caCache;
}

/** Records what arrives and lets a test wait for it. */
export class Recorder implements TransportHandlers {
  readonly messages: Message[] = [];
  readonly snapshots: { from: NodeId; offer: SnapshotOffer; chunks: SnapshotChunk[] }[] = [];
  private waiters: (() => void)[] = [];
  onSnapshotImpl: (from: NodeId, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>) => Promise<void> = async (from, offer, chunks) => {
    const got: SnapshotChunk[] = [];
    for await (const c of chunks) got.push(c);
    this.snapshots.push({ from, offer, chunks: got });
    this.notify();
  };
  onForwardImpl: (from: NodeId, req: ForwardRequest) => Promise<ForwardResponse> = async (from, req) => ({ ok: true, body: JSON.stringify({ from, kind: req.kind, echo: req.body }) });
  onStatusImpl: (from: NodeId) => Promise<PeerStatus> = async (from) => ({ body: JSON.stringify({ asked: from }) });
  /** Parts of federated queries; unset: refused with NOT_SUPPORTED. */
  onQueryImpl: ((from: NodeId, req: QueryPartRequest, signal: AbortSignal) => AsyncIterable<string>) | undefined;

  onMessage(msg: Message): void {
    this.messages.push(msg);
    this.notify();
  }
  onSnapshot(from: NodeId, offer: SnapshotOffer, chunks: AsyncIterable<SnapshotChunk>): Promise<void> {
    return this.onSnapshotImpl(from, offer, chunks);
  }
  onForward(from: NodeId, req: ForwardRequest): Promise<ForwardResponse> {
    return this.onForwardImpl(from, req);
  }
  onStatus(from: NodeId): Promise<PeerStatus> {
    return this.onStatusImpl(from);
  }
  onQuery(from: NodeId, req: QueryPartRequest, signal: AbortSignal): AsyncIterable<string> {
    if (this.onQueryImpl === undefined) throw new KnowdError('NOT_SUPPORTED', 'this test node runs no query parts');
    return this.onQueryImpl(from, req, signal);
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `pred` holds for what was recorded; fails after `timeoutMs`. */
  async until(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export interface TestNode {
  readonly transport: GrpcTransport;
  readonly rec: Recorder;
  readonly tls: TlsFilePaths;
  readonly id: NodeId;
}

/** Polls `pred` every 20 ms until it holds (for state not visible through a Recorder). */
export async function eventually(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts one transport on 127.0.0.1:0 with its own certificate; closed at teardown. */
export async function startNode(t: ExecutionContext, dir: string, name: string, ca: CertBundle, extra: Partial<GrpcTransportOptions> = {}): Promise<TestNode> {
  const tls = extra.tls ?? (await writeNodeTls(path.join(dir, name), ca, name));
  const transport = createGrpcTransport({ listen: { host: '127.0.0.1', port: 0 }, peers: [], ...extra, tls });
  t.teardown(() => transport.close());
  const rec = new Recorder();
  await transport.start(rec);
  return { transport, rec, tls, id: transport.self };
}

/** n transports that all know each other. */
export async function startCluster(t: ExecutionContext, n: number, extra: Partial<GrpcTransportOptions> = {}): Promise<TestNode[]> {
  const dir = tempDir(t);
  const ca = await clusterCa();
  const nodes: TestNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startNode(t, dir, `n${i}`, ca, extra));
  const ids = nodes.map((x) => x.id);
  for (const x of nodes) x.transport.setPeers(ids);
  return nodes;
}

export function isKnowd(code: string): (e: unknown) => boolean {
  return (e) => e instanceof KnowdError && e.code === code;
}
