export { gather } from './merge.js';
export type { Gathered, PartResult, Solution } from './merge.js';
export { Participant, PartBody, PART_VERSION } from './participant.js';
export type { ParticipantDeps, ReadCheck } from './participant.js';
export { Coordinator } from './coordinator.js';
export type { CoordinatorDeps, Decision, FederationCounters, PartReport, PeerCall } from './coordinator.js';
export { vectorScatter, mergeHits } from './vectors.js';
export type { SimilarPartBody, VectorScatterDeps } from './vectors.js';
