export { startDaemon } from './daemon.js';
export type { Daemon } from './daemon.js';
export { VERSION } from './version.js';
export { joinCluster, restoreSnapshotOffline, verifySnapshotFile } from './offline.js';
export { readClusterEnv } from '../replication/join/index.js';
