/**
 * The pure Raft core (no IO): RaftNode and its LogStorage port, with an in-memory LogStorage for the
 * simulation and driver tests. The contract with the driver is types.ts.
 */
export type * from './types.js';
export { RaftNode } from './raft.js';
export { MemoryLogStorage } from './memory-log.js';
export { EMPTY_MEMBERSHIP, changeMembership, decodeMembership, encodeMembership, isMember, isVoter } from './membership.js';
