/**
 * Result formats and content negotiation for the SPARQL 1.1 Protocol.
 *
 * - `negotiateResults(accept, kind)` picks the format for a query's results from an HTTP Accept header
 *   (RFC 9110 §12.5.1: media ranges with q-values, `*` wildcards; media-type parameters are ignored).
 * - `formatFromName(name, kind)` is the explicit override (`?format=json`, `--format tsv`): short names,
 *   common aliases or a media type.
 *
 * Hand-written (no negotiation library): the grammar is small and the behaviour must be exactly ours.
 */
import { KnowdError } from '../../base/index.js';

/** What a query returns: solutions (SELECT), a boolean (ASK) or a graph (CONSTRUCT/DESCRIBE). */
export type ResultKind = 'bindings' | 'boolean' | 'graph';

export const BINDINGS_FORMATS = ['json', 'xml', 'csv', 'tsv'] as const;
export const BOOLEAN_FORMATS = ['json', 'xml'] as const;
export const GRAPH_FORMATS = ['turtle', 'n-triples', 'n-quads', 'trig', 'json-ld'] as const;

export type BindingsFormatName = (typeof BINDINGS_FORMATS)[number];
export type BooleanFormatName = (typeof BOOLEAN_FORMATS)[number];
export type GraphFormatName = (typeof GRAPH_FORMATS)[number];
export type ResultFormatName = BindingsFormatName | GraphFormatName;

export interface ResultFormat<N extends ResultFormatName = ResultFormatName> {
  readonly name: N;
  /** The canonical media type, the one responses are labelled with. */
  readonly mediaType: string;
  /** Value for the Content-Type header (the media type with `charset=utf-8`). */
  readonly contentType: string;
  /** Further media types an Accept header may name for this format (only named exactly, not via wildcards). */
  readonly aliases: readonly string[];
  /** Usual file extension, without the dot (for Content-Disposition or exports). */
  readonly extension: string;
}

function format<N extends ResultFormatName>(name: N, mediaType: string, extension: string, aliases: readonly string[] = []): ResultFormat<N> {
  return Object.freeze({ name, mediaType, contentType: `${mediaType}; charset=utf-8`, aliases: Object.freeze([...aliases]), extension });
}

export const RESULT_FORMATS: { readonly [N in ResultFormatName]: ResultFormat<N> } = Object.freeze({
  json: format('json', 'application/sparql-results+json', 'srj', ['application/json']),
  xml: format('xml', 'application/sparql-results+xml', 'srx', ['application/xml']),
  csv: format('csv', 'text/csv', 'csv'),
  tsv: format('tsv', 'text/tab-separated-values', 'tsv'),
  turtle: format('turtle', 'text/turtle', 'ttl', ['application/x-turtle']),
  'n-triples': format('n-triples', 'application/n-triples', 'nt', ['text/plain']),
  'n-quads': format('n-quads', 'application/n-quads', 'nq', ['text/x-nquads']),
  trig: format('trig', 'application/trig', 'trig'),
  'json-ld': format('json-ld', 'application/ld+json', 'jsonld', ['application/json']),
});

const OFFERED: { readonly [K in ResultKind]: readonly ResultFormat[] } = {
  bindings: BINDINGS_FORMATS.map((n) => RESULT_FORMATS[n]),
  boolean: BOOLEAN_FORMATS.map((n) => RESULT_FORMATS[n]),
  graph: GRAPH_FORMATS.map((n) => RESULT_FORMATS[n]),
};

/** The formats offered for a kind of result, the default first (server preference order). */
export function offeredFormats(kind: 'bindings'): readonly ResultFormat<BindingsFormatName>[];
export function offeredFormats(kind: 'boolean'): readonly ResultFormat<BooleanFormatName>[];
export function offeredFormats(kind: 'graph'): readonly ResultFormat<GraphFormatName>[];
export function offeredFormats(kind: ResultKind): readonly ResultFormat[];
export function offeredFormats(kind: ResultKind): readonly ResultFormat[] {
  return OFFERED[kind];
}

// ---------------------------------------------------------------------------------------------
// Accept parsing

/** One media range of an Accept header. */
export interface MediaRange {
  readonly type: string; // lower case; '*' for a wildcard
  readonly subtype: string; // lower case; '*' for a wildcard
  readonly q: number; // 0..1
  readonly index: number; // position in the header (earlier wins ties)
}

/** Limits what a hostile header can make us do (RFC 9110 sets none; real headers have a handful). */
const MEDIA_RANGES_MAX = 64;

/** Splits on `sep` outside double-quoted strings (parameter values may be quoted and hold commas). */
function splitUnquoted(s: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === sep) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A weight: `0`, `0.5`, `1.000`; lenient about forms real clients send (`.2`), clamped to 0..1. */
function parseWeight(v: string): number | undefined {
  const n = Number(v.trim().replace(/^"(.*)"$/, '$1'));
  if (v.trim() === '' || !Number.isFinite(n)) return undefined;
  return Math.min(1, Math.max(0, n));
}

