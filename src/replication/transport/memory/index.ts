export { createMemoryNetwork } from './network.js';
export type { DelayMs, MemoryNetwork, MemoryTransport } from './network.js';
