export { appendRecord, appliedIndex, decodeRecord, encodeRecord, lastIndex, logSize, readRecord, readRecords, setAppliedIndex, LOG_FORMAT } from './log-store.js';
export type { LogRecord } from './log-store.js';
