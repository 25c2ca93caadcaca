import test from 'ava';
import { ERR, checkTable } from './helpers.js';

const T = '"true"^^xsd:boolean';
const F = '"false"^^xsd:boolean';
const FAMILY = '👨‍👩‍👧‍👦'; // 7 code points: MAN ZWJ WOMAN ZWJ GIRL ZWJ BOY, 11 UTF-16 units
const q = (s: string): string => JSON.stringify(s);

test('STRLEN counts code points', (t) => {
  checkTable(t, [
    ['strlen', ['"chat"'], '"4"^^xsd:integer'],
    ['strlen', ['"chat"@en'], '"4"^^xsd:integer'],
    ['strlen', ['"chat"^^xsd:string'], '"4"^^xsd:integer'],
    ['strlen', ['""'], '"0"^^xsd:integer'],
    ['strlen', ['"食べ物"'], '"3"^^xsd:integer'],
    ['strlen', ['"👪"'], '"1"^^xsd:integer'],
    ['strlen', [q(FAMILY)], '"7"^^xsd:integer'],
    ['strlen', ['7'], ERR],
    ['strlen', ['<http://example.org/>'], ERR],
    ['strlen', ['_:b'], ERR],
    ['strlen', ['"x"^^<http://example.org/t>'], ERR],
  ]);
});

test('SUBSTR is 1-based on code points with fn:substring rounding', (t) => {
  checkTable(t, [
    ['substr', ['"foobar"', '4'], '"bar"'],
    ['substr', ['"foobar"', '4', '1'], '"b"'],
    ['substr', ['"foobar"@en', '4', '1'], '"b"@en'],
    ['substr', ['"foobar"^^xsd:string', '4', '1'], '"b"'],
    ['substr', ['"motor car"', '6'], '" car"'],
    ['substr', ['"metadata"', '4', '3'], '"ada"'],
    ['substr', ['"12345"', '1.5', '2.6'], '"234"'], // XPath F&O examples
    ['substr', ['"12345"', '0', '3'], '"12"'],
    ['substr', ['"12345"', '5', '-3'], '""'],
    ['substr', ['"12345"', '-3', '5'], '"1"'],
    ['substr', ['"12345"', '"NaN"^^xsd:double', '3'], '""'],
    ['substr', ['"12345"', '1', '"NaN"^^xsd:double'], '""'],
    ['substr', ['"12345"', '"-INF"^^xsd:double', '"INF"^^xsd:double'], '""'],
    ['substr', ['"12345"', '-42', '"INF"^^xsd:double'], '"12345"'],
    ['substr', ['"12345"', '2.5'], '"345"'], // round(2.5) = 3
    ['substr', ['"12345"', '"-0.5"^^xsd:decimal', '2'], '"1"'], // round(-0.5) = 0 (half toward +∞)
    ['substr', ['"12345"', '6'], '""'],
    ['substr', ['"12345"', '100', '2'], '""'],
    ['substr', ['"👪"', '1', '1'], '"👪"'],
    ['substr', ['"👪"', '2'], '""'],
    ['substr', [q(FAMILY), '1', '1'], '"👨"'],
    ['substr', [q(FAMILY), '2'], q(FAMILY.slice(2))],
    ['substr', [q(`a${FAMILY}b`), '3', '1'], q('\u200D')],
    ['substr', ['"食べ物"', '2'], '"べ物"'],
    ['substr', ['"abc"', '"1"'], ERR],
    ['substr', ['"abc"', '1', '"1"'], ERR],
    ['substr', ['3', '1'], ERR],
    ['substr', ['"abc"', '"abc"^^xsd:integer'], ERR],
  ]);
});

test('UCASE and LCASE keep the language tag', (t) => {
  checkTable(t, [
    ['ucase', ['"foo"'], '"FOO"'],
    ['ucase', ['"bar"@en'], '"BAR"@en'],
    ['ucase', ['"abc"^^xsd:string'], '"ABC"'],
    ['ucase', ['"食べ物"'], '"食べ物"'],
    ['ucase', ['"straße"@de'], '"STRASSE"@de'],
    ['ucase', [q(FAMILY)], q(FAMILY)],
    ['lcase', ['"BAZ"'], '"baz"'],
    ['lcase', ['"ÉTÉ"@fr'], '"été"@fr'],
    ['lcase', ['"DEF"^^xsd:string'], '"def"'],
    ['lcase', ['"👪"'], '"👪"'],
    ['ucase', ['1'], ERR],
    ['lcase', ['<http://example.org/A>'], ERR],
  ]);
});

