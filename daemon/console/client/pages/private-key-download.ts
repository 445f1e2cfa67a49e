/**
 * The one-time download of a generated private key (FAQ 3.3 step 10: a private key the service
 * does not manage can be downloaded once). The key becomes a Blob behind an object URL at once and
 * the text is dropped; the link works for one click, then the URL is revoked and the link replaced
 * by a note. Leaving the page without downloading revokes it too. dom.ts `href` takes only console
 * paths, so the `blob:` URL and the file name are set as properties on the element it built.
 */
import { h, replaceChildren } from '../dom.js';
import { notice } from '../widgets.js';
import { onLeave } from './page-leave.js';

export interface PrivateKeyOffer {
  readonly box: HTMLElement;
  /** Revokes the download now (another key pair's offer replaces this one). */
  drop(): void;
}

/** A box offering `privateKey` as `<name>.pem` once; the caller passes the text and keeps no reference. */
export function privateKeyDownload(name: string, privateKey: string): PrivateKeyOffer {
  let url: string | undefined = URL.createObjectURL(new Blob([privateKey], { type: 'application/x-pem-file' }));
  const box = h('section', { class: 'card', 'aria-label': 'Private key download', 'data-testid': 'private-key-download' });
  const drop = (why: string) => {
    if (url) URL.revokeObjectURL(url);
    url = undefined;
    replaceChildren(box, notice(why, 'ok'));
  };
  const link = h('a', { class: 'button', 'data-testid': 'private-key-link' }, `Download the private key ${name}.pem`);
  if (!url.startsWith('blob:')) throw new Error('private key download: not a blob URL');
  link.href = url;
  link.download = `${name}.pem`;
  link.addEventListener('click', () => {
    // Revoke once the browser has taken the download (the click's default action runs first).
    setTimeout(() => drop(`The private key of ${name} was downloaded. dew keeps no copy: it cannot be downloaded again.`), 0);
  });
  const giveUp = () => {
    if (url) drop(`The download of the private key of ${name} was given up: it cannot be downloaded again.`);
  };
  onLeave(giveUp);
  replaceChildren(
    box,
    h('h2', null, 'Save the private key now'),
    h('p', null, `dew generated the key pair ${name} and does not keep its private key: it can be downloaded once, here. Keep it safe.`),
    h('div', { class: 'actions' }, link),
  );
  return { box, drop: giveUp };
}
