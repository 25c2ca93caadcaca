import { ExpressionError } from './errors.js';

/**
 * XPath/XQuery regular expressions (F&O 3.1 §5.6, on XSD regex syntax) translated to JS RegExp with
 * the 'u' flag. What differs from JS and is therefore rewritten:
 * - `\d` is any decimal digit (\p{Nd}), `\w` is anything but punctuation, separators and "other"
 *   (\p{P}\p{Z}\p{C}), `\s` is only space, tab, CR, LF; `\i` `\c` (`\I` `\C`) are XML name characters;
 * - `\p{IsBlock}` names a Unicode block (a table below); `\p{Lu}` etc. pass through;
 * - character class subtraction `[a-z-[aeiou]]` becomes a negative lookahead;
 * - `.` excludes only \n and \r (everything with flag s); with flag m, `^` / `$` match around \n only;
 * - flag x drops whitespace outside character classes, flag q makes the whole pattern literal;
 * - escapes JS knows but XPath does not (\b, \x41, \u0041, \0, \cX), lookarounds and named groups are
 *   rejected, so a query behaves the same on every XPath-conformant engine.
 */

type Range = readonly [number, number];

const NAME_START: readonly Range[] = [
  [0x3a, 0x3a], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a], [0xc0, 0xd6], [0xd8, 0xf6], [0xf8, 0x2ff], [0x370, 0x37d],
  [0x37f, 0x1fff], [0x200c, 0x200d], [0x2070, 0x218f], [0x2c00, 0x2fef], [0x3001, 0xd7ff], [0xf900, 0xfdcf],
  [0xfdf0, 0xfffd], [0x10000, 0xeffff],
];
const NAME_CHAR: readonly Range[] = [...NAME_START, [0x2d, 0x2e], [0x30, 0x39], [0xb7, 0xb7], [0x300, 0x36f], [0x203f, 0x2040]];
const SPACE: readonly Range[] = [[0x9, 0xa], [0xd, 0xd], [0x20, 0x20]];

