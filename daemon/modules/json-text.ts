/**
 * Answers that carry their own JSON text: a handler whose answer holds a long Base64 value (the
 * cipher text of a 4 KiB encrypt-data is 5.5 KiB) splices it into the text, as JSON never escapes
 * Base64, instead of having JSON.stringify scan it again at the edge (about 7 us a 4 KiB answer:
 * a twentieth of that request's time, bench/profile.mjs). The text sits under a symbol, which
 * JSON.stringify skips: wherever it is not used the answer serialises to the same text.
 */

/** Where an answer keeps its JSON text (http/op-lane.ts writes it instead of serialising the answer). */
export const JSON_TEXT: unique symbol = Symbol('dew.jsonText');

/** The answer's own JSON text, when it has one. */
export function jsonTextOf(answer: unknown): string | undefined {
  return typeof answer === 'object' && answer !== null ? (answer as { [JSON_TEXT]?: string })[JSON_TEXT] : undefined;
}

/** `{"key_id":…,"cipher_text":"…"}`: encrypt-data's answer, `cipherText` Base64. */
export function cipherAnswer(keyId: string, cipherText: string): { key_id: string; cipher_text: string } {
  return { key_id: keyId, cipher_text: cipherText, [JSON_TEXT]: '{"key_id":' + JSON.stringify(keyId) + ',"cipher_text":"' + cipherText + '"}' } as { key_id: string; cipher_text: string };
}

/** `{"key_id":…,"plain_text":…,"plain_text_base64":"…"}`: decrypt-data's answer, `plainTextBase64` Base64. */
export function plainAnswer(keyId: string, plainText: string, plainTextBase64: string): { key_id: string; plain_text: string; plain_text_base64: string } {
  return {
    key_id: keyId,
    plain_text: plainText,
    plain_text_base64: plainTextBase64,
    [JSON_TEXT]: '{"key_id":' + JSON.stringify(keyId) + ',"plain_text":' + JSON.stringify(plainText) + ',"plain_text_base64":"' + plainTextBase64 + '"}',
  } as { key_id: string; plain_text: string; plain_text_base64: string };
}
