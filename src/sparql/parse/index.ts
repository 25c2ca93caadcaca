export { parseQuery, parseUpdate, updateWithDataset, Algebra } from './parse.js';
export type { ParsedQuery, ParsedUpdate, ProtocolDataset, QueryForm } from './parse.js';
