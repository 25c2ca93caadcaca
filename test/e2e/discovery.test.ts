/**
 * LAN discovery end to end: three real knowd processes, each in its own network namespace on a bridge
 * (test/helpers/netns.ts), with no KNOWD_PEER_ADDRS, must each list the other two in
 * /v1/cluster/status within a few seconds — once with the pure-JS backend (no dbus in the namespaces,
 * so `auto` falls back to it), once with an avahi-daemon per namespace (so `auto` picks avahi).
 * Then one node stops and its goodbye takes it off the others' lists.
 * Needs root, iproute2 and util-linux (and dbus + avahi-daemon for the second test); without them the
 * tests are skipped with the reason, except under CI=true, where that is a failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { KNOWD_JS, cleanEnv, ensureBuilt } from '../helpers/procs.js';
import { createLab, getJsonUnix, declareNetnsTest, type Lab, type LabNode } from '../helpers/netns.js';

const HTTP_PORT = 18090;
/** The issue asks for "within a few seconds"; measured: about 1-2 s for both backends. */
const DISCOVERY_LIMIT_MS = 10_000;

interface Status {
  nodeUuid: string;
  discovery: { backend: string; peers: { nodeId: string; addresses: string[]; grpcPort: number; provisioned: boolean; clusterId: string; lastSeen: string }[] };
}

interface Running {
  readonly node: LabNode;
  readonly pid: number;
  readonly socket: string;
  readonly log: string;
}

function startNodes(lab: Lab): Running[] {
  ensureBuilt();
  return lab.nodes.map((node) => {
    const dataDir = path.join(node.dir, 'data');
    fs.mkdirSync(dataDir);
    const log = path.join(node.dir, 'knowd.log');
    const child = lab.spawnIn(node, [process.execPath, KNOWD_JS, '--data-dir', dataDir, '--addr', `${node.ip}:${HTTP_PORT}`, '--log-level', 'info'], {
      env: cleanEnv({ KNOWD_DISCOVERY: 'auto', KNOWD_STORE: 'mem', AVAHI_COMPAT_NOWARN: '1' }),
      log,
    });
    if (child.pid === undefined) throw new Error(`knowd did not start in ${node.name}`);
    return { node, pid: child.pid, socket: path.join(dataDir, 'admin.sock'), log };
  });
}

async function status(r: Running): Promise<Status | undefined> {
  try {
    return await getJsonUnix<Status>(r.socket, '/v1/cluster/status');
  } catch {
    return undefined; // Not listening yet.
  }
}

function tail(r: Running): string {
  return fs.existsSync(r.log) ? fs.readFileSync(r.log, 'utf8').slice(-3000) : '(no log)';
}

/** Polls every node until it lists all the others; returns ms from `t0` per node. */
async function waitForMesh(t: ExecutionContext, nodes: readonly Running[], t0: number, backend: string): Promise<number[]> {
  const uuids = new Map<Running, string>();
  const found = new Map<Running, number>();
  const deadline = t0 + DISCOVERY_LIMIT_MS + 20_000; // start-up of three processes on two shared cores, plus the limit
  while (found.size < nodes.length && Date.now() < deadline) {
    for (const r of nodes) {
      if (found.has(r)) continue;
      const s = await status(r);
      if (s === undefined) continue;
      uuids.set(r, s.nodeUuid);
      if (s.discovery.backend === 'starting') continue;
      t.is(s.discovery.backend, backend, `${r.node.name} uses ${backend}`);
      const others = nodes.filter((o) => o !== r).map((o) => uuids.get(o));
      const listed = new Set(s.discovery.peers.map((p) => p.nodeId));
      if (others.every((u) => u !== undefined && listed.has(u))) found.set(r, Date.now() - t0);
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  for (const r of nodes) if (!found.has(r)) t.fail(`${r.node.name} did not see the others:\n${tail(r)}`);
  return nodes.map((r) => found.get(r) ?? NaN);
}

async function discoveryRun(t: ExecutionContext, avahi: boolean): Promise<void> {
  const lab = await createLab(t, { nodes: 3, avahi });
  const t0 = Date.now();
  const nodes = startNodes(lab);
  const backend = avahi ? 'avahi' : 'mdns-js';
  const times = await waitForMesh(t, nodes, t0, backend);
  t.log(`${backend}: each node saw the other two after ${times.map((ms) => `${ms} ms`).join(', ')} (from spawning the three processes)`);
  for (const ms of times) t.true(ms < DISCOVERY_LIMIT_MS + 20_000);

  // Each listed peer carries what a joiner needs: its address on the LAN and its gRPC port.
  const s0 = await status(nodes[0]!);
  for (const p of s0?.discovery.peers ?? []) {
    t.true(p.addresses.some((a) => a.startsWith('198.18.0.')), JSON.stringify(p));
    t.is(p.grpcPort, 8091);
    t.false(p.provisioned);
    t.is(p.clusterId, '');
  }

  if (avahi) {
    // avahi restarts under a running knowd (e.g. a package upgrade): it must rebuild its advertisement
    // and browser against the new daemon, and the peers must see it again.
    const [n1, n2] = [nodes[0]!, nodes[1]!];
    const n1Uuid = (await status(n1))?.nodeUuid;
    const tRestart = Date.now();
    await lab.restartAvahi(n1.node);
    const deadline = tRestart + 20_000;
    let back = false;
    while (!back && Date.now() < deadline) {
      const [s1, s2] = await Promise.all([status(n1), status(n2)]);
      back = s1 !== undefined && s1.discovery.peers.length === 2 && s2 !== undefined && s2.discovery.peers.some((p) => p.nodeId === n1Uuid);
      if (!back) await new Promise((res) => setTimeout(res, 50));
    }
    t.true(back, `after an avahi restart, n1 and its peers do not see each other again:\n${tail(n1)}`);
    t.log(`avahi restart on n1 → n1 and n2 see each other again after ${Date.now() - tRestart} ms`);
  }

  // A graceful stop sends goodbyes: the others drop the node (a hint; heartbeats decide liveness in a cluster).
  const gone = nodes[2]!;
  const goneUuid = (await status(gone))?.nodeUuid;
  const tStop = Date.now();
  process.kill(gone.pid, 'SIGTERM');
  const deadline = tStop + 10_000;
  let dropped = false;
  while (!dropped && Date.now() < deadline) {
    const lists = await Promise.all(nodes.slice(0, 2).map(status));
    dropped = lists.every((s) => s !== undefined && !s.discovery.peers.some((p) => p.nodeId === goneUuid));
    if (!dropped) await new Promise((res) => setTimeout(res, 50));
  }
  t.true(dropped, `the stopped node stays listed:\n${tail(nodes[0]!)}`);
  t.log(`${backend}: goodbye → dropped by both peers after ${Date.now() - tStop} ms`);
}


declareNetnsTest('three nodes without KNOWD_PEER_ADDRS discover each other (pure-JS multicast-dns backend)', [], (t) => discoveryRun(t, false));
declareNetnsTest('three nodes without KNOWD_PEER_ADDRS discover each other (avahi-daemon over D-Bus)', ['dbus-daemon', 'avahi-daemon', 'dbus-send'], (t) => discoveryRun(t, true));
