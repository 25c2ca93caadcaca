export { TABLES } from './port.js';
export type { Table, Bytes, Range, Entry, ReadTxn, WriteTxn, Storage, StorageInfo } from './port.js';
export { compareBytes, prefixEnd, prefixRange, u64Key, readU64 } from './keys.js';
export { openMemoryStorage } from './memory/memory-storage.js';
export type { MemoryStorage, MemoryFaults } from './memory/memory-storage.js';