/**
 * Parses an Accept header into media ranges. Malformed ranges are skipped (a server should not fail a
 * query over a sloppy header); a bare `*` (old Java clients) counts as `*\/*`. Parameters other than
 * `q` are ignored, as are accept-extensions after it.
 */
export function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of splitUnquoted(accept, ',')) {
    if (ranges.length >= MEDIA_RANGES_MAX) break;
    const [mediaRange = '', ...params] = splitUnquoted(part, ';');
    const range = mediaRange.trim().toLowerCase();
    if (range === '') continue;
    const [type = '', subtype = '', extra] = range === '*' ? ['*', '*'] : range.split('/');
    if (extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) continue;
    let q = 1;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const w = parseWeight(p.slice(eq + 1));
      if (w !== undefined) q = w;
      break; // the first q ends the media-type parameters; what follows are accept-extensions
    }
    ranges.push({ type, subtype, q, index: ranges.length });
  }
  return ranges;
}

/** How well a media range fits a concrete media type: 3 exact, 2 `type/*`, 1 `*\/*`, 0 not at all. */
function specificity(r: MediaRange, mediaType: string): number {
  if (r.type === '*') return 1;
  const slash = mediaType.indexOf('/');
  if (r.type !== mediaType.slice(0, slash)) return 0;
  if (r.subtype === '*') return 2;
  return r.subtype === mediaType.slice(slash + 1) ? 3 : 0;
}

interface Fit {
  readonly q: number;
  readonly specificity: number;
  readonly index: number;
}

/**
 * The client's weight for one of our media types: that of the most specific range naming it (RFC 9110:
 * "more specific ranges override less specific ones"); among equally specific ranges, the highest q.
 */
function fit(ranges: readonly MediaRange[], mediaType: string): Fit | undefined {
  let best: Fit | undefined;
  for (const r of ranges) {
    const s = specificity(r, mediaType);
    if (s === 0) continue;
    if (best === undefined || s > best.specificity || (s === best.specificity && r.q > best.q)) best = { q: r.q, specificity: s, index: r.index };
  }
  return best;
}

function better(a: Fit, b: Fit): boolean {
  if (a.q !== b.q) return a.q > b.q;
  if (a.specificity !== b.specificity) return a.specificity > b.specificity;
  return a.index < b.index;
}

/**
 * Picks the format for a result from an Accept header.
 *
 * Order of preference: the client's q-value; then how specifically the client named the type (an
 * exact `text/csv` beats a `text/*` or `*\/*` of the same q); then the client's order in the header;
 * then ours (the default first). No header, or an empty one, gets the default: SPARQL JSON for
 * bindings and booleans, Turtle for graphs. Media-type parameters (`charset`, `profile`) are ignored.
 *
 * @throws KnowdError NOT_ACCEPTABLE (406) when no offered type has a q above 0.
 */
export function negotiateResults(accept: string | undefined, kind: 'bindings'): ResultFormat<BindingsFormatName>;
export function negotiateResults(accept: string | undefined, kind: 'boolean'): ResultFormat<BooleanFormatName>;
export function negotiateResults(accept: string | undefined, kind: 'graph'): ResultFormat<GraphFormatName>;
export function negotiateResults(accept: string | undefined, kind: ResultKind): ResultFormat;
export function negotiateResults(accept: string | undefined, kind: ResultKind): ResultFormat {
  const offered = OFFERED[kind];
  const fallback = offered[0];
  if (fallback === undefined) throw new KnowdError('INTERNAL', `No result format is offered for ${kind} results`);
  if (accept === undefined || accept.trim() === '') return fallback;
  const ranges = parseAccept(accept);
  // A header with nothing we can read is treated like no header: refusing would punish a typo.
  if (ranges.length === 0) return fallback;
  let chosen: ResultFormat | undefined;
  let chosenFit: Fit | undefined;
  for (const f of offered) {
    // Aliases count only when named exactly: a wildcard is matched against the type we would send.
    for (const mediaType of [f.mediaType, ...f.aliases]) {
      const candidate = fit(ranges, mediaType);
      if (candidate === undefined || candidate.q <= 0) continue;
      if (mediaType !== f.mediaType && candidate.specificity < 3) continue;
      if (chosenFit === undefined || better(candidate, chosenFit)) {
        chosen = f;
        chosenFit = candidate;
      }
    }
  }
  if (chosen === undefined) throw notAcceptable(accept, kind);
  return chosen;
}