/** Unicode blocks by their XSD names (spaces removed), with the later Unicode names as aliases. */
const BLOCKS: ReadonlyMap<string, Range> = new Map<string, Range>([
  ['BasicLatin', [0x0000, 0x007f]], ['Latin-1Supplement', [0x0080, 0x00ff]], ['LatinExtended-A', [0x0100, 0x017f]],
  ['LatinExtended-B', [0x0180, 0x024f]], ['IPAExtensions', [0x0250, 0x02af]], ['SpacingModifierLetters', [0x02b0, 0x02ff]],
  ['CombiningDiacriticalMarks', [0x0300, 0x036f]], ['Greek', [0x0370, 0x03ff]], ['GreekandCoptic', [0x0370, 0x03ff]],
  ['Cyrillic', [0x0400, 0x04ff]], ['Armenian', [0x0530, 0x058f]], ['Hebrew', [0x0590, 0x05ff]], ['Arabic', [0x0600, 0x06ff]],
  ['Syriac', [0x0700, 0x074f]], ['Thaana', [0x0780, 0x07bf]], ['Devanagari', [0x0900, 0x097f]], ['Bengali', [0x0980, 0x09ff]],
  ['Gurmukhi', [0x0a00, 0x0a7f]], ['Gujarati', [0x0a80, 0x0aff]], ['Oriya', [0x0b00, 0x0b7f]], ['Tamil', [0x0b80, 0x0bff]],
  ['Telugu', [0x0c00, 0x0c7f]], ['Kannada', [0x0c80, 0x0cff]], ['Malayalam', [0x0d00, 0x0d7f]], ['Sinhala', [0x0d80, 0x0dff]],
  ['Thai', [0x0e00, 0x0e7f]], ['Lao', [0x0e80, 0x0eff]], ['Tibetan', [0x0f00, 0x0fff]], ['Myanmar', [0x1000, 0x109f]],
  ['Georgian', [0x10a0, 0x10ff]], ['HangulJamo', [0x1100, 0x11ff]], ['Ethiopic', [0x1200, 0x137f]], ['Cherokee', [0x13a0, 0x13ff]],
  ['UnifiedCanadianAboriginalSyllabics', [0x1400, 0x167f]], ['Ogham', [0x1680, 0x169f]], ['Runic', [0x16a0, 0x16ff]],
  ['Khmer', [0x1780, 0x17ff]], ['Mongolian', [0x1800, 0x18af]], ['LatinExtendedAdditional', [0x1e00, 0x1eff]],
  ['GreekExtended', [0x1f00, 0x1fff]], ['GeneralPunctuation', [0x2000, 0x206f]], ['SuperscriptsandSubscripts', [0x2070, 0x209f]],
  ['CurrencySymbols', [0x20a0, 0x20cf]], ['CombiningMarksforSymbols', [0x20d0, 0x20ff]],
  ['CombiningDiacriticalMarksforSymbols', [0x20d0, 0x20ff]], ['LetterlikeSymbols', [0x2100, 0x214f]],
  ['NumberForms', [0x2150, 0x218f]], ['Arrows', [0x2190, 0x21ff]], ['MathematicalOperators', [0x2200, 0x22ff]],
  ['MiscellaneousTechnical', [0x2300, 0x23ff]], ['ControlPictures', [0x2400, 0x243f]], ['OpticalCharacterRecognition', [0x2440, 0x245f]],
  ['EnclosedAlphanumerics', [0x2460, 0x24ff]], ['BoxDrawing', [0x2500, 0x257f]], ['BlockElements', [0x2580, 0x259f]],
  ['GeometricShapes', [0x25a0, 0x25ff]], ['MiscellaneousSymbols', [0x2600, 0x26ff]], ['Dingbats', [0x2700, 0x27bf]],
  ['BraillePatterns', [0x2800, 0x28ff]], ['CJKRadicalsSupplement', [0x2e80, 0x2eff]], ['KangxiRadicals', [0x2f00, 0x2fdf]],
  ['IdeographicDescriptionCharacters', [0x2ff0, 0x2fff]], ['CJKSymbolsandPunctuation', [0x3000, 0x303f]],
  ['Hiragana', [0x3040, 0x309f]], ['Katakana', [0x30a0, 0x30ff]], ['Bopomofo', [0x3100, 0x312f]],
  ['HangulCompatibilityJamo', [0x3130, 0x318f]], ['Kanbun', [0x3190, 0x319f]], ['BopomofoExtended', [0x31a0, 0x31bf]],
  ['EnclosedCJKLettersandMonths', [0x3200, 0x32ff]], ['CJKCompatibility', [0x3300, 0x33ff]],
  ['CJKUnifiedIdeographsExtensionA', [0x3400, 0x4dbf]], ['CJKUnifiedIdeographs', [0x4e00, 0x9fff]], ['YiSyllables', [0xa000, 0xa48f]],
  ['YiRadicals', [0xa490, 0xa4cf]], ['HangulSyllables', [0xac00, 0xd7af]], ['HighSurrogates', [0xd800, 0xdb7f]],
  ['HighPrivateUseSurrogates', [0xdb80, 0xdbff]], ['LowSurrogates', [0xdc00, 0xdfff]], ['PrivateUse', [0xe000, 0xf8ff]],
  ['PrivateUseArea', [0xe000, 0xf8ff]], ['CJKCompatibilityIdeographs', [0xf900, 0xfaff]], ['AlphabeticPresentationForms', [0xfb00, 0xfb4f]],
  ['ArabicPresentationForms-A', [0xfb50, 0xfdff]], ['CombiningHalfMarks', [0xfe20, 0xfe2f]], ['CJKCompatibilityForms', [0xfe30, 0xfe4f]],
  ['SmallFormVariants', [0xfe50, 0xfe6f]], ['ArabicPresentationForms-B', [0xfe70, 0xfeff]], ['HalfwidthandFullwidthForms', [0xff00, 0xffef]],
  ['Specials', [0xfff0, 0xffff]], ['OldItalic', [0x10300, 0x1032f]], ['Gothic', [0x10330, 0x1034f]], ['Deseret', [0x10400, 0x1044f]],
  ['ByzantineMusicalSymbols', [0x1d000, 0x1d0ff]], ['MusicalSymbols', [0x1d100, 0x1d1ff]], ['MathematicalAlphanumericSymbols', [0x1d400, 0x1d7ff]],
  ['CJKUnifiedIdeographsExtensionB', [0x20000, 0x2a6df]], ['CJKCompatibilityIdeographsSupplement', [0x2f800, 0x2fa1f]],
  ['Tags', [0xe0000, 0xe007f]], ['SupplementaryPrivateUseArea-A', [0xf0000, 0xfffff]], ['SupplementaryPrivateUseArea-B', [0x100000, 0x10ffff]],
]);

