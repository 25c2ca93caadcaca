/**
 * The provisioning seed: one JSON file, `knowd-seed.json`, on a USB stick (or any filesystem) labelled
 * KNOWD-SEED, or on the image's EFI partition. Everything in it is optional. A seed that does not parse
 * stops provisioning before anything changes, naming the field.
 */
import { z } from 'zod';
import { ADMIN_PASSWORD_MIN_LENGTH, KnowdError } from '../base/index.js';
import { HOSTNAME_RE } from './plan.js';

export const SEED_FILE = 'knowd-seed.json';
export const SEED_LABEL = 'KNOWD-SEED';

const SETTING_VALUE = /^[^\n\r\0]*$/;

const seedSchema = z.strictObject({
  version: z.literal(1),
  hostname: z.string().regex(HOSTNAME_RE, 'a DNS label: lowercase letters, digits and inner hyphens, at most 63').optional(),
  adminPassword: z.string().min(ADMIN_PASSWORD_MIN_LENGTH).regex(SETTING_VALUE, 'one line').optional(),
  settings: z.record(z.string().regex(/^KNOWD_[A-Z0-9_]+$/, 'a KNOWD_* name'), z.string().regex(SETTING_VALUE, 'one line')).optional(),
  sshAuthorizedKeys: z.array(z.string().regex(/^(?:ssh-|ecdsa-|sk-)[a-z0-9@.-]+ [A-Za-z0-9+/=]+(?: [^\n\r]*)?$/, 'an OpenSSH public key line')).optional(),
  cluster: z.strictObject({
    token: z.string().min(1).regex(/^\S+$/, 'no spaces'),
    url: z.url({ protocol: /^https?$/ }).optional(),
  }).optional(),
});

export type Seed = z.infer<typeof seedSchema>;

/** Parses and checks a seed; `known` is the list of settings knowd accepts (an unknown one would stop it). */
export function parseSeed(text: string, known: readonly string[], source: string): Seed {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new KnowdError('BAD_REQUEST', `The seed ${source} is not JSON: ${(e as Error).message}`, { source });
  }
  const r = seedSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || '(top level)';
    throw new KnowdError('BAD_REQUEST', `The seed ${source} is invalid at "${field}": ${issue.message}`, { source, field });
  }
  for (const name of Object.keys(r.data.settings ?? {})) {
    if (!known.includes(name)) throw new KnowdError('BAD_REQUEST', `The seed ${source} names an unknown setting "${name}"`, { source, field: `settings.${name}` });
  }
  return r.data;
}
