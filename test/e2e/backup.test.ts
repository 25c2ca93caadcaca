/**
 * knowdctl backup → restore: a whole node (data at one log index, receipts, node id, keys, cluster
 * files, settings) survives the round trip into a fresh data directory and in place; a damaged backup
 * or a running knowd is refused with the data directory untouched.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import type { Receipt } from '../../src/receipts/index.js';
import type { StoreStats, TxResponse, VerifyResponse } from '../helpers/http-app.js';
import { KNOWDCTL_JS, cleanEnv, getJson, knowdctl, sendJson, startKnowd, tmpDir } from '../helpers/procs.js';

const quadsOf = (s: StoreStats, ns = 'default'): number => s.namespaces.find((n) => n.name === ns)?.quads ?? -1;
const add = (url: string, s: string): Promise<{ status: number; body: TxResponse }> =>
  sendJson<TxResponse>(`${url}/v1/tx`, 'POST', { add: `<http://example.org/${s}> <http://example.org/p> "${s}" .`, format: 'n-triples', actor: 'backup-test' });

/** Every file under `dir` with its content, for "nothing changed" checks. */
function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const n of fs.readdirSync(path.join(dir, rel))) {
      const r = path.join(rel, n);
      const st = fs.lstatSync(path.join(dir, r));
      if (st.isDirectory()) walk(r);
      else if (st.isFile()) out[r] = fs.readFileSync(path.join(dir, r)).toString('base64');
    }
  };
  walk('');
  return out;
}

test('backup → restore keeps data, receipts, node identity, keys and settings; refuses a running node and a damaged file', async (t) => {
  const dir = tmpDir(t, 'knowd-backup-');
  const dataDir = path.join(dir, 'data');
  const node = await startKnowd(t, { dataDir });
  const ctl = (args: readonly string[], d = dataDir) => knowdctl(t, ['--data-dir', d, ...args], { timeoutMs: 60_000 });

  const tx = await add(node.url, 'kept');
  t.is(tx.status, 200);
  const init = await ctl(['--json', 'cluster', 'init']);
  t.is(init.code, 0, init.stderr);
  const { clusterId } = JSON.parse(init.stdout) as { clusterId: string };
  const status = JSON.parse((await ctl(['--json', 'status'])).stdout) as { cluster: { nodeId: string } };
  const nodeId = status.cluster.nodeId;
  const pub = (await getJson<VerifyResponse>(`${node.url}/v1/receipts/${tx.body.receipt.id}/verify`)).pub;

  const file = path.join(dir, 'node.knowd-backup');
  const b = await ctl(['--json', 'backup', file]);
  t.is(b.code, 0, b.stderr);
  const made = JSON.parse(b.stdout) as { index: number; nodeId: string; sizeBytes: number };
  t.is(made.nodeId, nodeId);
  t.true(made.index >= tx.body.receipt.logIndex);
  t.is(fs.statSync(file).mode & 0o777, 0o600, 'the backup holds private keys');
  t.deepEqual(fs.readdirSync(dataDir).filter((n) => n.startsWith('.backup-')), [], 'the staging directory is gone');
  const check = await ctl(['--json', 'restore', '--check', file]);
  t.is(check.code, 0, check.stderr);
  t.like(JSON.parse(check.stdout), { valid: true, nodeId, index: made.index });

  // "-" streams the same kind of archive to stdout.
  const piped = path.join(dir, 'piped.tar');
  execFileSync('sh', ['-c', `"${process.execPath}" "${KNOWDCTL_JS}" --data-dir "${dataDir}" backup - > "${piped}"`], { env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  t.is((await ctl(['restore', '--check', piped])).code, 0);

  // Written after the backup: gone after the restore.
  t.is((await add(node.url, 'after-backup')).status, 200);

  // While knowd runs, restore is refused and changes nothing.
  const before = snapshotTree(dataDir);
  const busy = await ctl(['restore', '--no-settings', file]);
  t.is(busy.code, 1, busy.stdout);
  t.regex(busy.stderr, /in use by knowd process/);
  t.is((await node.signal('SIGTERM')).code, 0);

  // A damaged backup (one byte flipped in the snapshot's bytes) is refused before anything is touched.
  const damaged = path.join(dir, 'damaged.tar');
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(Buffer.from('KNSNAP')) >= 0 ? bytes.indexOf(Buffer.from('KNSNAP')) + 100 : Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  fs.writeFileSync(damaged, bytes);
  const stopped = snapshotTree(dataDir);
  const bad = await ctl(['restore', '--no-settings', damaged]);
  t.is(bad.code, 1, bad.stdout);
  t.regex(bad.stderr, /Not a usable Knowd backup/);
  t.deepEqual(snapshotTree(dataDir), stopped, 'nothing changed');
  t.notDeepEqual(before, {}, 'sanity');

  // Into a fresh data directory (a replacement box), with the settings.
  const fresh = path.join(dir, 'fresh');
  const envFile = path.join(dir, 'etc', 'knowd.env');
  fs.mkdirSync(path.dirname(envFile));
  fs.writeFileSync(envFile, 'KNOWD_LOG_LEVEL=debug\n', { mode: 0o640 });
  const r = await ctl(['--json', 'restore', '--env-file', envFile, file], fresh);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.like(JSON.parse(r.stdout), { restored: true, nodeId, index: made.index, settingsWritten: envFile });
  t.regex(fs.readFileSync(envFile, 'utf8'), /^KNOWD_DISCOVERY=off$/m, 'the settings knowd ran with');
  t.is(fs.readFileSync(`${envFile}.pre-restore`, 'utf8'), 'KNOWD_LOG_LEVEL=debug\n');
  t.is(fs.statSync(path.join(fresh, 'keys', 'node-ed25519.pem')).mode & 0o777, 0o600);

  const restored = await startKnowd(t, { dataDir: fresh });
  const cluster = await getJson<{ nodeId: string; nodeUuid: string }>(`${restored.url}/v1/cluster/status`);
  t.is(cluster.nodeUuid, nodeId, 'node identity survives');
  const stats = await getJson<StoreStats>(`${restored.url}/v1/store/stats`);
  t.is(quadsOf(stats), 1, 'the data at the backup\'s index, not what came after');
  const got = await getJson<Receipt>(`${restored.url}/v1/receipts/${tx.body.receipt.id}`);
  t.deepEqual(got, tx.body.receipt);
  const v = await getJson<VerifyResponse>(`${restored.url}/v1/receipts/${tx.body.receipt.id}/verify`);
  t.true(v.valid);
  t.is(v.pub, pub, 'signed by the same key');
  const next = await add(restored.url, 'next');
  t.is(next.status, 200);
  t.is(next.body.receipt.prevHash, tx.body.receipt.hash, 'new receipts chain onto the restored ones');
  t.is(JSON.parse(fs.readFileSync(path.join(fresh, 'cluster', 'cluster.json'), 'utf8')).clusterId, clusterId, 'cluster files survive');
  await restored.signal('SIGTERM');

  // In place, keeping the old data aside.
  const inPlace = await ctl(['--json', 'restore', '--no-settings', '--keep-old', file]);
  t.is(inPlace.code, 0, inPlace.stderr);
  const out = JSON.parse(inPlace.stdout) as { oldData: string };
  t.true(fs.existsSync(path.join(out.oldData, 'store')), 'the replaced store is kept');
  const again = await startKnowd(t, { dataDir });
  t.is(quadsOf(await getJson<StoreStats>(`${again.url}/v1/store/stats`)), 1);
});