function notAcceptable(accept: string, kind: ResultKind): KnowdError {
  const offered = OFFERED[kind].map((f) => f.mediaType);
  return new KnowdError('NOT_ACCEPTABLE', `None of the media types in Accept "${accept}" can be produced for ${describeKind(kind)}; offered: ${offered.join(', ')}`, {
    accept,
    offered,
  });
}

function describeKind(kind: ResultKind): string {
  return kind === 'bindings' ? 'SELECT results' : kind === 'boolean' ? 'an ASK result' : 'a graph result (CONSTRUCT/DESCRIBE)';
}

// ---------------------------------------------------------------------------------------------
// Explicit format names

const NAME_ALIASES: Readonly<Record<string, ResultFormatName>> = {
  json: 'json',
  srj: 'json',
  'sparql-json': 'json',
  'sparql-results+json': 'json',
  xml: 'xml',
  srx: 'xml',
  'sparql-xml': 'xml',
  'sparql-results+xml': 'xml',
  csv: 'csv',
  tsv: 'tsv',
  turtle: 'turtle',
  ttl: 'turtle',
  'n-triples': 'n-triples',
  ntriples: 'n-triples',
  nt: 'n-triples',
  'n-quads': 'n-quads',
  nquads: 'n-quads',
  nq: 'n-quads',
  trig: 'trig',
  'json-ld': 'json-ld',
  jsonld: 'json-ld',
};

/** Media types (canonical and aliases) to formats; `application/json` is resolved by kind below. */
const BY_MEDIA_TYPE: ReadonlyMap<string, ResultFormatName> = new Map(
  Object.values(RESULT_FORMATS).flatMap((f) => [f.mediaType, ...f.aliases].filter((m) => m !== 'application/json').map((m) => [m, f.name] as const)),
);

function lookupName(name: string, kind: ResultKind | undefined): ResultFormatName | undefined {
  const n = name.trim().toLowerCase();
  if (n.includes('/')) {
    const mediaType = (n.split(';')[0] ?? '').trim();
    if (mediaType === 'application/json') return kind === 'graph' ? 'json-ld' : 'json';
    return BY_MEDIA_TYPE.get(mediaType);
  }
  const found = NAME_ALIASES[n.replace(/_/g, '-')];
  // "json" on a CONSTRUCT means the JSON graph format.
  return found === 'json' && kind === 'graph' ? 'json-ld' : found;
}

/**
 * Resolves an explicit format name (`?format=`): `json`, `xml`, `csv`, `tsv`, `turtle`/`ttl`,
 * `n-triples`/`ntriples`/`nt`, `n-quads`/`nquads`/`nq`, `trig`, `json-ld`/`jsonld`, the short
 * `srj`/`srx`, or any media type listed in RESULT_FORMATS (case-insensitive). With a kind, `json`
 * means JSON-LD for graphs, and a format that cannot express that kind is refused.
 *
 * @throws KnowdError BAD_FORMAT (400) for a name that is no format at all;
 *         KnowdError NOT_ACCEPTABLE (406) for a format that exists but not for this kind (csv for ASK).
 */
export function formatFromName(name: string, kind: 'bindings'): ResultFormat<BindingsFormatName>;
export function formatFromName(name: string, kind: 'boolean'): ResultFormat<BooleanFormatName>;
export function formatFromName(name: string, kind: 'graph'): ResultFormat<GraphFormatName>;
export function formatFromName(name: string, kind?: ResultKind): ResultFormat;
export function formatFromName(name: string, kind?: ResultKind): ResultFormat {
  const found = lookupName(name, kind);
  if (found === undefined) {
    const names = [...BINDINGS_FORMATS, ...GRAPH_FORMATS];
    throw new KnowdError('BAD_FORMAT', `Unknown result format "${name}": expected one of ${names.join(', ')} or a media type`, { format: name, expected: names });
  }
  const f = RESULT_FORMATS[found];
  if (kind !== undefined && !OFFERED[kind].includes(f)) {
    const offered = OFFERED[kind].map((o) => o.name);
    throw new KnowdError('NOT_ACCEPTABLE', `Format "${name}" cannot express ${describeKind(kind)}; use one of ${offered.join(', ')}`, { format: name, offered });
  }
  return f;
}

/** Type guards for code that holds a ResultFormat of unknown kind. */
export function isBindingsFormat(f: ResultFormat): f is ResultFormat<BindingsFormatName> {
  return (BINDINGS_FORMATS as readonly string[]).includes(f.name);
}
export function isBooleanFormat(f: ResultFormat): f is ResultFormat<BooleanFormatName> {
  return (BOOLEAN_FORMATS as readonly string[]).includes(f.name);
}
export function isGraphFormat(f: ResultFormat): f is ResultFormat<GraphFormatName> {
  return (GRAPH_FORMATS as readonly string[]).includes(f.name);
}
