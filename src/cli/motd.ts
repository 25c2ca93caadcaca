/**
 * `knowdctl motd`: the few lines an SSH login shows (the appliance's login banner runs it): node, role,
 * leader, health and the admin URL(s) of this host. It must be quick and must never hang a login: each
 * question to knowd has a short time limit, and a knowd that does not answer is "not running".
 */
import fs from 'node:fs';
import os from 'node:os';
import { listenAddr, type HostPort } from '../config/index.js';
import { callJson, readAll, request, type Target } from './client.js';

export interface MotdFacts {
  readonly running: boolean;
  readonly version?: string;
  readonly nodeId?: string;
  readonly role?: string;
  readonly leader?: string | null;
  /** 'ok', or the failing check. */
  readonly health?: string;
  readonly adminUrls: readonly string[];
}

/** KNOWD_ADDR from the environment, else from the settings file (EnvironmentFile syntax), else :8090. */
export function httpAddr(env: Readonly<Record<string, string | undefined>>, envFile: string | undefined): HostPort {
  let raw = env['KNOWD_ADDR'];
  if (raw === undefined && envFile !== undefined) {
    try {
      const m = /^\s*KNOWD_ADDR\s*=\s*(.*?)\s*$/m.exec(fs.readFileSync(envFile, 'utf8'));
      if (m !== null) raw = m[1]!.replace(/^(["'])(.*)\1$/, '$2');
    } catch {
      // Not readable by this user (it may hold the token secret): the default is the best guess.
    }
  }
  const parsed = listenAddr.parse(raw ?? ':8090');
  return parsed.ok ? parsed.value : { host: '', port: 8090 };
}

/** The URLs the admin UI answers at from the LAN: the mDNS name and each address, or the one address it listens on. */
export function adminUrls(addr: HostPort, hostname: string, nets: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string[] {
  const url = (host: string): string => `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/admin/`;
  if (addr.host !== '' && addr.host !== '0.0.0.0' && addr.host !== '::') return [url(addr.host)];
  const ips = Object.values(nets)
    .flatMap((list) => list ?? [])
    .filter((n) => !n.internal && (n.family === 'IPv4' || (addr.host !== '0.0.0.0' && !n.address.startsWith('fe80:'))))
    .map((n) => n.address);
  return [url(`${hostname.split('.')[0]}.local`), ...ips.map(url)];
}

export function motdText(f: MotdFacts, where: string): string {
  const ui = f.adminUrls.length === 0 ? '' : `\n  admin UI: ${f.adminUrls.join('  ')}`;
  if (!f.running) return `knowd is not running (no answer on ${where}); see \`knowdctl logs\`${ui}`;
  const leader = f.leader === null || f.leader === undefined ? 'none' : f.leader === f.nodeId ? 'this node' : f.leader;
  return `Knowd ${f.version ?? '?'}  node ${f.nodeId ?? '?'}  role ${f.role ?? '?'}  leader ${leader}  health ${f.health ?? '?'}${ui}\n  maintenance: knowdctl status | health | logs | backup | upgrade   (knowdctl --help)`;
}

/** Asks knowd (each question bounded by `timeoutMs`); any failure to get an answer means not running. */
export async function gatherMotd(t: Target, timeoutMs: number, urls: readonly string[]): Promise<MotdFacts> {
  const status = callJson<{ version?: string; nodeId?: string; mode?: string; leader?: string | null }>(t, 'GET', '/v1/cluster/status', undefined, timeoutMs);
  const health = (async () => {
    const res = await request(t, 'GET', '/healthz', undefined, {}, timeoutMs);
    const body = JSON.parse(await readAll(res.body)) as { failing?: string; status?: string };
    return res.status === 200 ? 'ok' : `failing: ${body.failing ?? body.status ?? res.status}`;
  })();
  try {
    const [s, h] = await Promise.all([status, health]);
    return { running: true, ...(s.version !== undefined && { version: s.version }), ...(s.nodeId !== undefined && { nodeId: s.nodeId }), ...(s.mode !== undefined && { role: s.mode }), leader: s.leader ?? null, health: h, adminUrls: urls };
  } catch {
    return { running: false, adminUrls: urls };
  }
}
