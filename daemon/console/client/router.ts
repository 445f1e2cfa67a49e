/**
 * Hash routes (console contract): a table of `{ pattern, title, load }` rows; a page helper adds
 * its rows here and nothing else. `pattern` is a path with `:name` parameters (`/keys/:key_id`);
 * `load` imports the page module lazily. NAV lists every section the side navigation shows, in
 * order, whether or not its pages are in this build.
 */
import type { PageModule } from './view.js';

export interface RouteRow {
  readonly pattern: string;
  readonly title: string;
  readonly load: () => Promise<PageModule>;
}

export const ROUTES: readonly RouteRow[] = [
  { pattern: '/keys', title: 'Keys', load: () => import('./pages/keys.js') },
  { pattern: '/keys/:key_id', title: 'Key', load: () => import('./pages/key.js') },
  { pattern: '/audit', title: 'Audit', load: () => import('./pages/audit.js') },
  { pattern: '/keypairs', title: 'Key pairs', load: () => import('./pages/keypairs.js') },
  { pattern: '/keypairs/:name', title: 'Key pair', load: () => import('./pages/keypair.js') },
  { pattern: '/secrets', title: 'Secrets', load: () => import('./pages/secrets.js') },
  { pattern: '/secrets/:name', title: 'Secret', load: () => import('./pages/secret.js') },
  { pattern: '/hsm', title: 'HSM instances', load: () => import('./pages/hsms.js') },
  { pattern: '/hsm/:hsm_id', title: 'HSM instance', load: () => import('./pages/hsm.js') },
  { pattern: '/keystores', title: 'Keystores', load: () => import('./pages/keystores.js') },
  { pattern: '/keystores/:keystore_id', title: 'Keystore', load: () => import('./pages/keystore.js') },
  { pattern: '/stacks', title: 'Stacks', load: () => import('./pages/stacks.js') },
  { pattern: '/stacks/:name', title: 'Stack', load: () => import('./pages/stack.js') },
];

export interface NavItem {
  readonly hash: string;
  readonly label: string;
}

export const NAV: readonly NavItem[] = [
  { hash: '#/keys', label: 'Keys' },
  { hash: '#/keypairs', label: 'Key pairs' },
  { hash: '#/secrets', label: 'Secrets' },
  { hash: '#/hsm', label: 'HSM instances' },
  { hash: '#/keystores', label: 'Keystores' },
  { hash: '#/stacks', label: 'Stacks' },
  { hash: '#/audit', label: 'Audit' },
];

export const DEFAULT_HASH = '#/keys';

export interface Match {
  readonly row: RouteRow | undefined;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
}

/** Splits `#/keys/abc?state=2` into path and query. */
export function splitHash(hash: string): { path: string; query: URLSearchParams } {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (got[i] === '') return undefined;
      try {
        params[want[i].slice(1)] = decodeURIComponent(got[i]);
      } catch {
        return undefined;
      }
    } else if (want[i] !== got[i]) return undefined;
  }
  return params;
}

/** The row a hash names (undefined when none), with its parameters and query. */
export function match(hash: string, routes: readonly RouteRow[] = ROUTES): Match {
  const { path, query } = splitHash(hash);
  for (const row of routes) {
    const params = matchPattern(row.pattern, path);
    if (params) return { row, path, params, query };
  }
  return { row: undefined, path, params: {}, query };
}

/** The NAV section a path belongs to (`/keys/abc` → `#/keys`). */
export function sectionOf(path: string): string | undefined {
  const first = '#/' + (path.split('/')[1] ?? '');
  return NAV.find((n) => n.hash === first)?.hash;
}
