/**
 * The Signer port and its Ed25519 implementation over node:crypto. Keys are exchanged as the raw
 * 32-byte Ed25519 public key in standard base64 (RFC 8032's encoding, the JWK `x` value): shorter
 * than SPKI DER and the form other Ed25519 tools print.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { assert, KnowdError } from '../base/index.js';

export interface Signer {
  /** Base64 of the raw 32-byte Ed25519 public key. */
  publicKey(): string;
  /** Base64 of the 64-byte Ed25519 signature of data. */
  sign(data: Uint8Array): string;
  /** The private key, for a signing worker thread (KeyObjects cross threads by postMessage, never as text). */
  readonly key?: KeyObject;
}

/**
 * Signs on another thread: what is asked in one event-loop turn goes over as one batch. The answers
 * are the same as the Signer's of that key (Ed25519 is deterministic).
 */
export interface BatchSigner {
  publicKey(): string;
  sign(data: Uint8Array): Promise<string>;
  close(): Promise<void>;
}

const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

/**
 * Base64 decoding that refuses non-canonical text: Buffer.from(s, 'base64') skips bad characters and
 * padding, so without this an edited sig or pub could still decode to the original bytes.
 */
export function decodeBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function rawPublicKey(key: KeyObject): string {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  assert(typeof jwk.x === 'string', 'an Ed25519 JWK export has x');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** The private key of a PEM (PKCS#8) text, or a KnowdError naming `source` if it is not Ed25519. */
export function parseEd25519PrivateKey(privateKeyPem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (e) {
    throw new KnowdError('CONFIG_INVALID', `Cannot load signing key ${source}: not a PEM private key`, { source }, { cause: e });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KnowdError(
      'CONFIG_INVALID',
      `Cannot load signing key ${source}: it is a ${key.asymmetricKeyType ?? 'unknown'} key, Knowd signs with Ed25519`,
      { source },
    );
  }
  return key;
}

export function createEd25519Signer(privateKeyPem: string, source = '(PEM text)'): Signer {
  const key = parseEd25519PrivateKey(privateKeyPem, source);
  const pub = rawPublicKey(key);
  return {
    publicKey: () => pub,
    sign: (data) => signEd25519(key, data),
    key,
  };
}

/** Base64 Ed25519 signature; Ed25519 hashes internally, hence the null digest. */
export function signEd25519(key: KeyObject, data: Uint8Array): string {
  return sign(null, data, key).toString('base64');
}

export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Whether sig (base64) is pub's (base64, raw 32 bytes) Ed25519 signature of data; false on any malformed input. */
export function verifyEd25519(pub: string, data: Uint8Array, sig: string): boolean {
  const pubBytes = decodeBase64(pub);
  const sigBytes = decodeBase64(sig);
  if (pubBytes?.length !== PUBLIC_KEY_BYTES || sigBytes?.length !== SIGNATURE_BYTES) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pubBytes.toString('base64url') }, format: 'jwk' });
    return verify(null, data, key, sigBytes);
  } catch {
    // Not every 32-byte string is a point on the curve.
    return false;
  }
}
