/** SELECT and ASK writers: exact output for a varied result, and each document read back by a parser. */
import test from 'ava';
import type { Term } from '@rdfjs/types';
import { Parser } from 'n3';
import { AssertionError } from '../../../../src/base/index.js';
import { bindingsToString, createBindingsWriter, RESULT_FORMATS, writeBoolean } from '../../../../src/sparql/results/index.js';
import { EX, NASTY, ROWS, VARS, blankNode, cells, literal, namedNode, quad, xsd } from './fixtures.js';
import { xmlAttr } from '../../../../src/sparql/results/syntax.js';
import { pickOne, seededRandom, testSeed } from '../../../helpers/random.js';
import { elements, parseXml, textOf } from './xml-check.js';

const write = (format: 'json' | 'xml' | 'csv' | 'tsv', vars: readonly string[] = VARS, rows = ROWS): string =>
  bindingsToString(createBindingsWriter(format), vars, rows);

// ---------------------------------------------------------------------------------------------- JSON

const JSON_EXPECTED =
  '{"head":{"vars":["s","o","n","missing"]},"results":{"bindings":[\n' +
  String.raw`{"s":{"type":"uri","value":"http://example.org/s"},"o":{"type":"literal","value":"say \"hi\",\nthen\ttab\r\\ é 😀"},"n":{"type":"literal","value":"42","datatype":"http://www.w3.org/2001/XMLSchema#integer"}},` +
  '\n' +
  '{"s":{"type":"bnode","value":"b0"},"o":{"type":"literal","value":"chat","xml:lang":"fr"},"n":{"type":"literal","value":"1.0E6","datatype":"http://www.w3.org/2001/XMLSchema#double"}},\n' +
  '{"s":{"type":"uri","value":"http://example.org/a?x=1&y=2"},"o":{"type":"literal","value":"1 < 2 && 3 > 2","xml:lang":"en-gb"},"n":{"type":"literal","value":"-3","datatype":"http://www.w3.org/2001/XMLSchema#negativeInteger"}},\n' +
  '{},\n' +
  '{"s":{"type":"uri","value":"http://example.org/ü"},"o":{"type":"literal","value":""},"n":{"type":"literal","value":"true","datatype":"http://www.w3.org/2001/XMLSchema#boolean"}}\n' +
  ']}}\n';

test('JSON: exact document', (t) => {
  t.is(write('json'), JSON_EXPECTED);
});

test('JSON: parses to the W3C structure (no datatype on simple or language strings)', (t) => {
  const doc = JSON.parse(write('json')) as { head: { vars: string[] }; results: { bindings: Record<string, Record<string, string>>[] } };
  t.deepEqual(doc.head.vars, [...VARS]);
  t.is(doc.results.bindings.length, ROWS.length);
  t.deepEqual(doc.results.bindings[0]?.['o'], { type: 'literal', value: NASTY });
  t.deepEqual(doc.results.bindings[1]?.['o'], { type: 'literal', value: 'chat', 'xml:lang': 'fr' });
  t.deepEqual(doc.results.bindings[3], {});
  t.deepEqual(doc.results.bindings[4]?.['o'], { type: 'literal', value: '' });
});

test('JSON: no rows and no variables', (t) => {
  t.is(write('json', [], []), '{"head":{"vars":[]},"results":{"bindings":[]}}\n');
  t.deepEqual(JSON.parse(write('json', [], [{}])), { head: { vars: [] }, results: { bindings: [{}] } });
});

test('JSON: lone surrogates and control characters stay valid JSON', (t) => {
  const v = 'a\u0000b\u001fc\ud800d\u2028e';
  const out = write('json', ['x'], [{ x: literal(v) }]);
  t.is((JSON.parse(out) as { results: { bindings: { x: { value: string } }[] } }).results.bindings[0]?.x.value, v);
});

// ----------------------------------------------------------------------------------------------- XML

