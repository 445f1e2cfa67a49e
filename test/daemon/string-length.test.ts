/** The validators' minLength/maxLength (http/string-length.ts) decide exactly as ajv's own keywords, surrogates included. */
import t from 'tap';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createAjv, compileBody } from '../../daemon/http/validate.js';
import { schemaLength } from '../../daemon/http/string-length.js';
import { loadSchemas } from '../../schemas/index.js';
import type { JsonSchema } from '../../schemas/index.js';

const { default: ucs2length } = createRequire(import.meta.url)('ajv/dist/runtime/ucs2length.js') as { default: (s: string) => number };

const HIGH = '\uD83D';
const LOW = '\uDE00';
const STRINGS = ['', 'a', 'abcd', 'é', 'éé', '😀', '😀😀', 'a😀b', HIGH, LOW, LOW + HIGH, HIGH + HIGH + LOW, 'x' + HIGH, LOW + 'x', '😀' + HIGH, 'x'.repeat(4096), '😀'.repeat(4096), '😀'.repeat(4097), 'x'.repeat(4095) + '😀'];

t.test('schemaLength counts as ajv ucs2length does', async (t) => {
  for (const s of STRINGS) t.equal(schemaLength(s), ucs2length(s), `${JSON.stringify(s.slice(0, 8))}… (${s.length} units)`);
});

t.test('minLength and maxLength accept and refuse what stock ajv does, with the same error', async (t) => {
  const stock = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true });
  const ours = createAjv();
  for (const [min, max] of [[0, 0], [1, 1], [1, 2], [2, 3], [1, 4096], [3, 3]]) {
    const schema = { type: 'object', properties: { v: { type: 'string', minLength: min, maxLength: max, pattern: '^.*$' } } };
    const a = stock.compile(schema);
    const b = ours.compile(schema);
    for (const s of STRINGS) {
      const okA = a({ v: s });
      const okB = b({ v: s });
      t.equal(okB, okA, `[${min}, ${max}] ${JSON.stringify(s.slice(0, 8))}… (${s.length} units)`);
      if (!okA) t.same(b.errors?.map((e) => [e.keyword, e.instancePath]), a.errors?.map((e) => [e.keyword, e.instancePath]), 'the same keyword and path');
    }
  }
});

t.test('encrypt-data: 4096 characters outside the BMP pass the schema, 4097 are KMS.2101', async (t) => {
  const schema = new Map(loadSchemas('kms')).get('kms/encrypt-data') as JsonSchema;
  const validate = compileBody<{ plain_text: string }>(createAjv(), schema);
  const body = (plain: string) => Buffer.from(JSON.stringify({ key_id: 'k', plain_text: plain }));
  t.equal(validate(body('😀'.repeat(4096))).plain_text.length, 8192);
  t.throws(() => validate(body('😀'.repeat(4097))), { code: 'KMS.2101' });
  t.throws(() => validate(body('')), { code: 'KMS.2101' });
  t.equal(validate(body(HIGH)).plain_text, HIGH, 'a lone surrogate is one character');
});
