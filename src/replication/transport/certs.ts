/**
 * Certificate tooling for the cluster's mutual TLS: a cluster CA and node certificates signed by it
 * (ECDSA P-256 on Node's webcrypto, through @peculiar/x509). Used by tests and by
 * `knowdctl cluster init|join`. Everything returns PEM strings; nothing here touches the disk, and
 * nothing here logs: the private keys must never reach a log line.
 */
// @peculiar/x509 2.x resolves its algorithms through tsyringe, which needs the Reflect metadata API;
// it must be loaded before the library itself (ESM evaluates imports in order).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { KnowdError } from '../../base/index.js';

/** A certificate and its private key, both PEM (the key as unencrypted PKCS#8). */
export interface CertBundle {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface NodeCertSubject {
  readonly commonName: string;
  /** IP addresses the node is reached at (IPv4 or IPv6), put in the subjectAltName. */
  readonly ips: readonly string[];
  /** Host names the node is reached at, put in the subjectAltName. */
  readonly dnsNames: readonly string[];
}

export interface ValidityOptions {
  /** How long the certificate is valid from now. */
  readonly validityDays?: number;
}

/** A CA outlives its node certificates: re-issuing a node is routine, replacing the CA is a rotation. */
export const CA_VALIDITY_DAYS = 3650;
/** Two years: long enough not to surprise an appliance, short enough that a lost key expires. */
export const NODE_CERT_VALIDITY_DAYS = 730;
/** notBefore is backdated a little so a peer whose clock runs slightly behind accepts a fresh cert. */
const CLOCK_SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;

type CryptoKey = webcrypto.CryptoKey;
/** Node's webcrypto, passed to the library explicitly rather than left for it to find. */
const crypto = webcrypto;

function validity(days: number | undefined, fallback: number): { notBefore: Date; notAfter: Date } {
  const d = days ?? fallback;
  if (!Number.isFinite(d) || d <= 0) throw new KnowdError('CONFIG_INVALID', `Certificate validity must be a positive number of days, got ${String(days)}`);
  const now = Date.now();
  return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + d * DAY_MS) };
}

/** A positive 128-bit serial (RFC 5280 wants positive and unique; random makes collisions moot). */
function serialHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  if (bytes[0] === 0) bytes[0] = 1;
  return Buffer.from(bytes).toString('hex');
}

/** Characters allowed in a CN we build a DN string from; anything else would need DN escaping. */
const SAFE_NAME = /^[A-Za-z0-9 ._:@()-]{1,64}$/;

function checkName(what: string, name: string): void {
  if (!SAFE_NAME.test(name)) {
    throw new KnowdError('CONFIG_INVALID', `${what} "${name}" is not allowed: use 1-64 letters, digits, spaces and . _ : @ ( ) -`);
  }
}

function isIpv4(ip: string): boolean {
  const parts = ip.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function isIpv6(ip: string): boolean {
  if (!ip.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(ip)) return false;
  try {
    // The URL parser is a complete IPv6 grammar, without importing node:net into this layer.
    return new URL(`http://[${ip}]/`).hostname !== '';
  } catch {
    return false;
  }
}

const DNS_NAME = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importCa(ca: CertBundle): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  let cert: x509.X509Certificate;
  let der: ArrayBuffer;
  try {
    cert = new x509.X509Certificate(ca.certPem);
    const first = x509.PemConverter.decode(ca.keyPem)[0];
    if (first === undefined) throw new Error('no PEM block');
    der = first;
  } catch (e) {
    throw new KnowdError('CONFIG_INVALID', `Cannot read the cluster CA: ${(e as Error).message}. Pass the PEM certificate and PKCS#8 key that createCa() returned`);
  }
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  if (basic === null || !basic.ca) throw new KnowdError('CONFIG_INVALID', `The certificate "${cert.subject}" is not a CA certificate (no basicConstraints CA:true); it cannot sign node certificates`);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('pkcs8', der, EC_ALG, false, ['sign']);
  } catch (e) {
    throw new KnowdError('CONFIG_INVALID', `Cannot import the cluster CA key (expected an ECDSA P-256 PKCS#8 key): ${(e as Error).message}`);
  }
  return { cert, key };
}

