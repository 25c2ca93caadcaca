/**
 * Zero-touch provisioning on loopback: `knowdctl cluster init` on a running single node, restart
 * (it leads a one-voter cluster from its cluster.env), `knowdctl cluster join` for a second node,
 * which starts with no cluster flags at all, is admitted as a learner and becomes a voter with the
 * data; a spent token is refused.
 */
import path from 'node:path';
import test from 'ava';
import { untilAsync } from '../helpers/until.js';
import { freePort, getJson, knowdctl, startKnowd, tmpDir, type Knowd } from '../helpers/procs.js';

interface Status {
  readonly mode: string;
  readonly leader: string | null;
  readonly voters: readonly string[];
  readonly commitIndex: number;
  readonly appliedIndex: number;
}



test.serial('cluster init, restart, join: the second node becomes a voter with the data; a token works once', async (t) => {
  const root = tmpDir(t, 'knowd-join-');
  const aDir = path.join(root, 'a');
  const bDir = path.join(root, 'b');
  const aGrpc = `127.0.0.1:${await freePort()}`;
  const bGrpc = `127.0.0.1:${await freePort()}`;
  const timing = ['--cluster-heartbeat', '100ms', '--cluster-election-timeout', '600ms'];

  let a: Knowd = await startKnowd(t, { dataDir: aDir, args: ['--grpc-addr', aGrpc, ...timing] });
  const init = await knowdctl(t, ['--data-dir', aDir, '--json', 'cluster', 'init']);
  t.is(init.code, 0, init.stderr);
  const { clusterId, token } = JSON.parse(init.stdout) as { clusterId: string; token: string };
  t.regex(clusterId, /^[0-9a-f-]{36}$/);
  t.regex(token, /^K1\./);

  await a.signal('SIGTERM');
  a = await startKnowd(t, { dataDir: aDir, args: ['--grpc-addr', aGrpc, ...timing] });
  const sa = await untilAsync('A to lead its cluster', async () => {
    const s = await getJson<Status>(`${a.url}/v1/cluster/status`);
    return s.mode === 'leader' ? s : undefined;
  });
  t.deepEqual(sa.voters, [aGrpc]);
  const txRes = await fetch(`${a.url}/v1/tx`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ add: '<http://ex/s> <http://ex/p> "before the join" .', format: 'n-triples' }) });
  t.is(txRes.status, 200);

  const join = await knowdctl(t, ['--data-dir', bDir, '--json', 'cluster', 'join', '--token', token, '--url', a.url, '--grpc-addr', bGrpc]);
  t.is(join.code, 0, join.stderr);
  t.is((JSON.parse(join.stdout) as { clusterId: string }).clusterId, clusterId);
  const b = await startKnowd(t, { dataDir: bDir, args: timing, startTimeoutMs: 30_000 });
  await untilAsync('B to be a voter', async () => {
    const s = await getJson<Status>(`${a.url}/v1/cluster/status`);
    return s.voters.includes(bGrpc) ? true : undefined;
  });
  const commit = (await getJson<Status>(`${a.url}/v1/cluster/status`)).commitIndex;
  const q = await fetch(`${b.url}/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-knowd-min-index': String(commit) }, body: JSON.stringify({ query: 'SELECT ?o WHERE { <http://ex/s> <http://ex/p> ?o }' }) });
  t.deepEqual(((await q.json()) as { rows: { o: string }[] }).rows, [{ o: 'before the join' }]);
  // Writes through the new node reach the leader (two voters: both must have it).
  const viaB = await fetch(`${b.url}/v1/tx`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ add: '<http://ex/s2> <http://ex/p> "via b" .', format: 'n-triples' }) });
  t.is(viaB.status, 200);

  // The token is spent.
  const again = await knowdctl(t, ['--data-dir', path.join(root, 'c'), 'cluster', 'join', '--token', token, '--url', a.url, '--grpc-addr', `127.0.0.1:${await freePort()}`]);
  t.is(again.code, 1);
  t.regex(again.stderr, /already used/);
});
