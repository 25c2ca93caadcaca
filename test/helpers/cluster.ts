/**
 * Real multi-process Knowd clusters on loopback (127.0.0.1 only) with real gRPC and mutual TLS:
 * certificates from a throw-away CA, one shared snapshot key, every process stopped by PID at
 * teardown (startKnowd registers it).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { generateSigningKeyPem } from '../../src/receipts/index.js';
import { createCa, issueNodeCert, type CertBundle } from '../../src/replication/transport/certs.js';
import { freePort, startKnowd, tmpDir, type Knowd } from './procs.js';

export interface NodeSpec {
  readonly name: string;
  readonly grpcPort: number;
  readonly dataDir: string;
  readonly certDir: string;
}

export interface ClusterNode extends NodeSpec {
  proc: Knowd | null;
  readonly memberId: string;
}

export interface Cluster {
  readonly nodes: ClusterNode[];
  readonly ca: CertBundle;
  readonly dir: string;
  readonly keyFile: string;
  readonly signingKeyFile: string;
  /** Flags every node gets (timing, snapshots) besides its own addresses. */
  readonly extraArgs: readonly string[];
  start(i: number, hint?: 'leader' | 'follower'): Promise<ClusterNode>;
}

export async function writeNodeCerts(dir: string, ca: CertBundle, name: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const cert = await issueNodeCert(ca, { commonName: name, ips: ['127.0.0.1'], dnsNames: ['localhost'] });
  fs.writeFileSync(path.join(dir, 'node.crt'), cert.certPem);
  fs.writeFileSync(path.join(dir, 'node.key'), cert.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'ca.crt'), ca.certPem);
}

export function tlsArgs(certDir: string): string[] {
  return ['--mtls-cert', path.join(certDir, 'node.crt'), '--mtls-key', path.join(certDir, 'node.key'), '--mtls-ca', path.join(certDir, 'ca.crt')];
}

/** Fast timings for tests on a loaded 2-core box: quick failover, yet no elections from jitter. */
export const TEST_TIMING = ['--cluster-heartbeat', '100ms', '--cluster-election-timeout', '600ms'];

export async function makeCluster(t: ExecutionContext, n: number, extraArgs: readonly string[] = []): Promise<Cluster> {
  const dir = tmpDir(t, 'knowd-cluster-');
  const ca = await createCa('knowd-test-ca');
  const keyFile = path.join(dir, 'snapshot.key');
  fs.writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  // One receipt-signing key for the cluster: every node signs the receipts it applies, identically.
  const signingKeyFile = path.join(dir, 'signing.pem');
  fs.writeFileSync(signingKeyFile, generateSigningKeyPem(), { mode: 0o600 });
  const nodes: ClusterNode[] = [];
  const taken = new Set<number>();
  for (let i = 0; i < n; i++) {
    // The kernel may hand out a port just closed again: CI once got the same one for two nodes.
    let grpcPort = await freePort();
    while (taken.has(grpcPort)) grpcPort = await freePort();
    taken.add(grpcPort);
    const spec = { name: `n${i}`, grpcPort, dataDir: path.join(dir, `n${i}`, 'data'), certDir: path.join(dir, `n${i}`, 'certs'), memberId: `127.0.0.1:${grpcPort}` };
    await writeNodeCerts(spec.certDir, ca, spec.name);
    fs.mkdirSync(spec.dataDir, { recursive: true });
    nodes.push({ ...spec, proc: null });
  }
  const peers = nodes.map((x) => x.memberId).join(',');
  const cluster: Cluster = {
    nodes,
    ca,
    dir,
    keyFile,
    signingKeyFile,
    extraArgs,
    async start(i, hint = 'follower') {
      const node = nodes[i]!;
      node.proc = await startKnowd(t, {
        dataDir: node.dataDir,
        startTimeoutMs: 30_000,
        args: [
          '--cluster-mode', hint, '--grpc-addr', node.memberId, '--peer-addrs', peers, '--snapshot-key', keyFile, '--signing-key', signingKeyFile,
          ...tlsArgs(node.certDir), ...TEST_TIMING, ...extraArgs,
        ],
      });
      return node;
    },
  };
  return cluster;
}

