/**
 * SPARQL result formats: content negotiation and incremental writers for SELECT (JSON, XML, CSV, TSV),
 * ASK (JSON, XML) and CONSTRUCT/DESCRIBE (Turtle, N-Triples, N-Quads, TriG, JSON-LD).
 */
export {
  BINDINGS_FORMATS,
  BOOLEAN_FORMATS,
  GRAPH_FORMATS,
  RESULT_FORMATS,
  formatFromName,
  isBindingsFormat,
  isBooleanFormat,
  isGraphFormat,
  negotiateResults,
  offeredFormats,
  parseAccept,
} from './formats.js';
export type { BindingsFormatName, BooleanFormatName, GraphFormatName, MediaRange, ResultFormat, ResultFormatName, ResultKind } from './formats.js';
export { createBindingsWriter, createGraphWriter, writeBoolean } from './writers.js';
export type { BindingsWriter, FormatArg, GraphWriter, GraphWriterOptions, ResultRow } from './writers.js';
export { bindingsToString, graphToString, serializeBindings, serializeGraph } from './stream.js';
export type { ChunkOptions } from './stream.js';
