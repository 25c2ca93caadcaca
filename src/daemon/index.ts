export { startDaemon } from './daemon.js';
export type { Daemon } from './daemon.js';
export { VERSION } from './version.js';
export { joinCluster, restoreSnapshotOffline, verifySnapshotFile } from './offline.js';
export { readClusterEnv } from '../replication/join/index.js';
export { createNotifier, notifyPlan, systemdNotifySender } from './sd-notify.js';
export type { Notifier, NotifyPlan, NotifySend } from './sd-notify.js';
export { checkBackupStream, restoreBackup } from './restore.js';
export type { RestoreOptions, RestoreResult } from './restore.js';
