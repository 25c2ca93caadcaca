/**
 * Incremental result writers: each call returns the next piece of the document as a string, so the HTTP
 * layer can stream any number of rows in constant memory (only Turtle/TriG keep the current subject,
 * and JSON-LD buffers, see below).
 *
 * Formats (all hand-written, no serializer library, except that Turtle/TriG use n3's Writer for its
 * subject/predicate grouping and prefix handling):
 * - SPARQL 1.1 Query Results JSON  https://www.w3.org/TR/sparql11-results-json/
 * - SPARQL Query Results XML       https://www.w3.org/TR/rdf-sparql-XMLres/
 * - SPARQL 1.1 Query Results CSV and TSV  https://www.w3.org/TR/sparql11-results-csv-tsv/
 * - N-Triples, N-Quads (canonical form), Turtle, TriG, JSON-LD 1.1 expanded form.
 *
 * Rows. A solution is a plain object from variable name (without `?`) to its value, the shape the
 * evaluator yields (`Solution` of src/sparql/query.ts is assignable); an unbound variable is absent (or
 * undefined). Only own properties count, so variables named `constructor` or `__proto__` are safe. Only
 * the variables given to `head()` are written, in that order; other keys are ignored.
 *
 * Blank nodes. Writers print a blank node's label as it is (`term.value`); they keep no label table.
 * So labels are stable within one result set (same node, same label) as long as the evaluator hands
 * out the same label for the same node (stored nodes keep their stored label; CONSTRUCT mints one label
 * per template node and solution). Writers never invent or rename labels.
 * Labels must be valid BLANK_NODE_LABELs for the N-Triples based formats (TSV, N-Triples, N-Quads).
 *
 * Call order: `head()` once, `row()` any number of times, `end()` once (asserted).
 */
import { Writer as N3Writer } from 'n3';
import type { Literal, Quad, Term } from '@rdfjs/types';
import { KnowdError, assert } from '../../base/index.js';
import type { BindingsFormatName, BooleanFormatName, GraphFormatName } from './formats.js';
import { RESULT_FORMATS } from './formats.js';
import { RDF_TYPE, badTerm, csvField, jsonString, literalShape, ntTerm, turtleNumber, xmlAttr, xmlText } from './syntax.js';

/** One query solution: variable name (no `?`) → value; unbound variables are absent or undefined. */
export type ResultRow = Readonly<Record<string, Term | undefined>>;

export interface BindingsWriter {
  readonly format: BindingsFormatName;
  readonly mediaType: string;
  readonly contentType: string;
  /** The start of the document, with the variable names (without `?`), in column order. */
  head(vars: readonly string[]): string;
  /** One solution. */
  row(row: ResultRow): string;
  /** The rest of the document. */
  end(): string;
}

export interface GraphWriter {
  readonly format: GraphFormatName;
  readonly mediaType: string;
  readonly contentType: string;
  head(): string;
  /** One triple or quad. Formats without graphs (N-Triples, Turtle) write the triple and drop the graph. */
  row(quad: Quad): string;
  end(): string;
}

/** A format by name, or the ResultFormat that negotiation returned. */
export type FormatArg<N extends string> = N | { readonly name: N };

/** The head → rows → end protocol, asserted: a misuse would emit a broken document silently. */
class Phase {
  private state: 'new' | 'open' | 'closed' = 'new';
  constructor(private readonly what: string) {}
  open(): void {
    assert(this.state === 'new', `${this.what}: head() called twice or after end()`);
    this.state = 'open';
  }
  check(): void {
    assert(this.state === 'open', `${this.what}: row() outside head()..end()`);
  }
  close(): void {
    assert(this.state === 'open', `${this.what}: end() without head() or called twice`);
    this.state = 'closed';
  }
}

/**
 * A column: its variable and how to read it from a row. Names that a plain object inherits
 * (`constructor`, `toString`, `__proto__`, ...) are read as own properties only.
 */
interface Column {
  readonly name: string;
  readonly inherited: boolean;
}

function columns(vars: readonly string[]): Column[] {
  return vars.map((v) => {
    assert(v !== '' && !v.startsWith('?') && !v.startsWith('$'), `variable names are given without "?" ("${v}")`);
    return { name: v, inherited: v in Object.prototype };
  });
}

function cell(row: ResultRow, c: Column): Term | undefined {
  const t = row[c.name];
  return t === undefined || (c.inherited && !Object.hasOwn(row, c.name)) ? undefined : t;
}

// ---------------------------------------------------------------------------------------------
// SPARQL JSON

