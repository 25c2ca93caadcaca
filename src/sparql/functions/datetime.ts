import type { Term } from '@rdfjs/types';
import { type Decimal, DECIMAL_ZERO, decimalAdd, decimalCompare, decimalFromBigInt, decimalSubtract, decimalToString, makeDecimal, parseDecimal } from './decimal.js';
import { XSD, XSD_DATE, XSD_DATE_TIME, XSD_TIME } from './vocab.js';

export const XSD_DATE_TIME_STAMP = `${XSD}dateTimeStamp`;

export type TemporalKind = 'dateTime' | 'date' | 'time';

/**
 * A value of xsd:dateTime, xsd:date or xsd:time in its "seven property" form (XSD 1.1 §D.2): local
 * fields as written (24:00:00 already rolled over to the next day) and the timezone offset, which is
 * undefined when the lexical form has none.
 */
export interface Temporal {
  readonly kind: TemporalKind;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: Decimal;
  /** Minutes east of UTC, or undefined for a value without a timezone. */
  readonly tz: number | undefined;
}

const YEAR = '(-?(?:[1-9]\\d{3,}|0\\d{3}))';
const TZ = '(Z|[+-]\\d\\d:\\d\\d)?';
const DATE_TIME = new RegExp(`^${YEAR}-(\\d\\d)-(\\d\\d)T(\\d\\d):(\\d\\d):(\\d\\d(?:\\.\\d+)?)${TZ}$`);
const DATE = new RegExp(`^${YEAR}-(\\d\\d)-(\\d\\d)${TZ}$`);
const TIME = new RegExp(`^(\\d\\d):(\\d\\d):(\\d\\d(?:\\.\\d+)?)${TZ}$`);

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (year 0 = 1 BCE, as in XSD 1.1). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = year - (month <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function parseTz(s: string | undefined): number | undefined | null {
  if (s === undefined) return undefined;
  if (s === 'Z') return 0;
  const h = Number(s.slice(1, 3));
  const m = Number(s.slice(4, 6));
  if (h > 14 || m > 59 || (h === 14 && m !== 0)) return null;
  return (s[0] === '-' ? -1 : 1) * (h * 60 + m);
}

function build(kind: TemporalKind, ys: string, mos: string, ds: string, hs: string, mis: string, ss: string, tzs: string | undefined): Temporal | undefined {
  let year = Number(ys);
  let month = Number(mos);
  let day = Number(ds);
  let hour = Number(hs);
  const minute = Number(mis);
  const second = parseDecimal(ss);
  const tz = parseTz(tzs);
  if (!Number.isSafeInteger(year) || second === undefined || tz === null) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (minute > 59 || decimalCompare(second, makeDecimal(60n)) >= 0) return undefined;
  if (hour === 24) {
    // 24:00:00 is the first instant of the next day (XSD 1.1 §3.3.8).
    if (minute !== 0 || second.unscaled !== 0n) return undefined;
    hour = 0;
    if (kind !== 'time') [year, month, day] = civilFromDays(daysFromCivil(year, month, day) + 1);
  } else if (hour > 23) return undefined;
  return { kind, year, month, day, hour, minute, second, tz };
}

export function parseDateTime(lex: string): Temporal | undefined {
  const m = DATE_TIME.exec(lex);
  return m === null ? undefined : build('dateTime', m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]);
}

export function parseDate(lex: string): Temporal | undefined {
  const m = DATE.exec(lex);
  return m === null ? undefined : build('date', m[1]!, m[2]!, m[3]!, '00', '00', '00', m[4]);
}

export function parseTime(lex: string): Temporal | undefined {
  const m = TIME.exec(lex);
  return m === null ? undefined : build('time', '1972', '12', '31', m[1]!, m[2]!, m[3]!, m[4]);
}

const cache = new WeakMap<Term, Temporal | null>();
/** The value of a valid xsd:dateTime (or xsd:dateTimeStamp), xsd:date or xsd:time literal; undefined otherwise. */
export function temporalValue(t: Term): Temporal | undefined {
  if (t.termType !== 'Literal') return undefined;
  const dt = t.datatype.value;
  if (dt !== XSD_DATE_TIME && dt !== XSD_DATE && dt !== XSD_TIME && dt !== XSD_DATE_TIME_STAMP) return undefined;
  const hit = cache.get(t);
  if (hit !== undefined) return hit ?? undefined;
  let v: Temporal | undefined;
  if (dt === XSD_DATE) v = parseDate(t.value);
  else if (dt === XSD_TIME) v = parseTime(t.value);
  else {
    v = parseDateTime(t.value);
    if (dt === XSD_DATE_TIME_STAMP && v?.tz === undefined) v = undefined;
  }
  cache.set(t, v ?? null);
  return v;
}

