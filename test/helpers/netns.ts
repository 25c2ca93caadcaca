/**
 * A small LAN made of network namespaces, for discovery tests: one namespace holds a bridge, and each
 * node namespace has a veth `eth0` on it at 198.18.0.<n>/24 (the benchmarking range, RFC 2544, never
 * routed). Each node also gets its own mount and UTS namespace (a private /run and host name), held
 * open by a `sleep` process, so it can run its own dbus-daemon and avahi-daemon without seeing the
 * host's. Nothing runs in the host's network namespace, and every namespace, process (by PID) and
 * directory is removed at teardown, even when the test fails.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';

const SUBNET = '198.18.0';
/** Every namespace of this helper starts so; the creator's PID follows, to clean up after a crashed run. */
const PREFIX = 'kdt';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why namespace tests cannot run here, or undefined when they can. */
export function netnsUnavailable(extra: readonly string[] = []): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root (CI runs as root)';
  const missing = ['ip', 'unshare', 'nsenter', ...extra].filter((c) => !has(c));
  if (missing.length > 0) return `missing commands: ${missing.join(', ')} (apt-get install iproute2 util-linux dbus avahi-daemon)`;
  return undefined;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killPid(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

/** Removes namespaces left by an earlier run of this helper whose process is gone. */
function removeStale(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of list.split('\n')) {
    const m = new RegExp(`^(${PREFIX}(\\d+)-\\S+)`).exec(line.trim());
    if (m?.[1] !== undefined && !alive(Number(m[2]))) spawnSync('ip', ['netns', 'del', m[1]], { stdio: 'ignore' });
  }
}

export interface LabNode {
  readonly name: string;
  readonly netns: string;
  readonly ip: string;
  readonly hostname: string;
  /** PID of the process holding the node's mount/UTS namespaces; enter with nsenter -t. */
  readonly holderPid: number;
  readonly dir: string;
}

export interface Lab {
  readonly nodes: readonly LabNode[];
  readonly dir: string;
  /** Starts a process inside a node (its network, mount and UTS namespaces); it is killed at teardown. */
  spawnIn(node: LabNode, argv: readonly string[], opts: { env: NodeJS.ProcessEnv; log: string }): ChildProcess;
  /** Runs a command inside a node and returns its exit status. */
  runIn(node: LabNode, argv: readonly string[]): number | null;
  /** Stops the node's avahi-daemon (SIGTERM: it sends goodbyes) and starts a new one, as a package upgrade would. */
  restartAvahi(node: LabNode): Promise<void>;
}

export interface LabOptions {
  readonly nodes: number;
  /** Start dbus-daemon and avahi-daemon in every node (and wait until avahi answers on its bus). */
  readonly avahi: boolean;
}

const AVAHI_CONF = `[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
[rlimits]
`;

