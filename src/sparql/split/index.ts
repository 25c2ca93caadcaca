export { planSplit, mergedValues } from './plan.js';
export type { DriverChoice, SplitDecision, SplitPlan, RowsPlan, PartialPlan, AskPlan, PartialAggregate } from './plan.js';
export { combinePartials } from './combine.js';
export { HASH_SPACE, idHash, termHash, splitRanges, inRange, rangeLabel } from './partition.js';
export type { PartitionFilter, PartitionRange } from './partition.js';
export { estimateCost, patternCost } from './cost.js';
