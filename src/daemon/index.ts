export { startDaemon } from './daemon.js';
export type { Daemon } from './daemon.js';
export { VERSION } from './version.js';
export { joinCluster, restoreSnapshotOffline, verifySnapshotFile } from './offline.js';
export { readClusterEnv } from '../replication/join/index.js';
export { discoverCluster, joinCandidates, localAddressToward } from './join-discovery.js';
export type { JoinCandidate } from './join-discovery.js';
