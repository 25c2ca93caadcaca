import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { KnowdError, type Clock } from '../../base/index.js';
import { createCa, issueNodeCert, signCsr, type NodeCertSubject } from '../transport/certs.js';
import { parseNodeId } from '../transport/address.js';
import { clusterPaths, readClusterInfo, writeClusterFiles, writeFileAtomic } from './files.js';
import { caPinOf, formatToken, newToken, proofMatches, seal, type JoinToken } from './token.js';

export interface JoinRequest {
  readonly tokenId: string;
  readonly memberId: string;
  readonly csrPem: string;
  readonly proof: string;
}

/** What a joining node receives, sealed under its token. */
export interface JoinAnswer {
  readonly clusterId: string;
  readonly memberId: string;
  readonly caCertPem: string;
  /** The CA key travels to every member: each is a voter once caught up, and voters sign joins. */
  readonly caKeyPem: string;
  readonly certPem: string;
  readonly snapshotKeyHex: string;
  readonly signingKeyPem: string;
  readonly peers: readonly string[];
}

interface StoredToken {
  readonly id: string;
  readonly secret: string;
  readonly caPin: string;
  readonly expiresAtMs: number;
  usedAtMs: number | null;
  usedBy: string | null;
}

export interface JoinServiceOptions {
  readonly dataDir: string;
  /** This node's member id (its advertised gRPC address). */
  readonly memberId: string;
  /** Where this node's receipt-signing key and snapshot key are, to hand them to new members. */
  readonly signingKeyPath: string;
  readonly snapshotKeyPath: string;
  readonly clock: Clock;
  readonly tokenTtlMs: number;
  /** Lifetime of the node certificates this service issues (KNOWD_CERT_VALIDITY_DAYS). */
  readonly certValidityDays: number;
}

/** Node names for a member id: its host, as an IP address or a DNS name. */
export function subjectOf(memberId: string, commonName: string): NodeCertSubject {
  const { host } = parseNodeId(memberId);
  const ip = /^[0-9.]+$/.test(host) || host.includes(':');
  return { commonName, ips: ip ? [host] : [], dnsNames: ip ? [] : [host] };
}

/**
 * The cluster's side of `knowdctl cluster init|token|join`. Tokens are kept by the node that
 * issued them (single-use, short-lived); a joining node must present its token to that node.
 */
export class JoinService {
  constructor(private readonly o: JoinServiceOptions) {}

  info(): ReturnType<typeof readClusterInfo> {
    return readClusterInfo(this.o.dataDir);
  }

  /** Creates the cluster: id, CA, this node's certificate, cluster.env (leader), and a first token. */
  async init(): Promise<{ clusterId: string; token: string; expiresAtMs: number }> {
    if (this.info() !== undefined) throw new KnowdError('CONFLICT', `This node already belongs to cluster ${this.info()!.clusterId}; remove ${clusterPaths(this.o.dataDir).dir} to start over`);
    const clusterId = randomUUID();
    const ca = await createCa(`knowd-cluster-${clusterId.slice(0, 8)}`);
    const node = await issueNodeCert(ca, subjectOf(this.o.memberId, this.o.memberId), { validityDays: this.o.certValidityDays });
    writeClusterFiles(this.o.dataDir, {
      info: { clusterId, memberId: this.o.memberId, createdAtMs: this.o.clock.nowMs() },
      role: 'leader',
      peers: [],
      caCertPem: ca.certPem,
      caKeyPem: ca.keyPem,
      nodeCertPem: node.certPem,
      nodeKeyPem: node.keyPem,
    });
    return { clusterId, ...this.token() };
  }

