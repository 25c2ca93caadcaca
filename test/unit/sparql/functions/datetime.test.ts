import test from 'ava';
import { DataFactory } from 'n3';
import { callFunction } from '../../../../src/sparql/functions/index.js';
import { civilFromDays, daysFromCivil, formatTemporal, parseDate, parseDateTime, parseTime } from '../../../../src/sparql/functions/datetime.js';
import { ERR, checkTable, makeContext, show } from './helpers.js';

const dt = (s: string): string => `"${s}"^^xsd:dateTime`;
const int = (n: number): string => `"${n}"^^xsd:integer`;
const dec = (s: string): string => `"${s}"^^xsd:decimal`;
const dur = (s: string): string => `"${s}"^^xsd:dayTimeDuration`;

test('date and time parts of dateTimes with and without timezone (W3C functions/*-01)', (t) => {
  const d1 = dt('2010-06-21T11:28:01Z');
  const d2 = dt('2010-12-21T15:38:02-08:00');
  const d3 = dt('2008-06-20T23:59:00Z');
  const d4 = dt('2011-02-01T01:02:03');
  checkTable(t, [
    ['year', [d1], int(2010)], ['year', [d2], int(2010)], ['year', [d3], int(2008)], ['year', [d4], int(2011)],
    ['month', [d1], int(6)], ['month', [d2], int(12)], ['month', [d3], int(6)], ['month', [d4], int(2)],
    ['day', [d1], int(21)], ['day', [d2], int(21)], ['day', [d3], int(20)], ['day', [d4], int(1)],
    ['hours', [d1], int(11)], ['hours', [d2], int(15)], ['hours', [d3], int(23)], ['hours', [d4], int(1)],
    ['minutes', [d1], int(28)], ['minutes', [d2], int(38)], ['minutes', [d3], int(59)], ['minutes', [d4], int(2)],
    ['seconds', [d1], dec('1')], ['seconds', [d2], dec('2')], ['seconds', [d3], dec('0')], ['seconds', [d4], dec('3')],
    ['timezone', [d1], dur('PT0S')], ['timezone', [d2], dur('-PT8H')], ['timezone', [d3], dur('PT0S')], ['timezone', [d4], ERR],
    ['tz', [d1], '"Z"'], ['tz', [d2], '"-08:00"'], ['tz', [d3], '"Z"'], ['tz', [d4], '""'],
  ]);
});

test('more date parts: fractions, 24:00:00, offsets, negative years, xsd:date and xsd:time', (t) => {
  checkTable(t, [
    ['seconds', [dt('2010-01-01T00:00:01.500Z')], dec('1.5')],
    ['seconds', [dt('2010-01-01T00:00:59.999999999999')], dec('59.999999999999')],
    ['hours', [dt('2010-12-31T24:00:00Z')], int(0)],
    ['day', [dt('2010-12-31T24:00:00Z')], int(1)],
    ['year', [dt('2010-12-31T24:00:00Z')], int(2011)],
    ['timezone', [dt('2010-01-01T00:00:00+05:30')], dur('PT5H30M')],
    ['timezone', [dt('2010-01-01T00:00:00-00:30')], dur('-PT30M')],
    ['timezone', [dt('2010-01-01T00:00:00+14:00')], dur('PT14H')],
    ['timezone', [dt('2010-01-01T00:00:00-00:00')], dur('PT0S')],
    ['tz', [dt('2010-01-01T00:00:00+05:30')], '"+05:30"'],
    ['tz', [dt('2010-01-01T00:00:00+00:00')], '"Z"'],
    ['year', [dt('-0044-03-15T12:00:00')], int(-44)],
    ['year', [dt('12345-01-01T00:00:00Z')], int(12345)],
    ['year', ['"2010-06-21"^^xsd:date'], int(2010)],
    ['day', ['"2010-06-21+02:00"^^xsd:date'], int(21)],
    ['timezone', ['"2010-06-21+02:00"^^xsd:date'], dur('PT2H')],
    ['hours', ['"2010-06-21"^^xsd:date'], ERR],
    ['hours', ['"13:20:10.5"^^xsd:time'], int(13)],
    ['seconds', ['"13:20:10.5"^^xsd:time'], dec('10.5')],
    ['tz', ['"13:20:10-03:00"^^xsd:time'], '"-03:00"'],
    ['year', ['"13:20:10"^^xsd:time'], ERR],
    ['year', ['"2010-06-21T11:28:01Z"^^xsd:dateTimeStamp'], int(2010)],
    // Not dateTimes.
    ['year', ['"2010-06-21T11:28:01Z"'], ERR],
    ['year', ['2010'], ERR],
    ['month', ['<http://example.org/d>'], ERR],
    ['day', ['"2010-02-30T00:00:00Z"^^xsd:dateTime'], ERR],
    ['hours', ['"2010-01-01T25:00:00Z"^^xsd:dateTime'], ERR],
    ['minutes', ['"2010-01-01T10:60:00Z"^^xsd:dateTime'], ERR],
    ['seconds', ['"2010-01-01T10:00:60Z"^^xsd:dateTime'], ERR],
    ['tz', ['"2010-01-01T10:00:00+15:00"^^xsd:dateTime'], ERR],
    ['year', ['"2010-06-21T11:28:01Z"^^xsd:dateTimeStamp'.replace('Z', '')], ERR], // dateTimeStamp needs a timezone
  ]);
});

