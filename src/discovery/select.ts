/**
 * Picks the backend at start-up: the system's avahi-daemon when it answers on D-Bus (the appliance,
 * where avahi should be the only mDNS stack on the box), else the pure-JS responder (developer boxes,
 * CI). The choice holds for the life of the process: an appliance whose avahi starts later than knowd
 * should order knowd after it (systemd After=avahi-daemon.service) or force KNOWD_DISCOVERY=avahi.
 */
import type { DiscoveryChoice } from '../config/index.js';
import type { Logger } from '../obs/index.js';
import { avahiAnswers, createAvahiSource } from './avahi/index.js';
import { createMdnsJsSource } from './mdns-js/index.js';
import type { PeerSource } from './port.js';

export interface SelectOptions {
  readonly log: Logger;
  /** IPv4 address of the interface the pure-JS backend pins (default: the first LAN interface). */
  readonly interfaceAddress?: string;
}

export async function selectPeerSource(choice: DiscoveryChoice, opts: SelectOptions): Promise<PeerSource | undefined> {
  const mdnsJs = (): PeerSource => createMdnsJsSource({ log: opts.log, ...(opts.interfaceAddress !== undefined && { interfaceAddress: opts.interfaceAddress }) });
  switch (choice) {
    case 'off':
      return undefined;
    case 'avahi':
      return createAvahiSource({ log: opts.log });
    case 'mdns-js':
      return mdnsJs();
    case 'auto':
      return (await avahiAnswers()) ? createAvahiSource({ log: opts.log }) : mdnsJs();
  }
}
