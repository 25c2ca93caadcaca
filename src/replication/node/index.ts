export { ReplicationNode, timingOf } from './node.js';
export type { ClusterStatusView, NodeEvents, NodeOptions, NodeTiming } from './node.js';
export type { LocalSnapshot, SnapshotStore } from './snapshots.js';
export { openStandalone, openStandaloneEngine } from './standalone.js';
export type { Check } from './health.js';