const XML_EXPECTED = `<?xml version="1.0"?>
<sparql xmlns="http://www.w3.org/2005/sparql-results#">
  <head>
    <variable name="s"/>
    <variable name="o"/>
    <variable name="n"/>
    <variable name="missing"/>
  </head>
  <results>
    <result>
      <binding name="s"><uri>http://example.org/s</uri></binding>
      <binding name="o"><literal>say "hi",
then\ttab&#13;\\ é 😀</literal></binding>
      <binding name="n"><literal datatype="http://www.w3.org/2001/XMLSchema#integer">42</literal></binding>
    </result>
    <result>
      <binding name="s"><bnode>b0</bnode></binding>
      <binding name="o"><literal xml:lang="fr">chat</literal></binding>
      <binding name="n"><literal datatype="http://www.w3.org/2001/XMLSchema#double">1.0E6</literal></binding>
    </result>
    <result>
      <binding name="s"><uri>http://example.org/a?x=1&amp;y=2</uri></binding>
      <binding name="o"><literal xml:lang="en-gb">1 &lt; 2 &amp;&amp; 3 &gt; 2</literal></binding>
      <binding name="n"><literal datatype="http://www.w3.org/2001/XMLSchema#negativeInteger">-3</literal></binding>
    </result>
    <result>
    </result>
    <result>
      <binding name="s"><uri>http://example.org/ü</uri></binding>
      <binding name="o"><literal></literal></binding>
      <binding name="n"><literal datatype="http://www.w3.org/2001/XMLSchema#boolean">true</literal></binding>
    </result>
  </results>
</sparql>
`;

test('XML: exact document', (t) => {
  t.is(write('xml'), XML_EXPECTED);
});

/** Reads a SPARQL XML results document back into rows of terms. */
function readXmlResults(text: string): { vars: string[]; rows: Record<string, Term>[] } {
  const root = parseXml(text);
  if (root.name !== 'sparql' || root.attrs['xmlns'] !== 'http://www.w3.org/2005/sparql-results#') throw new Error('not a SPARQL results document');
  const [head, results] = elements(root);
  const vars = elements(head!).map((v) => v.attrs['name']!);
  const rows = elements(results!).map((r) => {
    const row: Record<string, Term> = {};
    for (const b of elements(r)) {
      const [v] = elements(b);
      const text = textOf(v!);
      row[b.attrs['name']!] =
        v!.name === 'uri' ? namedNode(text) : v!.name === 'bnode' ? blankNode(text) : literal(text, v!.attrs['xml:lang'] ?? (v!.attrs['datatype'] === undefined ? undefined : namedNode(v!.attrs['datatype'])));
    }
    return row;
  });
  return { vars, rows };
}

test('XML: well-formed, and reads back to the same terms (CR kept, entities decoded)', (t) => {
  const { vars, rows } = readXmlResults(write('xml'));
  t.deepEqual(vars, [...VARS]);
  t.is(rows.length, ROWS.length);
  rows.forEach((row, i) => {
    const expected = cells(ROWS[i]!);
    VARS.forEach((v, j) => {
      const want = expected[j];
      const got = row[v];
      t.true(want === undefined ? got === undefined : got !== undefined && got.equals(want), `row ${i} ?${v}`);
    });
  });
});

test('XML: characters XML 1.0 cannot carry become U+FFFD, the document stays well-formed', (t) => {
  const out = write('xml', ['x', 'y'], [{ x: literal('a\u0000b\u0008c\ud800d\uffffe\t\n'), y: namedNode(`${EX}"q"`) }]);
  const { rows } = readXmlResults(out);
  t.is(rows[0]?.['x']?.value, 'a\ufffdb\ufffdc\ufffdd\ufffde\t\n');
  t.is(rows[0]?.['y']?.value, `${EX}"q"`);
});

test('XML: attributes escape markup and whitespace (datatype reads back exactly)', (t) => {
  // (n3's factory cannot hold a datatype IRI with a `"`: its literals are parsed from an id string)
  const odd = namedNode(`${EX}dt?a=<b>&c='d'\te`);
  const out = write('xml', ['x'], [{ x: literal('v', odd) }]);
  t.true(out.includes(`datatype="http://example.org/dt?a=&lt;b&gt;&amp;c='d'&#9;e"`));
  t.is(readXmlResults(out).rows[0]?.['x']?.equals(literal('v', odd)), true);
  t.is(xmlAttr('a"b\n\r<&>'), 'a&quot;b&#10;&#13;&lt;&amp;&gt;');
  t.is(parseXml(`<e a="${xmlAttr('a"b\n\r\t<&>')}"/>`).attrs['a'], 'a"b\n\r\t<&>');
});