const CATEGORIES = new Set([
  'L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po',
  'S', 'Sm', 'Sc', 'Sk', 'So', 'Z', 'Zs', 'Zl', 'Zp', 'C', 'Cc', 'Cf', 'Co', 'Cn', 'Cs',
]);

function complement(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

function classContent(ranges: readonly Range[]): string {
  const u = (c: number): string => `\\u{${c.toString(16)}}`;
  return ranges.map(([lo, hi]) => (lo === hi ? u(lo) : `${u(lo)}-${u(hi)}`)).join('');
}

const W = '\\p{L}\\p{M}\\p{N}\\p{S}';
const NOT_W = '\\p{P}\\p{Z}\\p{C}';
/** Multi-character escapes: [content inside a class, the same outside one]. */
const MULTI: Readonly<Record<string, readonly [string, string]>> = {
  d: ['\\p{Nd}', '\\p{Nd}'],
  D: ['\\P{Nd}', '\\P{Nd}'],
  s: [classContent(SPACE), `[${classContent(SPACE)}]`],
  S: [classContent(complement(SPACE)), `[^${classContent(SPACE)}]`],
  w: [W, `[${W}]`],
  W: [NOT_W, `[${NOT_W}]`],
  i: [classContent(NAME_START), `[${classContent(NAME_START)}]`],
  I: [classContent(complement(NAME_START)), `[^${classContent(NAME_START)}]`],
  c: [classContent(NAME_CHAR), `[${classContent(NAME_CHAR)}]`],
  C: [classContent(complement(NAME_CHAR)), `[^${classContent(NAME_CHAR)}]`],
};
const SINGLE: Readonly<Record<string, number>> = { n: 0x0a, r: 0x0d, t: 0x09 };
/** Characters that XPath lets you escape with a backslash and that stand for themselves. */
const META = new Set(['\\', '|', '.', '?', '*', '+', '(', ')', '{', '}', '[', ']', '^', '$', '-']);

function bad(pattern: string, why: string): ExpressionError {
  return new ExpressionError(`invalid regular expression ${JSON.stringify(pattern)}: ${why}`);
}

interface Atom {
  readonly text: string;
  /** The code point when the atom is one character (can bound a range). */
  readonly single: number | undefined;
}

class Translator {
  private i = 0;
  private groups = 0;
  private readonly cps: string[];

  constructor(
    private readonly pattern: string,
    private readonly dotAll: boolean,
    private readonly multiline: boolean,
  ) {
    this.cps = Array.from(pattern);
  }

  run(): string {
    let out = '';
    const cps = this.cps;
    while (this.i < cps.length) {
      const c = cps[this.i]!;
      switch (c) {
        case '\\':
          out += this.escape(false).text;
          break;
        case '[':
          out += this.charClass();
          break;
        case '.':
          out += this.dotAll ? '[^]' : '[^\\n\\r]';
          this.i++;
          break;
        case '^':
          out += this.multiline ? '(?<![^\\n])' : '^';
          this.i++;
          break;
        case '$':
          out += this.multiline ? '(?![^\\n])' : '$';
          this.i++;
          break;
        case '(':
          if (cps[this.i + 1] === '?') {
            if (cps[this.i + 2] !== ':') throw bad(this.pattern, 'only (?: ) groups are allowed after "(?"');
            out += '(?:';
            this.i += 3;
          } else {
            out += '(';
            this.groups++;
            this.i++;
          }
          break;
        default:
          out += c;
          this.i++;
      }
    }
    return out;
  }

  private escape(inClass: boolean): Atom {
    const c = this.cps[this.i + 1];
    if (c === undefined) throw bad(this.pattern, 'it ends with a backslash');
    this.i += 2;
    const single = SINGLE[c];
    if (single !== undefined) return { text: `\\${c}`, single };
    if (META.has(c)) return { text: c === '-' && !inClass ? '-' : `\\${c}`, single: c.codePointAt(0) };
    const multi = MULTI[c];
    if (multi !== undefined) return { text: inClass ? multi[0] : multi[1], single: undefined };
    if (c === 'p' || c === 'P') return { text: this.property(c === 'P', inClass), single: undefined };
    if (c >= '1' && c <= '9' && !inClass) return { text: this.backReference(Number(c)), single: undefined };
    throw bad(this.pattern, `\\${c} is not an XPath escape`);
  }

  private backReference(first: number): string {
    let n = first;
    if (n > this.groups) throw bad(this.pattern, `\\${n} refers to a group that does not precede it`);
    // The longest digit sequence that still names an existing group.
    for (;;) {
      const d = this.cps[this.i];
      if (d === undefined || d < '0' || d > '9' || n * 10 + Number(d) > this.groups) break;
      n = n * 10 + Number(d);
      this.i++;
    }
    return `(?:\\${n})`;
  }

  private property(negated: boolean, inClass: boolean): string {
    if (this.cps[this.i] !== '{') throw bad(this.pattern, '\\p must be followed by {name}');
    const close = this.cps.indexOf('}', this.i);
    if (close < 0) throw bad(this.pattern, 'unterminated \\p{');
    const name = this.cps.slice(this.i + 1, close).join('');
    this.i = close + 1;
    if (CATEGORIES.has(name)) return `\\${negated ? 'P' : 'p'}{${name}}`;
    const block = name.startsWith('Is') ? BLOCKS.get(name.slice(2)) : undefined;
    if (block === undefined) throw bad(this.pattern, `unknown category or block \\p{${name}}`);
    if (!negated) return inClass ? classContent([block]) : `[${classContent([block])}]`;
    return inClass ? classContent(complement([block])) : `[^${classContent([block])}]`;
  }

  private classAtom(): Atom {
    const c = this.cps[this.i]!;
    if (c === '\\') return this.escape(true);
    this.i++;
    return { text: c === '-' || c === '^' || c === ']' ? `\\${c}` : c, single: c.codePointAt(0) };
  }

  private charClass(): string {
    const cps = this.cps;
    this.i++; // '['
    let negated = false;
    if (cps[this.i] === '^') {
      negated = true;
      this.i++;
    }
    let content = '';
    let subtract: string | undefined;
    let first = true;
    for (;;) {
      const c = cps[this.i];
      if (c === undefined) throw bad(this.pattern, 'unterminated character class');
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      if (c === ']' || c === '[') throw bad(this.pattern, `unescaped "${c}" in a character class`);
      if (c === '-' && cps[this.i + 1] === '[' && !first) {
        this.i++;
        subtract = this.charClass();
        if (cps[this.i] !== ']') throw bad(this.pattern, 'a class subtraction must end its character class');
        this.i++;
        break;
      }
      const start = this.classAtom();
      const next = cps[this.i + 1];
      if (cps[this.i] === '-' && next !== undefined && next !== ']' && next !== '[') {
        this.i++;
        const end = this.classAtom();
        if (start.single === undefined || end.single === undefined) throw bad(this.pattern, 'a range must be bounded by single characters');
        if (start.single > end.single) throw bad(this.pattern, 'a range is out of order');
        content += `${start.text}-${end.text}`;
      } else content += start.text;
      first = false;
    }
    const base = `[${negated ? '^' : ''}${content}]`;
    return subtract === undefined ? base : `(?:(?!${subtract})${base})`;
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const JS_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

/** Flag x: whitespace outside character classes is removed before the pattern is read. */
function stripWhitespace(pattern: string): string {
  let out = '';
  let depth = 0;
  const cps = Array.from(pattern);
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (c === '\\') {
      out += c + (cps[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '[') depth++;
    else if (c === ']' && depth > 0) depth--;
    if (depth === 0 && WHITESPACE.has(c)) continue;
    out += c;
  }
  return out;
}

export interface RegexFlags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly x: boolean;
  readonly q: boolean;
}

export function parseFlags(flags: string): RegexFlags {
  const f = { i: false, m: false, s: false, x: false, q: false };
  for (const c of flags) {
    if (c !== 'i' && c !== 'm' && c !== 's' && c !== 'x' && c !== 'q') throw new ExpressionError(`invalid regular expression flag "${c}" in ${JSON.stringify(flags)} (allowed: s, m, i, x, q)`);
    f[c] = true;
  }
  return f;
}

/** The JS source for an XPath pattern under the given flags (without the i flag, which stays a RegExp flag). */
export function translateRegex(pattern: string, flags: RegexFlags): string {
  if (flags.q) return Array.from(pattern, (c) => (JS_SYNTAX.has(c) ? `\\${c}` : c)).join('');
  return new Translator(flags.x ? stripWhitespace(pattern) : pattern, flags.s, flags.m).run();
}

export interface CompiledRegex {
  readonly regex: RegExp;
  /** Number of capturing groups. */
  readonly groups: number;
}

const compiled = new Map<string, CompiledRegex>();
const CACHE_MAX = 512;

/**
 * Compiles an XPath regex to a JS RegExp ('u', plus 'i' and 'g' when asked); throws ExpressionError for
 * an invalid pattern or flag. Compiled patterns are memoized (a FILTER regex runs once per row).
 */
export function compileRegex(pattern: string, flags: string, global: boolean): CompiledRegex {
  const key = `${global ? 'g' : '-'}${flags}\u0000${pattern}`;
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  const f = parseFlags(flags);
  const source = translateRegex(pattern, f);
  let regex: RegExp;
  try {
    regex = new RegExp(source, `u${f.i ? 'i' : ''}${global ? 'g' : ''}`);
  } catch (e) {
    throw bad(pattern, e instanceof Error ? e.message : String(e));
  }
  const groups = (new RegExp(`${source}|`, 'u').exec('')?.length ?? 1) - 1;
  const result = { regex, groups };
  if (compiled.size >= CACHE_MAX) compiled.clear();
  compiled.set(key, result);
  return result;
}

/** fn:matches */
export function regexMatches(text: string, pattern: string, flags: string): boolean {
  return compileRegex(pattern, flags, false).regex.test(text);
}

type Part = string | number;

/** Reads an XPath replacement string: `$n` group references, `\$` and `\\` escapes; anything else after \ or a lone $ is an error. */
function parseReplacement(replacement: string, groups: number, literal: boolean): Part[] {
  if (literal) return [replacement];
  const parts: Part[] = [];
  let text = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\') {
      const n = replacement[i + 1];
      if (n !== '\\' && n !== '$') throw new ExpressionError(`invalid replacement string ${JSON.stringify(replacement)}: "\\" must be followed by "\\" or "$"`);
      text += n;
      i++;
    } else if (c === '$') {
      const d = replacement[i + 1];
      if (d === undefined || d < '0' || d > '9') throw new ExpressionError(`invalid replacement string ${JSON.stringify(replacement)}: "$" must be followed by a digit`);
      let n = Number(d);
      i++;
      // The longest digit sequence that still names an existing group; $n beyond the groups is "".
      while (i + 1 < replacement.length && replacement[i + 1]! >= '0' && replacement[i + 1]! <= '9' && n * 10 + Number(replacement[i + 1]) <= groups) {
        n = n * 10 + Number(replacement[i + 1]);
        i++;
      }
      if (text !== '') parts.push(text);
      text = '';
      parts.push(n);
    } else text += c;
  }
  if (text !== '') parts.push(text);
  return parts;
}

/** fn:replace: an error if the pattern matches the empty string (err:FORX0003) or the replacement is invalid. */
export function regexReplace(text: string, pattern: string, replacement: string, flags: string): string {
  const { regex, groups } = compileRegex(pattern, flags, true);
  if (compileRegex(pattern, flags, false).regex.test('')) throw new ExpressionError(`REPLACE: the pattern ${JSON.stringify(pattern)} matches the empty string`);
  const parts = parseReplacement(replacement, groups, parseFlags(flags).q);
  regex.lastIndex = 0;
  return text.replace(regex, (...args: unknown[]) => {
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') out += p;
      else if (p <= groups) {
        const g = args[p];
        if (typeof g === 'string') out += g;
      }
    }
    return out;
  });
}
