/**
 * Three real knowd processes on loopback with gRPC over mutual TLS: replication, failover after
 * SIGKILL, catch-up from the log and from a snapshot (also a corrupted one), promotion with a
 * barrier, and a node with a certificate from another CA kept out.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { createCa } from '../../src/replication/transport/certs.js';
import {
  leaderOf, makeCluster, startAll, status, storeDigest, subjects, tlsArgs, triple, tx, waitFor, writeNodeCerts, TEST_TIMING,
  type Cluster, type ClusterNode,
} from '../helpers/cluster.js';
import { freePort, startKnowd } from '../helpers/procs.js';

test.serial('writes on any node land on every node', async (t) => {
  const c = await makeCluster(t, 3);
  await startAll(c);
  await leaderOf(c);
  let maxIndex = 0;
  for (const [i, node] of c.nodes.entries()) {
    const r = await tx(node, triple(i));
    t.is(r.status, 200, JSON.stringify(r.body));
    maxIndex = Math.max(maxIndex, r.body.receipt.logIndex);
  }
  for (const node of c.nodes) {
    const s = await subjects(node, maxIndex);
    t.deepEqual([...s].sort(), ['http://ex/w0', 'http://ex/w1', 'http://ex/w2']);
  }
  const digests = await Promise.all(c.nodes.map((n) => storeDigest(n, maxIndex)));
  t.is(new Set(digests).size, 1);
  // A receipt verifies on every node (same evidence, same shared signing key).
  for (const node of c.nodes) {
    const v = (await (await fetch(`${node.proc!.url}/v1/receipts/default-${maxIndex}/verify`)).json()) as { valid: boolean };
    t.true(v.valid, node.name);
  }
});

/** Writes in a loop through `via` until stopped; returns the subjects of acknowledged writes. */
function writeLoop(c: Cluster, pick: () => ClusterNode, tag: string): { stop(): Promise<{ acked: Map<string, number>; failed: number }> } {
  let running = true;
  const acked = new Map<string, number>();
  let failed = 0;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const node = pick();
      if (node.proc === null) continue;
      try {
        const r = await tx(node, triple(i, tag), { idempotencyKey: `${tag}-${i}`, timeoutMs: 10_000 });
        if (r.status === 200) acked.set(`http://ex/${tag}${i}`, r.body.receipt.logIndex);
        else failed++;
      } catch {
        failed++;
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { acked, failed };
    },
  };
}

test.serial('SIGKILL of the leader under load: a new leader soon, no acknowledged write lost, digests equal after rejoin', async (t) => {
  const c = await makeCluster(t, 3);
  await startAll(c);
  const old = await leaderOf(c);
  const followers = c.nodes.filter((n) => n !== old);
  let k = 0;
  // Writes go to the followers (forwarded to whoever leads) and, before the kill, the leader too.
  const load = writeLoop(c, () => c.nodes[k++ % 3]!, 'k');
  await new Promise((r) => setTimeout(r, 1500));
  const before = await status(old);
  await old.proc!.signal('SIGKILL');
  old.proc = null;
  const killedAt = Date.now();
  const leader = await leaderOf(c, 10_000);
  t.log(`new leader ${leader.memberId} after ${Date.now() - killedAt} ms`);
  t.not(leader, old);
  t.true((await status(leader)).term > before.term);
  await new Promise((r) => setTimeout(r, 1000));
  const { acked, failed } = await load.stop();
  t.log(`${acked.size} writes acknowledged, ${failed} failed or refused during the failover`);
  t.true(acked.size > 10);
  const maxIndex = Math.max(...acked.values());
  for (const f of followers) {
    const have = await subjects(f, maxIndex);
    const missing = [...acked.keys()].filter((s) => !have.has(s));
    t.deepEqual(missing, [], `${f.name} misses acknowledged writes`);
  }
  // The old leader rejoins as a follower and converges.
  await c.start(c.nodes.indexOf(old));
  const commit = (await status(leader)).commitIndex;
  await waitFor('the old leader to catch up', async () => ((await status(old)).appliedIndex >= commit ? true : undefined));
  const digests = await Promise.all(c.nodes.map((n) => storeDigest(n, commit)));
  t.is(new Set(digests).size, 1, digests.join(' '));
  t.is((await status(old)).mode, 'follower');
});

