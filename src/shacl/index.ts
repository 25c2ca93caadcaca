export { ShaclCheck, shaclCounters, validateDelta } from './check.js';
export { warmCheckWorker } from './blocking.js';
export { combineShapes, indexShapes, parseShapes, shapesHash, MAX_REACH_HOPS } from './shapes.js';
export type { ShapesIndex } from './shapes.js';
export { putShapes, putPackShapes, packShapesOf, dropShapes, effectiveShapesOf, shapesHashOf, shapesTextOf } from './store.js';
export { validateQuads, validateNamespace } from './validate.js';
export type { FullReport } from './library.js';
export type { ShaclReport, ShaclResult } from './report.js';
export { MAX_CANDIDATES, MAX_FANOUT } from './focus.js';
