/**
 * The pure-JS backend: an mDNS responder and browser on `multicast-dns` (developer boxes, CI, and the
 * appliance when avahi does not answer). Measured facts it follows (shared/notes/mdns.md): the
 * interface is pinned and the socket also binds 0.0.0.0 (binding the unicast address receives no
 * multicast); records use our own host name `knowd-<nodeId>.local` and only the pinned interface's
 * address, so a local avahi never sees a conflict; short TTLs plus periodic re-queries let a
 * vanished peer drop out within about ttlSec; goodbyes on stop.
 */
import os from 'node:os';
import makeMdns from 'multicast-dns';
import type { Logger } from '../../obs/index.js';
import { KnowdError } from '../../base/index.js';
import type { PeerEntry, PeerEvent, PeerListener, PeerSource, PeerTxt, SelfAdvert } from '../port.js';
import { PeerTable } from '../table.js';
import { encodeTxt, instanceNameOf } from '../txt.js';
import { Browser, SERVICE_FQDN, announcement, answerQuery, type Advert } from './dnssd.js';

export interface MdnsJsOptions {
  readonly log: Logger;
  /** IPv4 address of the interface to use; default: the first non-internal IPv4 interface. */
  readonly interfaceAddress?: string;
  /** TTL of our records; a peer that vanishes without a goodbye drops out after about this long. */
  readonly ttlSec?: number;
  /** Interval of PTR re-queries (they also refresh the peers' records in our cache). */
  readonly requeryMs?: number;
}

/** The pinned interface: the one given, else the first non-internal IPv4 one. */
export function pickInterface(preferred?: string): { name: string; address: string } | undefined {
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      if (preferred === undefined || a.address === preferred) return { name, address: a.address };
    }
  }
  return undefined;
}

/** RFC 6762 §8.3: announce at least twice, a second apart, and more often does no harm on a LAN. */
const ANNOUNCE_AT_MS = [0, 1000, 3000];
const TICK_MS = 1000;

export function createMdnsJsSource(opts: MdnsJsOptions): PeerSource {
  const ttlSec = opts.ttlSec ?? 15;
  const requeryMs = opts.requeryMs ?? 5000;
  const log = opts.log.child({ svc: 'discovery', backend: 'mdns-js' });
  const table = new PeerTable();
  const browser = new Browser(table);
  let sock: makeMdns.MulticastDNS | undefined;
  let advert: Advert | undefined;
  let self: SelfAdvert | undefined;
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    t.unref();
    timers.add(t);
  };
  const send = (what: string, fn: (s: makeMdns.MulticastDNS) => void): void => {
    if (sock === undefined) return;
    try {
      fn(sock);
    } catch (e) {
      log.warn({ err: e }, `mDNS ${what} failed`);
    }
  };
  const announce = (): void => {
    const a = advert;
    if (a !== undefined) send('announcement', (s) => s.respond({ ...announcement(a, ttlSec) }));
  };
  const query = (): void => {
    send('query', (s) => s.query({ questions: [{ name: SERVICE_FQDN, type: 'PTR' }, ...browser.missing()] }));
  };

  return {
    backend: 'mdns-js',
    async start(s) {
      if (sock !== undefined) return;
      const iface = pickInterface(opts.interfaceAddress);
      if (iface === undefined) {
        throw new KnowdError('CONFIG_INVALID', opts.interfaceAddress === undefined
          ? 'mDNS discovery needs a non-loopback IPv4 interface, and this host has none; set KNOWD_DISCOVERY=off or bring up a LAN interface'
          : `mDNS discovery cannot find an interface with address ${opts.interfaceAddress}; set KNOWD_ADDR to a local address or KNOWD_DISCOVERY=off`);
      }
      self = s;
      table.setSelf(s.txt.nodeId);
      const instance = instanceNameOf(s.txt.nodeId);
      advert = { instance, host: `${instance}.local`, httpPort: s.httpPort, addresses: [iface.address], txt: encodeTxt(s.txt) };
      const m = makeMdns({ interface: iface.address, bind: '0.0.0.0', multicast: true, loopback: true, reuseAddr: true, ttl: 255 });
      sock = m;
      m.on('error', (e: unknown) => log.warn({ err: e }, 'mDNS socket error'));
      m.on('warning', (e: unknown) => log.debug({ err: e }, 'mDNS warning'));
      m.on('query', (packet) => {
        const a = advert;
        if (a === undefined) return;
        const reply = answerQuery(a, packet.questions ?? [], ttlSec);
        if (reply !== undefined) send('response', (x) => x.respond({ ...reply }));
      });
      m.on('response', (packet) => {
        browser.ingest([...(packet.answers ?? []), ...(packet.additionals ?? [])], Date.now());
      });
      await new Promise<void>((resolve, reject) => {
        m.once('ready', () => resolve());
        m.once('error', reject);
      });
      for (const at of ANNOUNCE_AT_MS) later(at, () => {
        announce();
        query();
      });
      let sinceQueryMs = 0;
      const tick = (): void => {
        if (sock === undefined) return;
        browser.expire(Date.now());
        sinceQueryMs += TICK_MS;
        const missing = browser.missing();
        if (sinceQueryMs >= requeryMs) {
          sinceQueryMs = 0;
          query();
        } else if (missing.length > 0) send('query', (x) => x.query({ questions: missing }));
        later(TICK_MS, tick);
      };
      later(TICK_MS, tick);
      log.info({ interface: iface.name, address: iface.address, instance, ttlSec }, 'mDNS discovery started');
    },
    async update(txt: Partial<PeerTxt>) {
      if (self === undefined || advert === undefined) return;
      self = { ...self, txt: { ...self.txt, ...txt } };
      advert = { ...advert, txt: encodeTxt(self.txt) };
      announce();
      later(1000, announce);
    },
    async stop() {
      const m = sock;
      if (m === undefined) return;
      const a = advert;
      if (a !== undefined) send('goodbye', (s) => s.respond({ ...announcement(a, 0) }));
      for (const t of timers) clearTimeout(t);
      timers.clear();
      sock = undefined;
      advert = undefined;
      self = undefined;
      // destroy() after the goodbye is flushed: multicast-dns sends asynchronously.
      await new Promise<void>((resolve) => setTimeout(resolve, 50));
      await new Promise<void>((resolve) => m.destroy(() => resolve()));
      table.clear();
    },
    on: (event: PeerEvent, listener: PeerListener) => table.on(event, listener),
    peers: (): readonly PeerEntry[] => table.list(),
  };
}

