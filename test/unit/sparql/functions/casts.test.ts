import test from 'ava';
import { ERR, XSD, checkTable, type Case } from './helpers.js';

const cast = (type: string, arg: string, expected: string | typeof ERR): Case => [`${XSD}${type}`, [arg], expected];

test('xsd:string: lexical forms of strings and IRIs, canonical forms of known types, XPath notation for doubles', (t) => {
  checkTable(t, [
    cast('string', '<http://example.org/z>', '"http://example.org/z"'),
    cast('string', '"+33.3300"', '"+33.3300"'),
    cast('string', '"chat"@fr', '"chat"'),
    cast('string', '"01"^^xsd:integer', '"1"'),
    cast('string', '"-0"^^xsd:integer', '"0"'),
    cast('string', '"1.0"^^xsd:decimal', '"1"'),
    cast('string', '"+01.50"^^xsd:decimal', '"1.5"'),
    cast('string', '"0E1"^^xsd:double', '"0"'),
    cast('string', '"1E0"^^xsd:double', '"1"'),
    cast('string', '"1.25"^^xsd:float', '"1.25"'),
    cast('string', '"0.1"^^xsd:float', '"0.1"'),
    cast('string', '"1e6"^^xsd:double', '"1.0E6"'),
    cast('string', '"-1.5e-7"^^xsd:double', '"-1.5E-7"'),
    cast('string', '"INF"^^xsd:double', '"INF"'),
    cast('string', '"0"^^xsd:boolean', '"false"'),
    cast('string', '"2010-01-01T24:00:00Z"^^xsd:dateTime', '"2010-01-02T00:00:00Z"'),
    cast('string', '"abc"^^xsd:integer', '"abc"'),
    cast('string', '"x y"^^<http://example.org/t>', '"x y"'),
    cast('string', '_:b', ERR),
  ]);
});

test('xsd:boolean', (t) => {
  checkTable(t, [
    cast('boolean', '"true"', '"true"^^xsd:boolean'),
    cast('boolean', '"1"', '"true"^^xsd:boolean'),
    cast('boolean', '"0"', '"false"^^xsd:boolean'),
    cast('boolean', '" false "', '"false"^^xsd:boolean'),
    cast('boolean', '"0"^^xsd:boolean', '"false"^^xsd:boolean'),
    cast('boolean', '0', '"false"^^xsd:boolean'),
    cast('boolean', '-1', '"true"^^xsd:boolean'),
    cast('boolean', '0.0', '"false"^^xsd:boolean'),
    cast('boolean', '"-0"^^xsd:double', '"false"^^xsd:boolean'),
    cast('boolean', '"NaN"^^xsd:double', '"false"^^xsd:boolean'),
    cast('boolean', '"1.25"^^xsd:float', '"true"^^xsd:boolean'),
    cast('boolean', '"TRUE"', ERR),
    cast('boolean', '"0.0"', ERR),
    cast('boolean', '"yes"', ERR),
    cast('boolean', '"true"@en', ERR),
    cast('boolean', '<http://example.org/true>', ERR),
    cast('boolean', '"2002-10-10T17:00:00Z"^^xsd:dateTime', ERR),
    cast('boolean', '"abc"^^xsd:boolean', ERR),
  ]);
});

test('xsd:integer and the derived integer types', (t) => {
  checkTable(t, [
    cast('integer', '"01"', '"1"^^xsd:integer'),
    cast('integer', '" 13 "', '"13"^^xsd:integer'),
    cast('integer', '"-0"', '"0"^^xsd:integer'),
    cast('integer', '"+33.3300"', ERR),
    cast('integer', '"1E0"', ERR),
    cast('integer', '"0.0"', ERR),
    cast('integer', 'true', '"1"^^xsd:integer'),
    cast('integer', '"0"^^xsd:boolean', '"0"^^xsd:integer'),
    cast('integer', '2.5', '"2"^^xsd:integer'),
    cast('integer', '-2.5', '"-2"^^xsd:integer'),
    cast('integer', '"-7.875"^^xsd:float', '"-7"^^xsd:integer'),
    cast('integer', '1e20', '"100000000000000000000"^^xsd:integer'),
    cast('integer', '"INF"^^xsd:double', ERR),
    cast('integer', '"NaN"^^xsd:float', ERR),
    cast('integer', '"1"^^xsd:byte', '"1"^^xsd:integer'),
    cast('integer', '"2002-10-10T17:00:00Z"^^xsd:dateTime', ERR),
    cast('int', '"2147483647"', '"2147483647"^^xsd:int'),
    cast('int', '"2147483648"', ERR),
    cast('byte', '127.9', '"127"^^xsd:byte'),
    cast('byte', '128', ERR),
    cast('unsignedByte', '"-1"', ERR),
    cast('nonNegativeInteger', '"-0"', '"0"^^xsd:nonNegativeInteger'),
    cast('positiveInteger', '0', ERR),
    cast('long', '"9223372036854775807"', '"9223372036854775807"^^xsd:long'),
    cast('negativeInteger', '-1e0', '"-1"^^xsd:negativeInteger'),
  ]);
});