/** Builds the namespaces; everything is registered with t.teardown before it exists. */
export async function createLab(t: ExecutionContext, opts: LabOptions): Promise<Lab> {
  removeStale();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-netns-'));
  const tag = `${PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const namespaces: string[] = [];
  const pids: number[] = [];
  const pidFiles: string[] = [];
  // ava runs teardowns last-registered first; this one is registered first, so it runs after the
  // test's own (which stop knowd) and removes the daemons, holders, namespaces and files.
  t.teardown(async () => {
    const extra = pidFiles.map((f) => Number(fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : NaN)).filter((n) => Number.isInteger(n) && n > 0);
    for (const pid of [...pids].reverse()) await killPid(pid, 2000);
    for (const pid of extra) await killPid(pid, 2000);
    for (const ns of namespaces.reverse()) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const bridgeNs = `${tag}-br`;
  ip('netns', 'add', bridgeNs);
  namespaces.push(bridgeNs);
  ip('-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', bridgeNs, 'link', 'set', 'br0', 'up');
  fs.writeFileSync(path.join(dir, 'avahi-daemon.conf'), AVAHI_CONF);

  const nodes: LabNode[] = [];
  for (let i = 1; i <= opts.nodes; i++) {
    const name = `n${i}`;
    const netns = `${tag}-${name}`;
    const addr = `${SUBNET}.${i}`;
    ip('netns', 'add', netns);
    namespaces.push(netns);
    // Both veth ends are created inside the lab's namespaces: the host's links are never touched.
    ip('-n', bridgeNs, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    ip('-n', bridgeNs, 'link', 'set', `v${i}`, 'master', 'br0', 'up');
    ip('-n', netns, 'link', 'set', 'lo', 'up');
    ip('-n', netns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    // Multicast sent without a pinned interface needs a route; there is no default route here.
    ip('-n', netns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');

    const nodeDir = path.join(dir, name);
    fs.mkdirSync(nodeDir);
    const hostname = `knode-${name}`;
    const dbusPid = path.join(nodeDir, 'dbus.pid');
    const avahiPid = path.join(nodeDir, 'avahi.pid');
    pidFiles.push(dbusPid, avahiPid);
    const daemons = opts.avahi
      ? `dbus-daemon --config-file=/usr/share/dbus-1/system.conf --nofork --nopidfile >>${nodeDir}/dbus.log 2>&1 & echo $! > ${dbusPid}
         for _ in $(seq 100); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.05; done
         avahi-daemon -f ${dir}/avahi-daemon.conf --no-chroot --no-drop-root --no-rlimits >>${nodeDir}/avahi.log 2>&1 & echo $! > ${avahiPid}`
      : '';
    // A private /run hides the host's dbus and avahi sockets; the host name is what avahi publishes.
    const script = `set -e
      mount -t tmpfs -o mode=755 tmpfs /run
      mkdir -p /run/dbus /run/avahi-daemon
      hostname ${hostname}
      ${daemons}
      exec sleep infinity`;
    const holder = spawn('ip', ['netns', 'exec', netns, 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'bash', '-c', script], {
      stdio: ['ignore', fs.openSync(path.join(nodeDir, 'holder.log'), 'a'), fs.openSync(path.join(nodeDir, 'holder.log'), 'a')],
    });
    if (holder.pid === undefined) throw new Error(`cannot start the namespace holder of ${name}`);
    pids.push(holder.pid);
    nodes.push({ name, netns, ip: addr, hostname, holderPid: holder.pid, dir: nodeDir });
  }

  const runIn = (node: LabNode, argv: readonly string[]): number | null =>
    spawnSync('nsenter', ['-t', String(node.holderPid), '-n', '-m', '-u', '--', ...argv], { stdio: 'ignore', timeout: 10_000 }).status;

  // Wait until each holder runs `sleep` (mount and host name done) and, with avahi, until avahi answers.
  for (const node of nodes) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ready = fs.existsSync(`/proc/${node.holderPid}/cmdline`) && fs.readFileSync(`/proc/${node.holderPid}/cmdline`, 'utf8').startsWith('sleep')
        && (!opts.avahi || runIn(node, ['dbus-send', '--system', '--print-reply', '--dest=org.freedesktop.Avahi', '/', 'org.freedesktop.Avahi.Server.GetState']) === 0);
      if (ready) break;
      if (Date.now() > deadline || !alive(node.holderPid)) {
        const logs = ['holder.log', 'dbus.log', 'avahi.log'].map((f) => path.join(node.dir, f)).filter((f) => fs.existsSync(f)).map((f) => `${path.basename(f)}: ${fs.readFileSync(f, 'utf8').slice(-1500)}`);
        throw new Error(`node ${node.name} did not come up:\n${logs.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return {
    nodes,
    dir,
    spawnIn(node, argv, o) {
      const fd = fs.openSync(o.log, 'a');
      const child = spawn('nsenter', ['-t', String(node.holderPid), '-n', '-m', '-u', `--wd=${node.dir}`, '--', ...argv], { env: o.env, stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      // nsenter without -p execs the command, so this PID is the command's own.
      if (child.pid !== undefined) pids.push(child.pid);
      return child;
    },
    runIn,
    async restartAvahi(node) {
      const pidFile = path.join(node.dir, 'avahi.pid');
      await killPid(Number(fs.readFileSync(pidFile, 'utf8').trim()), 5000);
      const fd = fs.openSync(path.join(node.dir, 'avahi.log'), 'a');
      const child = spawn('nsenter', ['-t', String(node.holderPid), '-n', '-m', '-u', '--', 'avahi-daemon', '-f', path.join(dir, 'avahi-daemon.conf'), '--no-chroot', '--no-drop-root', '--no-rlimits'], { stdio: ['ignore', fd, fd] });
      fs.closeSync(fd);
      if (child.pid !== undefined) fs.writeFileSync(pidFile, String(child.pid));
    },
  };
}

/** GET over a Unix socket (knowd's admin socket): reachable from the host without entering the namespace. */
export function getJsonUnix<T>(socketPath: string, urlPath: string, timeoutMs = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: urlPath, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${urlPath} answered ${res.statusCode}: ${body.slice(0, 300)}`));
        else {
          try {
            resolve(JSON.parse(body) as T);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** POST JSON over a Unix socket; resolves with the status and parsed body (errors included). */
export function postJsonUnix<T>(socketPath: string, urlPath: string, body: unknown, headers: Readonly<Record<string, string>> = {}, timeoutMs = 10_000): Promise<{ status: number; body: T }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: urlPath, method: 'POST', timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Declares a serial test that needs network namespaces (and `extra` programs): run it when the box can,
 * fail it under CI=true when it cannot (CI must run it), else skip it with the reason.
 */
export function declareNetnsTest(title: string, extra: readonly string[], run: (t: ExecutionContext) => Promise<void>): void {
  const reason = netnsUnavailable(extra);
  if (reason === undefined) test.serial(title, run);
  else if (process.env['CI'] === 'true') test.serial(title, (t) => t.fail(`CI must run this test, but ${reason}`));
  else test.skip(`${title} — skipped: ${reason}`, () => undefined);
}
