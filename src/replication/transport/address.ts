import { KnowdError } from '../../base/index.js';
import type { NodeId } from '../raft/types.js';

/** A node id split into the host peers dial (and check certificates against) and the port. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Node ids are advertised addresses: "host:port", "1.2.3.4:port" or "[v6]:port". Port 0 is refused
 * here: an id is what peers dial, so it has to be the port actually bound.
 */
export function parseNodeId(id: NodeId): NodeAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):([0-9]{1,5})$/.exec(id);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (m === null || host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new KnowdError('CONFIG_INVALID', `"${id}" is not a node address: expected host:port (IPv6 as [addr]:port) with a port in 1-65535`);
  }
  return { host, port };
}

/** The inverse of parseNodeId: brackets an IPv6 host. */
export function formatNodeId(host: string, port: number): NodeId {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
