/**
 * Join tokens and the cluster side of a join: single use, expiry, proof of the secret, the sealed
 * answer, and a certificate signed for the member id (never for names the CSR asks for).
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { FakeClock, KnowdError } from '../../../../src/base/index.js';
import { JoinService, caPinOf, joinProof, parseToken, unseal, type JoinAnswer } from '../../../../src/replication/join/index.js';
import { createCsr } from '../../../../src/replication/transport/certs.js';
import { generateSigningKeyPem } from '../../../../src/receipts/index.js';

async function provisioned(t: import('ava').ExecutionContext): Promise<{ svc: JoinService; clock: FakeClock; token: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-join-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'keys'));
  fs.writeFileSync(path.join(dir, 'keys', 'sign.pem'), generateSigningKeyPem());
  fs.writeFileSync(path.join(dir, 'keys', 'snap.key'), `${'ab'.repeat(32)}\n`);
  const clock = new FakeClock(1_700_000_000_000);
  const svc = new JoinService({ dataDir: dir, memberId: '198.18.0.1:8091', signingKeyPath: path.join(dir, 'keys', 'sign.pem'), snapshotKeyPath: path.join(dir, 'keys', 'snap.key'), clock, tokenTtlMs: 60_000, certValidityDays: 30 });
  const { token } = await svc.init();
  return { svc, clock, token, dir };
}

async function request(token: string, memberId: string): Promise<{ tokenId: string; memberId: string; csrPem: string; proof: string; keyPem: string }> {
  const tk = parseToken(token);
  const csr = await createCsr(memberId);
  return { tokenId: tk.id, memberId, csrPem: csr.csrPem, proof: joinProof(tk.secret, memberId, csr.csrPem), keyPem: csr.keyPem };
}

test('init writes the cluster files; a join gets a sealed answer with a certificate for its member id and the cluster keys', async (t) => {
  const { svc, token, dir } = await provisioned(t);
  t.true(fs.existsSync(path.join(dir, 'cluster', 'cluster.env')));
  t.is(fs.statSync(path.join(dir, 'cluster', 'ca.key')).mode & 0o777, 0o600);
  t.regex(fs.readFileSync(path.join(dir, 'cluster', 'cluster.env'), 'utf8'), /KNOWD_CLUSTER_MODE=leader/);
  const req = await request(token, '198.18.0.2:8091');
  const { sealed } = await svc.join(req, ['198.18.0.1:8091']);
  const answer = JSON.parse(unseal(parseToken(token), sealed)) as JoinAnswer;
  t.is(caPinOf(answer.caCertPem), parseToken(token).caPin);
  const cert = new X509Certificate(answer.certPem);
  t.true(cert.checkIP('198.18.0.2') !== undefined);
  t.true(cert.verify(new X509Certificate(answer.caCertPem).publicKey));
  t.is(answer.snapshotKeyHex, 'ab'.repeat(32));
  t.deepEqual(answer.peers, ['198.18.0.1:8091']);
  // The sealed answer means nothing without the token's secret.
  const other = parseToken(token.replace(/\.[^.]+$/, `.${Buffer.alloc(24, 1).toString('base64url')}`));
  t.is(t.throws(() => unseal(other, sealed), { instanceOf: KnowdError })?.code, 'PEER_REFUSED');
});

test('a token is single-use, expires, and must be proven; an unknown token is refused', async (t) => {
  const { svc, clock, token } = await provisioned(t);
  const wrong = await request(token, '198.18.0.3:8091');
  await t.throwsAsync(svc.join({ ...wrong, proof: 'f'.repeat(64) }, []), { message: /does not prove/ });
  await svc.join(await request(token, '198.18.0.3:8091'), []);
  await t.throwsAsync(svc.join(await request(token, '198.18.0.4:8091'), []), { message: /already used/ });
  const { token: late } = svc.token();
  clock.advance(61_000);
  await t.throwsAsync(svc.join(await request(late, '198.18.0.5:8091'), []), { message: /expired/ });
  const unknown = await request(token.replace(/\.[0-9a-f]{12}\./, '.000000000000.'), '198.18.0.6:8091');
  await t.throwsAsync(svc.join(unknown, []), { message: /Unknown join token/ });
  t.throws(() => parseToken('K1.nope'), { message: /malformed/ });
});

test('init twice is refused; a node without the CA cannot make tokens', async (t) => {
  const { svc, dir } = await provisioned(t);
  await t.throwsAsync(svc.init(), { message: /already belongs/ });
  fs.rmSync(path.join(dir, 'cluster', 'ca.key'));
  t.throws(() => svc.token(), { message: /holds no cluster CA/ });
});
