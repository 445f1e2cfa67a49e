/**
 * The online tool (FAQ 1.14) on an enabled, non-default symmetric key's page: an Encrypt and a
 * Decrypt pane, each with its input on the left and the result on the right, and Execute, Clear
 * and Copy to Clipboard. Encrypt uses this key (encrypt-data); Decrypt finds the key from the
 * ciphertext (decrypt-data with no key id). At most 4096 bytes of data; every refusal in words.
 */
import { h, replaceChildren } from '../dom.js';
import { ApiError, projectPath } from '../api.js';
import type { View } from '../view.js';
import { copyButton, errorText, notice } from '../widgets.js';

export const TOOL_MAX_BYTES = 4096;

/** UTF-8 length of a text. */
export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** A refusal in words a user can act on. */
export function toolError(err: unknown, action: 'encrypt' | 'decrypt'): string {
  if (!(err instanceof ApiError)) return errorText(err);
  switch (err.code) {
    case 'KMS.0209':
      return `The key is disabled, so it cannot ${action}. Enable the key first (${err.code}).`;
    case 'KMS.0210':
      return `The key is scheduled for deletion, so it cannot ${action}. Cancel the deletion first (${err.code}).`;
    case 'KMS.2201':
    case 'KMS.0308':
      return action === 'decrypt'
        ? `This is not a ciphertext dew can decrypt: paste the whole cipher_text that Encrypt gave, unchanged (${err.code}: ${err.message})`
        : `The daemon refused the data (${err.code}: ${err.message})`;
    case 'KMS.2101':
      return `The data is too long or empty: the tool takes 1 to ${TOOL_MAX_BYTES} bytes (${err.code}).`;
    case 'KMS.0207':
    case 'KMS.0205':
      return `The key of this ciphertext is not found: it was deleted or belongs to another project (${err.code}).`;
    case 'KMS.0307':
      return `Your roles do not allow you to ${action} with this key (${err.code}).`;
    default:
      return `${action === 'encrypt' ? 'Encrypt' : 'Decrypt'} failed: ${err.message} (${err.code}).`;
  }
}

interface Pane {
  readonly el: HTMLElement;
}

function pane(view: View, kind: 'encrypt' | 'decrypt', keyId: string): Pane {
  const id = `tool-${kind}`;
  const input = h('textarea', { id: `${id}-input`, name: `${kind}-input`, spellcheck: false, rows: 8, placeholder: kind === 'encrypt' ? 'The data to encrypt (at most 4096 bytes)' : 'The ciphertext to decrypt' });
  const output = h('textarea', { id: `${id}-output`, name: `${kind}-output`, readonly: true, spellcheck: false, rows: 8 });
  const count = h('span', { class: 'count', id: `${id}-count`, 'aria-live': 'polite' }, `0 / ${TOOL_MAX_BYTES} bytes`);
  const message = h('div', { id: `${id}-message` });
  const say = (text: string, k: 'ok' | 'error') => replaceChildren(message, notice(text, k));
  input.addEventListener('input', () => {
    const n = byteLength(input.value);
    count.textContent = `${n} / ${TOOL_MAX_BYTES} bytes`;
  });
  const execute = async () => {
    replaceChildren(message);
    output.value = '';
    const text = input.value;
    if (text.length === 0) return say(kind === 'encrypt' ? 'Enter the data to encrypt.' : 'Paste the ciphertext to decrypt.', 'error');
    if (kind === 'encrypt' && byteLength(text) > TOOL_MAX_BYTES) {
      return say(`The data is ${byteLength(text)} bytes; the online tool encrypts at most ${TOOL_MAX_BYTES} bytes. Use \`dew envelope\` or a data key for more.`, 'error');
    }
    try {
      if (kind === 'encrypt') {
        const r = await view.api<{ cipher_text: string }>('POST', projectPath('/kms/encrypt-data'), { key_id: keyId, plain_text: text });
        output.value = r.cipher_text;
        say('Encrypted with the current version of this key.', 'ok');
      } else {
        const r = await view.api<{ key_id: string; plain_text: string }>('POST', projectPath('/kms/decrypt-data'), { cipher_text: text.trim() });
        output.value = r.plain_text;
        say(`Decrypted with key ${r.key_id}${r.key_id === keyId ? ' (this key)' : ''}, found from the ciphertext.`, 'ok');
      }
    } catch (err) {
      say(toolError(err, kind), 'error');
    }
  };
  const el = h(
    'div',
    { role: 'tabpanel', id: `${id}-panel`, 'aria-labelledby': `${id}-tab` },
    h(
      'div',
      { class: 'tool' },
      h('div', null, h('label', { for: input.id }, kind === 'encrypt' ? 'Data to encrypt' : 'Ciphertext to decrypt'), input, kind === 'encrypt' ? count : null),
      h('div', null, h('label', { for: output.id }, kind === 'encrypt' ? 'Ciphertext' : 'Plaintext'), output),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', id: `${id}-execute`, on: { click: () => void execute() } }, 'Execute'),
      h('button', { type: 'button', class: 'secondary', on: { click: () => { input.value = ''; output.value = ''; count.textContent = `0 / ${TOOL_MAX_BYTES} bytes`; replaceChildren(message); input.focus(); } } }, 'Clear'),
      copyButton(() => output.value, (ok) => view.notify(ok ? `Copied the ${kind === 'encrypt' ? 'ciphertext' : 'plaintext'} to the clipboard.` : 'The browser did not allow copying: select the text and copy it.', ok ? 'ok' : 'error')),
    ),
    message,
  );
  return { el };
}

/** The tool's card: two tabs (arrow keys move between them), one pane shown at a time. */
export function onlineTool(view: View, keyId: string): HTMLElement {
  const enc = pane(view, 'encrypt', keyId);
  const dec = pane(view, 'decrypt', keyId);
  const tabs: HTMLButtonElement[] = [];
  const select = (which: 0 | 1, focus: boolean) => {
    tabs.forEach((t, i) => {
      t.setAttribute('aria-selected', String(i === which));
      t.tabIndex = i === which ? 0 : -1;
    });
    enc.el.hidden = which !== 0;
    dec.el.hidden = which !== 1;
    if (focus) tabs[which].focus();
  };
  for (const [i, label] of (['Encrypt', 'Decrypt'] as const).entries()) {
    tabs.push(
      h('button', {
        type: 'button',
        role: 'tab',
        id: `tool-${label.toLowerCase()}-tab`,
        'aria-controls': `tool-${label.toLowerCase()}-panel`,
        on: {
          click: () => select(i as 0 | 1, false),
          keydown: (e) => {
            if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') select(i === 0 ? 1 : 0, true);
          },
        },
      }, label),
    );
  }
  select(0, false);
  return h(
    'section',
    { class: 'card', id: 'online-tool', 'aria-labelledby': 'online-tool-title' },
    h('h2', { id: 'online-tool-title' }, 'Online tool'),
    h('p', { class: 'muted' }, `Encrypt or decrypt up to ${TOOL_MAX_BYTES} bytes with this key. Decrypt finds the key from the ciphertext.`),
    h('div', { role: 'tablist', 'aria-label': 'Online tool' }, tabs),
    enc.el,
    dec.el,
  );
}
