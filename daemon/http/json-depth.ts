/** Bounds the nesting of a JSON request body before JSON.parse and the validators recurse into it (deep bodies overflowed the stack: 500). */

/** Deeper than any API body or stack attribute needs, far below what overflows the stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * One pass over the UTF-8 bytes: counts `[` and `{` outside strings (a quote after an odd run of `\` is escaped);
 * true when the nesting exceeds `max`. Bytes of multi-byte characters are all >= 0x80, so they
 * never match. Malformed text is left to JSON.parse.
 */
export function exceedsJsonDepth(bytes: Uint8Array, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      // Jump to the next quote natively (long strings dominate big bodies); odd backslashes before it escape it.
      i = bytes.indexOf(0x22, i);
      if (i < 0) return false;
      let k = i - 1;
      while (bytes[k] === 0x5c) k--;
      if ((i - 1 - k) % 2 === 0) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}