/** A self-signed cluster CA (ECDSA P-256, CA:true with pathLen 0: it signs node certificates only). */
export async function createCa(name: string, opts: ValidityOptions = {}): Promise<CertBundle> {
  checkName('CA name', name);
  const keys = await crypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialHex(),
      name: `CN=${name}`,
      ...validity(opts.validityDays, CA_VALIDITY_DAYS),
      keys,
      signingAlgorithm: SIGN_ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * A node certificate signed by `ca`, good for both ends of a cluster connection (serverAuth and
 * clientAuth). Peers check the subjectAltName against the host part of the node id ("host:port"),
 * so `ips`/`dnsNames` must cover every address the node is advertised at.
 */
export async function issueNodeCert(ca: CertBundle, subject: NodeCertSubject, opts: ValidityOptions = {}): Promise<CertBundle> {
  checkSubject(subject);
  const keys = await crypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']);
  const certPem = await signNodeKey(ca, keys.publicKey, subject, opts);
  return { certPem, keyPem: await exportKeyPem(keys.privateKey) };
}

function checkSubject(subject: NodeCertSubject): void {
  checkName('Common name', subject.commonName);
  for (const ip of subject.ips) {
    if (!isIpv4(ip) && !isIpv6(ip)) throw new KnowdError('CONFIG_INVALID', `"${ip}" is not an IP address; put host names in dnsNames`);
  }
  for (const dns of subject.dnsNames) {
    if (!DNS_NAME.test(dns) || dns.length > 253) throw new KnowdError('CONFIG_INVALID', `"${dns}" is not a DNS name`);
  }
  if (subject.ips.length + subject.dnsNames.length === 0) {
    throw new KnowdError('CONFIG_INVALID', `A node certificate needs at least one IP address or DNS name: peers verify it against the node's address`);
  }
}

async function signNodeKey(ca: CertBundle, publicKey: CryptoKey, subject: NodeCertSubject, opts: ValidityOptions): Promise<string> {
  const issuer = await importCa(ca);
  const names = [
    ...subject.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...subject.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialHex(),
      subject: `CN=${subject.commonName}`,
      issuer: issuer.cert.subjectName,
      ...validity(opts.validityDays, NODE_CERT_VALIDITY_DAYS),
      publicKey,
      signingKey: issuer.key,
      signingAlgorithm: SIGN_ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
        new x509.SubjectAlternativeNameExtension(names, false),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.cert, false, crypto),
      ],
    },
    crypto,
  );
  return cert.toString('pem');
}

/**
 * A key pair and a certificate signing request for it: the private key never leaves the node that
 * joins; the cluster signs only the public half (`signCsr`).
 */
export async function createCsr(commonName: string): Promise<{ csrPem: string; keyPem: string }> {
  checkName('Common name', commonName);
  const keys = await crypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys, signingAlgorithm: SIGN_ALG }, crypto);
  return { csrPem: csr.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * Signs the public key of a CSR (after checking its self-signature) as a node certificate for
 * `subject`. The names come from the cluster's decision (the member id), never from the CSR.
 */
export async function signCsr(ca: CertBundle, csrPem: string, subject: NodeCertSubject, opts: ValidityOptions = {}): Promise<string> {
  checkSubject(subject);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (e) {
    throw new KnowdError('BAD_REQUEST', `The certificate signing request is not a PEM PKCS#10 request: ${(e as Error).message}`);
  }
  if (!(await csr.verify(crypto))) throw new KnowdError('BAD_REQUEST', 'The certificate signing request fails its own signature check');
  const publicKey = await csr.publicKey.export(EC_ALG, ['verify'], crypto);
  return signNodeKey(ca, publicKey, subject, opts);
}
