/**
 * The avahi backend: this node's service is published by, and peers are browsed through, the
 * system's avahi-daemon over D-Bus (`dbus-next`, pure JS). Chosen over the `mdns` npm package
 * (shared/notes/mdns.md): no native build or Bonjour compatibility layer, no libnss-mdns (avahi's
 * resolver returns the address), TXT changes reach browsers (a resolver re-emits Found), and no
 * Node 20 abort in a private getaddrinfo binding.
 *
 * Robustness: avahi and dbus can restart under us. NameOwnerChanged tells us at once when avahi goes
 * or comes back; a watchdog call every few seconds catches a dead bus connection (dbus-next does not
 * report a closed stream, and its pending calls would wait forever, so every call has a time limit).
 * Either way we drop the peers (down is only a hint) and rebuild the advertisement and browser.
 */
import dbus from 'dbus-next';
import type { Logger } from '../../obs/index.js';
import { SERVICE_TYPE, type PeerEntry, type PeerEvent, type PeerListener, type PeerSource, type PeerTxt, type SelfAdvert } from '../port.js';
import { PeerTable } from '../table.js';
import { decodeTxt, encodeTxt, instanceNameOf } from '../txt.js';

const AVAHI = 'org.freedesktop.Avahi';
const SERVER = 'org.freedesktop.Avahi.Server';
const IF_UNSPEC = -1;
const PROTO_UNSPEC = -1;
const PROTO_INET = 0;
/** avahi's server states (avahi-common/defs.h). */
const SERVER_RUNNING = 2;
/** avahi's entry group states. */
const GROUP_COLLISION = 3;
const GROUP_FAILURE = 4;
const CALL_TIMEOUT_MS = 3000;

export interface AvahiOptions {
  readonly log: Logger;
  /** Seconds between liveness checks of the bus and avahi. */
  readonly watchdogMs?: number;
  /** Wait before reconnecting after avahi or the bus went away. */
  readonly retryMs?: number;
}

type Bus = dbus.MessageBus;