test('STRSTARTS, STRENDS, CONTAINS and the argument compatibility rules', (t) => {
  checkTable(t, [
    ['strstarts', ['"foobar"', '"foo"'], T],
    ['strstarts', ['"foobar"@en', '"foo"@en'], T],
    ['strstarts', ['"foobar"@en', '"foo"@EN'], T],
    ['strstarts', ['"foobar"^^xsd:string', '"foo"^^xsd:string'], T],
    ['strstarts', ['"foobar"', '"foo"^^xsd:string'], T],
    ['strstarts', ['"foobar"^^xsd:string', '"foo"'], T],
    ['strstarts', ['"foobar"@en', '"foo"'], T],
    ['strstarts', ['"foobar"@en', '"foo"^^xsd:string'], T],
    ['strstarts', ['"foobar"', '"bar"'], F],
    ['strstarts', ['"foobar"', '""'], T],
    ['strstarts', ['"foobar"', '"foo"@en'], ERR],
    ['strstarts', ['"foobar"@en', '"foo"@fr'], ERR],
    ['strstarts', ['"foobar"^^xsd:string', '"foo"@en'], ERR],
    ['strstarts', ['1', '"1"'], ERR],
    ['strstarts', ['"1"', '1'], ERR],
    ['strends', ['"foobar"', '"bar"'], T],
    ['strends', ['"foobar"@en', '"bar"@en'], T],
    ['strends', ['"foobar"@en', '"bar"'], T],
    ['strends', ['"foobar"', '"foo"'], F],
    ['strends', ['"foobar"', '"bar"@en'], ERR],
    ['strends', [q(`x${FAMILY}`), '"👦"'], T],
    ['contains', ['"foobar"', '"bar"'], T],
    ['contains', ['"foobar"@en', '"ob"@en'], T],
    ['contains', ['"foobar"@en', '"ob"'], T],
    ['contains', ['"foobar"^^xsd:string', '"baz"'], F],
    ['contains', ['"foobar"', '""'], T],
    ['contains', ['"foobar"', '"bar"@en'], ERR],
    ['contains', ['<http://example.org/foo>', '"foo"'], ERR],
  ]);
});

test('STRBEFORE and STRAFTER: language tag of the first argument on a match, a simple literal otherwise', (t) => {
  checkTable(t, [
    ['strbefore', ['"abc"', '"b"'], '"a"'],
    ['strbefore', ['"abc"', '"bc"'], '"a"'],
    ['strbefore', ['"abc"@en', '"b"'], '"a"@en'],
    ['strbefore', ['"abc"@en', '"bc"@en'], '"a"@en'],
    ['strbefore', ['"abc"@en', '"b"^^xsd:string'], '"a"@en'],
    ['strbefore', ['"abc"@en', '""'], '""@en'],
    ['strbefore', ['"abc"@en', '""@en'], '""@en'],
    ['strbefore', ['"abc"', '""'], '""'],
    ['strbefore', ['"abc"@en', '"xyz"'], '""'],
    ['strbefore', ['"abc"^^xsd:string', '"xyz"^^xsd:string'], '""'],
    ['strbefore', ['"abc"^^xsd:string', '"c"'], '"ab"'],
    ['strbefore', ['"abc"', '"b"@cy'], ERR],
    ['strbefore', ['"abc"@en', '"b"@cy'], ERR],
    ['strbefore', ['"abc"', '""@en'], ERR],
    ['strbefore', ['7', '"s"'], ERR],
    ['strbefore', ['"english"@en', '"s"'], '"engli"@en'],
    ['strbefore', ['"日本語"@ja', '"s"'], '""'],
    ['strafter', ['"abc"', '"b"'], '"c"'],
    ['strafter', ['"abc"', '"ab"'], '"c"'],
    ['strafter', ['"abc"@en', '"b"'], '"c"@en'],
    ['strafter', ['"abc"@en', '""'], '"abc"@en'],
    ['strafter', ['"abc"@en', '""@en'], '"abc"@en'],
    ['strafter', ['"abc"', '""'], '"abc"'],
    ['strafter', ['"abc"@en', '"xyz"^^xsd:string'], '""'],
    ['strafter', ['"abc"@en', '"c"'], '""@en'],
    ['strafter', ['"abc"', '"b"@cy'], ERR],
    ['strafter', ['"english"@en', '"e"'], '"nglish"@en'],
    ['strafter', ['"français"@fr', '"e"'], '""'],
    ['strafter', [q(`a${FAMILY}b`), '"👧"'], q('\u200D👦b')],
  ]);
});

