import fs from 'node:fs';
import path from 'node:path';
import { KnowdError } from '../../base/index.js';

/**
 * A provisioned node's cluster files in `<dataDir>/cluster/`: the cluster CA (its key on voters),
 * this node's certificate and key, `cluster.json`, and `cluster.env` — the KNOWD_* settings knowd
 * reads under the environment and flags, so a provisioned node starts in its cluster role with no
 * flags at all.
 */
export interface ClusterPaths {
  readonly dir: string;
  readonly json: string;
  readonly env: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly nodeCert: string;
  readonly nodeKey: string;
  readonly tokens: string;
}

export function clusterPaths(dataDir: string): ClusterPaths {
  // Absolute: cluster.env names these files, and knowd may start from another directory.
  const dir = path.resolve(dataDir, 'cluster');
  return {
    dir,
    json: path.join(dir, 'cluster.json'),
    env: path.join(dir, 'cluster.env'),
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    nodeCert: path.join(dir, 'node.crt'),
    nodeKey: path.join(dir, 'node.key'),
    tokens: path.join(dir, 'tokens.json'),
  };
}

export interface ClusterInfo {
  readonly clusterId: string;
  readonly memberId: string;
  readonly createdAtMs: number;
}

export interface ClusterFiles {
  readonly info: ClusterInfo;
  readonly role: 'leader' | 'follower';
  readonly peers: readonly string[];
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly nodeCertPem: string;
  readonly nodeKeyPem: string;
}

/** Writes a file whole or not at all (temp file, fsync, rename). */
export function writeFileAtomic(file: string, data: string | Buffer, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function writeClusterFiles(dataDir: string, f: ClusterFiles): void {
  const p = clusterPaths(dataDir);
  writeFileAtomic(p.caCert, f.caCertPem, 0o644);
  writeFileAtomic(p.caKey, f.caKeyPem, 0o600);
  writeFileAtomic(p.nodeCert, f.nodeCertPem, 0o644);
  writeFileAtomic(p.nodeKey, f.nodeKeyPem, 0o600);
  writeFileAtomic(p.json, `${JSON.stringify(f.info, null, 2)}\n`, 0o644);
  const env = [
    '# Written by knowdctl cluster init|join. knowd reads it under the environment and flags.',
    `KNOWD_CLUSTER_MODE=${f.role}`,
    `KNOWD_GRPC_ADDR=${f.info.memberId}`,
    `KNOWD_PEER_ADDRS=${[...new Set([f.info.memberId, ...f.peers])].join(',')}`,
    `KNOWD_MTLS_CERT=${p.nodeCert}`,
    `KNOWD_MTLS_KEY=${p.nodeKey}`,
    `KNOWD_MTLS_CA=${p.caCert}`,
    '',
  ].join('\n');
  writeFileAtomic(p.env, env, 0o644);
}

export function readClusterInfo(dataDir: string): ClusterInfo | undefined {
  const p = clusterPaths(dataDir);
  if (!fs.existsSync(p.json)) return undefined;
  const v = JSON.parse(fs.readFileSync(p.json, 'utf8')) as Partial<ClusterInfo>;
  if (typeof v.clusterId !== 'string' || typeof v.memberId !== 'string') throw new KnowdError('CONFIG_INVALID', `${p.json} is not a cluster description; remove the cluster directory and provision again`);
  return { clusterId: v.clusterId, memberId: v.memberId, createdAtMs: typeof v.createdAtMs === 'number' ? v.createdAtMs : 0 };
}

/** `KEY=VALUE` lines of cluster.env (comments and blanks skipped); empty when the node is not provisioned. */
export function readClusterEnv(dataDir: string): Record<string, string> {
  const file = clusterPaths(dataDir).env;
  if (!fs.existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq <= 0) throw new KnowdError('CONFIG_INVALID', `${file}: "${t}" is not KEY=VALUE`);
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}
