/** Answers carrying their own JSON text (modules/json-text.ts): the text is exactly what JSON.stringify makes of the answer. */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { cipherAnswer, plainAnswer, jsonTextOf } from '../../daemon/modules/json-text.js';

const KEY_IDS = ['0a1b2c3d-1234-5678-9abc-def012345678', 'alias/with"quote', 'back\\slash', '\u0000\u001f\u2028', '😀\uD800'];
const TEXTS = ['', 'abcd', 'x'.repeat(4096), '"quoted"\\\n\t\r', '\u0000\u0007\u007f', 'é😀', '\uDC00\uD800', '</script>'];

t.test('cipherAnswer and plainAnswer: the text is JSON.stringify of the answer', async (t) => {
  // Labels name the values by index: a raw U+2028 in a test name would break the TAP stream.
  for (const [k, keyId] of KEY_IDS.entries()) {
    for (const n of [1, 2, 3, 4, 100, 4096]) {
      const b64 = randomBytes(n).toString('base64');
      const a = cipherAnswer(keyId, b64);
      t.equal(jsonTextOf(a), JSON.stringify(a), `cipher, key id ${k}, ${n} bytes`);
      t.same(JSON.parse(jsonTextOf(a) as string), { key_id: keyId, cipher_text: b64 });
    }
    for (const [i, text] of TEXTS.entries()) {
      const b64 = Buffer.from(text, 'utf8').toString('base64');
      const a = plainAnswer(keyId, text, b64);
      t.equal(jsonTextOf(a), JSON.stringify(a), `plain, key id ${k}, text ${i}`);
    }
  }
  t.same(Object.keys(cipherAnswer('k', 'AA==')), ['key_id', 'cipher_text'], 'the text is not an enumerable field');
});

t.test('answers without a text have none', async (t) => {
  for (const a of [null, 'x', 1, {}, { key_id: 'k' }, []]) t.equal(jsonTextOf(a), undefined);
});
