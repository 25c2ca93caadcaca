export { RDF_FORMATS, FORMAT_MEDIA_TYPE, parseFormatName, formatFromMediaType, formatFromFileName, n3FormatName } from './formats.js';
export type { RdfFormat } from './formats.js';
export { parseRdf, parseRdfStream, syntaxError } from './parse.js';
export type { ParseOptions } from './parse.js';
export { encodeTerm, decodeTerm, factory, checkQuad } from './terms.js';
export { serializeRdf, quadToNQuads } from './serialize.js';
export type { Quad, Term } from '@rdfjs/types';
