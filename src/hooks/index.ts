export { HookSchema, DEFAULT_BUDGET, parseHook, parsedQuery } from './definition.js';
export type { Condition, CompareOp, HookDefinition, StoredHook } from './definition.js';
export { BudgetExceeded, EVIDENCE_ROWS, beforeView, deltaTouches, evaluateHook, hookFilter, hookPredicates } from './evaluate.js';
export type { EvalEnv, HookFilter, Verdict } from './evaluate.js';
export { HooksCheck, hookCounters } from './check.js';
export type { EntryInfo, HooksEnv } from './check.js';
export { deleteHook, dropHooks, firingBody, firingOfReceipt, getHook, listFirings, listHooks, putFiring, putHook } from './store.js';
export type { Firing, StoredFiring } from './store.js';