test('XML: no variables and no rows', (t) => {
  t.is(
    write('xml', [], []),
    '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n  <head>\n  </head>\n  <results>\n  </results>\n</sparql>\n',
  );
  t.notThrows(() => parseXml(write('xml', [], [])));
});

// ----------------------------------------------------------------------------------------------- CSV

const CSV_EXPECTED = [
  's,o,n,missing',
  'http://example.org/s,"say ""hi"",\nthen\ttab\r\\ é 😀",42,',
  '_:b0,chat,1.0E6,',
  'http://example.org/a?x=1&y=2,1 < 2 && 3 > 2,-3,',
  ',,,',
  'http://example.org/ü,,true,',
  '',
].join('\r\n');

test('CSV: exact document (RFC 4180 quoting, CRLF, types dropped)', (t) => {
  t.is(write('csv'), CSV_EXPECTED);
});

/** RFC 4180 reader (CRLF records; quoted fields may hold anything). */
function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        field += text.slice(i, q);
        i = q + 1;
        if (text[i] === '"') {
          field += '"';
          i++;
        } else break;
      }
    } else {
      while (i < text.length && text[i] !== ',' && !text.startsWith('\r\n', i)) {
        if (text[i] === '"' || text[i] === '\n' || text[i] === '\r') throw new Error(`unquoted special character at ${i}`);
        field += text[i++];
      }
    }
    fields.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (!text.startsWith('\r\n', i)) throw new Error(`expected CRLF at ${i}`);
    i += 2;
    records.push(fields);
    fields = [];
    if (i === text.length) return records;
  }
}

test('CSV: reads back to the lexical forms', (t) => {
  const records = readCsv(write('csv'));
  t.deepEqual(records[0], [...VARS]);
  t.deepEqual(records[1], [`${EX}s`, NASTY, '42', '']);
  t.deepEqual(records[2], ['_:b0', 'chat', '1.0E6', '']);
  t.is(records.length, ROWS.length + 1);
});

// ----------------------------------------------------------------------------------------------- TSV

const TSV_EXPECTED =
  [
    ['?s', '?o', '?n', '?missing'],
    ['<http://example.org/s>', String.raw`"say \"hi\",\nthen\ttab\r\\ é 😀"`, '42', ''],
    ['_:b0', '"chat"@fr', '1.0e6', ''],
    ['<http://example.org/a?x=1&y=2>', '"1 < 2 && 3 > 2"@en-gb', '"-3"^^<http://www.w3.org/2001/XMLSchema#negativeInteger>', ''],
    ['', '', '', ''],
    ['<http://example.org/ü>', '""', '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>', ''],
  ]
    .map((r) => r.join('\t'))
    .join('\n') + '\n';

test('TSV: exact document (N-Triples terms, bare numbers, ?-prefixed header, LF)', (t) => {
  t.is(write('tsv'), TSV_EXPECTED);
});

/** Reads one TSV field as a term, with n3's Turtle parser: the independent check of our escaping. */
function parseTerm(field: string): Term {
  const [q] = new Parser({ format: 'Turtle', blankNodePrefix: '' }).parse(`<${EX}s> <${EX}p> ${field} .`);
  if (q === undefined) throw new Error(`no term in ${field}`);
  return q.object;
}

test('TSV: every field is a Turtle term that reads back to the same term', (t) => {
  const lines = write('tsv').split('\n');
  t.is(lines.pop(), '');
  lines.shift();
  lines.forEach((line, i) => {
    const fields = line.split('\t');
    t.is(fields.length, VARS.length, 'no tab escapes the field syntax');
    const expected = cells(ROWS[i]!);
    fields.forEach((f, j) => {
      const want = expected[j];
      if (want === undefined) {
        t.is(f, '');
        return;
      }
      const got = parseTerm(f);
      // The one deliberate difference: a double's exponent marker is written lower case (W3C csvtsv03).
      const wantValue = want.termType === 'Literal' && want.datatype.value === `${XSD_NS}double` ? want.value.toLowerCase() : want.value;
      t.is(got.termType, want.termType);
      t.is(got.value, wantValue);
      if (got.termType === 'Literal' && want.termType === 'Literal') {
        t.is(got.language, want.language);
        t.is(got.datatype.value, want.datatype.value);
      }
    });
  });
});
const XSD_NS = 'http://www.w3.org/2001/XMLSchema#';

