/**
 * Certificate rotation without restart: the transports watch their TLS files; after new files
 * (signed by a new CA) land, new connections use them, peers still on the old CA are refused both
 * ways (also on connections opened before the rotation), and a half-written set is not taken.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { createCa, issueNodeCert, type CertBundle } from '../../../../src/replication/transport/certs.js';
import type { TestNode } from './_fixtures.js';
import { clusterCa, eventually, startCluster, startNode, tempDir, writeAtomic, writeNodeTls } from './_fixtures.js';

/** The certificate a fresh TLS connection to `port` is served, as a client of `ca`. */
async function servedFingerprint(port: number, ca: CertBundle, client: CertBundle): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, cert: client.certPem, key: client.keyPem, ALPNProtocols: ['h2'] }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.on('error', reject);
  });
}

/**
 * Calls and raft messages get through. Retried for a while: a node that reloaded first may have
 * tried its peer while the peer still served the old certificate, and reconnects after a backoff.
 */
async function flows(t: import('ava').ExecutionContext, from: TestNode, to: TestNode): Promise<void> {
  let last: unknown = null;
  await eventually(async () => {
    try {
      return (await from.transport.forward(to.id, { kind: 'ping', body: '{}' }, 2000)).ok;
    } catch (e) {
      last = e;
      return false;
    }
  }, 10_000, `forward ${from.id} → ${to.id} (last error: ${String(last)})`);
  const before = to.rec.messages.length;
  from.transport.send({ type: 'heartbeat', from: from.id, to: to.id, term: 1, commit: 0 });
  await to.rec.until(() => to.rec.messages.length > before, 10_000, `raft ${from.id} → ${to.id}`);
}

async function refused(t: import('ava').ExecutionContext, from: TestNode, to: TestNode, why: RegExp): Promise<void> {
  const e = await t.throwsAsync(from.transport.forward(to.id, { kind: 'ping', body: '{}' }, 5000), { instanceOf: KnowdError });
  t.is(e?.code, 'PEER_REFUSED', `${from.id} → ${to.id}: ${e?.message}`);
  t.regex(e?.message ?? '', why);
}

test('rotation to a new CA: new connections use the new files, old-CA peers are refused both ways', async (t) => {
  const nodes = await startCluster(t, 3, { tlsRefreshMs: 100 });
  const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
  for (const x of nodes) for (const y of nodes) if (x !== y) await flows(t, x, y);
  const oldFp = a.transport.certificateFingerprint;

  // Rotate a and b to a new CA; c stays on the old one (it missed the rotation).
  const ca2 = await createCa('Knowd rotated CA');
  await writeNodeTls(path.dirname(a.tls.certPath), ca2, 'a2');
  await writeNodeTls(path.dirname(b.tls.certPath), ca2, 'b2');
  await eventually(() => a.transport.certificateFingerprint !== oldFp && b.transport.certificateFingerprint !== oldFp, 10_000, 'the reload');
  const newA = new X509Certificate(fs.readFileSync(a.tls.certPath)).fingerprint256;
  t.is(a.transport.certificateFingerprint, newA);

  // A new connection to a is served the new certificate.
  const probe = await issueNodeCert(ca2, { commonName: 'probe', ips: ['127.0.0.1'], dnsNames: ['localhost'] });
  t.is(await servedFingerprint(a.transport.port, ca2, probe), newA);
  // ... and a client of the old CA gets no handshake at all.
  const oldProbe = await issueNodeCert(await clusterCa(), { commonName: 'old-probe', ips: ['127.0.0.1'], dnsNames: [] });
  await t.throwsAsync(servedFingerprint(a.transport.port, await clusterCa(), oldProbe));

  await flows(t, a, b);
  await flows(t, b, a);
  // c still has its connections to a and b from before the rotation (a server does not drop them):
  // calls on them are refused by the per-call check against the CA trusted now.
  await refused(t, c, a, /not signed by the cluster CA .* trusts now/);
  await refused(t, c, b, /not signed by the cluster CA .* trusts now/);
  // a and b reconnected with the new material, and c's server certificate fails their check.
  await refused(t, a, c, /Mutual TLS .* failed/);
  await refused(t, b, c, /Mutual TLS .* failed/);
  const seen = a.rec.messages.length;
  c.transport.send({ type: 'heartbeat', from: c.id, to: a.id, term: 9, commit: 0 });
  await new Promise((r) => setTimeout(r, 300));
  t.is(a.rec.messages.length, seen);

  // c rotates too: the whole cluster talks again, on the new CA.
  await writeNodeTls(path.dirname(c.tls.certPath), ca2, 'c2');
  for (const x of nodes) for (const y of nodes) if (x !== y) await flows(t, x, y);
});

test('a half-written file set is not taken; the complete one is', async (t) => {
  const dir = tempDir(t);
  const ca = await clusterCa();
  const a = await startNode(t, dir, 'a', ca, { tlsRefreshMs: 60_000 });
  const fp = a.transport.certificateFingerprint;
  const ca2 = await createCa('Next CA');
  const next = await issueNodeCert(ca2, { commonName: 'a', ips: ['127.0.0.1'], dnsNames: ['localhost'] });

  writeAtomic(a.tls.caPath, ca2.certPem); // the CA first: our certificate is not signed by it
  t.false(await a.transport.reloadTls());
  writeAtomic(a.tls.certPath, next.certPem); // the certificate without its key
  t.false(await a.transport.reloadTls());
  t.is(a.transport.certificateFingerprint, fp);
  writeAtomic(a.tls.keyPath, next.keyPem);
  t.true(await a.transport.reloadTls());
  t.is(a.transport.certificateFingerprint, new X509Certificate(next.certPem).fingerprint256);
  t.false(await a.transport.reloadTls()); // unchanged files: nothing to do
});
