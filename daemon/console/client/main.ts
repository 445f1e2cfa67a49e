/**
 * The console's entry point: reads a one-time sign-in token from the URL fragment (and removes it
 * from the address bar at once), exchanges it for a session, then draws the shell (header with the
 * user and Sign out, the side navigation with every section, the page) and routes on hash changes.
 * Without a session it shows the signed-out screen telling the user to run `dew console`.
 */
import { h, replaceChildren } from './dom.js';
import { api, ApiError, whenUnauthorized } from './api.js';
import { currentSession, forget, signIn, signOut, type Session } from './session.js';
import { DEFAULT_HASH, NAV, match, sectionOf } from './router.js';
import type { NoticeKind, View } from './view.js';
import { errorText, notice } from './widgets.js';

const SIGN_IN = /^#sign-in=([A-Za-z0-9_-]{1,128})$/;

let root: HTMLElement;
let mainEl: HTMLElement;
let statusEl: HTMLElement;
let renderSeq = 0;

function signedOut(why: string): void {
  renderSeq++;
  document.title = 'dew console: signed out';
  replaceChildren(
    root,
    h(
      'main',
      { id: 'main', class: 'signed-out', tabindex: -1 },
      h('h1', null, 'dew console'),
      h('p', null, why),
      h('p', null, 'To sign in, run this where your dew credentials are, and open the link it prints:'),
      h('pre', null, h('code', null, 'npx dew console')),
      h('p', { class: 'muted' }, 'Each link works once, for two minutes. The session lasts eight hours, or until you sign out.'),
    ),
  );
}

/** The notice a page asked to show on the page it navigates to (`View.navigate`'s `then`). */
let nextNotice: { message: string; kind?: NoticeKind } | undefined;

function notify(message: string, kind: NoticeKind = 'info'): void {
  replaceChildren(statusEl, message ? notice(message, kind) : null);
}

function shell(s: Session): void {
  const who = s.userName ? `${s.userName} (${s.roles.join(', ') || 'no role'})` : s.userId;
  const navList = h('ul', null, NAV.map((n) => h('li', null, h('a', { href: n.hash, 'data-section': n.hash }, n.label))));
  mainEl = h('main', { id: 'main', tabindex: -1 });
  statusEl = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  replaceChildren(
    root,
    h(
      'div',
      { class: 'shell' },
      h(
        'header',
        { class: 'top' },
        h('span', { class: 'brand' }, 'dew console'),
        h('span', { class: 'who', 'data-testid': 'who' }, who),
        h('button', { type: 'button', class: 'secondary', id: 'sign-out', on: { click: () => void doSignOut() } }, 'Sign out'),
      ),
      h('nav', { class: 'side', 'aria-label': 'Sections' }, navList),
      h('div', { class: 'content' }, statusEl, mainEl),
    ),
  );
}

async function doSignOut(): Promise<void> {
  try {
    await signOut();
    signedOut('You signed out: the session token is revoked on every daemon.');
  } catch (err) {
    signedOut(`You are signed out here; the daemon answered: ${errorText(err)}`);
  }
}

function markNav(path: string): void {
  const section = sectionOf(path);
  for (const a of root.querySelectorAll<HTMLAnchorElement>('nav.side a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route(focus: boolean): Promise<void> {
  const s = currentSession();
  if (!s) return;
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    history.replaceState(null, '', DEFAULT_HASH);
  }
  const seq = ++renderSeq;
  const m = match(location.hash);
  markNav(m.path);
  const carried = nextNotice;
  nextNotice = undefined;
  notify(carried?.message ?? '', carried?.kind);
  const view: View = {
    params: m.params,
    query: m.query,
    api,
    session: s,
    navigate: (hash, then) => {
      nextNotice = then;
      if (location.hash === hash) void route(true);
      else location.hash = hash;
    },
    notify,
  };
  let page: HTMLElement;
  if (!m.row) {
    const nav = NAV.find((n) => n.hash === sectionOf(m.path));
    page = nav
      ? h('div', null, h('h1', null, nav.label), h('p', null, `The ${nav.label.toLowerCase()} pages are not in this build of the console yet; the \`dew\` command line has them.`))
      : h('div', null, h('h1', null, 'Not found'), h('p', null, 'No console page has this address. '), h('a', { href: DEFAULT_HASH }, 'Go to the keys'));
    document.title = `dew console: ${nav?.label ?? 'not found'}`;
  } else {
    replaceChildren(mainEl, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const mod = await m.row.load();
      page = await mod.render(view);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      page = h('div', null, h('h1', null, m.row.title), notice(errorText(err), 'error'));
    }
    document.title = `dew console: ${m.row.title}`;
  }
  if (seq !== renderSeq) return;
  replaceChildren(mainEl, page);
  if (focus) mainEl.focus();
}

async function start(): Promise<void> {
  root = document.getElementById('app') as HTMLElement;
  whenUnauthorized((err) => {
    forget();
    signedOut(`The daemon no longer accepts this session (${err.message}).`);
  });
  const m = SIGN_IN.exec(location.hash);
  const hadFragment = location.hash.startsWith('#sign-in=');
  // The token leaves the address bar (and the history entry) before anything else happens.
  if (hadFragment) history.replaceState(null, '', location.pathname + location.search);
  if (!m) {
    signedOut(hadFragment ? 'That sign-in link is not valid.' : 'You are not signed in.');
    return;
  }
  try {
    const s = await signIn(m[1]);
    shell(s);
  } catch (err) {
    signedOut(`The sign-in link was refused: ${errorText(err)}`);
    return;
  }
  window.addEventListener('hashchange', () => void route(true));
  await route(false);
}

void start();
