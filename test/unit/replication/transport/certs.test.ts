/**
 * The certificate tooling: a CA that can sign and nothing else, node certificates usable on both
 * ends of a mutual TLS connection, names checked before anything is signed.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import tls from 'node:tls';
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { CA_VALIDITY_DAYS, NODE_CERT_VALIDITY_DAYS, createCa, issueNodeCert } from '../../../../src/replication/transport/certs.js';

const DAY = 86_400_000;

test('a CA is a self-signed ECDSA P-256 CA certificate with a PKCS#8 key', async (t) => {
  const ca = await createCa('Knowd cluster 7f3a');
  const cert = new X509Certificate(ca.certPem);
  t.true(cert.ca);
  t.is(cert.subject, 'CN=Knowd cluster 7f3a');
  t.is(cert.issuer, cert.subject);
  t.true(cert.verify(cert.publicKey));
  t.is(cert.publicKey.asymmetricKeyType, 'ec');
  t.is(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.regex(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  t.true(cert.checkPrivateKey(createPrivateKey(ca.keyPem)));
  const days = (Date.parse(cert.validTo) - Date.now()) / DAY;
  t.true(Math.abs(days - CA_VALIDITY_DAYS) < 1);
  t.true(Date.parse(cert.validFrom) < Date.now());
});

test('a node certificate is signed by the CA, names its addresses, and serves both ends of mTLS', async (t) => {
  const ca = await createCa('Knowd cluster');
  const node = await issueNodeCert(ca, { commonName: 'knowd-1', ips: ['192.168.1.20', '127.0.0.1', 'fe80::1'], dnsNames: ['knowd-1.local', 'localhost'] });
  const cert = new X509Certificate(node.certPem);
  const caCert = new X509Certificate(ca.certPem);
  t.false(cert.ca);
  t.is(cert.subject, 'CN=knowd-1');
  t.is(cert.issuer, caCert.subject);
  t.true(cert.checkIssued(caCert));
  t.true(cert.verify(caCert.publicKey));
  t.true(cert.checkPrivateKey(createPrivateKey(node.keyPem)));
  t.deepEqual(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // serverAuth, clientAuth
  t.is(cert.checkIP('192.168.1.20'), '192.168.1.20');
  t.is(cert.checkIP('fe80::1'), 'fe80::1');
  t.is(cert.checkHost('knowd-1.local'), 'knowd-1.local');
  t.is(cert.checkIP('10.0.0.1'), undefined);
  t.true(Math.abs((Date.parse(cert.validTo) - Date.now()) / DAY - NODE_CERT_VALIDITY_DAYS) < 1);
  const short = new X509Certificate((await issueNodeCert(ca, { commonName: 'n', ips: ['127.0.0.1'], dnsNames: [] }, { validityDays: 30 })).certPem);
  t.true(Math.abs((Date.parse(short.validTo) - Date.now()) / DAY - 30) < 1);
  // Serial numbers differ: every certificate is distinct.
  t.not(short.serialNumber, cert.serialNumber);
  // OpenSSL accepts the pair and the CA as they are.
  t.notThrows(() => tls.createSecureContext({ cert: node.certPem, key: node.keyPem, ca: ca.certPem }));
});

test('bad names and a non-CA issuer are refused before signing', async (t) => {
  const ca = await createCa('CA');
  const node = await issueNodeCert(ca, { commonName: 'n', ips: ['127.0.0.1'], dnsNames: [] });
  const bad = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
    const e = await t.throwsAsync(p, { instanceOf: KnowdError });
    t.is(e?.code, 'CONFIG_INVALID');
    t.regex(e?.message ?? '', re);
  };
  await bad(createCa('x,CN=evil'), /not allowed/);
  await bad(createCa(''), /not allowed/);
  await bad(issueNodeCert(ca, { commonName: 'n', ips: ['300.1.1.1'], dnsNames: [] }), /not an IP address/);
  await bad(issueNodeCert(ca, { commonName: 'n', ips: ['knowd.local'], dnsNames: [] }), /not an IP address/);
  await bad(issueNodeCert(ca, { commonName: 'n', ips: [], dnsNames: ['bad_name!'] }), /not a DNS name/);
  await bad(issueNodeCert(ca, { commonName: 'n', ips: [], dnsNames: [] }), /at least one IP address or DNS name/);
  await bad(issueNodeCert(node, { commonName: 'm', ips: ['127.0.0.1'], dnsNames: [] }), /not a CA certificate/);
  await bad(issueNodeCert({ certPem: ca.certPem, keyPem: 'garbage' }, { commonName: 'm', ips: ['127.0.0.1'], dnsNames: [] }), /Cannot read the cluster CA/);
  await bad(createCa('x', { validityDays: 0 }), /positive number of days/);
  // The CA's key never shows up in an error message.
  const e = await t.throwsAsync(issueNodeCert({ certPem: ca.certPem, keyPem: ca.keyPem.replace('PRIVATE KEY', 'PUBLIC KEY') }, { commonName: 'm', ips: ['127.0.0.1'], dnsNames: [] }));
  t.false((e?.message ?? '').includes(ca.keyPem.split('\n')[1]!.slice(0, 16)));
});