function jsonTerm(t: Term): string {
  switch (t.termType) {
    case 'NamedNode':
      return `{"type":"uri","value":${jsonString(t.value)}}`;
    case 'BlankNode':
      return `{"type":"bnode","value":${jsonString(t.value)}}`;
    case 'Literal':
      return jsonLiteral(t);
    case 'Quad':
      // SPARQL 1.2 (and SPARQL-star before it): triple terms.
      return `{"type":"triple","value":{"subject":${jsonTerm(t.subject)},"predicate":${jsonTerm(t.predicate)},"object":${jsonTerm(t.object)}}}`;
    case 'Variable':
    case 'DefaultGraph':
      return badTerm(t, 'a query solution');
  }
}

/**
 * Literals written before, by term object: the dictionary hands out one shared object per stored
 * term (dataset/dictionary.ts `decoded`), so terms repeated in a result or across queries are
 * written once. An RDF/JS literal parses its value, language and datatype out of one string on
 * each access, which made literals the costliest cells of a large result.
 */
const writtenLiterals = new WeakMap<Literal, string>();

function jsonLiteral(l: Literal): string {
  let out = writtenLiterals.get(l);
  if (out === undefined) writtenLiterals.set(l, (out = writeJsonLiteral(l)));
  return out;
}

function writeJsonLiteral(l: Literal): string {
  const value = `{"type":"literal","value":${jsonString(l.value)}`;
  const shape = literalShape(l);
  switch (shape.kind) {
    case 'plain':
      return `${value}}`;
    case 'lang':
      return shape.direction === undefined
        ? `${value},"xml:lang":${jsonString(shape.language)}}`
        : `${value},"xml:lang":${jsonString(shape.language)},"its:dir":"${shape.direction}"}`;
    case 'typed':
      return `${value},"datatype":${jsonString(shape.datatype)}}`;
  }
}

class JsonBindingsWriter implements BindingsWriter {
  readonly format = 'json';
  readonly mediaType = RESULT_FORMATS.json.mediaType;
  readonly contentType = RESULT_FORMATS.json.contentType;
  private readonly phase = new Phase('SPARQL JSON writer');
  private keys: readonly (readonly [Column, string])[] = [];
  private rows = 0;

  head(vars: readonly string[]): string {
    this.phase.open();
    this.keys = columns(vars).map((c) => [c, jsonString(c.name)] as const);
    return `{"head":{"vars":[${this.keys.map(([, k]) => k).join(',')}]},"results":{"bindings":[`;
  }

  row(row: ResultRow): string {
    this.phase.check();
    let out = this.rows++ === 0 ? '\n{' : ',\n{';
    let first = true;
    for (const [c, key] of this.keys) {
      const t = cell(row, c);
      if (t === undefined) continue;
      out += `${first ? '' : ','}${key}:${jsonTerm(t)}`;
      first = false;
    }
    return `${out}}`;
  }

  end(): string {
    this.phase.close();
    return this.rows === 0 ? ']}}\n' : '\n]}}\n';
  }
}

// ---------------------------------------------------------------------------------------------
// SPARQL XML

const XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n';
/** ITS 2.0 namespace, used by SPARQL 1.2 for the base direction of a literal (`its:dir`). */
const ITS_NS = 'http://www.w3.org/2005/11/its';

function xmlTerm(t: Term): string {
  switch (t.termType) {
    case 'NamedNode':
      return `<uri>${xmlText(t.value)}</uri>`;
    case 'BlankNode':
      return `<bnode>${xmlText(t.value)}</bnode>`;
    case 'Literal': {
      const shape = literalShape(t);
      const text = xmlText(t.value);
      switch (shape.kind) {
        case 'plain':
          return `<literal>${text}</literal>`;
        case 'lang':
          return shape.direction === undefined
            ? `<literal xml:lang="${xmlAttr(shape.language)}">${text}</literal>`
            : `<literal xml:lang="${xmlAttr(shape.language)}" its:dir="${shape.direction}" xmlns:its="${ITS_NS}">${text}</literal>`;
        case 'typed':
          return `<literal datatype="${xmlAttr(shape.datatype)}">${text}</literal>`;
      }
      break;
    }
    case 'Quad':
      return `<triple><subject>${xmlTerm(t.subject)}</subject><predicate>${xmlTerm(t.predicate)}</predicate><object>${xmlTerm(t.object)}</object></triple>`;
    case 'Variable':
    case 'DefaultGraph':
      return badTerm(t, 'a query solution');
  }
}

class XmlBindingsWriter implements BindingsWriter {
  readonly format = 'xml';
  readonly mediaType = RESULT_FORMATS.xml.mediaType;
  readonly contentType = RESULT_FORMATS.xml.contentType;
  private readonly phase = new Phase('SPARQL XML writer');
  private keys: readonly (readonly [Column, string])[] = [];

