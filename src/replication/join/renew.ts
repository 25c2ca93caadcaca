/**
 * Automatic renewal of this node's cluster certificate. Node certificates are short-lived
 * (KNOWD_CERT_VALIDITY_DAYS) so a lost or stolen one stops working soon; each member holds the cluster
 * CA (it travels in the join answer, since every member becomes a voter that signs joins), so a
 * member renews its own certificate — a new key pair, the same names — when two thirds of its
 * lifetime have passed, and the transport takes the new files without a restart. Nodes run with
 * certificates made by hand (no CA key in the data directory) are left alone: their operator renews.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type { Clock } from '../../base/index.js';
import { issueNodeCert } from '../transport/certs.js';
import type { ClusterPaths } from './files.js';
import { writeFileAtomic } from './files.js';
import { subjectOf } from './service.js';

/** When a certificate valid over [notBefore, notAfter] is renewed: after two thirds of its life. */
export function renewAtMs(notBeforeMs: number, notAfterMs: number): number {
  return notBeforeMs + Math.floor(((notAfterMs - notBeforeMs) * 2) / 3);
}

export interface CertValidity {
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly fingerprint: string;
}

export function certValidity(pem: string | Buffer): CertValidity {
  const c = new X509Certificate(pem);
  return { notBeforeMs: Date.parse(c.validFrom), notAfterMs: Date.parse(c.validTo), fingerprint: c.fingerprint256 };
}

export type RenewalOutcome = 'renewed' | 'not-due' | 'no-ca-key';

export interface CertRenewalStatus {
  readonly managed: boolean;
  readonly notAfter: string | null;
  readonly renewAt: string | null;
  readonly lastRenewedAt: string | null;
  readonly lastError: string | null;
}

export interface CertRenewerOptions {
  readonly paths: Pick<ClusterPaths, 'caCert' | 'caKey'>;
  /** The files the transport serves (KNOWD_MTLS_CERT / KNOWD_MTLS_KEY). */
  readonly certPath: string;
  readonly keyPath: string;
  readonly memberId: string;
  readonly validityDays: number;
  readonly clock: Clock;
  /** How often to look (the decision itself is by date, so an hour is plenty). */
  readonly checkMs: number;
  /** Makes the transport take the new files now instead of at its next poll. */
  readonly reload: () => Promise<unknown>;
  readonly onRenewed: (info: { from: CertValidity; to: CertValidity }) => void;
  readonly onFailed: (error: Error) => void;
}

export class CertRenewer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RenewalOutcome> | undefined;
  private lastRenewedAtMs: number | null = null;
  private lastError: string | null = null;

  constructor(private readonly o: CertRenewerOptions) {}

  start(): void {
    if (this.timer !== undefined) return;
    void this.checkSoon();
    this.timer = setInterval(() => void this.checkSoon(), this.o.checkMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async checkSoon(): Promise<void> {
    try {
      await this.check();
    } catch {
      // Reported through onFailed and status(); the next check tries again.
    }
  }

  /** One look: renews when due. Concurrent calls share one run. */
  check(): Promise<RenewalOutcome> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * What status() shows, kept from the last check: /v1/cluster/status is asked every second by the admin
   * UI and by peers, and must not read the certificate from disk each time.
   */
  private current: { readonly managed: boolean; readonly validity: CertValidity | undefined } | undefined;

  status(): CertRenewalStatus {
    this.current ??= this.look();
    const v = this.current.validity;
    return {
      managed: this.current.managed,
      notAfter: v === undefined ? null : new Date(v.notAfterMs).toISOString(),
      renewAt: v === undefined ? null : new Date(renewAtMs(v.notBeforeMs, v.notAfterMs)).toISOString(),
      lastRenewedAt: this.lastRenewedAtMs === null ? null : new Date(this.lastRenewedAtMs).toISOString(),
      lastError: this.lastError,
    };
  }

  private look(): { managed: boolean; validity: CertValidity | undefined } {
    let validity: CertValidity | undefined;
    try {
      validity = certValidity(fs.readFileSync(this.o.certPath));
    } catch {
      validity = undefined;
    }
    return { managed: fs.existsSync(this.o.paths.caKey), validity };
  }

  private async run(): Promise<RenewalOutcome> {
    this.current = this.look();
    if (!this.current.managed) return 'no-ca-key';
    try {
      const from = certValidity(fs.readFileSync(this.o.certPath));
      const now = this.o.clock.nowMs();
      if (now < renewAtMs(from.notBeforeMs, from.notAfterMs)) return 'not-due';
      const ca = { certPem: fs.readFileSync(this.o.paths.caCert, 'utf8'), keyPem: fs.readFileSync(this.o.paths.caKey, 'utf8') };
      const next = await issueNodeCert(ca, subjectOf(this.o.memberId, this.o.memberId), { validityDays: this.o.validityDays });
      // Key first, then certificate: the transport takes a new set only when key and certificate match,
      // so in between it keeps serving the old pair.
      writeFileAtomic(this.o.keyPath, next.keyPem, 0o600);
      writeFileAtomic(this.o.certPath, next.certPem, 0o644);
      await this.o.reload();
      const to = certValidity(next.certPem);
      this.current = { managed: true, validity: to };
      this.lastRenewedAtMs = now;
      this.lastError = null;
      this.o.onRenewed({ from, to });
      return 'renewed';
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.lastError = err.message;
      this.o.onFailed(err);
      throw err;
    }
  }
}
