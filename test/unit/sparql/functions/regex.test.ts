import test from 'ava';
import { ExpressionError } from '../../../../src/sparql/functions/index.js';
import { parseFlags, regexMatches, regexReplace, translateRegex } from '../../../../src/sparql/functions/regex.js';
import { ERR, checkTable } from './helpers.js';

const T = '"true"^^xsd:boolean';
const F = '"false"^^xsd:boolean';
const q = (s: string): string => JSON.stringify(s);

test('REGEX argument types: text may carry a language tag, pattern and flags may not', (t) => {
  checkTable(t, [
    ['regex', ['"Alice"', '"^ali"', '"i"'], T],
    ['regex', ['"Alice"', '"^ali"'], F],
    ['regex', ['"Alice"@en', '"^A"'], T],
    ['regex', ['"Alice"^^xsd:string', '"ce$"^^xsd:string', '""^^xsd:string'], T],
    ['regex', ['"Alice"', '"^A"@en'], ERR],
    ['regex', ['"Alice"', '"^A"', '"i"@en'], ERR],
    ['regex', ['<http://example.org/Alice>', '"Alice"'], ERR],
    ['regex', ['1', '"1"'], ERR],
    ['regex', ['"abc"', '"("'], ERR],
    ['regex', ['"abc"', '"a"', '"g"'], ERR],
    ['regex', ['"abc"', '"a"', '"I"'], ERR],
  ]);
});

test('flags i, s, m, x, q', (t) => {
  const cases: [string, string, string, boolean][] = [
    ['HELLO', 'hello', 'i', true],
    ['HELLO', 'hello', '', false],
    ['Ǆ', 'ǆ', 'i', true],
    ['a\nb', 'a.b', '', false],
    ['a\nb', 'a.b', 's', true],
    ['a\rb', 'a.b', '', false],
    ['a\u2028b', 'a.b', '', true], // only \n and \r are line ends for XPath
    ['first\nsecond', '^second$', '', false],
    ['first\nsecond', '^second$', 'm', true],
    ['first\nsecond', '^first$', 'm', true],
    ['first\u2028second', '^second$', 'm', false],
    ['hello world', 'hello world', 'x', false],
    ['helloworld', 'hello world', 'x', true],
    ['hello world', 'hello[ ]world', 'x', true], // whitespace in a class stays
    ['a+b', 'a+b', 'q', true],
    ['aab', 'a+b', 'q', false],
    ['A+B', 'a+b', 'qi', true],
    ['x.*y', '.*', 'q', true],
    ['[a](b){2}|\\^$', '[a](b){2}|\\^$', 'q', true],
    ['A\nB', 'a.b', 'is', true],
  ];
  for (const [text, pattern, flags, expected] of cases) t.is(regexMatches(text, pattern, flags), expected, `${q(text)} ~ /${pattern}/${flags}`);
  t.throws(() => parseFlags('z'), { instanceOf: ExpressionError });
});

test('XPath escapes and classes mean what XPath says, not what JS says', (t) => {
  const cases: [string, string, boolean][] = [
    ['٣', '^\\d$', true], // \d is any Nd digit
    ['x', '^\\d$', false],
    ['é', '^\\w$', true], // \w is anything but punctuation, separators, other
    ['€', '^\\w$', true], // symbols are word characters
    ['_', '^\\w$', false], // _ is punctuation (Pc)
    ['-', '^\\W$', true],
    [' ', '^\\s$', true],
    ['\u00A0', '^\\s$', false], // NBSP is not XPath whitespace
    ['\u00A0', '^\\S$', true],
    ['\t', '^[\\s]$', true],
    ['a', '^[^\\S]$', false],
    ['é', '^\\i$', true],
    ['1', '^\\i$', false],
    ['1', '^\\c$', true],
    ['-', '^\\c$', true],
    [' ', '^\\C$', true],
    ['1', '^[\\I]$', true],
    ['a', '^\\p{Ll}$', true],
    ['A', '^\\P{Ll}$', true],
    ['A', '^[\\p{Lu}\\d]$', true],
    ['Ω', '^\\p{IsGreek}$', true],
    ['a', '^\\p{IsBasicLatin}+$', true],
    ['é', '^\\p{IsBasicLatin}$', false],
    ['é', '^\\P{IsBasicLatin}$', true],
    ['é', '^[\\P{IsBasicLatin}]$', true],
    ['a', '^[\\P{IsBasicLatin}]$', false],
    ['👪', '^\\p{IsBasicLatin}?.$', true], // . is one code point
    ['👪', '^..$', false],
    ['c', '^[a-z-[aeiou]]$', true],
    ['e', '^[a-z-[aeiou]]$', false],
    ['E', '^[^a-z-[AEIOU]]$', false],
    ['B', '^[^a-z-[AEIOU]]$', true],
    ['-', '^[a-]$', true],
    ['-', '^[-a]$', true],
    ['^', '^[a^]$', true],
    ['aa', '^(a)\\1$', true],
    ['ab', '^(a)\\1$', false],
    ['aa2', '^(a)\\12$', true], // \12 with one group is \1 then "2"
    ['a', '^\\cA?$', true], // \c is a name character in XPath, not a control escape
    ['*', '^\\*$', true],
    ['-', '^\\-$', true],
    ['x', '^(?:x)$', true],
    ['ab', '^a{1,2}b$', true],
    ['aab', '^a+?b$', true],
  ];
  for (const [text, pattern, expected] of cases) t.is(regexMatches(text, pattern, ''), expected, `${q(text)} ~ /${pattern}/`);
});