  head(vars: readonly string[]): string {
    this.phase.open();
    this.keys = columns(vars).map((c) => [c, `      <binding name="${xmlAttr(c.name)}">`] as const);
    const variables = vars.map((v) => `    <variable name="${xmlAttr(v)}"/>\n`).join('');
    return `${XML_HEAD}  <head>\n${variables}  </head>\n  <results>\n`;
  }

  row(row: ResultRow): string {
    this.phase.check();
    let out = '    <result>\n';
    for (const [c, open] of this.keys) {
      const t = cell(row, c);
      if (t !== undefined) out += `${open}${xmlTerm(t)}</binding>\n`;
    }
    return `${out}    </result>\n`;
  }

  end(): string {
    this.phase.close();
    return '  </results>\n</sparql>\n';
  }
}

// ---------------------------------------------------------------------------------------------
// CSV and TSV

/** CSV keeps no types: IRIs bare, blank nodes `_:label`, literals their lexical form only. */
function csvTerm(t: Term): string {
  switch (t.termType) {
    case 'NamedNode':
    case 'Literal':
      return t.value;
    case 'BlankNode':
      return `_:${t.value}`;
    case 'Quad':
      return ntTerm(t); // no CSV form is defined for triple terms; N-Triples text at least reads back
    case 'Variable':
    case 'DefaultGraph':
      return badTerm(t, 'a query solution');
  }
}

/** CSV: RFC 4180 quoting; CRLF line ends (RFC 4180 §2, required by the SPARQL CSV spec). */
class CsvBindingsWriter implements BindingsWriter {
  readonly format = 'csv';
  readonly mediaType = RESULT_FORMATS.csv.mediaType;
  readonly contentType = RESULT_FORMATS.csv.contentType;
  private readonly phase = new Phase('CSV writer');
  private cols: readonly Column[] = [];

  head(vars: readonly string[]): string {
    this.phase.open();
    this.cols = columns(vars);
    return `${vars.map(csvField).join(',')}\r\n`;
  }

  row(row: ResultRow): string {
    this.phase.check();
    let out = '';
    for (let i = 0; i < this.cols.length; i++) {
      const t = cell(row, this.cols[i] as Column);
      if (i > 0) out += ',';
      if (t !== undefined) out += csvField(csvTerm(t));
    }
    return `${out}\r\n`;
  }

  end(): string {
    this.phase.close();
    return '';
  }
}

/**
 * TSV: terms in N-Triples syntax (escapes keep tabs and newlines out of fields), numbers of type
 * xsd:integer/decimal/double bare when their lexical form is a Turtle number (see turtleNumber);
 * header `?x\t?y`; LF line ends, as in the spec and the W3C tests.
 */
function tsvTerm(t: Term): string {
  if (t.termType === 'Literal') return turtleNumber(t) ?? ntTerm(t);
  return ntTerm(t);
}

class TsvBindingsWriter implements BindingsWriter {
  readonly format = 'tsv';
  readonly mediaType = RESULT_FORMATS.tsv.mediaType;
  readonly contentType = RESULT_FORMATS.tsv.contentType;
  private readonly phase = new Phase('TSV writer');
  private cols: readonly Column[] = [];

  head(vars: readonly string[]): string {
    this.phase.open();
    this.cols = columns(vars);
    return `${vars.map((v) => `?${v}`).join('\t')}\n`;
  }

  row(row: ResultRow): string {
    this.phase.check();
    let out = '';
    for (let i = 0; i < this.cols.length; i++) {
      const t = cell(row, this.cols[i] as Column);
      if (i > 0) out += '\t';
      if (t !== undefined) out += tsvTerm(t);
    }
    return `${out}\n`;
  }

  end(): string {
    this.phase.close();
    return '';
  }
}

/** A fresh writer for one result set. */
export function createBindingsWriter(format: FormatArg<BindingsFormatName>): BindingsWriter {
  const name = typeof format === 'string' ? format : format.name;
  switch (name) {
    case 'json':
      return new JsonBindingsWriter();
    case 'xml':
      return new XmlBindingsWriter();
    case 'csv':
      return new CsvBindingsWriter();
    case 'tsv':
      return new TsvBindingsWriter();
  }
}

/** A whole ASK result: `{"head":{},"boolean":true}` or the XML `<boolean>` document. */
export function writeBoolean(format: FormatArg<BooleanFormatName>, value: boolean): string {
  const name = typeof format === 'string' ? format : format.name;
  switch (name) {
    case 'json':
      return `{"head":{},"boolean":${value}}\n`;
    case 'xml':
      return `${XML_HEAD}  <head/>\n  <boolean>${value}</boolean>\n</sparql>\n`;
  }
}

