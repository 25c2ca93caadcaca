/**
 * A thin DNS-SD layer (RFC 6763) over plain mDNS records, without IO so it can be tested with packets:
 * which records advertise a node, how to answer a query, and how browsing turns received records into
 * peers. Deliberately small: no probing (the instance and host names contain the node's UUID, so they
 * are unique), no known-answer suppression (a handful of nodes re-query every few seconds).
 */
import type { Answer, Question } from 'dns-packet';
import { SERVICE_TYPE, type DiscoveredPeer } from '../port.js';
import type { PeerTable } from '../table.js';
import { decodeTxt } from '../txt.js';

export const SERVICE_FQDN = `${SERVICE_TYPE}.local`;
const META_QUERY = '_services._dns-sd._udp.local';

export interface Advert {
  /** Instance label, e.g. `knowd-<nodeId>`. */
  readonly instance: string;
  /** Our own host name, e.g. `knowd-<nodeId>.local`: never avahi's, so the two cannot conflict. */
  readonly host: string;
  readonly httpPort: number;
  /** IPv4 addresses of the pinned interface only (an address of another interface would mislead peers). */
  readonly addresses: readonly string[];
  readonly txt: readonly string[];
}

const lower = (s: string): string => s.toLowerCase().replace(/\.$/, '');
export const instanceFqdn = (instance: string): string => `${instance}.${SERVICE_FQDN}`;

function srvTxt(a: Advert, ttlSec: number): Answer[] {
  return [
    { name: instanceFqdn(a.instance), type: 'SRV', ttl: ttlSec, flush: true, data: { target: a.host, port: a.httpPort, priority: 0, weight: 0 } },
    { name: instanceFqdn(a.instance), type: 'TXT', ttl: ttlSec, flush: true, data: a.txt.map((s) => Buffer.from(s)) },
  ];
}

function addressRecords(a: Advert, ttlSec: number): Answer[] {
  return a.addresses.map((ip) => ({ name: a.host, type: 'A' as const, ttl: ttlSec, flush: true, data: ip }));
}

function ptr(a: Advert, ttlSec: number): Answer {
  return { name: SERVICE_FQDN, type: 'PTR', ttl: ttlSec, data: instanceFqdn(a.instance) };
}

/** The unsolicited announcement (RFC 6762 §8.3); with ttlSec 0 it is the goodbye (§10.1). */
export function announcement(a: Advert, ttlSec: number): { answers: Answer[] } {
  return { answers: [ptr(a, ttlSec), ...srvTxt(a, ttlSec), ...addressRecords(a, ttlSec)] };
}

/** The response to a query, or undefined when no question is about us. */
export function answerQuery(a: Advert, questions: readonly Question[], ttlSec: number): { answers: Answer[]; additionals: Answer[] } | undefined {
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const inst = lower(instanceFqdn(a.instance));
  for (const q of questions) {
    const name = lower(q.name);
    // dns-packet names QTYPE 255 'ANY', which its type definitions do not list.
    const any = (q.type as string) === 'ANY';
    if (name === lower(SERVICE_FQDN) && (q.type === 'PTR' || any)) {
      answers.push(ptr(a, ttlSec));
      additionals.push(...srvTxt(a, ttlSec), ...addressRecords(a, ttlSec));
    } else if (name === META_QUERY && (q.type === 'PTR' || any)) {
      answers.push({ name: META_QUERY, type: 'PTR', ttl: ttlSec, data: SERVICE_FQDN });
    } else if (name === inst && (q.type === 'SRV' || q.type === 'TXT' || any)) {
      answers.push(...srvTxt(a, ttlSec).filter((r) => any || r.type === q.type));
      additionals.push(...addressRecords(a, ttlSec));
    } else if (name === lower(a.host) && (q.type === 'A' || any)) {
      answers.push(...addressRecords(a, ttlSec));
    }
  }
  if (answers.length === 0) return undefined;
  // A record both answered and added is sent once.
  const keys = new Set(answers.map((r) => `${r.type} ${r.name}`));
  return { answers, additionals: additionals.filter((r) => !keys.has(`${r.type} ${r.name}`)) };
}

interface Cached<T> {
  readonly value: T;
  readonly expiresMs: number;
}

function txtStrings(data: unknown): (string | Uint8Array)[] {
  if (Array.isArray(data)) return data.filter((d): d is string | Uint8Array => typeof d === 'string' || d instanceof Uint8Array);
  if (typeof data === 'string' || data instanceof Uint8Array) return [data];
  return [];
}

function flushedAddresses(records: readonly Answer[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of records) {
    if (r.type !== 'A' || r.flush !== true || typeof r.data !== 'string' || (r.ttl ?? 0) === 0) continue;
    const host = lower(r.name);
    const set = out.get(host) ?? new Set<string>();
    set.add(r.data);
    out.set(host, set);
  }
  return out;
}

/** Most instances and hosts a browser caches; the rest of a flood is dropped. */
const MAX_CACHED = 1024;

/**
 * Browsing state: caches PTR/SRV/TXT/A records by their TTL and reports complete peers to a PeerTable.
 * A goodbye (TTL 0) removes at once; otherwise an instance goes when its PTR or SRV expires.
 */
