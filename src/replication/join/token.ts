import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual, createCipheriv, createDecipheriv } from 'node:crypto';
import { KnowdError } from '../../base/index.js';

/**
 * Join tokens, in the manner of kubeadm and k3s: `K1.<ca pin>.<id>.<secret>`. The pin (SHA-256 of
 * the cluster CA certificate, 32 hex digits) lets a joining node check the CA it is given; the
 * secret never crosses the wire: the request proves it with an HMAC, and the answer (certificate,
 * CA key, cluster keys) is sealed with a key derived from it, so an eavesdropper on the LAN learns
 * nothing and cannot replay the token.
 */
export interface JoinToken {
  readonly caPin: string;
  readonly id: string;
  readonly secret: Buffer;
}

const PREFIX = 'K1';

export function caPinOf(caCertPem: string): string {
  return createHash('sha256').update(caCertPem.trim()).digest('hex').slice(0, 32);
}

export function newToken(caCertPem: string): JoinToken {
  return { caPin: caPinOf(caCertPem), id: randomBytes(6).toString('hex'), secret: randomBytes(24) };
}

export function formatToken(t: JoinToken): string {
  return `${PREFIX}.${t.caPin}.${t.id}.${t.secret.toString('base64url')}`;
}

export function parseToken(text: string): JoinToken {
  const parts = text.trim().split('.');
  const [prefix, caPin, id, secret] = parts;
  if (parts.length !== 4 || prefix !== PREFIX || !/^[0-9a-f]{32}$/.test(caPin ?? '') || !/^[0-9a-f]{12}$/.test(id ?? '') || secret === undefined) {
    throw new KnowdError('BAD_REQUEST', 'The join token is malformed: expected K1.<pin>.<id>.<secret> as printed by `knowdctl cluster token`');
  }
  const s = Buffer.from(secret, 'base64url');
  if (s.length !== 24) throw new KnowdError('BAD_REQUEST', 'The join token is malformed: its secret has the wrong length');
  return { caPin: caPin!, id: id!, secret: s };
}

/** Proof of the secret over exactly what is asked for (member id and CSR). */
export function joinProof(secret: Buffer, memberId: string, csrPem: string): string {
  return createHmac('sha256', secret).update(`knowd-join\n${memberId}\n${csrPem}`).digest('hex');
}

export function proofMatches(secret: Buffer, memberId: string, csrPem: string, proof: string): boolean {
  const want = Buffer.from(joinProof(secret, memberId, csrPem), 'hex');
  const got = Buffer.from(proof, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

function sealKey(t: JoinToken): Buffer {
  return Buffer.from(hkdfSync('sha256', t.secret, Buffer.from(t.id), Buffer.from('knowd-join-answer'), 32));
}

/** AES-256-GCM under the token-derived key; base64url of iv ‖ ciphertext ‖ tag. */
export function seal(t: JoinToken, plaintext: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealKey(t), iv);
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64url');
}

export function unseal(t: JoinToken, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < 28) throw new KnowdError('BAD_REQUEST', 'The join answer is truncated');
  const d = createDecipheriv('aes-256-gcm', sealKey(t), raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(raw.length - 16));
  try {
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
  } catch {
    throw new KnowdError('PEER_REFUSED', 'The join answer does not decrypt with this token: it was not made by the cluster that issued the token');
  }
}
