/**
 * A strict little XML 1.0 reader for tests: checks well-formedness (one root, balanced tags, quoted
 * attributes without raw `<`/`&`, only predefined or numeric entity references, only XML Chars, no
 * duplicate attributes) and returns the element tree with entities decoded, so tests can compare the
 * values that a real XML parser would see. No DTDs, CDATA, comments or PIs other than the XML
 * declaration: our writers produce none of these.
 */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}
export type XmlNode = XmlElement | string;

export class XmlError extends Error {}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
// eslint-disable-next-line no-control-regex -- the point is to find characters XML does not allow
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  return raw.replace(/&([^;]*);?/g, (m, body: string) => {
    if (!m.endsWith(';')) throw new XmlError(`unterminated reference in ${where}: ${m}`);
    const named = PREDEFINED[body];
    if (named !== undefined) return named;
    const num = /^#x([0-9A-Fa-f]+)$/.exec(body) ?? /^#([0-9]+)$/.exec(body);
    if (num === null) throw new XmlError(`unknown entity &${body}; in ${where}`);
    const cp = parseInt(num[1] as string, body.startsWith('#x') ? 16 : 10);
    const ch = String.fromCodePoint(cp);
    if (NOT_XML_CHAR.test(ch) || (cp >= 0xd800 && cp <= 0xdfff)) throw new XmlError(`reference to a non-XML character ${m}`);
    return ch;
  });
}

/** Attribute-value normalization (XML 1.0 §3.3.3): literal tab/LF/CR become spaces. */
function normalizeAttr(raw: string): string {
  return raw.replace(/\r\n|[\t\n\r]/g, ' ');
}

export function parseXml(text: string): XmlElement {
  if (NOT_XML_CHAR.test(text)) throw new XmlError('document contains a character XML 1.0 does not allow');
  let i = 0;
  const decl = /^<\?xml\s+version="1\.[0-9]"(\s+encoding="[A-Za-z0-9._-]+")?\s*\?>/.exec(text);
  if (decl !== null) i = decl[0].length;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const element = (): XmlElement => {
    if (text[i] !== '<') throw new XmlError(`expected "<" at ${i}`);
    i++;
    const m = NAME.exec(text.slice(i));
    if (m === null) throw new XmlError(`bad element name at ${i}`);
    const name = m[0];
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      const before = i;
      skipSpace();
      if (text.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [] };
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (i === before) throw new XmlError(`expected whitespace before attribute at ${i}`);
      const an = NAME.exec(text.slice(i));
      if (an === null) throw new XmlError(`bad attribute name at ${i}`);
      i += an[0].length;
      skipSpace();
      if (text[i] !== '=') throw new XmlError(`expected "=" at ${i}`);
      i++;
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") throw new XmlError(`unquoted attribute at ${i}`);
      const end = text.indexOf(quote, i + 1);
      if (end < 0) throw new XmlError('unterminated attribute');
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) throw new XmlError(`raw "<" in attribute ${an[0]}`);
      if (Object.hasOwn(attrs, an[0])) throw new XmlError(`duplicate attribute ${an[0]}`);
      attrs[an[0]] = decode(normalizeAttr(raw), `attribute ${an[0]}`);
      i = end + 1;
    }
    const children: XmlNode[] = [];
    for (;;) {
      const lt = text.indexOf('<', i);
      if (lt < 0) throw new XmlError(`element <${name}> is not closed`);
      const raw = text.slice(i, lt);
      if (raw.includes(']]>')) throw new XmlError('"]]>" in character data');
      if (raw !== '') children.push(decode(raw.replace(/\r\n?/g, '\n'), `<${name}>`));
      i = lt;
      if (text.startsWith('</', i)) {
        const close = `</${name}`;
        if (!text.startsWith(close, i)) throw new XmlError(`mismatched end tag at ${i}, expected ${close}>`);
        i += close.length;
        skipSpace();
        if (text[i] !== '>') throw new XmlError(`bad end tag at ${i}`);
        i++;
        return { name, attrs, children };
      }
      children.push(element());
    }
  };
  skipSpace();
  const root = element();
  skipSpace();
  if (i !== text.length) throw new XmlError(`content after the root element at ${i}`);
  return root;
}

/** Child elements only (whitespace-only text between elements dropped). */
export function elements(e: XmlElement): XmlElement[] {
  return e.children.filter((c): c is XmlElement => typeof c !== 'string');
}

/** The concatenated text content of an element. */
export function textOf(e: XmlElement): string {
  return e.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
