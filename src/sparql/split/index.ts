export { planSplit, mergedValues } from './plan.js';
export type { DriverChoice, SplitDecision, SplitPlan, RowsPlan, PartialPlan, AskPlan, PartialAggregate } from './plan.js';
export { combinePartials } from './combine.js';
export { HASH_SPACE, ID_SPACE, MAX_SLICES, SLICES_PER_PART, termHash, splitRanges, planShares, inSlices, inRange, owns, shareProblem, rangeLabel, shareLabel } from './partition.js';
export type { PartitionFilter, PartitionRange, PartitionShare } from './partition.js';
export { estimateCost, patternCost } from './cost.js';