export class Browser {
  private readonly ptrs = new Map<string, Cached<string>>(); // instance fqdn (lower) → instance label
  private readonly srvs = new Map<string, Cached<{ host: string; port: number }>>();
  private readonly txts = new Map<string, Cached<(string | Uint8Array)[]>>();
  private readonly hosts = new Map<string, Map<string, number>>(); // host (lower) → ip → expiresMs

  constructor(private readonly table: PeerTable) {}

  ingest(records: readonly Answer[], nowMs: number): void {
    const touched = new Set<string>();
    // cache-flush (RFC 6762 §10.2): a host's addresses in this packet replace the ones cached before, after 1 s.
    for (const [host, fresh] of flushedAddresses(records)) {
      const ips = this.hosts.get(host);
      if (ips !== undefined) for (const [ip, exp] of ips) if (!fresh.has(ip)) ips.set(ip, Math.min(exp, nowMs + 1000));
    }
    for (const r of records) {
      const name = lower(r.name);
      const ttlMs = ('ttl' in r ? (r.ttl ?? 0) : 0) * 1000;
      const expiresMs = nowMs + ttlMs;
      if (r.type === 'PTR' && name === lower(SERVICE_FQDN) && typeof r.data === 'string') {
        const fq = lower(r.data);
        const label = r.data.slice(0, r.data.length - SERVICE_FQDN.length - 1);
        if (!fq.endsWith(`.${lower(SERVICE_FQDN)}`) || label === '') continue;
        if (ttlMs === 0) {
          this.forget(fq);
          continue;
        }
        if (!this.ptrs.has(fq) && this.ptrs.size >= MAX_CACHED) continue;
        this.ptrs.set(fq, { value: label, expiresMs });
        touched.add(fq);
      } else if (r.type === 'SRV' && name.endsWith(`.${lower(SERVICE_FQDN)}`)) {
        if (ttlMs === 0) {
          this.forget(name);
          continue;
        }
        if (this.srvs.size >= MAX_CACHED && !this.srvs.has(name)) continue;
        this.srvs.set(name, { value: { host: lower(r.data.target), port: r.data.port }, expiresMs });
        touched.add(name);
      } else if (r.type === 'TXT' && name.endsWith(`.${lower(SERVICE_FQDN)}`)) {
        if (ttlMs === 0) continue;
        if (this.txts.size >= MAX_CACHED && !this.txts.has(name)) continue;
        this.txts.set(name, { value: txtStrings(r.data), expiresMs });
        touched.add(name);
      } else if (r.type === 'A' && typeof r.data === 'string') {
        let ips = this.hosts.get(name);
        if (ips === undefined) {
          if (this.hosts.size >= MAX_CACHED) continue;
          ips = new Map();
          this.hosts.set(name, ips);
        }
        if (ttlMs === 0) ips.delete(r.data);
        else ips.set(r.data, expiresMs);
        for (const [fq, srv] of this.srvs) if (srv.value.host === name) touched.add(fq);
      }
    }
    for (const fq of touched) this.report(fq, nowMs);
  }

  /** Drops expired records; instances whose PTR or SRV expired go down. */
  expire(nowMs: number): void {
    for (const [fq, p] of this.ptrs) if (p.expiresMs <= nowMs) this.forget(fq);
    for (const [fq, s] of this.srvs) if (s.expiresMs <= nowMs) this.forget(fq);
    for (const [fq, t] of this.txts) if (t.expiresMs <= nowMs) this.txts.delete(fq);
    for (const [host, ips] of this.hosts) {
      for (const [ip, exp] of ips) if (exp <= nowMs) ips.delete(ip);
      if (ips.size === 0) this.hosts.delete(host);
    }
  }

  /** Questions for what is still missing to resolve the instances we know of. */
  missing(): Question[] {
    const qs: Question[] = [];
    for (const [fq, p] of this.ptrs) {
      const srv = this.srvs.get(fq);
      if (srv === undefined) qs.push({ name: instanceFqdn(p.value), type: 'SRV' });
      if (!this.txts.has(fq)) qs.push({ name: instanceFqdn(p.value), type: 'TXT' });
      if (srv !== undefined && !this.hosts.has(srv.value.host)) qs.push({ name: srv.value.host, type: 'A' });
    }
    return qs.slice(0, 32);
  }

  private forget(fq: string): void {
    const label = this.ptrs.get(fq)?.value;
    this.ptrs.delete(fq);
    this.srvs.delete(fq);
    this.txts.delete(fq);
    if (label !== undefined) this.table.gone(label);
  }

  private report(fq: string, nowMs: number): void {
    const p = this.ptrs.get(fq);
    const srv = this.srvs.get(fq);
    const txtRaw = this.txts.get(fq);
    if (p === undefined || srv === undefined || txtRaw === undefined) return;
    const txt = decodeTxt(txtRaw.value);
    const ips = this.hosts.get(srv.value.host);
    if (txt === undefined || ips === undefined) return;
    const addresses = [...ips].filter(([, exp]) => exp > nowMs).map(([ip]) => ip);
    if (addresses.length === 0) return;
    const peer: DiscoveredPeer = { instance: p.value, host: srv.value.host, addresses, httpPort: srv.value.port, txt };
    this.table.seen(peer);
  }
}
