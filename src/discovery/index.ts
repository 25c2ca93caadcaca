export { SERVICE_TYPE } from './port.js';
export type { BackendName, DiscoveredPeer, PeerEntry, PeerEvent, PeerListener, PeerSource, PeerTxt, SelfAdvert } from './port.js';
export { decodeTxt, encodeTxt, instanceNameOf, TXT_VERSION } from './txt.js';
export { PeerTable, MAX_PEERS } from './table.js';
export { createStaticSource } from './static.js';
export type { StaticSource } from './static.js';
export { selectPeerSource } from './select.js';
export type { SelectOptions } from './select.js';
