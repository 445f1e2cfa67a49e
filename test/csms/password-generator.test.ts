/**
 * The CSMS password generator: every option honoured over many draws (what is excluded never
 * appears, what is included does), the each-type requirement on every single password, the
 * lengths, and policies that cannot be met refused with CSMS.0002 naming the field.
 */
import t from 'tap';
import { CHARACTER_CLASSES, generatePassword, parsePasswordPolicy, PASSWORD_LENGTH } from '../../daemon/services/csms/password-generator.js';
import { DewError } from '../../daemon/errors.js';

const DRAWS = 400;
const draw = (body: object, n = DRAWS) => {
  const policy = parsePasswordPolicy(body);
  return Array.from({ length: n }, () => generatePassword(policy));
};
const classOf = (c: string): string => {
  for (const [name, chars] of Object.entries(CHARACTER_CLASSES)) if (chars.includes(c)) return name;
  return c === ' ' ? 'space' : 'other';
};
/** Which classes (and how many distinct characters) appear across the passwords. */
function census(passwords: string[]): { classes: Set<string>; chars: Set<string> } {
  const chars = new Set(passwords.join(''));
  return { classes: new Set([...chars].map(classOf)), chars };
}

t.test('the default policy: 32 characters from all four classes, every password has each class', async (t) => {
  const pw = draw({});
  t.ok(pw.every((p) => p.length === 32), 'length 32 by default');
  const { classes, chars } = census(pw);
  t.same([...classes].sort(), ['lowercase', 'numbers', 'punctuation', 'uppercase'], 'the four classes, no space, nothing else');
  t.equal(chars.size, 94, `all 94 characters turn up over ${DRAWS} passwords`);
  t.ok(pw.every((p) => ['lowercase', 'uppercase', 'numbers', 'punctuation'].every((c) => [...p].some((x) => classOf(x) === c))), 'each password has every class');
  t.equal(new Set(pw).size, DRAWS, 'no two alike');
});

t.test('each exclude_* option removes its class and only it', async (t) => {
  for (const cls of ['lowercase', 'uppercase', 'numbers', 'punctuation'] as const) {
    const pw = draw({ [`exclude_${cls}`]: true, length: 24 });
    const { classes } = census(pw);
    t.notOk(classes.has(cls), `exclude_${cls}: never a ${cls} character`);
    t.equal(classes.size, 3, `exclude_${cls}: the other three classes still appear`);
  }
  const digits = draw({ exclude_lowercase: true, exclude_uppercase: true, exclude_punctuation: true, length: 6 });
  t.ok(digits.every((p) => /^[0-9]{6}$/.test(p)), 'a six-digit PIN policy gives six digits');
  t.equal(census(digits).chars.size, 10, 'and every digit turns up');
});

t.test('exclude_characters, include_space and the lengths', async (t) => {
  const banned = 'aeiouAEIOU01lI|`\'"\\';
  const pw = draw({ exclude_characters: banned, length: 64 });
  const { chars } = census(pw);
  t.notOk([...banned].some((c) => chars.has(c)), 'no excluded character ever appears');
  t.equal(chars.size, 94 - new Set(banned).size, 'every other character does');

  const spaced = draw({ include_space: true, length: 64 });
  t.ok(census(spaced).chars.has(' '), 'include_space: the space appears');
  t.notOk(census(draw({ length: 64 })).chars.has(' '), 'without it, never');
  const onlySpaceAndDigits = draw({ include_space: true, exclude_lowercase: true, exclude_uppercase: true, exclude_punctuation: true, length: 12 });
  t.ok(onlySpaceAndDigits.every((p) => /^[0-9 ]{12}$/.test(p) && /[0-9]/.test(p)), 'the space is allowed, not required; digits are required');

  t.equal(generatePassword(parsePasswordPolicy({ length: PASSWORD_LENGTH.min, require_each_included_type: false })).length, 1, 'the shortest');
  t.equal(generatePassword(parsePasswordPolicy({ length: PASSWORD_LENGTH.max })).length, 4096, 'the longest');
  t.equal(parsePasswordPolicy({ password_policy_name: 'db_pw-1' }).name, 'db_pw-1', 'the policy name is kept as a label');
});

t.test('require_each_included_type: every password, even the shortest; off, a short one may lack classes', async (t) => {
  const shortest = draw({ length: 4 }, 2000);
  t.ok(shortest.every((p) => new Set([...p].map(classOf)).size === 4), 'length 4: one of each class in every password');
  const positions = new Set(shortest.map((p) => classOf(p[0])));
  t.equal(positions.size, 4, 'the required characters are shuffled (any class comes first)');
  // One class left with a single character: it must still be in every password.
  const lonely = draw({ exclude_characters: CHARACTER_CLASSES.punctuation.slice(1), length: 8 }, 1000);
  t.ok(lonely.every((p) => p.includes('!')), 'a class reduced to one character is still required');
  const free = draw({ length: 4, require_each_included_type: false }, 2000);
  t.ok(free.some((p) => new Set([...p].map(classOf)).size < 4), 'without the requirement some short passwords lack a class');
  const allClassesGone = draw({ exclude_characters: CHARACTER_CLASSES.numbers, length: 3 });
  t.ok(allClassesGone.every((p) => !/[0-9]/.test(p) && new Set([...p].map(classOf)).size === 3), 'a class whose characters are all excluded is not required');
});

t.test('policies that cannot be met, or are malformed, are CSMS.0002 naming the field', async (t) => {
  const refused = (body: unknown, field: RegExp, what: string) => {
    let err: unknown;
    try {
      parsePasswordPolicy(body);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof DewError, `${what}: refused with a DewError`);
    t.match(err, { code: 'CSMS.0002', status: 400, message: field }, what);
  };
  refused({ exclude_lowercase: true, exclude_uppercase: true, exclude_numbers: true, exclude_punctuation: true }, /password policy.*excludes every character/, 'every class excluded');
  refused({ exclude_numbers: true, exclude_lowercase: true, exclude_uppercase: true, exclude_characters: CHARACTER_CLASSES.punctuation }, /excludes every character/, 'what is left excluded by character');
  refused({ length: 3 }, /parameter length .*shorter than the 4 character types/, 'length below the number of required types');
  refused({ length: 0 }, /parameter length/, 'length 0');
  refused({ length: 4097 }, /parameter length/, 'length above 4096');
  refused({ length: 8.5 }, /parameter length/, 'a fractional length');
  refused({ length: '32' }, /parameter length/, 'a string length');
  refused({ exclude_numbers: 'yes' }, /parameter exclude_numbers/, 'a non-boolean flag');
  refused({ exclude_characters: 'x'.repeat(4097) }, /parameter exclude_characters/, 'too many excluded characters');
  refused({ password_policy_name: 'bad name!' }, /parameter password_policy_name/, 'a bad label');
  refused({ lenght: 12 }, /parameter lenght .*unknown field/, 'an unknown field (a typo is not silently ignored)');
  refused([], /password policy/, 'not an object');
  t.doesNotThrow(() => parsePasswordPolicy({ length: 3, require_each_included_type: false }), 'length 3 is fine without the requirement');
});