test('dateTime lexical validation', (t) => {
  const valid = ['2010-06-21T11:28:01Z', '2000-02-29T00:00:00', '0000-01-01T00:00:00', '-0001-01-01T00:00:00', '2010-01-01T23:59:59.999-14:00', '2010-01-01T24:00:00', '99999-12-31T00:00:00+14:00'];
  const invalid = ['2010-06-21', '2010-06-21T11:28Z', '1900-02-29T00:00:00', '2010-13-01T00:00:00', '2010-00-01T00:00:00', '10-01-01T00:00:00', '02010-01-01T00:00:00', '2010-01-01T24:00:01', '2010-01-01T24:00:00.1', '2010-01-01T00:00:00+14:30', '2010-01-01T00:00:00Z ', ' 2010-01-01T00:00:00', '2010-01-01t00:00:00', '2010-01-01T00:00:00z', '2010-1-01T00:00:00'];
  for (const s of valid) t.not(parseDateTime(s), undefined, s);
  for (const s of invalid) t.is(parseDateTime(s), undefined, s);
  t.is(parseDate('2010-06-21Z')?.tz, 0);
  t.is(parseDate('2010-06-21T00:00:00'), undefined);
  t.is(parseTime('24:00:00')?.hour, 0);
  t.is(parseTime('24:00:01'), undefined);
});

test('canonical forms of temporal values', (t) => {
  const cases: [string, string][] = [
    ['2010-06-21T11:28:01.500Z', '2010-06-21T11:28:01.5Z'],
    ['2010-06-21T11:28:01.000+00:00', '2010-06-21T11:28:01Z'],
    ['2010-06-21T11:28:01-00:00', '2010-06-21T11:28:01Z'],
    ['2010-12-31T24:00:00-05:00', '2011-01-01T00:00:00-05:00'],
    ['-0001-01-01T00:00:00', '-0001-01-01T00:00:00'],
    ['2010-06-21T01:02:03.04+05:30', '2010-06-21T01:02:03.04+05:30'],
  ];
  for (const [lex, canonical] of cases) t.is(formatTemporal(parseDateTime(lex)!), canonical, lex);
});

test('the proleptic Gregorian day count round-trips', (t) => {
  t.is(daysFromCivil(1970, 1, 1), 0);
  t.is(daysFromCivil(2000, 3, 1), 11017);
  t.is(daysFromCivil(0, 1, 1), -719528);
  for (let days = -800000; days < 800000; days += 997) {
    const [y, m, d] = civilFromDays(days);
    t.is(daysFromCivil(y, m, d), days);
  }
});

test('NOW() is the query instant in canonical UTC form', (t) => {
  const at = (iso: string): string => show(callFunction('now', [], makeContext({ now: new Date(iso) })));
  t.is(at('2024-02-29T13:14:15.250Z'), '"2024-02-29T13:14:15.25Z"^^xsd:dateTime');
  t.is(at('2024-02-29T13:14:15.000Z'), '"2024-02-29T13:14:15Z"^^xsd:dateTime');
  t.is(at('1969-12-31T23:59:59.999Z'), '"1969-12-31T23:59:59.999Z"^^xsd:dateTime');
  const ctx = makeContext();
  t.true(callFunction('now', [], ctx).equals(callFunction('now', [], ctx)));
  t.true(callFunction('year', [callFunction('now', [], ctx)], ctx).equals(DataFactory.literal('2024', DataFactory.namedNode('http://www.w3.org/2001/XMLSchema#integer'))));
});