function connect(timeoutMs: number): Promise<Bus> {
  return new Promise((resolve, reject) => {
    const bus = dbus.systemBus();
    const timer = setTimeout(() => fail(new Error(`no answer from the D-Bus system bus within ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: unknown): void => {
      clearTimeout(timer);
      try {
        bus.disconnect();
      } catch {
        // The socket may never have opened.
      }
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    bus.once('error', fail);
    bus.once('connect', () => {
      clearTimeout(timer);
      bus.off('error', fail);
      resolve(bus);
    });
  });
}

async function call(bus: Bus, path: string, iface: string, member: string, signature = '', body: unknown[] = [], destination = AVAHI): Promise<unknown[]> {
  const msg = new dbus.Message({ destination, path, interface: iface, member, signature, body });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`D-Bus call ${iface}.${member} got no answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
  });
  try {
    const reply = await Promise.race([bus.call(msg), timeout]);
    return reply?.body ?? [];
  } finally {
    clearTimeout(timer);
  }
}

const addMatch = (bus: Bus, rule: string): Promise<unknown[]> => call(bus, '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [rule], 'org.freedesktop.DBus');

/** True when avahi-daemon answers on the system bus within the time limit (used by the auto choice). */
export async function avahiAnswers(timeoutMs = 2000): Promise<boolean> {
  let bus: Bus | undefined;
  try {
    bus = await connect(timeoutMs);
    const [state] = await call(bus, '/', SERVER, 'GetState');
    return typeof state === 'number';
  } catch {
    return false;
  } finally {
    bus?.disconnect();
  }
}

const txtBytes = (txt: PeerTxt): Buffer[] => encodeTxt(txt).map((s) => Buffer.from(s));
const asString = (v: unknown): string => (typeof v === 'string' ? v : '');
const asNumber = (v: unknown): number => (typeof v === 'number' ? v : -1);

export function createAvahiSource(opts: AvahiOptions): PeerSource {
  const log = opts.log.child({ svc: 'discovery', backend: 'avahi' });
  const watchdogMs = opts.watchdogMs ?? 5000;
  const retryMs = opts.retryMs ?? 2000;
  const table = new PeerTable();
  let self: SelfAdvert | undefined;
  let name = '';
  let bus: Bus | undefined;
  let group: string | undefined;
  let browser: string | undefined;
  /** Resolver object per `iface/name` seen by the browser; a name is up while any of its keys is. */
  const resolvers = new Map<string, string | undefined>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let everConnected = false;

  const schedule = (ms: number, fn: () => void): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn();
    }, ms);
    timer.unref();
  };

  const teardown = (why: string): void => {
    if (bus !== undefined) log.warn({ why }, 'lost avahi; peers dropped until it is back');
    const b = bus;
    bus = undefined;
    group = undefined;
    browser = undefined;
    resolvers.clear();
    table.clear();
    try {
      b?.disconnect();
    } catch {
      // Already closed.
    }
  };

  const publish = async (b: Bus): Promise<void> => {
    if (self === undefined) return;
    if (group === undefined) [group] = (await call(b, '/', SERVER, 'EntryGroupNew')) as [string];
    else await call(b, group, 'org.freedesktop.Avahi.EntryGroup', 'Reset');
    await call(b, group, 'org.freedesktop.Avahi.EntryGroup', 'AddService', 'iiussssqaay',
      [IF_UNSPEC, PROTO_UNSPEC, 0, name, SERVICE_TYPE, '', '', self.httpPort, txtBytes(self.txt)]);
    await call(b, group, 'org.freedesktop.Avahi.EntryGroup', 'Commit');
  };

  const resolve = async (b: Bus, key: string, iface: number, proto: number, instance: string, domain: string): Promise<void> => {
    const [path] = (await call(b, '/', SERVER, 'ServiceResolverNew', 'iisssiu', [iface, proto, instance, SERVICE_TYPE, domain, PROTO_INET, 0])) as [string];
    if (bus !== b || !resolvers.has(key)) {
      await call(b, path, 'org.freedesktop.Avahi.ServiceResolver', 'Free').catch(() => undefined);
      return;
    }
    resolvers.set(key, path);
    // avahi ≥ 0.8 holds back a new object's signals until Start (no race with our match rule, which is already in place).
    await call(b, path, 'org.freedesktop.Avahi.ServiceResolver', 'Start').catch(() => undefined);
  };

  const onSignal = (b: Bus, msg: dbus.Message): void => {
    if (bus !== b) return;
    const body = msg.body;
    const where = `${msg.interface}.${msg.member}`;
    if (where === 'org.freedesktop.DBus.NameOwnerChanged' && body[0] === AVAHI) {
      if (asString(body[2]) === '') {
        teardown('avahi-daemon left the bus');
        schedule(retryMs, () => void run());
      } else if (asString(body[1]) !== '') {
        // A new owner replaced the old one without a gap: rebuild against it.
        teardown('avahi-daemon restarted');
        schedule(0, () => void run());
      }
      return;
    }
    switch (where) {
      case 'org.freedesktop.Avahi.ServiceBrowser.ItemNew':
      case 'org.freedesktop.Avahi.ServiceBrowser.ItemRemove': {
        const [iface, proto, instance, type, domain] = body;
        if (asString(type) !== SERVICE_TYPE) return;
        const key = `${asNumber(iface)}/${asNumber(proto)}/${asString(instance)}`;
        if (msg.member === 'ItemNew') {
          if (resolvers.has(key)) return;
          resolvers.set(key, undefined);
          resolve(b, key, asNumber(iface), asNumber(proto), asString(instance), asString(domain)).catch((e: unknown) => log.warn({ err: e, instance }, 'cannot resolve a peer'));
        } else {
          const path = resolvers.get(key);
          resolvers.delete(key);
          if (path !== undefined) void call(b, path, 'org.freedesktop.Avahi.ServiceResolver', 'Free').catch(() => undefined);
          const still = [...resolvers.keys()].some((k) => k.endsWith(`/${asString(instance)}`));
          if (!still) table.gone(asString(instance));
        }
        return;
      }
      case 'org.freedesktop.Avahi.ServiceResolver.Found': {
        const [, , instance, type, , host, , address, port, txt] = body;
        if (asString(type) !== SERVICE_TYPE || !Array.isArray(txt)) return;
        const decoded = decodeTxt(txt.filter((t): t is Buffer => t instanceof Uint8Array));
        if (decoded === undefined || typeof address !== 'string' || typeof port !== 'number') return;
        const known = table.list().find((p) => p.instance === instance);
        // One instance may be resolved on several interfaces; keep every address seen.
        const addresses = [...new Set([...(known?.addresses ?? []), address])];
        table.seen({ instance: asString(instance), host: asString(host), addresses, httpPort: port, txt: decoded });
        return;
      }
      case 'org.freedesktop.Avahi.ServiceResolver.Failure':
        log.debug({ error: body[0] }, 'avahi could not resolve a peer');
        return;
      case 'org.freedesktop.Avahi.EntryGroup.StateChanged': {
        const state = asNumber(body[0]);
        if (state === GROUP_COLLISION && self !== undefined) {
          // Another box advertises our instance name (a cloned data directory?): take a new name, say so.
          name = `${instanceNameOf(self.txt.nodeId)}-${Math.floor(Math.random() * 1e6)}`;
          log.error({ name }, 'another host advertises this node\'s instance name; renamed (is a data directory cloned?)');
          publish(b).catch((e: unknown) => log.warn({ err: e }, 'cannot republish after a name collision'));
        } else if (state === GROUP_FAILURE) {
          log.error({ error: body[1] }, 'avahi failed to publish this node');
        }
        return;
      }
      case 'org.freedesktop.Avahi.Server.StateChanged':
        // avahi resets entry groups when its own host name changes; publish again once it runs.
        if (asNumber(body[0]) === SERVER_RUNNING) publish(b).catch((e: unknown) => log.warn({ err: e }, 'cannot republish after avahi\'s host name changed'));
        return;
      default:
    }
  };

  const setup = async (): Promise<void> => {
    const b = await connect(CALL_TIMEOUT_MS);
    bus = b;
    b.on('error', (e: unknown) => {
      if (bus === b) {
        teardown(`D-Bus connection error: ${e instanceof Error ? e.message : String(e)}`);
        if (!stopped) schedule(retryMs, () => void run());
      }
    });
    // Match rules before creating any avahi object, so no signal can slip by.
    b.on('message', (m: dbus.Message) => {
      if (m.type === dbus.MessageType.SIGNAL) onSignal(b, m);
    });
    await addMatch(b, `type='signal',sender='${AVAHI}'`);
    await addMatch(b, `type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${AVAHI}'`);
    const [version] = await call(b, '/', SERVER, 'GetVersionString');
    await publish(b);
    [browser] = (await call(b, '/', SERVER, 'ServiceBrowserNew', 'iissu', [IF_UNSPEC, PROTO_INET, SERVICE_TYPE, '', 0])) as [string];
    await call(b, browser, 'org.freedesktop.Avahi.ServiceBrowser', 'Start').catch(() => undefined);
    log.info({ avahi: version, name, reconnect: everConnected }, 'avahi discovery started');
    everConnected = true;
  };

  /** Connects (or checks the connection) and schedules the next check; never throws. */
  const run = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (bus === undefined) await setup();
      else await call(bus, '/', SERVER, 'GetState');
      schedule(watchdogMs, () => void run());
    } catch (e) {
      if (stopped) return;
      teardown(e instanceof Error ? e.message : String(e));
      log.debug({ err: e, retryMs }, 'avahi not reachable; retrying');
      schedule(retryMs, () => void run());
    }
  };

  return {
    backend: 'avahi',
    async start(s) {
      if (!stopped) return;
      stopped = false;
      self = s;
      name = instanceNameOf(s.txt.nodeId);
      table.setSelf(s.txt.nodeId);
      // A first failure is not fatal: the appliance may start avahi after knowd; run() keeps retrying.
      await run();
      if (bus === undefined) log.warn({ retryMs }, 'avahi-daemon does not answer yet; will keep trying');
    },
    async update(txt: Partial<PeerTxt>) {
      if (self === undefined) return;
      self = { ...self, txt: { ...self.txt, ...txt } };
      const b = bus;
      if (b === undefined || group === undefined) return;
      await call(b, group, 'org.freedesktop.Avahi.EntryGroup', 'UpdateServiceTxt', 'iiusssaay',
        [IF_UNSPEC, PROTO_UNSPEC, 0, name, SERVICE_TYPE, '', txtBytes(self.txt)]);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      const b = bus;
      // Freeing the entry group makes avahi send the goodbye packets.
      if (b !== undefined && group !== undefined) await call(b, group, 'org.freedesktop.Avahi.EntryGroup', 'Free').catch(() => undefined);
      bus = undefined;
      group = undefined;
      browser = undefined;
      resolvers.clear();
      table.clear();
      self = undefined;
      b?.disconnect();
    },
    on: (event: PeerEvent, listener: PeerListener) => table.on(event, listener),
    peers: (): readonly PeerEntry[] => table.list(),
  };
}
