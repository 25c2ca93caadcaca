export { planSplit, mergedValues } from './plan.js';
export type { SplitDecision, SplitPlan, RowsPlan, PartialPlan, AskPlan, PartialAggregate } from './plan.js';
export { combinePartials } from './combine.js';
export { HASH_SPACE, termHash, splitRanges, inRange, rangeLabel } from './partition.js';
export type { PartitionFilter, PartitionRange } from './partition.js';
export { estimateCost } from './cost.js';
