/**
 * The first-boot provisioner's IO edge. Every path is under `root` and every effect on the running
 * system (commands, the console, randomness, hardware) goes through `System`, so a test runs it on a
 * temporary root, twice, and checks that the second run changes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN_CREDENTIAL_FILE, hashAdminPassword, writeAdminCredential } from '../base/index.js';
import { describeSettings } from '../config/index.js';
import type { Hardware } from '../obs/index.js';
import { consoleNotice, hostnameFor, hostsWith, mergeEnv, NUMA_DROPIN_MARK, numaDropIn, numaPolicyFor, sameHardware } from './plan.js';
import { parseSeed, type Seed } from './seed.js';

export const DATA_DIR = '/var/lib/knowd';
export const ENV_FILE = '/etc/knowd/knowd.env';
export const HARDWARE_FILE = '/etc/knowd/hardware.json';
export const MARKER_FILE = '/etc/knowd/provisioned';
export const PASSWORD_NOTICE = '/etc/knowd/initial-admin-password';
export const ISSUE_NOTICE = '/etc/issue.d/knowd-admin-password.issue';
export const NUMA_DROPIN = '/etc/systemd/system/knowd.service.d/50-numa.conf';
export const SYSUSERS_CONF = '/usr/lib/sysusers.d/knowd.conf';
const HTTP_PORT = 8090;
const GRPC_PORT = 8091;

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
}

/** The running system, as the provisioner sees it. */
export interface System {
  run(cmd: string, args: readonly string[]): Promise<CommandResult>;
  hostname(): string;
  detectHardware(dataDir: string): Promise<Hardware>;
  /** A random admin password (shown to a human) and a random secret (never shown). */
  randomPassword(): string;
  randomSecret(): string;
  /** Writes to the machine's console (not the journal). */
  console(text: string): void;
  /** False in tests that run unprivileged: files are then left owned by the caller. */
  readonly canChown: boolean;
}

export interface ProvisionOptions {
  readonly root: string;
  /** Path (under the real filesystem) of a knowd-seed.json, if one was found. */
  readonly seedPath?: string;
  readonly system: System;
  /** One line per step taken, for the journal. Never receives a secret. */
  readonly log: (line: string) => void;
}

export interface ProvisionResult {
  readonly hostname: string;
  /** The files written or commands run; empty when the machine was already provisioned as asked. */
  readonly changes: readonly string[];
}

interface Ids {
  readonly uid: number;
  readonly gid: number;
}

