/**
 * Reading raw setting text from the two sources, environment and argv, before any parsing. Both are
 * passed in rather than read from `process`, so loading stays a pure function that tests can drive.
 */
import { KnowdError } from '../base/index.js';
import { unknownSetting } from './fail.js';
import { SETTINGS, SETTING_KEYS, flagOf } from './schema.js';
import { closest } from './suggest.js';
import type { ConfigKey } from './types.js';

export interface RawSetting {
  readonly raw: string;
  /** As the operator wrote it (`--data-dir` or `KNOWD_DATA_DIR`), for error messages. */
  readonly name: string;
}

export type RawSettings = ReadonlyMap<ConfigKey, RawSetting>;

/**
 * KNOWD_* variables that are not settings but are allowed in the environment. It is empty on purpose:
 * the SPEC gives every KNOWD_* variable a flag, so any other one is a typo that would otherwise be
 * ignored silently. A variable read by something other than the config (a test harness, say) goes here,
 * with a comment naming its reader.
 */
export const ENV_ALLOW_LIST: readonly string[] = [];

const BY_ENV = new Map<string, ConfigKey>(SETTING_KEYS.map((key) => [SETTINGS[key].env, key]));
const BY_FLAG = new Map<string, ConfigKey>(SETTING_KEYS.map((key) => [flagOf(SETTINGS[key].env), key]));

/** An empty variable counts as unset, as in systemd EnvironmentFiles and compose files (`KNOWD_X=`). */
export function readEnv(env: Readonly<Record<string, string | undefined>>): RawSettings {
  const found = new Map<ConfigKey, RawSetting>();
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith('KNOWD_') || ENV_ALLOW_LIST.includes(name)) continue;
    const key = BY_ENV.get(name);
    if (key === undefined) throw unknownSetting('environment variable', name, closest(name, [...BY_ENV.keys()]), [...BY_ENV.keys()]);
    if (raw !== undefined && raw !== '') found.set(key, { raw, name });
  }
  return found;
}

/**
 * Flags are `--name value` or `--name=value`; boolean settings may also be a bare `--name` or
 * `--no-name`. The last occurrence of a flag wins. An explicit empty flag value is passed on to the
 * parser (unlike an empty variable): `--data-dir "$UNSET"` is a script bug worth reporting.
 */
export function readArgv(argv: readonly string[]): RawSettings {
  const found = new Map<ConfigKey, RawSetting>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (!token.startsWith('--') || token === '--') {
      throw new KnowdError('CONFIG_INVALID', `unexpected argument ${JSON.stringify(token)}: expected --flag value or --flag=value`, {
        setting: token,
        allowed: [...BY_FLAG.keys()],
      });
    }
    const eq = token.indexOf('=');
    const flag = eq === -1 ? token : token.slice(0, eq);
    const inline = eq === -1 ? undefined : token.slice(eq + 1);
    const key = BY_FLAG.get(flag);
    const negated = key === undefined && flag.startsWith('--no-') ? BY_FLAG.get(`--${flag.slice(5)}`) : undefined;

    if (negated !== undefined && SETTINGS[negated].parser.isBoolean) {
      if (inline !== undefined) {
        throw new KnowdError('CONFIG_INVALID', `unexpected value for ${flag}: expected ${flag} alone, or --${flag.slice(5)}=true|false`, {
          setting: SETTINGS[negated].env, flag, allowed: SETTINGS[negated].parser.allowed,
        });
      }
      found.set(negated, { raw: 'false', name: flag });
      continue;
    }
    if (key === undefined) throw unknownSetting('flag', flag, closest(flag, [...BY_FLAG.keys()]), [...BY_FLAG.keys()]);
    if (inline !== undefined) {
      found.set(key, { raw: inline, name: flag });
      continue;
    }
    const next = argv[i + 1];
    if (SETTINGS[key].parser.isBoolean) {
      // A bare boolean flag is true; a following word that is not a flag is its value (`--vec-enabled no`).
      const takesNext = next !== undefined && !next.startsWith('-');
      found.set(key, { raw: takesNext ? next : 'true', name: flag });
      if (takesNext) i++;
      continue;
    }
    if (next === undefined || next.startsWith('--')) throw missingValue(flag, key);
    found.set(key, { raw: next, name: flag });
    i++;
  }
  return found;
}

function missingValue(flag: string, key: ConfigKey): KnowdError {
  const { env, parser } = SETTINGS[key];
  return new KnowdError('CONFIG_INVALID', `missing value for ${flag}: expected ${parser.allowed}`, { setting: env, flag, allowed: parser.allowed });
}