test('CONCAT keeps a shared language tag, else gives a simple literal', (t) => {
  checkTable(t, [
    ['concat', [], '""'],
    ['concat', ['"abc"^^xsd:string'], '"abc"'],
    ['concat', ['"a"@en'], '"a"@en'],
    ['concat', ['"abc"^^xsd:string', '"DEF"^^xsd:string'], '"abcDEF"'],
    ['concat', ['"a"', '"b"', '"c"'], '"abc"'],
    ['concat', ['"a"@en', '"b"@en'], '"ab"@en'],
    ['concat', ['"a"@en', '"b"@EN'], '"ab"@en'],
    ['concat', ['"a"@en', '"b"@fr'], '"ab"'],
    ['concat', ['"a"@en', '"b"'], '"ab"'],
    ['concat', ['"a"', '"b"@en'], '"ab"'],
    ['concat', ['"a"@en', '"b"@en', '"c"'], '"abc"'],
    ['concat', ['"日本語"@ja', '"日本語"@ja'], '"日本語日本語"@ja'],
    ['concat', ['"👪"', q(FAMILY)], q(`👪${FAMILY}`)],
    ['concat', ['"a"', '1'], ERR],
    ['concat', ['"a"', '<http://example.org/>'], ERR],
    ['concat', ['_:b'], ERR],
  ]);
});

test('ENCODE_FOR_URI percent-encodes UTF-8 except unreserved characters', (t) => {
  checkTable(t, [
    ['encode_for_uri', ['"Los Angeles"'], '"Los%20Angeles"'],
    ['encode_for_uri', ['"Los Angeles"@en'], '"Los%20Angeles"'],
    ['encode_for_uri', ['"100%"'], '"100%25"'],
    ['encode_for_uri', ['"食べ物"'], '"%E9%A3%9F%E3%81%B9%E7%89%A9"'],
    ['encode_for_uri', ['"👪"'], '"%F0%9F%91%AA"'],
    ['encode_for_uri', [q(FAMILY)], '"%F0%9F%91%A8%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7%E2%80%8D%F0%9F%91%A6"'],
    ['encode_for_uri', ['"AZaz09-_.~"'], '"AZaz09-_.~"'],
    ['encode_for_uri', ['"!*\'();:@&=+$,/?#[]"'], '"%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D"'],
    ['encode_for_uri', ['"http://www.example.com/00/Weather/CA/Los%20Angeles#ocean"'], '"http%3A%2F%2Fwww.example.com%2F00%2FWeather%2FCA%2FLos%2520Angeles%23ocean"'],
    ['encode_for_uri', ['1'], ERR],
    ['encode_for_uri', ['<http://example.org/>'], ERR],
  ]);
});

test('LANGMATCHES does RFC 4647 basic filtering', (t) => {
  checkTable(t, [
    ['langmatches', ['"en"', '"en"'], T],
    ['langmatches', ['"en-US"', '"en"'], T],
    ['langmatches', ['"EN-us"', '"en-US"'], T],
    ['langmatches', ['"en"', '"EN"'], T],
    ['langmatches', ['"en"', '"en-US"'], F],
    ['langmatches', ['"fr"', '"en"'], F],
    ['langmatches', ['"english"', '"en"'], F],
    ['langmatches', ['"en-gb-oed"', '"en-gb"'], T],
    ['langmatches', ['"fr"', '"*"'], T],
    ['langmatches', ['""', '"*"'], F],
    ['langmatches', ['""', '"en"'], F],
    ['langmatches', ['"en"^^xsd:string', '"en"^^xsd:string'], T],
    ['langmatches', ['"en"@en', '"en"'], ERR],
    ['langmatches', ['"en"', '1'], ERR],
    ['langmatches', ['<http://example.org/en>', '"en"'], ERR],
  ]);
});

test('hash functions of simple literals and xsd:strings', (t) => {
  checkTable(t, [
    ['md5', ['"foo"'], '"acbd18db4cc2f85cedef654fccc4a4d8"'],
    ['md5', ['"食べ物"'], '"e7ada485d13b1decf628c9211bc3a97b"'],
    ['md5', ['"abc"^^xsd:string'], '"900150983cd24fb0d6963f7d28e17f72"'],
    ['sha1', ['"foo"'], '"0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33"'],
    ['sha256', ['"foo"'], '"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"'],
    ['sha384', ['"foo"'], '"98c11ffdfdd540676b1a137cb1a22b2a70350c9a44171d6b1180c6be5cbb2ee3f79d532c8a1dd9ef2e8e08e752a3babb"'],
    ['sha512', ['"foo"'], '"f7fbba6e0636f890e56fbbf3283e524c6fa3204ae298382d624741d0dc6638326e282c41be5e4254d8820772c5518a2c5a8c0c7f7eda19594a7eb539453e1ed7"'],
    ['sha1', ['"\u98DF"'], '"d46696735b6a09ff407bfc1a9407e008840db9c9"'], // W3C sha1-02: U+98DF, 3 UTF-8 bytes
    ['sha256', ['"\u98DF"'], '"0fbe868d1df356ca9df7ebff346da3a56280e059a7ea81186ef885b140d254ee"'],
    ['sha1', ['""'], '"da39a3ee5e6b4b0d3255bfef95601890afd80709"'],
    ['md5', ['"foo"@en'], ERR],
    ['md5', ['1'], ERR],
    ['sha256', ['<http://example.org/>'], ERR],
  ]);
});