/** Runs every step; safe to run again (each step checks before it acts). */
export async function provision(opts: ProvisionOptions): Promise<ProvisionResult> {
  const { root, system } = opts;
  const at = (p: string): string => path.join(root, p);
  const changes: string[] = [];
  const changed = (what: string): void => {
    changes.push(what);
    opts.log(what);
  };
  const known = describeSettings().map((s) => s.name);
  // Read and check the seed first: a bad seed must change nothing.
  const seed: Seed = opts.seedPath === undefined ? { version: 1 } : parseSeed(fs.readFileSync(opts.seedPath, 'utf8'), known, opts.seedPath);

  // 1. Hostname (before avahi announces it).
  const hostname = hostnameFor({
    seed: seed.hostname,
    current: readOr(at('/etc/hostname'), ''),
    serial: readOr(at('/sys/class/dmi/id/product_serial'), ''),
    machineId: readOr(at('/etc/machine-id'), ''),
  });
  if (writeIfChanged(at('/etc/hostname'), `${hostname}\n`, 0o644)) changed(`hostname ${hostname} in /etc/hostname`);
  if (writeIfChanged(at('/etc/hosts'), hostsWith(readOr(at('/etc/hosts'), ''), hostname), 0o644)) changed('/etc/hosts names 127.0.1.1');
  if (system.hostname() !== hostname) {
    await must(system, 'hostname', [hostname]);
    changed(`set the running hostname to ${hostname}`);
  }

  // 2. The knowd user and directories (sysusers/tmpfiles made them at boot; repair if not).
  let ids = lookupIds(root);
  if (ids === undefined) {
    await must(system, 'systemd-sysusers', [`--root=${root}`, at(SYSUSERS_CONF)]);
    changed('created the knowd user');
    ids = lookupIds(root);
    if (ids === undefined) throw new Error(`systemd-sysusers did not create the knowd user in ${at('/etc/passwd')}`);
  }
  for (const [dir, mode, owner] of [['/etc/knowd', 0o755, undefined], ['/etc/knowd/packs', 0o755, undefined], [DATA_DIR, 0o750, ids]] as const) {
    if (ensureDir(at(dir), mode, owner, system.canChown)) changed(`directory ${dir}`);
  }

  // 3. Settings: add what is missing, keep every line an operator wrote.
  const wanted: Array<[string, string]> = [
    ['KNOWD_DATA_DIR', DATA_DIR],
    ['KNOWD_ADDR', `:${HTTP_PORT}`],
    ['KNOWD_GRPC_ADDR', `:${GRPC_PORT}`],
    // Peers resolve <host>.local through avahi/nss-mdns; a bare hostname would not resolve on the LAN.
    ['KNOWD_GRPC_ADVERTISE', `${hostname}.local:${GRPC_PORT}`],
    // avahi is the only mDNS stack on the appliance (never the built-in responder beside it).
    ['KNOWD_DISCOVERY', 'avahi'],
    ['KNOWD_PACKS', '/etc/knowd/packs'],
  ];
  for (const [k, v] of Object.entries(seed.settings ?? {})) {
    const i = wanted.findIndex(([w]) => w === k);
    if (i === -1) wanted.push([k, v]);
    else wanted[i] = [k, v];
  }
  // Without a token secret knowd serves loopback only; an appliance is reached over the network.
  if (!wanted.some(([k]) => k === 'KNOWD_TOKEN_SECRET')) wanted.push(['KNOWD_TOKEN_SECRET', system.randomSecret()]);
  // Only settings this knowd knows: an unknown KNOWD_* variable stops it (a later release adds the rest).
  const envText = mergeEnv(readOr(at(ENV_FILE), ''), wanted.filter(([k]) => known.includes(k)));
  if (writeIfChanged(at(ENV_FILE), envText, 0o640, system.canChown ? { uid: 0, gid: ids.gid } : undefined)) changed(`settings in ${ENV_FILE}`);

  // 4. Hardware facts and the NUMA policy that follows from them.
  const hw = await system.detectHardware(at(DATA_DIR));
  const old = readJson<Hardware>(at(HARDWARE_FILE));
  if (old === undefined || !sameHardware(old, hw)) {
    writeIfChanged(at(HARDWARE_FILE), `${JSON.stringify(hw, null, 2)}\n`, 0o644);
    changed(`hardware facts in ${HARDWARE_FILE}`);
  }
  const policy = numaPolicyFor(hw);
  if (policy !== undefined) {
    if (writeIfChanged(at(NUMA_DROPIN), numaDropIn(policy), 0o644)) changed(`NUMA policy ${policy.policy} across nodes ${policy.nodes} (${NUMA_DROPIN})`);
  } else if (readOr(at(NUMA_DROPIN), '').startsWith(NUMA_DROPIN_MARK)) {
    fs.rmSync(at(NUMA_DROPIN));
    changed(`removed ${NUMA_DROPIN}: one NUMA node`);
  }

  // 5. SSH keys from the seed (appended; existing keys kept).
  if (seed.sshAuthorizedKeys !== undefined && seed.sshAuthorizedKeys.length > 0) {
    if (ensureDir(at('/root/.ssh'), 0o700, undefined, false)) changed('directory /root/.ssh');
    const file = at('/root/.ssh/authorized_keys');
    const have = readOr(file, '');
    const lines = new Set(have.split('\n').map((l) => l.trim()));
    const add = seed.sshAuthorizedKeys.filter((k) => !lines.has(k.trim()));
    if (add.length > 0) {
      writeIfChanged(file, `${have}${have === '' || have.endsWith('\n') ? '' : '\n'}${add.join('\n')}\n`, 0o600);
      changed(`${add.length} SSH key(s) for root from the seed`);
    }
  }

  // 6. The admin credential: only when there is none (an operator's password is never replaced).
  const credential = at(path.join(DATA_DIR, ADMIN_CREDENTIAL_FILE));
  if (!fs.existsSync(credential)) {
    const fromSeed = seed.adminPassword !== undefined;
    const password = seed.adminPassword ?? system.randomPassword();
    await writeAdminCredential(at(DATA_DIR), await hashAdminPassword(password));
    if (system.canChown) fs.chownSync(credential, ids.uid, ids.gid);
    if (fromSeed) {
      changed('admin password set from the seed');
    } else {
      // Shown on the console and at SSH login (never in the journal) until changed or acknowledged.
      writeIfChanged(at(PASSWORD_NOTICE), `${password}\n`, 0o600);
      writeIfChanged(at(ISSUE_NOTICE), consoleNotice(hostname, '\\4', password), 0o600);
      system.console(consoleNotice(hostname, `${hostname}.local`, password));
      changed('admin password generated: shown on the console and at SSH login until acknowledged');
    }
  }

  // 7. Join a cluster named by the seed, once, while knowd is still stopped.
  if (seed.cluster !== undefined && !fs.existsSync(at(path.join(DATA_DIR, 'cluster', 'cluster.env')))) {
    const args = ['-u', 'knowd', '--', 'knowdctl', '--data-dir', DATA_DIR, 'cluster', 'join', '--token', seed.cluster.token, '--grpc-addr', `${hostname}.local:${GRPC_PORT}`];
    if (seed.cluster.url !== undefined) args.push('--url', seed.cluster.url);
    await must(system, 'runuser', args, 'knowdctl cluster join');
    changed('joined the cluster named by the seed');
  }

  // 8. Enable and start knowd, then mark the box provisioned.
  // lstat: the link points into the root's /usr, which does not resolve from outside a test root.
  if (!linkExists(at('/etc/systemd/system/multi-user.target.wants/knowd.service'))) {
    await must(system, 'systemctl', [`--root=${root}`, 'enable', 'knowd.service']);
    changed('enabled knowd.service');
  }
  if (writeIfChanged(at(MARKER_FILE), 'provisioned by knowd-provision; delete this file to provision again at next boot\n', 0o644)) changed(MARKER_FILE);
  if ((await system.run('systemctl', ['is-active', '--quiet', 'knowd.service'])).code !== 0) {
    // --no-block: knowd is ordered after this unit, so waiting for it here would wait for ourselves.
    await must(system, 'systemctl', ['start', '--no-block', 'knowd.service']);
    changed('started knowd.service');
  }
  return { hostname, changes };
}