export function temporalDatatype(kind: TemporalKind): string {
  return kind === 'dateTime' ? XSD_DATE_TIME : kind === 'date' ? XSD_DATE : XSD_TIME;
}

/** Seconds since 1970-01-01T00:00:00Z; a value without timezone is taken as UTC. Times lie on 1972-12-31. */
function instant(v: Temporal): Decimal {
  const days = v.kind === 'time' ? daysFromCivil(1972, 12, 31) : daysFromCivil(v.year, v.month, v.day);
  const whole = BigInt(days) * 86400n + BigInt(v.hour * 3600 + v.minute * 60 - (v.tz ?? 0) * 60);
  return decimalAdd(decimalFromBigInt(whole), v.second);
}

const FOURTEEN_HOURS = decimalFromBigInt(14n * 3600n);

/**
 * The XSD 1.1 partial order (§D.2.1 / op:dateTime-less-than without an implicit timezone): -1, 0, 1,
 * or undefined when one value has a timezone, the other has none, and they are less than 14 hours
 * apart, so the order depends on the missing timezone. Both values must be of the same kind.
 */
export function compareTemporal(a: Temporal, b: Temporal): -1 | 0 | 1 | undefined {
  const pa = instant(a);
  const pb = instant(b);
  if ((a.tz === undefined) === (b.tz === undefined)) return decimalCompare(pa, pb);
  if (a.tz === undefined) {
    // a lies somewhere in [pa - 14h, pa + 14h].
    if (decimalCompare(decimalAdd(pa, FOURTEEN_HOURS), pb) < 0) return -1;
    if (decimalCompare(decimalSubtract(pa, FOURTEEN_HOURS), pb) > 0) return 1;
    return undefined;
  }
  const r = compareTemporal(b, a);
  return r === undefined ? undefined : r === 0 ? 0 : r === 1 ? -1 : 1;
}

/** A total order for ORDER BY: values without timezone taken as UTC, ties broken by the timezone's presence. */
export function orderTemporal(a: Temporal, b: Temporal): number {
  const c = decimalCompare(instant(a), instant(b));
  if (c !== 0) return c;
  return (a.tz === undefined ? 0 : 1) - (b.tz === undefined ? 0 : 1);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function formatYear(y: number): string {
  return y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
}

function formatSecond(s: Decimal): string {
  const str = decimalToString(s);
  return str.indexOf('.') === 1 || str.length === 1 ? `0${str}` : str;
}

/** The lexical timezone: "" (none), "Z" for a zero offset, otherwise "+hh:mm" / "-hh:mm". */
export function formatTz(tz: number | undefined): string {
  if (tz === undefined) return '';
  if (tz === 0) return 'Z';
  const a = Math.abs(tz);
  return `${tz < 0 ? '-' : '+'}${pad(Math.floor(a / 60), 2)}:${pad(a % 60, 2)}`;
}

/** The canonical lexical form of the value's own kind (XSD 1.1: local time kept, "+00:00" written "Z", no trailing fraction zeros). */
export function formatTemporal(v: Temporal): string {
  const date = `${formatYear(v.year)}-${pad(v.month, 2)}-${pad(v.day, 2)}`;
  const time = `${pad(v.hour, 2)}:${pad(v.minute, 2)}:${formatSecond(v.second)}`;
  const tz = formatTz(v.tz);
  switch (v.kind) {
    case 'dateTime':
      return `${date}T${time}${tz}`;
    case 'date':
      return `${date}${tz}`;
    case 'time':
      return `${time}${tz}`;
  }
}

/** A timezone offset as an xsd:dayTimeDuration lexical form: "PT0S", "-PT8H", "PT5H30M". */
export function timezoneDuration(tz: number): string {
  if (tz === 0) return 'PT0S';
  const a = Math.abs(tz);
  const h = Math.floor(a / 60);
  const m = a % 60;
  return `${tz < 0 ? '-' : ''}PT${h > 0 ? `${h}H` : ''}${m > 0 ? `${m}M` : ''}`;
}

/** A JS Date as an xsd:dateTime value in UTC, with millisecond precision. */
export function temporalFromDate(d: Date): Temporal {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('temporalFromDate: invalid Date');
  return {
    kind: 'dateTime',
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: makeDecimal(BigInt(d.getUTCSeconds() * 1000 + d.getUTCMilliseconds()), 3),
    tz: 0,
  };
}

/** Changes the kind: dateTime → date drops the time; date → dateTime is midnight; the timezone is kept. */
export function convertTemporal(v: Temporal, kind: 'dateTime' | 'date'): Temporal {
  return v.kind === kind ? v : { ...v, kind, hour: 0, minute: 0, second: DECIMAL_ZERO };
}
