/**
 * Canonical JSON: object keys sorted by UTF-16 code units (as RFC 8785), no whitespace, and numbers
 * only as integers, whose JSON.stringify form is already unique. Receipts hold nothing else, and
 * refusing fractions spares us RFC 8785's number formatting.
 */
import { assert } from '../base/index.js';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export function canonicalJson(value: JsonValue): string {
  if (typeof value === 'number') {
    assert(Number.isSafeInteger(value), `canonical JSON holds only safe integers, got ${value}`);
    return JSON.stringify(value);
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as { readonly [key: string]: JsonValue };
  const members = Object.keys(record)
    .sort()
    .map((key) => {
      const member = record[key];
      // JSON.stringify would drop the key, null would keep it: neither is canonical, so refuse.
      assert(member !== undefined, `canonical JSON has no undefined, at key "${key}"`);
      return `${JSON.stringify(key)}:${canonicalJson(member)}`;
    });
  return `{${members.join(',')}}`;
}