async function must(system: System, cmd: string, args: readonly string[], shown = `${cmd} ${args.join(' ')}`): Promise<CommandResult> {
  const r = await system.run(cmd, args);
  if (r.code !== 0) throw new Error(`${shown} failed with exit code ${r.code}`);
  return r;
}

function linkExists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes atomically when the content or mode differs; true when it wrote. */
function writeIfChanged(file: string, text: string, mode: number, owner?: Ids): boolean {
  let same = false;
  try {
    const st = fs.statSync(file);
    same = fs.readFileSync(file, 'utf8') === text && (st.mode & 0o7777) === mode && (owner === undefined || (st.uid === owner.uid && st.gid === owner.gid));
  } catch {
    same = false;
  }
  if (same) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.knowd-provision.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  if (owner !== undefined) fs.chownSync(tmp, owner.uid, owner.gid);
  fs.renameSync(tmp, file);
  return true;
}

function ensureDir(dir: string, mode: number, owner: Ids | undefined, canChown: boolean): boolean {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch {
    st = undefined;
  }
  const ownerOk = owner === undefined || !canChown || (st !== undefined && st.uid === owner.uid && st.gid === owner.gid);
  if (st !== undefined && st.isDirectory() && (st.mode & 0o7777) === mode && ownerOk) return false;
  fs.mkdirSync(dir, { recursive: true, mode });
  fs.chmodSync(dir, mode);
  if (owner !== undefined && canChown) fs.chownSync(dir, owner.uid, owner.gid);
  return true;
}

/** The knowd user's ids from <root>/etc/passwd, if it exists. */
function lookupIds(root: string): Ids | undefined {
  for (const line of readOr(path.join(root, '/etc/passwd'), '').split('\n')) {
    const f = line.split(':');
    if (f[0] === 'knowd' && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}