  /** A new single-use join token (needs the CA, i.e. a provisioned voter). */
  token(): { token: string; expiresAtMs: number } {
    const p = clusterPaths(this.o.dataDir);
    if (!fs.existsSync(p.caKey)) throw new KnowdError('CONFLICT', 'This node holds no cluster CA: run `knowdctl cluster init` first, or ask a voter of the cluster for a token');
    const t = newToken(fs.readFileSync(p.caCert, 'utf8'));
    const expiresAtMs = this.o.clock.nowMs() + this.o.tokenTtlMs;
    const all = this.tokens().filter((x) => x.expiresAtMs > this.o.clock.nowMs() || x.usedAtMs !== null);
    all.push({ id: t.id, secret: t.secret.toString('hex'), caPin: t.caPin, expiresAtMs, usedAtMs: null, usedBy: null });
    this.saveTokens(all);
    return { token: formatToken(t), expiresAtMs };
  }

  /**
   * Admits a node: the token must be known here, unused and unexpired, and the request must prove
   * its secret; the CSR's key is signed for the member id. The token is spent before answering.
   */
  async join(req: JoinRequest, peers: readonly string[]): Promise<{ sealed: string; memberId: string }> {
    const info = this.info();
    const p = clusterPaths(this.o.dataDir);
    if (info === undefined || !fs.existsSync(p.caKey)) throw new KnowdError('CONFLICT', 'This node is not a provisioned cluster voter; send the join to the node that issued the token');
    parseNodeId(req.memberId);
    const all = this.tokens();
    const stored = all.find((x) => x.id === req.tokenId);
    // One answer for unknown, wrong-secret, spent and expired tokens alike would hide which it was
    // from an attacker, but an operator needs to know: the token id is not a secret.
    if (stored === undefined) throw new KnowdError('PEER_REFUSED', 'Unknown join token: make a new one with `knowdctl cluster token` on a voter');
    const t: JoinToken = { id: stored.id, caPin: stored.caPin, secret: Buffer.from(stored.secret, 'hex') };
    if (!proofMatches(t.secret, req.memberId, req.csrPem, req.proof)) throw new KnowdError('PEER_REFUSED', 'The join request does not prove the token\'s secret');
    if (stored.usedAtMs !== null) throw new KnowdError('PEER_REFUSED', `This join token was already used (by ${stored.usedBy ?? 'another node'}); tokens are single-use`);
    if (stored.expiresAtMs <= this.o.clock.nowMs()) throw new KnowdError('PEER_REFUSED', 'This join token has expired; make a new one with `knowdctl cluster token`');
    const caCertPem = fs.readFileSync(p.caCert, 'utf8');
    const caKeyPem = fs.readFileSync(p.caKey, 'utf8');
    if (caPinOf(caCertPem) !== stored.caPin) throw new KnowdError('CONFLICT', 'The cluster CA changed since this token was made; make a new token');
    const certPem = await signCsr({ certPem: caCertPem, keyPem: caKeyPem }, req.csrPem, subjectOf(req.memberId, req.memberId), { validityDays: this.o.certValidityDays });
    stored.usedAtMs = this.o.clock.nowMs();
    stored.usedBy = req.memberId;
    this.saveTokens(all);
    const answer: JoinAnswer = {
      clusterId: info.clusterId,
      memberId: req.memberId,
      caCertPem,
      caKeyPem,
      certPem,
      snapshotKeyHex: readSnapshotKeyHex(this.o.snapshotKeyPath),
      signingKeyPem: fs.readFileSync(this.o.signingKeyPath, 'utf8'),
      peers: [...new Set([info.memberId, ...peers])].filter((x) => x !== req.memberId),
    };
    return { sealed: seal(t, JSON.stringify(answer)), memberId: req.memberId };
  }

  private tokens(): StoredToken[] {
    const file = clusterPaths(this.o.dataDir).tokens;
    if (!fs.existsSync(file)) return [];
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StoredToken[];
  }

  private saveTokens(all: readonly StoredToken[]): void {
    writeFileAtomic(clusterPaths(this.o.dataDir).tokens, JSON.stringify(all), 0o600);
  }
}

function readSnapshotKeyHex(file: string): string {
  const raw = fs.readFileSync(file);
  const text = raw.toString('utf8').trim();
  return /^[0-9a-fA-F]{64}$/.test(text) ? text.toLowerCase() : raw.subarray(0, 32).toString('hex');
}
