/**
 * The one NUMA placement rule, shared by the LMDB tuning (storage/) and the appliance's provisioner
 * (provision/), which may not import each other: on a host with two or more NUMA nodes that have
 * memory, knowd's memory is interleaved over all of them; on one node there is nothing to place.
 * Returns the node ids to interleave over (sorted), or an empty list for "leave the default".
 */
export function interleaveNodes(nodes: readonly { readonly id: number; readonly memoryBytes: number }[]): number[] {
  const withMemory = nodes.filter((n) => n.memoryBytes > 0).map((n) => n.id).sort((a, b) => a - b);
  return withMemory.length >= 2 ? withMemory : [];
}