test.serial('a restarted follower catches up from the log; after compaction, from a snapshot; a corrupt snapshot is refetched', async (t) => {
  const c = await makeCluster(t, 3, ['--repl-log-retain', '5']);
  await startAll(c);
  const leader = await leaderOf(c);
  const [f1, f2] = c.nodes.filter((n) => n !== leader) as [ClusterNode, ClusterNode];

  // 1. From the log: stop a follower, write, restart it.
  await f1.proc!.signal('SIGTERM');
  f1.proc = null;
  for (let i = 0; i < 30; i++) t.is((await tx(leader, triple(i, 'l'))).status, 200);
  await c.start(c.nodes.indexOf(f1));
  const commit1 = (await status(leader)).commitIndex;
  t.is((await subjects(f1, commit1)).size, 30);
  t.is((await status(f1)).lastSnapshot, null, 'caught up from the log, no snapshot needed');

  // 2. From a snapshot: stop the other follower, write, snapshot (compacts all but 5 entries).
  await f2.proc!.signal('SIGTERM');
  f2.proc = null;
  for (let i = 0; i < 30; i++) t.is((await tx(leader, triple(i, 's'))).status, 200);
  const snap = await fetch(`${leader.proc!.url}/v1/admin/snapshot`, { method: 'POST' });
  t.is(snap.status, 201, await snap.clone().text());
  const snapBody = (await snap.json()) as { index: number; file: string };
  // 3. Damage the leader's snapshot file: the follower must refuse it, the leader notice and re-take it.
  const file = path.isAbsolute(snapBody.file) ? snapBody.file : path.join(leader.dataDir, snapBody.file);
  const bytes = fs.readFileSync(file);
  const mid = Math.floor(bytes.length / 2);
  bytes[mid] = bytes[mid]! ^ 0xff;
  fs.writeFileSync(file, bytes);
  await c.start(c.nodes.indexOf(f2));
  const commit2 = (await status(leader)).commitIndex;
  t.is((await subjects(f2, commit2)).size, 60);
  const s2 = await status(f2);
  t.not(s2.lastSnapshot, null, 'caught up from a snapshot');
  const metrics = await (await fetch(`${leader.proc!.url}/metrics`)).text();
  t.regex(metrics, /knowd_cluster_snapshots_total\{kind="rejected"\} [1-9]/);
  t.regex(metrics, /knowd_cluster_snapshots_total\{kind="sent"\} [1-9]/);
  const digests = await Promise.all(c.nodes.map((n) => storeDigest(n, commit2)));
  t.is(new Set(digests).size, 1);
});

test.serial('promotion with barrier "latest" moves leadership to the follower and keeps every write', async (t) => {
  const c = await makeCluster(t, 3);
  await startAll(c);
  const old = await leaderOf(c);
  const target = c.nodes.find((n) => n !== old)!;
  let k = 0;
  const load = writeLoop(c, () => c.nodes[k++ % 3]!, 'p');
  await new Promise((r) => setTimeout(r, 1000));
  const res = await fetch(`${target.proc!.url}/v1/admin/promote-follower`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ barrier: 'latest' }) });
  t.is(res.status, 200, await res.clone().text());
  t.is(((await res.json()) as { leader: string }).leader, target.memberId);
  await new Promise((r) => setTimeout(r, 1000));
  const { acked } = await load.stop();
  t.is((await leaderOf(c)).memberId, target.memberId);
  const maxIndex = Math.max(...acked.values());
  for (const n of c.nodes) {
    const have = await subjects(n, maxIndex);
    t.deepEqual([...acked.keys()].filter((s) => !have.has(s)), []);
  }
  const audit = fs.readFileSync(path.join(target.dataDir, 'audit.log'), 'utf8');
  t.regex(audit, /"action":"promote"[^\n]*"outcome":"ok"/);
});

