import { assert } from '../base/index.js';
import { checkCombinations } from './checks.js';
import { invalidValue } from './fail.js';
import { SETTINGS, SETTING_KEYS } from './schema.js';
import type { BaseConfig, SettingSpec } from './schema.js';
import { readArgv, readEnv } from './sources.js';
import type { RawSetting } from './sources.js';
import type { Config, ConfigKey } from './types.js';

/**
 * Builds the configuration from argv (without the node and script paths) and the environment.
 * Flags win over variables, unset settings take their defaults, and the first problem found throws
 * KnowdError('CONFIG_INVALID') with a one-line message; the daemon prints it and exits with 2.
 */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Config {
  // Environment first so that an unknown variable is reported even when flags are fine.
  const fromEnv = readEnv(env);
  const given = new Map([...fromEnv, ...readArgv(argv)]);

  const values: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec<unknown> = SETTINGS[key];
    const raw = given.get(key);
    if (raw !== undefined) values[key] = parseGiven(spec, raw);
    else if (spec.default.kind === 'text') values[key] = parseDefault(spec, spec.default.text);
  }
  // Derived defaults see every other setting, already parsed; nothing else in this table is derived,
  // so one pass is enough.
  const base = values as BaseConfig;
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec<unknown> = SETTINGS[key];
    if (!given.has(key) && spec.default.kind === 'derived') values[key] = spec.default.derive(base);
  }
  // Every required key was set by one of the loops above; the table's type ties each to its field type.
  const config = values as Config;
  checkCombinations(config, given);
  return deepFreeze(config);
}

function parseGiven(spec: SettingSpec<unknown>, given: RawSetting): unknown {
  const result = spec.parser.parse(given.raw);
  if (result.ok) return result.value;
  throw invalidValue({
    setting: spec.env, name: given.name, raw: given.raw, secret: spec.secret === true,
    allowed: spec.parser.allowed, problem: result.problem,
  });
}

function parseDefault(spec: SettingSpec<unknown>, text: string): unknown {
  const result = spec.parser.parse(text);
  assert(result.ok, `default ${JSON.stringify(text)} of ${spec.env} must satisfy its own parser`);
  return result.value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
