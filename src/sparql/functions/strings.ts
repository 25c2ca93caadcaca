import type { Literal, Term } from '@rdfjs/types';
import { createHash } from 'node:crypto';
import { ExpressionError } from './errors.js';
import { numericArg, numericToNumber } from './numeric.js';
import { regexMatches, regexReplace } from './regex.js';
import { booleanLiteral, integerLiteral, isSimpleString, isStringLiteral, langLiteral, show, simpleLiteral, typeError } from './vocab.js';

/** A string literal argument (§17.4.3.1.1): simple, xsd:string or language-tagged. */
export function stringArg(fn: string, t: Term): Literal {
  if (t.termType !== 'Literal' || !isStringLiteral(t)) throw typeError(fn, 'a string literal', t);
  return t;
}

/** A simple literal or xsd:string argument (no language tag). */
export function simpleArg(fn: string, t: Term): string {
  if (t.termType !== 'Literal' || !isSimpleString(t)) throw typeError(fn, 'a simple literal or xsd:string', t);
  return t.value;
}

/** A string of the same kind as `like`: the same language tag, or a simple literal. */
function sameKind(like: Literal, value: string): Literal {
  return like.language !== '' ? langLiteral(value, like.language) : simpleLiteral(value);
}

/** §17.4.3.1.2 argument compatibility: b has no language tag, or the same one as a. */
function compatible(fn: string, a: Literal, b: Literal): void {
  if (b.language !== '' && b.language.toLowerCase() !== a.language.toLowerCase()) {
    throw new ExpressionError(`${fn}: incompatible arguments ${show(a)} and ${show(b)} (a language-tagged second argument needs the same tag on the first)`);
  }
}

export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

export function strlen(arg: Term): Literal {
  return integerLiteral(codePointLength(stringArg('STRLEN', arg).value));
}

/**
 * SUBSTR (fn:substring): the characters (code points) at 1-based positions p with
 * round(start) ≤ p < round(start) + round(length), round being fn:round; NaN bounds select nothing.
 */
export function substr(arg: Term, start: Term, length?: Term): Literal {
  const s = stringArg('SUBSTR', arg);
  const from = Math.round(numericToNumber(numericArg('SUBSTR', start)));
  const to = length === undefined ? Infinity : from + Math.round(numericToNumber(numericArg('SUBSTR', length)));
  if (Number.isNaN(from) || Number.isNaN(to)) return sameKind(s, '');
  const cps = Array.from(s.value);
  const lo = Math.max(1, from);
  const hi = Math.min(cps.length + 1, to);
  return sameKind(s, lo < hi ? cps.slice(lo - 1, hi - 1).join('') : '');
}

export function ucase(arg: Term): Literal {
  const s = stringArg('UCASE', arg);
  return sameKind(s, s.value.toUpperCase());
}

export function lcase(arg: Term): Literal {
  const s = stringArg('LCASE', arg);
  return sameKind(s, s.value.toLowerCase());
}

function pair(fn: string, a: Term, b: Term): [Literal, Literal] {
  const x = stringArg(fn, a);
  const y = stringArg(fn, b);
  compatible(fn, x, y);
  return [x, y];
}

export function strstarts(a: Term, b: Term): Literal {
  const [x, y] = pair('STRSTARTS', a, b);
  return booleanLiteral(x.value.startsWith(y.value));
}

export function strends(a: Term, b: Term): Literal {
  const [x, y] = pair('STRENDS', a, b);
  return booleanLiteral(x.value.endsWith(y.value));
}

export function contains(a: Term, b: Term): Literal {
  const [x, y] = pair('CONTAINS', a, b);
  return booleanLiteral(x.value.includes(y.value));
}

/** STRBEFORE: the text before the first match, with a's language tag; "" (simple) when there is no match. */
export function strbefore(a: Term, b: Term): Literal {
  const [x, y] = pair('STRBEFORE', a, b);
  const i = x.value.indexOf(y.value);
  return i < 0 ? simpleLiteral('') : sameKind(x, x.value.slice(0, i));
}

/** STRAFTER: the text after the first match, with a's language tag; "" (simple) when there is no match. */
export function strafter(a: Term, b: Term): Literal {
  const [x, y] = pair('STRAFTER', a, b);
  const i = x.value.indexOf(y.value);
  return i < 0 ? simpleLiteral('') : sameKind(x, x.value.slice(i + y.value.length));
}

/** CONCAT: keeps a language tag all arguments share, else a simple literal. CONCAT() is "". */
export function concat(args: readonly Term[]): Literal {
  let value = '';
  let lang: string | undefined;
  for (const [i, a] of args.entries()) {
    const s = stringArg('CONCAT', a);
    value += s.value;
    const l = s.language.toLowerCase();
    lang = i === 0 ? l : lang === l ? lang : '';
  }
  return lang === undefined || lang === '' ? simpleLiteral(value) : langLiteral(value, lang);
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const encoder = new TextEncoder();
/** ENCODE_FOR_URI (fn:encode-for-uri): percent-encodes the UTF-8 bytes of everything but A-Z a-z 0-9 - _ . ~ */
export function encodeForUri(arg: Term): Literal {
  const s = stringArg('ENCODE_FOR_URI', arg).value;
  let out = '';
  for (const ch of s) {
    if (UNRESERVED.test(ch)) out += ch;
    else for (const byte of encoder.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return simpleLiteral(out);
}

/** LANGMATCHES: RFC 4647 §3.3.1 basic filtering, case-insensitive; "*" matches any non-empty tag. */
export function langMatches(tag: Term, range: Term): Literal {
  const t = simpleArg('LANGMATCHES', tag).toLowerCase();
  const r = simpleArg('LANGMATCHES', range).toLowerCase();
  if (r === '*') return booleanLiteral(t !== '');
  return booleanLiteral(t === r || t.startsWith(`${r}-`));
}

export function regex(text: Term, pattern: Term, flags?: Term): Literal {
  const s = stringArg('REGEX', text).value;
  return booleanLiteral(regexMatches(s, simpleArg('REGEX', pattern), flags === undefined ? '' : simpleArg('REGEX', flags)));
}

export function replace(arg: Term, pattern: Term, replacement: Term, flags?: Term): Literal {
  const s = stringArg('REPLACE', arg);
  const out = regexReplace(s.value, simpleArg('REPLACE', pattern), simpleArg('REPLACE', replacement), flags === undefined ? '' : simpleArg('REPLACE', flags));
  return sameKind(s, out);
}

/** MD5, SHA1, SHA256, SHA384, SHA512 of the UTF-8 bytes of a simple literal or xsd:string, as lowercase hex. */
export function hash(algorithm: 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512', arg: Term): Literal {
  const s = simpleArg(algorithm.toUpperCase(), arg);
  return simpleLiteral(createHash(algorithm).update(s, 'utf8').digest('hex'));
}