test('TSV: numbers are bare only when their lexical form is a Turtle number', (t) => {
  const vals = [
    literal('7', xsd('integer')),
    literal('+7', xsd('integer')),
    literal('07', xsd('integer')),
    literal(' 7', xsd('integer')),
    literal('.5', xsd('decimal')),
    literal('5.', xsd('decimal')),
    literal('1e3', xsd('double')),
    literal('INF', xsd('double')),
    literal('NaN', xsd('double')),
    literal('1.5', xsd('float')),
  ];
  const row = Object.fromEntries(vals.map((v, i) => [`v${i}`, v]));
  const out = write('tsv', Object.keys(row), [row]).split('\n')[1];
  t.is(
    out,
    [
      '7',
      '+7',
      '07',
      '" 7"^^<http://www.w3.org/2001/XMLSchema#integer>',
      '.5',
      '"5."^^<http://www.w3.org/2001/XMLSchema#decimal>',
      '1e3',
      '"INF"^^<http://www.w3.org/2001/XMLSchema#double>',
      '"NaN"^^<http://www.w3.org/2001/XMLSchema#double>',
      '"1.5"^^<http://www.w3.org/2001/XMLSchema#float>',
    ].join('\t'),
  );
});

// ---------------------------------------------------------------------------------- triple terms etc.

test('triple terms (RDF 1.2) in every bindings format', (t) => {
  const tt = quad(namedNode(`${EX}a`), namedNode(`${EX}b`), literal('c', 'en'));
  const rows = [{ x: tt }];
  t.is(
    write('json', ['x'], rows),
    '{"head":{"vars":["x"]},"results":{"bindings":[\n{"x":{"type":"triple","value":{"subject":{"type":"uri","value":"http://example.org/a"},"predicate":{"type":"uri","value":"http://example.org/b"},"object":{"type":"literal","value":"c","xml:lang":"en"}}}}\n]}}\n',
  );
  t.true(
    write('xml', ['x'], rows).includes(
      '<binding name="x"><triple><subject><uri>http://example.org/a</uri></subject><predicate><uri>http://example.org/b</uri></predicate><object><literal xml:lang="en">c</literal></object></triple></binding>',
    ),
  );
  t.is(write('tsv', ['x'], rows), '?x\n<<( <http://example.org/a> <http://example.org/b> "c"@en )>>\n');
  t.is(write('csv', ['x'], rows), 'x\r\n"<<( <http://example.org/a> <http://example.org/b> ""c""@en )>>"\r\n');
});

test('directional language strings (RDF 1.2)', (t) => {
  // n3 makes directional literals from { language, direction }; its type declarations do not know it yet
  const l = literal('שלום', { language: 'he', direction: 'rtl' } as unknown as string);
  const rows = [{ x: l }];
  t.true(write('json', ['x'], rows).includes('{"type":"literal","value":"שלום","xml:lang":"he","its:dir":"rtl"}'));
  const xml = write('xml', ['x'], rows);
  t.true(xml.includes('<literal xml:lang="he" its:dir="rtl" xmlns:its="http://www.w3.org/2005/11/its">שלום</literal>'));
  t.notThrows(() => parseXml(xml));
  t.is(write('tsv', ['x'], rows), '?x\n"שלום"@he--rtl\n');
});

test('variables named like Object.prototype members are read as own properties only', (t) => {
  const vars = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
  t.is(write('csv', vars, [{}]), 'constructor,toString,__proto__,hasOwnProperty\r\n,,,\r\n');
  const row: Record<string, Term> = Object.create(null) as Record<string, Term>;
  row['__proto__'] = namedNode(`${EX}p`);
  row['constructor'] = literal('c');
  t.is(write('tsv', vars, [row]), '?constructor\t?toString\t?__proto__\t?hasOwnProperty\n"c"\t\t<http://example.org/p>\t\n');
});

