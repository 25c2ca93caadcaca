export {
  appendRecord, appliedIndex, clearLog, compactTo, decodeRecord, encodeRecord, firstLogIndex, lastIndex, logSize, readPayload, readRecord,
  readRecords, readTerm, setAppliedIndex, truncateFrom, LOG_FORMAT,
} from './log-store.js';
export type { LogRecord } from './log-store.js';
export { readHardState, readMembership, readSnapshotMeta, writeHardState, writeMembership, writeSnapshotMeta } from './raft-state.js';
export { StoredLog } from './stored-log.js';