test.serial('a node whose certificate comes from another CA cannot join', async (t) => {
  const c = await makeCluster(t, 3);
  await startAll(c);
  const leader = await leaderOf(c);
  const before = await status(leader);
  const rogueCa = await createCa('rogue-ca');
  const certDir = path.join(c.dir, 'rogue', 'certs');
  await writeNodeCerts(certDir, rogueCa, 'rogue');
  const grpcPort = await freePort();
  const dataDir = path.join(c.dir, 'rogue', 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const peers = [...c.nodes.map((n) => n.memberId), `127.0.0.1:${grpcPort}`].join(',');
  // The rogue never becomes healthy (no leader reachable), so start it without waiting on /healthz.
  const rogue = startKnowd(t, {
    dataDir,
    startTimeoutMs: 4000,
    args: ['--cluster-mode', 'follower', '--grpc-addr', `127.0.0.1:${grpcPort}`, '--peer-addrs', peers, '--snapshot-key', c.keyFile, ...tlsArgs(certDir), ...TEST_TIMING],
  });
  await t.throwsAsync(rogue, { message: /did not become healthy/ });
  const after = await status(leader);
  t.is(after.term, before.term, 'the rogue did not disturb the cluster');
  t.is((await leaderOf(c)).memberId, leader.memberId);
  t.is((await tx(leader, triple(1, 'r'))).status, 200);
});

test.serial('a new node joins as a learner, catches up, becomes a voter; removing it shrinks the cluster again', async (t) => {
  const c = await makeCluster(t, 3);
  await startAll(c);
  const leader = await leaderOf(c);
  for (let i = 0; i < 20; i++) t.is((await tx(leader, triple(i, 'j'))).status, 200);
  // The fourth node: its own certificate from the cluster CA, the members as its peers.
  const certDir = path.join(c.dir, 'n3', 'certs');
  await writeNodeCerts(certDir, c.ca, 'n3');
  const grpcPort = await freePort();
  const memberId = `127.0.0.1:${grpcPort}`;
  const dataDir = path.join(c.dir, 'n3', 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const peers = [...c.nodes.map((n) => n.memberId), memberId].join(',');
  const started = startKnowd(t, {
    dataDir,
    startTimeoutMs: 30_000,
    args: ['--cluster-mode', 'follower', '--grpc-addr', memberId, '--peer-addrs', peers, '--snapshot-key', c.keyFile, '--signing-key', c.signingKeyFile, ...tlsArgs(certDir), ...TEST_TIMING],
  });
  const add = await fetch(`${leader.proc!.url}/v1/admin/members`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: memberId }) });
  t.is(add.status, 200, await add.clone().text());
  t.true(((await add.json()) as { voters: string[] }).voters.includes(memberId));
  const proc = await started;
  const joined: ClusterNode = { name: 'n3', grpcPort, dataDir, certDir, memberId, proc };
  const commit = (await status(leader)).commitIndex;
  t.is((await subjects(joined, commit)).size, 20);
  t.is((await status(joined)).leader, leader.memberId);
  // Writes keep committing with four voters (majority 3), through the new node too.
  t.is((await tx(joined, triple(99, 'j'))).status, 200);

  const del = await fetch(`${leader.proc!.url}/v1/admin/members/${encodeURIComponent(memberId)}`, { method: 'DELETE' });
  t.is(del.status, 200, await del.clone().text());
  t.false(((await del.json()) as { voters: string[] }).voters.includes(memberId));
  const audit = fs.readFileSync(path.join(leader.dataDir, 'audit.log'), 'utf8');
  t.regex(audit, /"action":"membership.change"[^\n]*"change":"add"[^\n]*"outcome":"ok"|"outcome":"ok"[^\n]*"change":"add"/);
  t.is((await tx(leader, triple(100, 'j'))).status, 200);
});
