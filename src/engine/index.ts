export { Engine } from './engine.js';
export type { TxRequest, TxResult, EngineOptions } from './engine.js';
export { applyCommand, parseTxCommand } from './apply.js';
export type { Outcome, TxOutcome, ParsedDelta } from './apply.js';
export { encodeCommand, decodeCommand } from './commands.js';
export type { Command, TxCommand, NamespaceCommand } from './commands.js';
export { getReceipt, requireReceipt, searchReceipts, receiptsOf, chainHead } from './receipt-store.js';
export type { ReceiptQuery } from './receipt-store.js';