test('xsd:decimal', (t) => {
  checkTable(t, [
    cast('decimal', '"+33.3300"', '"33.33"^^xsd:decimal'),
    cast('decimal', '"0.0"', '"0.0"^^xsd:decimal'),
    cast('decimal', '"1"', '"1.0"^^xsd:decimal'),
    cast('decimal', '".5"', '"0.5"^^xsd:decimal'),
    cast('decimal', '"-10.2E3"', ERR),
    cast('decimal', '"1E0"', ERR),
    cast('decimal', '"INF"', ERR),
    cast('decimal', 'true', '"1.0"^^xsd:decimal'),
    cast('decimal', '1', '"1.0"^^xsd:decimal'),
    cast('decimal', '"1.25"^^xsd:float', '"1.25"^^xsd:decimal'),
    cast('decimal', '"0.1"^^xsd:float', '"0.1"^^xsd:decimal'),
    cast('decimal', '0.1e0', '"0.1"^^xsd:decimal'),
    cast('decimal', '1e20', '"100000000000000000000.0"^^xsd:decimal'),
    cast('decimal', '"-0"^^xsd:double', '"0.0"^^xsd:decimal'),
    cast('decimal', '"INF"^^xsd:double', ERR),
    cast('decimal', '"NaN"^^xsd:double', ERR),
    cast('decimal', '"abc"^^xsd:decimal', ERR),
  ]);
});

test('xsd:float and xsd:double', (t) => {
  checkTable(t, [
    cast('double', '"-10.2E3"', '"-1.02E4"^^xsd:double'),
    cast('double', '"+33.3300"', '"3.333E1"^^xsd:double'),
    cast('double', '"0.0"', '"0.0E0"^^xsd:double'),
    cast('double', '"1"', '"1.0E0"^^xsd:double'),
    cast('double', '"INF"', '"INF"^^xsd:double'),
    cast('double', '"-INF"', '"-INF"^^xsd:double'),
    cast('double', '"NaN"', '"NaN"^^xsd:double'),
    cast('double', '"inf"', ERR),
    cast('double', '"1e"', ERR),
    cast('double', 'true', '"1.0E0"^^xsd:double'),
    cast('double', '"0"^^xsd:boolean', '"0.0E0"^^xsd:double'),
    cast('double', '-1', '"-1.0E0"^^xsd:double'),
    cast('double', '2.5', '"2.5E0"^^xsd:double'),
    cast('double', '"1.25"^^xsd:float', '"1.25E0"^^xsd:double'),
    cast('double', '"0.1"^^xsd:float', '"1.0000000149011612E-1"^^xsd:double'),
    cast('double', '123456789012345678901234567890', '"1.2345678901234568E29"^^xsd:double'),
    cast('float', '"1.5"', '"1.5E0"^^xsd:float'),
    cast('float', '"0.1"', '"1.0E-1"^^xsd:float'),
    cast('float', '"1e40"', '"INF"^^xsd:float'),
    cast('float', '0.1e0', '"1.0E-1"^^xsd:float'),
    cast('float', '"-7.875"^^xsd:float', '"-7.875E0"^^xsd:float'),
    cast('float', '16777217', '"1.6777216E7"^^xsd:float'),
    cast('float', '"2002-10-10T17:00:00Z"', ERR),
    cast('float', '<http://example.org/1>', ERR),
  ]);
});

test('xsd:dateTime and xsd:date', (t) => {
  checkTable(t, [
    cast('dateTime', '"2002-10-10T17:00:00Z"', '"2002-10-10T17:00:00Z"^^xsd:dateTime'),
    cast('dateTime', '" 2002-10-10T17:00:00.000+00:00 "', '"2002-10-10T17:00:00Z"^^xsd:dateTime'),
    cast('dateTime', '"2002-10-10T24:00:00"', '"2002-10-11T00:00:00"^^xsd:dateTime'),
    cast('dateTime', '"2002-10-10T17:00:00.50-05:00"^^xsd:dateTime', '"2002-10-10T17:00:00.5-05:00"^^xsd:dateTime'),
    cast('dateTime', '"2002-10-10+01:00"^^xsd:date', '"2002-10-10T00:00:00+01:00"^^xsd:dateTime'),
    cast('dateTime', '"2002-10-10"', ERR),
    cast('dateTime', '"2002-02-30T00:00:00"', ERR),
    cast('dateTime', '"17:00:00"^^xsd:time', ERR),
    cast('dateTime', '1', ERR),
    cast('dateTime', 'true', ERR),
    cast('dateTime', '"2002-10-10T17:00:00Z"@en', ERR),
    cast('date', '"2002-10-10"', '"2002-10-10"^^xsd:date'),
    cast('date', '"2002-10-10T17:00:00-05:00"^^xsd:dateTime', '"2002-10-10-05:00"^^xsd:date'),
    cast('date', '"2002-10-10T17:00:00"', ERR),
  ]);
});
