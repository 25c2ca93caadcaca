export { startDaemon } from './daemon.js';
export type { Daemon } from './daemon.js';
export { VERSION } from './version.js';
export { restoreSnapshotOffline, verifySnapshotFile } from './offline.js';
