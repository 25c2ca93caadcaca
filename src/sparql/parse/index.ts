export { parseQuery, parseUpdate, Algebra } from './parse.js';
export type { ParsedQuery, ParsedUpdate, QueryForm } from './parse.js';
