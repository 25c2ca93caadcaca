export { gather } from './merge.js';
export type { Gathered, PartResult, Solution } from './merge.js';
