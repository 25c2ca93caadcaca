/**
 * The one shape of a configuration error: a single line naming the setting (as the operator wrote
 * it: flag or variable), the value, and what is allowed. The daemon prints it and exits with 2.
 */
import { KnowdError } from '../base/index.js';

export const REDACTED = '<redacted>';

/** Long values are cut so that the line stays readable in a terminal and a journal. */
const SHOWN_CHARS_MAX = 120;

export function showValue(raw: string, secret: boolean): string {
  if (secret) return REDACTED;
  const cut = raw.length > SHOWN_CHARS_MAX ? `${raw.slice(0, SHOWN_CHARS_MAX)}…` : raw;
  // JSON quoting escapes newlines and control characters, which keeps the message on one line.
  return JSON.stringify(cut);
}

export interface InvalidValue {
  /** The environment variable, the stable identity of the setting. */
  readonly setting: string;
  /** How the operator named it: the flag if it came from argv, else the variable. */
  readonly name: string;
  readonly raw: string;
  readonly secret: boolean;
  readonly allowed: string;
  /** Completes "invalid NAME=VALUE: ...", usually "expected <allowed>". */
  readonly problem: string;
}

export function invalidValue(v: InvalidValue, extra: Record<string, unknown> = {}): KnowdError {
  const shown = showValue(v.raw, v.secret);
  return new KnowdError('CONFIG_INVALID', `invalid ${v.name}=${shown}: ${v.problem}`, {
    setting: v.setting,
    value: v.secret ? REDACTED : v.raw,
    allowed: v.allowed,
    ...extra,
  });
}

/** Unknown names never echo their value: a misspelt KNOWD_TOKEN_SECERT still holds a secret. */
export function unknownSetting(kind: 'flag' | 'environment variable', name: string, suggestion: string | undefined, allowed: readonly string[]): KnowdError {
  const hint = suggestion === undefined ? 'not a Knowd setting' : `did you mean ${suggestion}?`;
  return new KnowdError('CONFIG_INVALID', `unknown ${kind} ${name}: ${hint}`, { setting: name, allowed });
}
