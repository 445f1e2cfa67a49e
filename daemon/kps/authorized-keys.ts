/**
 * Edits of an authorized_keys text that keep every other line byte for byte. Keys are compared by
 * blob (type and key data), ignoring options and comments, and lines are read the way sshd reads
 * them (auth2-pubkeyfile.c: a key, or options then a key; sshkey_advance_past_options for quotes).
 * The text is handled as latin1 so that any byte survives the round trip.
 */
import { decodeKey, isKeyType, type KeyBlob } from './ssh-key-blob.js';

export interface KeysEdit {
  text: string;
  /** False when the text is unchanged (nothing to write). */
  changed: boolean;
}

/** The lines of a text, each with its own terminator (the last may have none). */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Skips an options field as sshd does: up to the first space or tab outside double quotes; `\"` inside does not end a quote. */
function afterOptions(s: string): number | undefined {
  let quoted = false;
  let i = 0;
  for (; i < s.length && (quoted || (s[i] !== ' ' && s[i] !== '\t')); i++) {
    if (s[i] === '\\' && s[i + 1] === '"') i++;
    else if (s[i] === '"') quoted = !quoted;
  }
  return quoted ? undefined : i;
}

/** The key a line of authorized_keys holds, or undefined for blank lines, comments and lines sshd would skip. */
export function keyOfLine(line: string): KeyBlob | undefined {
  let s = line.replace(/\r?\n$/, '').replace(/^[ \t]+/, '');
  if (s === '' || s.startsWith('#')) return undefined;
  const first = /^\S+/.exec(s)![0];
  if (!isKeyType(first)) {
    const end = afterOptions(s);
    if (end === undefined) return undefined;
    s = s.slice(end).replace(/^[ \t]+/, '');
  }
  const m = /^(\S+)[ \t]+([A-Za-z0-9+/=]+)/.exec(s);
  return m ? decodeKey(m[1], m[2]) : undefined;
}

function sameKey(a: KeyBlob | undefined, b: KeyBlob): boolean {
  return a !== undefined && a.type === b.type && a.blob.equals(b.blob);
}

/** Whether some line holds `key`. */
export function hasKey(text: string, key: KeyBlob): boolean {
  return linesOf(text).some((l) => sameKey(keyOfLine(l), key));
}

/** Appends `line` for `key` unless a line already holds that key. */
export function addKey(text: string, key: KeyBlob, line: string): KeysEdit {
  if (hasKey(text, key)) return { text, changed: false };
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return { text: `${text}${sep}${line}\n`, changed: true };
}

/** Drops every line that holds `key`; `removed` counts them. */
export function removeKey(text: string, key: KeyBlob): KeysEdit & { removed: number } {
  const lines = linesOf(text);
  const kept = lines.filter((l) => !sameKey(keyOfLine(l), key));
  const removed = lines.length - kept.length;
  return { text: removed ? kept.join('') : text, changed: removed > 0, removed };
}

/** Drops the lines of `oldKey` and adds `newLine` (unless already there), as one edit. */
export function replaceKey(text: string, oldKey: KeyBlob, newKey: KeyBlob, newLine: string): KeysEdit {
  if (sameKey(oldKey, newKey)) return addKey(text, newKey, newLine);
  const without = removeKey(text, oldKey);
  const added = addKey(without.text, newKey, newLine);
  return { text: added.text, changed: without.changed || added.changed };
}
