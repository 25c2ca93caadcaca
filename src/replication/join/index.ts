export { JoinService, subjectOf } from './service.js';
export type { JoinAnswer, JoinRequest, JoinServiceOptions } from './service.js';
export { caPinOf, formatToken, joinProof, parseToken, seal, unseal } from './token.js';
export type { JoinToken } from './token.js';
export { clusterPaths, readClusterEnv, readClusterInfo, writeClusterFiles, writeFileAtomic } from './files.js';
export type { ClusterFiles, ClusterInfo, ClusterPaths } from './files.js';
export { CertRenewer, certValidity, renewAtMs } from './renew.js';
export type { CertRenewalStatus, CertValidity, RenewalOutcome } from './renew.js';