// ---------------------------------------------------------------------------------------------
// Graphs: N-Triples and N-Quads (line per statement, canonical escaping)

class LineGraphWriter implements GraphWriter {
  readonly mediaType: string;
  readonly contentType: string;
  private readonly phase: Phase;
  constructor(readonly format: 'n-triples' | 'n-quads') {
    this.mediaType = RESULT_FORMATS[format].mediaType;
    this.contentType = RESULT_FORMATS[format].contentType;
    this.phase = new Phase(`${format} writer`);
  }

  head(): string {
    this.phase.open();
    return '';
  }

  row(q: Quad): string {
    this.phase.check();
    const triple = `${ntTerm(q.subject)} ${ntTerm(q.predicate)} ${ntTerm(q.object)}`;
    if (this.format === 'n-quads' && q.graph.termType !== 'DefaultGraph') return `${triple} ${ntTerm(q.graph)} .\n`;
    return `${triple} .\n`;
  }

  end(): string {
    this.phase.close();
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Turtle and TriG, via n3's Writer writing into a string sink that each call drains. n3 keeps only the
// current subject and predicate open, so these stream too; a subject that comes back later is simply
// written again (still the same graph).

/** The slice of a writable stream n3's Writer uses (`write(chunk, encoding, done)` and `end(done)`). */
class StringSink {
  private buffer = '';
  write(chunk: string, _encoding?: string, done?: () => void): boolean {
    this.buffer += chunk;
    if (done) done();
    return true;
  }
  end(done?: () => void): void {
    if (done) done();
  }
  drain(): string {
    const out = this.buffer;
    this.buffer = '';
    return out;
  }
}

export interface GraphWriterOptions {
  /** Prefixes for Turtle and TriG (`{ ex: 'http://example.org/' }`); ignored by the other formats. */
  readonly prefixes?: Readonly<Record<string, string>>;
}

class N3GraphWriter implements GraphWriter {
  readonly mediaType: string;
  readonly contentType: string;
  private readonly phase: Phase;
  private readonly sink = new StringSink();
  private readonly writer: N3Writer;
  private failure: unknown;

  constructor(
    readonly format: 'turtle' | 'trig',
    prefixes: Readonly<Record<string, string>>,
  ) {
    this.mediaType = RESULT_FORMATS[format].mediaType;
    this.contentType = RESULT_FORMATS[format].contentType;
    this.phase = new Phase(`${format} writer`);
    this.writer = new N3Writer(this.sink, { format: format === 'turtle' ? 'Turtle' : 'TriG', prefixes: { ...prefixes } });
  }

  head(): string {
    this.phase.open();
    return this.sink.drain(); // the prefix block
  }

  row(q: Quad): string {
    this.phase.check();
    const done = (err?: unknown): void => {
      if (err !== undefined && err !== null) this.failure = err;
    };
    // Turtle has no graphs: a CONSTRUCT result is triples anyway, so the graph is dropped.
    if (this.format === 'turtle') this.writer.addQuad(q.subject, q.predicate, q.object, undefined, done);
    else this.writer.addQuad(q.subject, q.predicate, q.object, q.graph, done);
    if (this.failure !== undefined) throw new KnowdError('INTERNAL', `Cannot write ${this.format}: ${String(this.failure)}`, {}, { cause: this.failure });
    return this.sink.drain();
  }

  end(): string {
    this.phase.close();
    let ended = false;
    this.writer.end((err) => {
      if (err) this.failure = err;
      ended = true;
    });
    assert(ended, 'n3 Writer.end completes synchronously on a string sink');
    if (this.failure !== undefined) throw new KnowdError('INTERNAL', `Cannot write ${this.format}: ${String(this.failure)}`, {}, { cause: this.failure });
    return this.sink.drain();
  }
}

// ---------------------------------------------------------------------------------------------
// JSON-LD 1.1, expanded document form, as the RDF-to-JSON-LD algorithm makes it (native types off,
// rdf:type as @type): a flat array of node objects grouped by subject; each named graph as
// {"@id": g, "@graph": [...]}, merged into the node object of g when g is also a subject of the
// default graph. Grouping needs the whole graph, so this writer buffers until end(): use N-Triples
// or N-Quads for very large results. Duplicate statements are written once.

interface NodeAcc {
  readonly types: Set<string>; // JSON-encoded type IRIs / blank node ids
  readonly props: Map<string, Set<string>>; // predicate IRI → JSON-encoded value objects
}

function jsonLdId(t: Term, where: string): string {
  switch (t.termType) {
    case 'NamedNode':
      return t.value;
    case 'BlankNode':
      return `_:${t.value}`;
    case 'Quad':
      throw new KnowdError('BAD_TERM', `JSON-LD cannot express the triple term ${ntTerm(t)} (${where}); ask for Turtle, TriG, N-Triples or N-Quads`);
    case 'Literal':
    case 'Variable':
    case 'DefaultGraph':
      return badTerm(t, `the ${where} of a JSON-LD statement`);
  }
}

function jsonLdValue(t: Term): string {
  if (t.termType !== 'Literal') return `{"@id":${jsonString(jsonLdId(t, 'object'))}}`;
  const value = `{"@value":${jsonString(t.value)}`;
  const shape = literalShape(t);
  switch (shape.kind) {
    case 'plain':
      return `${value}}`;
    case 'lang':
      return shape.direction === undefined
        ? `${value},"@language":${jsonString(shape.language)}}`
        : `${value},"@language":${jsonString(shape.language)},"@direction":"${shape.direction}"}`;
    case 'typed':
      return `${value},"@type":${jsonString(shape.datatype)}}`;
  }
}

class JsonLdGraphWriter implements GraphWriter {
  readonly format = 'json-ld';
  readonly mediaType = RESULT_FORMATS['json-ld'].mediaType;
  readonly contentType = RESULT_FORMATS['json-ld'].contentType;
  private readonly phase = new Phase('JSON-LD writer');
  /** Graph ('' = default) → subject id → node; Maps keep first-seen order, so output is deterministic. */
  private readonly graphs = new Map<string, Map<string, NodeAcc>>();

  head(): string {
    this.phase.open();
    return '';
  }

  row(q: Quad): string {
    this.phase.check();
    const graph = q.graph.termType === 'DefaultGraph' ? '' : jsonLdId(q.graph, 'graph');
    const subject = jsonLdId(q.subject, 'subject');
    const predicate = jsonLdId(q.predicate, 'predicate');
    let nodes = this.graphs.get(graph);
    if (nodes === undefined) this.graphs.set(graph, (nodes = new Map()));
    let node = nodes.get(subject);
    if (node === undefined) nodes.set(subject, (node = { types: new Set(), props: new Map() }));
    if (predicate === RDF_TYPE && q.object.termType !== 'Literal') {
      node.types.add(jsonString(jsonLdId(q.object, 'object')));
    } else {
      let values = node.props.get(predicate);
      if (values === undefined) node.props.set(predicate, (values = new Set()));
      values.add(jsonLdValue(q.object));
    }
    return '';
  }

  end(): string {
    this.phase.close();
    const defaults = this.graphs.get('') ?? new Map<string, NodeAcc>();
    const top: string[] = [];
    for (const [id, node] of defaults) {
      const named = this.graphs.get(id);
      top.push(nodeObject(id, node, id !== '' && named !== undefined ? graphMembers(named, '  ') : undefined));
    }
    for (const [id, nodes] of this.graphs) {
      if (id === '' || defaults.has(id)) continue;
      top.push(`{"@id":${jsonString(id)},"@graph":[${graphMembers(nodes, '  ')}]}`);
    }
    this.graphs.clear();
    return top.length === 0 ? '[]\n' : `[\n${top.join(',\n')}\n]\n`;
  }
}

function nodeObject(id: string, node: NodeAcc, graph: string | undefined): string {
  let out = `{"@id":${jsonString(id)}`;
  if (node.types.size > 0) out += `,"@type":[${[...node.types].join(',')}]`;
  for (const [p, values] of node.props) out += `,${jsonString(p)}:[${[...values].join(',')}]`;
  if (graph !== undefined) out += `,"@graph":[${graph}]`;
  return `${out}}`;
}

function graphMembers(nodes: ReadonlyMap<string, NodeAcc>, indent: string): string {
  const members = [...nodes].map(([id, node]) => `${indent}${nodeObject(id, node, undefined)}`);
  return members.length === 0 ? '' : `\n${members.join(',\n')}\n`;
}

/** A fresh writer for one graph result. */
export function createGraphWriter(format: FormatArg<GraphFormatName>, options: GraphWriterOptions = {}): GraphWriter {
  const name = typeof format === 'string' ? format : format.name;
  switch (name) {
    case 'n-triples':
    case 'n-quads':
      return new LineGraphWriter(name);
    case 'turtle':
    case 'trig':
      return new N3GraphWriter(name, options.prefixes ?? {});
    case 'json-ld':
      return new JsonLdGraphWriter();
  }
}