/** Starts every node at once (a leader needs a majority to be healthy) and waits until all are ready. */
export async function startAll(c: Cluster): Promise<void> {
  await Promise.all(c.nodes.map((_, i) => c.start(i, i === 0 ? 'leader' : 'follower')));
  await Promise.all(c.nodes.map((n) => waitReady(n)));
}

export async function waitReady(node: ClusterNode, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${node.name} ready`, async () => {
    const res = await fetch(`${node.proc!.url}/readyz`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200 ? true : undefined;
  }, timeoutMs);
}

export interface Status {
  readonly mode: string;
  readonly nodeId: string;
  readonly term: number;
  readonly leader: string | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastSnapshot: { index: number } | null;
  readonly walEntries: number;
  readonly peers: readonly { id: string; matchIndex: number }[];
}

export async function status(node: ClusterNode): Promise<Status> {
  const res = await fetch(`${node.proc!.url}/v1/cluster/status`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as Status;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}

/** The node all running nodes agree leads (same term). */
export async function leaderOf(c: Cluster, timeoutMs = 20_000): Promise<ClusterNode> {
  return waitFor('a leader', async () => {
    const live = c.nodes.filter((x) => x.proc !== null);
    const st = await Promise.all(live.map((x) => status(x).catch(() => undefined)));
    const leaders = live.filter((_, i) => st[i]?.mode === 'leader');
    if (leaders.length !== 1) return undefined;
    const leader = leaders[0]!;
    return st.every((s) => s !== undefined && s.leader === leader.memberId) ? leader : undefined;
  }, timeoutMs);
}

export interface TxReply {
  readonly receipt: { id: string; logIndex: number };
  readonly delta: { added: number; removed: number };
}

export async function tx(node: ClusterNode, add: string, opts: { idempotencyKey?: string; timeoutMs?: number } = {}): Promise<{ status: number; body: TxReply & { error?: { code: string } } }> {
  const res = await fetch(`${node.proc!.url}/v1/tx`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ add, format: 'n-triples', ...(opts.idempotencyKey !== undefined && { idempotencyKey: opts.idempotencyKey }) }),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  return { status: res.status, body: (await res.json()) as TxReply & { error?: { code: string } } };
}

/** Subjects present on a node, read after it applied `minIndex`. */
export async function subjects(node: ClusterNode, minIndex = 0): Promise<Set<string>> {
  const res = await fetch(`${node.proc!.url}/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-knowd-min-index': String(minIndex) },
    body: JSON.stringify({ query: 'SELECT ?s WHERE { ?s ?p ?o }' }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`query answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { rows: { s: string }[] };
  return new Set(body.rows.map((r) => r.s));
}

/**
 * A digest of what a node stores: the quads (N-Quads export, sorted) and the receipts with the
 * logged evidence they verify against, of the default namespace.
 */
export async function storeDigest(node: ClusterNode, minIndex = 0): Promise<string> {
  const get = async (p: string): Promise<string> => {
    const res = await fetch(`${node.proc!.url}${p}`, { headers: { 'x-knowd-min-index': String(minIndex) }, signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`${p} answered ${res.status}`);
    return res.text();
  };
  const quads = (await get('/v1/admin/export?format=n-quads')).split('\n').filter((l) => l !== '').sort();
  const receipts = await get('/v1/receipts/export');
  return `${quads.length}:${createHash('sha256').update(quads.join('\n')).update(receipts).digest('hex')}`;
}

export function triple(i: number, tag = 'w'): string {
  return `<http://ex/${tag}${i}> <http://ex/p> "${i}" .\n`;
}
