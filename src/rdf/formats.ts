import { KnowdError } from '../base/index.js';

export const RDF_FORMATS = ['turtle', 'n-triples', 'n-quads', 'trig'] as const;
export type RdfFormat = (typeof RDF_FORMATS)[number];

const N3_NAMES: Record<RdfFormat, string> = { turtle: 'Turtle', 'n-triples': 'N-Triples', 'n-quads': 'N-Quads', trig: 'TriG' };
export function n3FormatName(f: RdfFormat): string {
  return N3_NAMES[f];
}

const MEDIA_TYPES: Record<string, RdfFormat> = {
  'text/turtle': 'turtle',
  'application/x-turtle': 'turtle',
  'application/n-triples': 'n-triples',
  'text/plain': 'n-triples',
  'application/n-quads': 'n-quads',
  'text/x-nquads': 'n-quads',
  'application/trig': 'trig',
};

export const FORMAT_MEDIA_TYPE: Record<RdfFormat, string> = {
  turtle: 'text/turtle',
  'n-triples': 'application/n-triples',
  'n-quads': 'application/n-quads',
  trig: 'application/trig',
};

export function parseFormatName(name: string): RdfFormat {
  const f = name.toLowerCase().replace(/_/g, '-');
  const alias: Record<string, RdfFormat> = { ttl: 'turtle', nt: 'n-triples', ntriples: 'n-triples', nq: 'n-quads', nquads: 'n-quads' };
  const found = (RDF_FORMATS as readonly string[]).includes(f) ? (f as RdfFormat) : alias[f];
  if (found === undefined) throw new KnowdError('BAD_FORMAT', `Unknown RDF format "${name}": expected one of ${RDF_FORMATS.join(', ')}`);
  return found;
}

export function formatFromMediaType(contentType: string | undefined): RdfFormat | undefined {
  if (contentType === undefined) return undefined;
  const base = contentType.split(';')[0]!.trim().toLowerCase();
  return MEDIA_TYPES[base];
}

/** Guesses a format from a file name (import/export), ignoring a trailing .gz. */
export function formatFromFileName(file: string): RdfFormat | undefined {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.nt')) return 'n-triples';
  if (name.endsWith('.nq')) return 'n-quads';
  if (name.endsWith('.ttl')) return 'turtle';
  if (name.endsWith('.trig')) return 'trig';
  return undefined;
}
