export { PACK_NAME, compilePacks, packDigest, wellFormedPackProblems } from './compile.js';
export type { CompileResult } from './compile.js';
export { deletePackRecord, forgetPackNamespace, hookOwner, listPackRecords, putPackRecord } from './store.js';
export type { CompiledPack, PackFile, PackNamespace, PackProblem, PackRecord, PackSource } from './types.js';
