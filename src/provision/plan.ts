/**
 * The provisioner's decisions, as pure functions of what it read: the hostname, the settings file, the
 * NUMA drop-in, whether hardware.json is stale. The IO edge (run.ts) reads and writes; these decide, so
 * the rules are tested without a machine.
 */
import { interleaveNodes } from '../base/index.js';
import type { Hardware } from '../obs/index.js';

/** Hostnames the image or Debian leaves behind; a box with one of these has not been named yet. */
const UNNAMED = new Set(['', 'localhost', 'debian', 'knowd', 'localhost.localdomain']);

/** DMI serials that vendors and hypervisors fill in when there is none. */
const PLACEHOLDER_SERIAL = /^(?:|0+|none|default string|not specified|not applicable|system serial number|to be filled by o\.e\.m\.|0123456789|chassis serial number|n\/a)$/i;

/** A DNS label: lowercase letters, digits and inner hyphens, at most 63 characters. */
export const HOSTNAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function label(text: string, max: number): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
}

/**
 * The node's name: the seed's, else one an operator already gave it, else `knowd-<serial>` for a real
 * server with a DMI serial (what is printed on its label), else `knowd-<first 8 of the machine id>`
 * (unique per clone, since the image ships an uninitialized machine id).
 */
export function hostnameFor(facts: { seed?: string | undefined; current: string; serial: string; machineId: string }): string {
  if (facts.seed !== undefined) return facts.seed;
  const current = facts.current.trim().toLowerCase();
  if (!UNNAMED.has(current) && HOSTNAME_RE.test(current)) return current;
  const serial = facts.serial.trim();
  if (!PLACEHOLDER_SERIAL.test(serial)) {
    const l = label(serial, 40);
    if (l !== '') return `knowd-${l}`;
  }
  const id = facts.machineId.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(id)) throw new Error(`machine id "${facts.machineId.trim()}" is not 32 hex digits: systemd has not initialized it`);
  return `knowd-${id.slice(0, 8)}`;
}

/** /etc/hosts with `127.0.1.1 <name>` (Debian's convention for the own name), other lines kept. */
export function hostsWith(text: string, hostname: string): string {
  const want = `127.0.1.1\t${hostname}`;
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const i = lines.findIndex((l) => /^127\.0\.1\.1\s/.test(l));
  if (i === -1) lines.push(want);
  else lines[i] = want;
  return `${lines.join('\n')}\n`;
}

/** KEY=VALUE lines of an EnvironmentFile (comments and blank lines skipped). */
export function envKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m !== null) keys.add(m[1]!);
  }
  return keys;
}

export const ENV_HEADER = [
  '# Knowd settings (KNOWD_* variables; see the Settings table of the README or `knowd --help`).',
  '# knowd-provision adds a setting only when it is missing: edit freely, your lines are kept.',
  '# Apply a change with: systemctl restart knowd',
].join('\n');

/**
 * The settings file with every wanted key that is missing appended, in the order given. Existing lines
 * (the operator's edits) are never changed, so a second run returns the same text.
 */
export function mergeEnv(existing: string, wanted: ReadonlyArray<readonly [string, string]>): string {
  const have = envKeys(existing);
  const missing = wanted.filter(([k]) => !have.has(k));
  let text = existing === '' ? `${ENV_HEADER}\n` : existing;
  if (missing.length === 0) return text;
  if (!text.endsWith('\n')) text += '\n';
  return text + missing.map(([k, v]) => `${k}=${v}\n`).join('');
}

export interface NumaPolicy {
  readonly policy: 'interleave';
  /** The nodes to interleave across, in the kernel's list format. */
  readonly nodes: string;
}

/**
 * The memory policy of knowd.service: base/interleaveNodes decides (the LMDB tuning shows the same
 * decision with its reason in /v1/store/stats); one node needs no drop-in.
 */
export function numaPolicyFor(hw: Hardware): NumaPolicy | undefined {
  const nodes = interleaveNodes(hw.numaNodes);
  return nodes.length === 0 ? undefined : { policy: 'interleave', nodes: nodes.join(',') };
}

export const NUMA_DROPIN_MARK = '# Written by knowd-provision from /etc/knowd/hardware.json.';

export function numaDropIn(p: NumaPolicy): string {
  return `${NUMA_DROPIN_MARK}\n[Service]\nNUMAPolicy=${p.policy}\nNUMAMask=${p.nodes}\n`;
}

/** hardware.json is rewritten only when the machine changed, not for a new timestamp or free space. */
export function sameHardware(a: Hardware, b: Hardware): boolean {
  const stable = (h: Hardware): string => JSON.stringify({ ...h, detectedAt: '', dataDisk: { ...h.dataDisk, freeBytes: 0 } });
  return stable(a) === stable(b);
}

/**
 * The notice of a generated admin password. `host` is how the web UI is reached: `\4` in an
 * /etc/issue.d file (agetty prints the IPv4 address there), the mDNS name on the raw console.
 */
export function consoleNotice(hostname: string, host: string, password: string): string {
  return [
    '',
    `Knowd node ${hostname}: the admin password of the web UI (http://${host}:8090/admin/) is`,
    '',
    `    ${password}`,
    '',
    'It is shown here and at SSH login until you change it (knowdctl admin set-password)',
    'or acknowledge it (knowd-ack-admin-password).',
    '',
    '',
  ].join('\n');
}
