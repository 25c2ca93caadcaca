/** The signing worker pool: the same signatures as signing in-thread, batched, and never a lost answer. */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../../src/obs/index.js';
import { createEd25519Signer, generateSigningKeyPem, verifyEd25519, type Signer } from '../../../src/receipts/index.js';
import { createSigningPool } from '../../../src/daemon/sign-pool.js';

const log = createLogger('silent');
const signer = createEd25519Signer(generateSigningKeyPem());

test('signatures from the worker equal the in-thread ones, for a burst of one turn and for later ones', async (t) => {
  const pool = createSigningPool(signer, log);
  t.teardown(() => pool.close());
  const data = Array.from({ length: 50 }, () => randomBytes(32));
  const sigs = await Promise.all(data.map((d) => pool.sign(d)));
  t.deepEqual(sigs, data.map((d) => signer.sign(d)));
  t.true(sigs.every((s, i) => verifyEd25519(pool.publicKey(), data[i]!, s)));
  const later = randomBytes(32);
  t.is(await pool.sign(later), signer.sign(later));
  t.is(pool.publicKey(), signer.publicKey());
});

test('a signer without a transferable key signs in-thread; closing answers what is still waiting', async (t) => {
  const keyless: Signer = { publicKey: () => signer.publicKey(), sign: (d) => signer.sign(d) };
  const pool = createSigningPool(keyless, log);
  const d = randomBytes(32);
  t.is(await pool.sign(d), signer.sign(d));
  await pool.close();

  const open = createSigningPool(signer, log);
  const waiting = [randomBytes(32), randomBytes(32)].map((x) => ({ x, p: open.sign(x) }));
  await open.close();
  for (const { x, p } of waiting) t.is(await p, signer.sign(x));
  // After close it still answers, in-thread.
  const after = randomBytes(32);
  t.is(await open.sign(after), signer.sign(after));
});
