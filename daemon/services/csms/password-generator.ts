/**
 * Random passwords for CSMS `POST /v1/{project_id}/csms/generate-password` (reference 5) and for
 * rotating COMMON secrets (their `rotation_config` holds the same policy). The options are the
 * reference's, which are those of AWS Secrets Manager GetRandomPassword:
 *
 *   password_policy_name       optional label (1–64 of A-Z a-z 0-9 _ -), not used in generation
 *   length                     1–4096 characters, default 32 (AWS's bounds: a short numeric PIN is a
 *                              legitimate policy, and 4096 is far past any password field)
 *   exclude_characters         characters never used (at most 4096 characters)
 *   exclude_lowercase / exclude_uppercase / exclude_numbers / exclude_punctuation  drop a class
 *   include_space              the space may appear (it is allowed, never required)
 *   require_each_included_type at least one character of each class left (default true)
 *
 * Classes: lowercase a-z, uppercase A-Z, numbers 0-9, punctuation the 32 ASCII symbols
 * !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~. A class whose characters are all in exclude_characters counts
 * as excluded. Every character is drawn with node:crypto randomInt (uniform, no modulo bias); the
 * required characters are placed first and the whole password is then shuffled (Fisher–Yates, also
 * with randomInt), so no position is predictable.
 */
import { randomInt } from 'node:crypto';
import { csmsErrors } from '../../errors.js';

export const PASSWORD_LENGTH = Object.freeze({ min: 1, max: 4096, dflt: 32 });
export const MAX_EXCLUDE_CHARACTERS = 4096;

export const CHARACTER_CLASSES = Object.freeze({
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numbers: '0123456789',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
} as const);

export type CharacterClass = keyof typeof CHARACTER_CLASSES;

export interface PasswordPolicy {
  readonly name?: string;
  readonly length: number;
  readonly excludeCharacters: string;
  readonly exclude: Readonly<Record<CharacterClass, boolean>>;
  readonly includeSpace: boolean;
  readonly requireEachIncludedType: boolean;
}

const BOOLEANS = Object.freeze({
  exclude_lowercase: 'lowercase',
  exclude_uppercase: 'uppercase',
  exclude_numbers: 'numbers',
  exclude_punctuation: 'punctuation',
} as const);

const FIELDS: ReadonlySet<string> = new Set([
  'password_policy_name',
  'length',
  'exclude_characters',
  ...Object.keys(BOOLEANS),
  'include_space',
  'require_each_included_type',
]);

function flag(body: Record<string, unknown>, field: string, dflt: boolean): boolean {
  const v = body[field];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw csmsErrors.invalid(field, 'it must be true or false');
  return v;
}

/** The policy a wire body (generate-password, or a COMMON secret's rotation_config) describes; CSMS.0002 naming the field otherwise. */
export function parsePasswordPolicy(body: unknown): PasswordPolicy {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw csmsErrors.invalid('password policy', 'it must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const field of Object.keys(b)) if (!FIELDS.has(field)) throw csmsErrors.invalid(field, 'unknown field');
  const name = b.password_policy_name;
  if (name !== undefined && (typeof name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(name))) {
    throw csmsErrors.invalid('password_policy_name', '1 to 64 of A-Z a-z 0-9 _ -');
  }
  const length = b.length ?? PASSWORD_LENGTH.dflt;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < PASSWORD_LENGTH.min || length > PASSWORD_LENGTH.max) {
    throw csmsErrors.invalid('length', `an integer from ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max}`);
  }
  const excludeCharacters = b.exclude_characters ?? '';
  if (typeof excludeCharacters !== 'string' || excludeCharacters.length > MAX_EXCLUDE_CHARACTERS) {
    throw csmsErrors.invalid('exclude_characters', `a string of at most ${MAX_EXCLUDE_CHARACTERS} characters`);
  }
  const exclude = { lowercase: false, uppercase: false, numbers: false, punctuation: false };
  for (const [field, cls] of Object.entries(BOOLEANS)) exclude[cls] = flag(b, field, false);
  const policy: PasswordPolicy = {
    ...(name === undefined ? {} : { name: name as string }),
    length,
    excludeCharacters,
    exclude: Object.freeze(exclude),
    includeSpace: flag(b, 'include_space', false),
    requireEachIncludedType: flag(b, 'require_each_included_type', true),
  };
  alphabetOf(policy);
  return Object.freeze(policy);
}

interface Alphabet {
  /** Every usable character. */
  readonly all: string;
  /** The classes each password must draw from (empty unless require_each_included_type). */
  readonly required: readonly string[];
}

/** What the policy leaves to draw from; throws CSMS.0002 when it leaves nothing, or more required classes than characters. */
function alphabetOf(p: PasswordPolicy): Alphabet {
  const banned = new Set(p.excludeCharacters);
  const keep = (chars: string) => [...chars].filter((c) => !banned.has(c)).join('');
  const classes = (Object.keys(CHARACTER_CLASSES) as CharacterClass[]).filter((c) => !p.exclude[c]).map((c) => keep(CHARACTER_CLASSES[c])).filter((s) => s.length > 0);
  const space = p.includeSpace ? keep(' ') : '';
  const all = classes.join('') + space;
  if (all.length === 0) throw csmsErrors.invalid('password policy', 'it excludes every character');
  const required = p.requireEachIncludedType ? classes : [];
  if (required.length > p.length) {
    throw csmsErrors.invalid('length', `${p.length} is shorter than the ${required.length} character types require_each_included_type asks for`);
  }
  return { all, required };
}

const pick = (chars: string): string => chars[randomInt(chars.length)];

/** A fresh password under `policy` (from parsePasswordPolicy). The caller owns the string; it is never logged here. */
export function generatePassword(policy: PasswordPolicy): string {
  const { all, required } = alphabetOf(policy);
  const out: string[] = required.map(pick);
  while (out.length < policy.length) out.push(pick(all));
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.join('');
}
