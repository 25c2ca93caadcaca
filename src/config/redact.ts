import { REDACTED } from './fail.js';
import { SETTINGS, SETTING_KEYS } from './schema.js';
import type { Config, SecretKey } from './types.js';

export type RedactedConfig = Omit<Config, SecretKey> & { readonly [K in SecretKey]?: typeof REDACTED };

/**
 * The configuration as it may be logged or shown by `knowdctl config check`: the same JSON-safe shape,
 * with every secret that is set replaced by '<redacted>'. An unset secret stays absent, which tells the
 * operator it is unset without telling anyone what it is when set.
 */
export function redactedConfig(config: Config): RedactedConfig {
  const view: Record<string, unknown> = { ...config };
  for (const key of SETTING_KEYS) {
    if (SETTINGS[key].secret === true && view[key] !== undefined) view[key] = REDACTED;
  }
  return view as RedactedConfig;
}
