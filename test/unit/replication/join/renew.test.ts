import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { FakeClock } from '../../../../src/base/index.js';
import { CertRenewer, certValidity, renewAtMs, subjectOf } from '../../../../src/replication/join/index.js';
import { createCa, issueNodeCert } from '../../../../src/replication/transport/certs.js';

const DAY = 86_400_000;

test('a certificate is renewed after two thirds of its lifetime', (t) => {
  t.is(renewAtMs(0, 30 * DAY), 20 * DAY);
  t.is(renewAtMs(1000, 1000 + 3 * DAY), 1000 + 2 * DAY);
});

async function setup(t: import('ava').ExecutionContext, withCaKey: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-renew-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ca = await createCa('knowd-test');
  const memberId = '198.18.0.7:8091';
  const node = await issueNodeCert(ca, subjectOf(memberId, memberId), { validityDays: 3 });
  const paths = { caCert: path.join(dir, 'ca.crt'), caKey: path.join(dir, 'ca.key') };
  fs.writeFileSync(paths.caCert, ca.certPem);
  if (withCaKey) fs.writeFileSync(paths.caKey, ca.keyPem, { mode: 0o600 });
  const certPath = path.join(dir, 'node.crt');
  const keyPath = path.join(dir, 'node.key');
  fs.writeFileSync(certPath, node.certPem);
  fs.writeFileSync(keyPath, node.keyPem, { mode: 0o600 });
  const start = certValidity(node.certPem);
  const clock = new FakeClock(start.notBeforeMs);
  const events: string[] = [];
  let reloads = 0;
  const renewer = new CertRenewer({
    paths, certPath, keyPath, memberId, validityDays: 3, clock, checkMs: 60_000,
    reload: async () => void reloads++,
    onRenewed: ({ from, to }) => events.push(`renewed ${from.fingerprint} -> ${to.fingerprint}`),
    onFailed: (e) => events.push(`failed ${e.message}`),
  });
  return { ca, certPath, keyPath, start, clock, events, renewer, reloads: () => reloads };
}

test('not due: nothing changes; due: a new key pair and certificate with the same names, taken by the transport and reported', async (t) => {
  const s = await setup(t, true);
  const before = fs.readFileSync(s.certPath, 'utf8');
  s.clock.advance(DAY);
  t.is(await s.renewer.check(), 'not-due');
  t.is(fs.readFileSync(s.certPath, 'utf8'), before);
  t.is(s.reloads(), 0);

  s.clock.advance(DAY + DAY / 2); // 2.5 of 3 days
  t.is(await s.renewer.check(), 'renewed');
  const cert = new X509Certificate(fs.readFileSync(s.certPath));
  t.not(cert.fingerprint256, s.start.fingerprint);
  t.true(cert.checkPrivateKey(createPrivateKey(fs.readFileSync(s.keyPath))), 'the new key matches the new certificate');
  t.true(cert.verify(new X509Certificate(s.ca.certPem).publicKey), 'signed by the cluster CA');
  t.regex(cert.subjectAltName ?? '', /198\.18\.0\.7/);
  t.is(fs.statSync(s.keyPath).mode & 0o777, 0o600);
  t.is(s.reloads(), 1);
  t.is(s.events.length, 1);
  t.regex(s.events[0]!, /^renewed /);
  const st = s.renewer.status();
  t.true(st.managed);
  t.is(st.lastError, null);
  t.truthy(st.lastRenewedAt);
});

test('a node without the CA key (certificates made by hand) is left alone', async (t) => {
  const s = await setup(t, false);
  s.clock.advance(10 * DAY);
  t.is(await s.renewer.check(), 'no-ca-key');
  t.false(s.renewer.status().managed);
  t.is(s.reloads(), 0);
});

test('a failed renewal is reported, changes nothing, and is retried at the next check', async (t) => {
  const s = await setup(t, true);
  const before = fs.readFileSync(s.certPath, 'utf8');
  fs.writeFileSync(path.join(path.dirname(s.certPath), 'ca.key'), 'not a key');
  s.clock.advance(3 * DAY);
  await t.throwsAsync(s.renewer.check());
  t.is(fs.readFileSync(s.certPath, 'utf8'), before);
  t.regex(s.events[0] ?? '', /^failed /);
  t.truthy(s.renewer.status().lastError);
});
