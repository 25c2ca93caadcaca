export type * from './types.js';
export { RaftNode } from './raft.js';
export { MemoryLogStorage } from './memory-log.js';
export { EMPTY_MEMBERSHIP, changeMembership, decodeMembership, encodeMembership, isMember, isVoter } from './membership.js';
