/**
 * The node's TLS material (certificate, key, cluster CA) read from files, checked, and re-read when
 * the files change, so certificates rotate without a restart. It is a grpc-js CertificateProvider:
 * the server and every channel take the newest material for each new connection. It also answers
 * the per-call question "is this caller's certificate still trusted?" against the current CA, which
 * closes connections opened under an old CA to new calls after a rotation.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import tls, { type PeerCertificate } from 'node:tls';
import type { experimental } from '@grpc/grpc-js';
import { KnowdError } from '../../../base/index.js';
import type { TransportLogger } from '../logger.js';

export interface TlsPaths {
  readonly certPath: string;
  readonly keyPath: string;
  readonly caPath: string;
}

interface Material {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  readonly cas: readonly X509Certificate[];
  /** SHA-256 fingerprint of our own certificate: logs say which one is in use without the key. */
  readonly fingerprint: string;
}

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

function pemBlocks(pem: Buffer): string[] {
  return pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** True when `leaf` is signed directly by one of `cas` (what knowdctl cluster init issues). */
function issuedBy(leaf: X509Certificate, cas: readonly X509Certificate[]): boolean {
  return cas.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
}

/** Parses and cross-checks the three files; throws a message naming the file and the fix. */
function check(paths: TlsPaths, cert: Buffer, key: Buffer, ca: Buffer, now: number): Material {
  const caBlocks = pemBlocks(ca);
  if (caBlocks.length === 0) throw new Error(`${paths.caPath} holds no PEM certificate`);
  const cas = caBlocks.map((b) => new X509Certificate(b));
  for (const c of cas) if (!c.ca) throw new Error(`${paths.caPath} holds "${c.subject}", which is not a CA certificate`);
  const leafPem = pemBlocks(cert)[0];
  if (leafPem === undefined) throw new Error(`${paths.certPath} holds no PEM certificate`);
  const leaf = new X509Certificate(leafPem);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // Not the parser's message: it could quote key material.
    throw new Error(`${paths.keyPath} holds no readable private key (PEM PKCS#8 or SEC1 expected)`);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw new Error(`${paths.keyPath} is not the key of the certificate in ${paths.certPath}`);
  if (!issuedBy(leaf, cas)) throw new Error(`the certificate in ${paths.certPath} ("${leaf.subject}") is not signed by a CA in ${paths.caPath} (intermediate CAs are not supported)`);
  if (Date.parse(leaf.validTo) <= now) throw new Error(`the certificate in ${paths.certPath} expired on ${leaf.validTo}`);
  return { cert, key, ca, cas, fingerprint: leaf.fingerprint256 };
}

export class TlsFiles implements experimental.CertificateProvider {
  private material: Material;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private reading = false;
  /** Fingerprint of the last rejected file set, so a broken update is logged once, not every poll. */
  private lastRejected = '';
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private readonly trustCache = new Map<string, boolean>();

  /** Reads and checks the files now: a node must not start with unusable certificates. */
  constructor(
    private readonly paths: TlsPaths,
    private readonly logger: TransportLogger,
    private readonly onChange: () => void,
  ) {
    let files: [Buffer, Buffer, Buffer];
    try {
      files = [fs.readFileSync(paths.certPath), fs.readFileSync(paths.keyPath), fs.readFileSync(paths.caPath)];
    } catch (e) {
      throw new KnowdError('CONFIG_INVALID', `Cannot read the cluster TLS files (KNOWD_MTLS_CERT|KEY|CA): ${(e as Error).message}`);
    }
    try {
      this.material = check(paths, ...files, Date.now());
    } catch (e) {
      throw new KnowdError('CONFIG_INVALID', `Unusable cluster TLS files: ${(e as Error).message}`);
    }
  }

  get fingerprint(): string {
    return this.material.fingerprint;
  }

  /** Polls the files every `intervalMs`; the timer is unref'd and stopped by stop(). */
  watch(intervalMs: number): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One look at the files. An update is taken only when all three agree (key matches cert, cert
   * signed by the CA): writers replace the files one by one, and a half-written set must not be
   * served; the next poll sees the rest.
   */
  async poll(): Promise<boolean> {
    if (this.reading || this.stopped) return false;
    this.reading = true;
    try {
      const [cert, key, ca] = await Promise.all([fs.promises.readFile(this.paths.certPath), fs.promises.readFile(this.paths.keyPath), fs.promises.readFile(this.paths.caPath)]);
      const m = this.material;
      if (cert.equals(m.cert) && key.equals(m.key) && ca.equals(m.ca)) return false;
      let next: Material;
      try {
        next = check(this.paths, cert, key, ca, Date.now());
      } catch (e) {
        const id = `${cert.length}:${key.length}:${ca.length}:${(e as Error).message}`;
        if (id !== this.lastRejected) this.logger.warn({ err: (e as Error).message }, 'cluster TLS files changed but do not form a usable set yet; keeping the current certificate');
        this.lastRejected = id;
        return false;
      }
      if (this.stopped) return false; // closed while reading
      this.material = next;
      this.trustCache.clear();
      this.logger.info({ fingerprint: next.fingerprint, cas: next.cas.map((c) => c.subject) }, 'cluster TLS certificate reloaded');
      for (const l of this.caListeners) l({ caCertificate: next.ca });
      for (const l of this.identityListeners) l({ certificate: next.cert, privateKey: next.key });
      this.onChange();
      return true;
    } catch (e) {
      this.logger.warn({ err: (e as Error).message }, 'cannot read the cluster TLS files; keeping the current certificate');
      return false;
    } finally {
      this.reading = false;
    }
  }

  /**
   * Whether a peer's certificate (already verified by the TLS handshake, maybe against an older CA)
   * is signed by a CA trusted now.
   */
  trusts(cert: PeerCertificate): boolean {
    const key = cert.fingerprint256;
    const hit = this.trustCache.get(key);
    if (hit !== undefined) return hit;
    let ok = false;
    try {
      ok = issuedBy(new X509Certificate(cert.raw), this.material.cas);
    } catch {
      ok = false;
    }
    if (this.trustCache.size >= 256) this.trustCache.clear();
    this.trustCache.set(key, ok);
    return ok;
  }

  // grpc-js CertificateProvider. Updates are delivered on the next tick, as grpc-js' own
  // FileWatcherCertificateProvider does: the server credentials register this listener before the
  // server's own watcher, and a synchronous first update would be lost to the latter.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: this.material.ca });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) listener({ certificate: this.material.cert, privateKey: this.material.key });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

/**
 * Whether `cert` names `host` in its subjectAltName (IP or DNS, wildcards as in HTTPS): node ids are
 * addresses, and a certificate is issued for the addresses its node is advertised at.
 */
export function certCoversHost(host: string, cert: PeerCertificate): boolean {
  return tls.checkServerIdentity(host, cert) === undefined;
}

/**
 * Whether a failed connection failed in the TLS handshake on certificate grounds (wrong CA on either
 * side, name mismatch) rather than for plain unreachability. grpc-js only keeps the error text.
 */
export function isTlsRefusal(details: string): boolean {
  return /certificate|self[- ]signed|unknown ca|bad certificate|handshake|alert|ERR_TLS|SSL|verify|altnames|Hostname\/IP/i.test(details);
}