test('patterns XPath does not allow are errors, even where JS would accept them', (t) => {
  for (const pattern of ['(', ')', '[a', 'a]', 'a{', '*a', '\\', '\\b', '\\x41', '\\u0041', '\\0', '\\/', '(?=a)', '(?<n>a)', '(?i)a', '\\1(a)', '[]', '[a-\\d]', '[z-a]', '[[a]]', '\\p{Foo}', '\\p{IsNoSuchBlock}', '\\p', 'a**']) {
    t.throws(() => regexMatches('a', pattern, ''), { instanceOf: ExpressionError }, pattern);
  }
});

test('translation of a few representative patterns', (t) => {
  const none = parseFlags('');
  t.is(translateRegex('a.b', none), 'a[^\\n\\r]b');
  t.is(translateRegex('a.b', parseFlags('s')), 'a[^]b');
  t.is(translateRegex('^a$', parseFlags('m')), '(?<![^\\n])a(?![^\\n])');
  t.is(translateRegex('\\d', none), '\\p{Nd}');
  t.is(translateRegex('[a-z-[aeiou]]', none), '(?:(?![aeiou])[a-z])');
  t.is(translateRegex('a b', parseFlags('x')), 'ab');
  t.is(translateRegex('a.b', parseFlags('q')), 'a\\.b');
});

test('REPLACE with group references, escapes and flags', (t) => {
  checkTable(t, [
    ['replace', ['"abracadabra"', '"bra"', '"*"'], '"a*cada*"'],
    ['replace', ['"abracadabra"', '"a.*a"', '"*"'], '"*"'],
    ['replace', ['"abracadabra"', '"a.*?a"', '"*"'], '"*c*bra"'],
    ['replace', ['"abracadabra"', '"a"', '""'], '"brcdbr"'],
    ['replace', ['"abracadabra"', '"a(.)"', '"a$1$1"'], '"abbraccaddabbra"'],
    ['replace', ['"AAAA"', '"A+"', '"b"'], '"b"'],
    ['replace', ['"AAAA"', '"A+?"', '"b"'], '"bbbb"'],
    ['replace', ['"darted"', '"^(.*?)d(.*)$"', '"$1c$2"'], '"carted"'],
    ['replace', ['"abcd"', '"(ab)|(a)"', '"[1=$1][2=$2]"'], '"[1=ab][2=]cd"'],
    ['replace', ['"aAbBaC"', '"a"', '"~/"', '"i"'], '"~/~/bB~/C"'],
    ['replace', ['"banana"', '"ana"', '"*"'], '"b*na"'],
    ['replace', ['"abc"', '"b"', '"\\\\$"'], '"a$c"'],
    ['replace', ['"abc"', '"b"', '"\\\\\\\\"'], '"a\\\\c"'],
    ['replace', ['"abc"', '"(b)"', '"$0$1$2"'], '"abbc"'], // $0 whole match; $2 beyond the groups is ""
    ['replace', ['"abc"', '"(b)"', '"$12"'], '"ab2c"'], // only one group: $1 then "2"
    ['replace', ['"a.b.c"', '"."', '"$"', '"q"'], '"a$b$c"'], // q: the replacement is literal too
    ['replace', ['"english"@en', '"[^a-z0-9]"', '"-"'], '"english"@en'],
    ['replace', ['"Français"@fr', '"[^a-z0-9]"', '"-"'], '"-ran-ais"@fr'],
    ['replace', ['"日本語"@ja', '"[^a-z0-9]"', '"-"'], '"---"@ja'],
    ['replace', ['"abc"^^xsd:string', '"b"', '"x"'], '"axc"'],
    ['replace', [q('a👪b'), '"."', '"x"'], '"xxx"'],
    ['replace', ['"abc"', '"x*"', '"-"'], ERR], // matches the empty string (err:FORX0003)
    ['replace', ['"abc"', '"b"', '"$"'], ERR],
    ['replace', ['"abc"', '"b"', '"\\\\x"'], ERR],
    ['replace', ['"abc"', '"("', '"x"'], ERR],
    ['replace', ['"abc"', '"b"', '"x"@en'], ERR],
    ['replace', ['"abc"', '"b"@en', '"x"'], ERR],
    ['replace', ['7', '"7"', '"x"'], ERR],
    ['replace', ['"abc"', '"b"', '"x"', '"k"'], ERR],
  ]);
  t.is(regexReplace('x', 'x', 'y', ''), 'y');
});