test('writers assert the head → rows → end protocol and their inputs', (t) => {
  const w = createBindingsWriter('json');
  t.throws(() => w.row({}), { instanceOf: AssertionError });
  w.head(['x']);
  t.throws(() => w.head(['x']), { instanceOf: AssertionError });
  w.end();
  t.throws(() => w.end(), { instanceOf: AssertionError });
  t.throws(() => createBindingsWriter('csv').head(['?x']), { instanceOf: AssertionError });
  const v = createBindingsWriter('xml');
  v.head(['x']);
  t.throws(() => v.row({ x: { termType: 'Variable', value: 'y', equals: () => false } }), { instanceOf: AssertionError });
});

test('writers carry their media types; a ResultFormat works as the format argument', (t) => {
  for (const f of ['json', 'xml', 'csv', 'tsv'] as const) {
    const w = createBindingsWriter(RESULT_FORMATS[f]);
    t.is(w.format, f);
    t.is(w.mediaType, RESULT_FORMATS[f].mediaType);
    t.is(w.contentType, `${RESULT_FORMATS[f].mediaType}; charset=utf-8`);
  }
});

// ------------------------------------------------------------------------------------------- boolean

test('ASK: JSON and XML', (t) => {
  t.is(writeBoolean('json', true), '{"head":{},"boolean":true}\n');
  t.is(writeBoolean(RESULT_FORMATS.json, false), '{"head":{},"boolean":false}\n');
  t.deepEqual(JSON.parse(writeBoolean('json', true)), { head: {}, boolean: true });
  const xml = writeBoolean('xml', false);
  t.is(xml, '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n  <head/>\n  <boolean>false</boolean>\n</sparql>\n');
  const root = parseXml(xml);
  t.deepEqual(
    elements(root).map((e) => [e.name, textOf(e)]),
    [
      ['head', ''],
      ['boolean', 'false'],
    ],
  );
});

// ------------------------------------------------------------------------------ random round trips

const ALPHABET = ['a', 'Z', '0', ' ', '"', "'", ',', ';', '\\', '\t', '\n', '\r', '\r\n', '<', '>', '&', ']]>', '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u00e9', '\u2028', '\ufeff', '\ufffd', '\ufffe', '😀', '\ud800', '\udc00', '_:', '^^', '@'];

/** What XML 1.0 can carry of a string: code points outside its Char production become U+FFFD. */
function xmlCarried(s: string): string {
  return Array.from(s, (ch) => {
    const cp = ch.codePointAt(0)!;
    const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
    return ok ? ch : '\ufffd';
  }).join('');
}

test('random strings survive JSON, CSV, TSV and XML (XML: non-XML characters replaced)', (t) => {
  const seed = testSeed(20240611);
  const random = seededRandom(seed);
  for (let n = 0; n < 300; n++) {
    const len = Math.floor(random() * 12);
    let s = '';
    for (let i = 0; i < len; i++) s += pickOne(random, ALPHABET);
    const lang = random() < 0.3;
    const term = lang ? literal(s, 'en') : literal(s);
    const rows = [{ v: term, w: namedNode(`${EX}x`) }];
    const msg = `seed ${seed}, case ${n}: ${JSON.stringify(s)}`;
    t.is((JSON.parse(write('json', ['v', 'w'], rows)) as { results: { bindings: { v: { value: string } }[] } }).results.bindings[0]?.v.value, s, msg);
    t.deepEqual(readCsv(write('csv', ['v', 'w'], rows))[1], [s, `${EX}x`], msg);
    const tsvFields = write('tsv', ['v', 'w'], rows).split('\n')[1]!.split('\t');
    t.is(tsvFields.length, 2, msg);
    if (!/[\ud800-\udfff]/.test(s)) t.true(parseTerm(tsvFields[0]!).equals(term), msg); // lone surrogates cannot be UTF-8 anyway
    t.is(readXmlResults(write('xml', ['v', 'w'], rows)).rows[0]?.['v']?.value, xmlCarried(s), msg);
  }
});
