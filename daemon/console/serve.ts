/**
 * Serves the web console's static files at `/console/` (issue 17): index.html and console.css from
 * their string modules, and the compiled client modules (dist/daemon/console/client/*.js and
 * pages/*.js) found beside this module. Only files known at first request are served, by a name
 * pattern that admits no path (no `..`, no `/` but the one `pages/`); everything answers with the
 * strict CSP. index.html is `no-cache`; assets carry an ETag and a short public max-age.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { INDEX_HTML } from './index-html.js';
import { CONSOLE_CSS } from './console-css.js';
import { kmsErrors, toErrorBody } from '../errors.js';

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** How long a browser may reuse an asset before asking again (with its ETag). */
export const ASSET_MAX_AGE_S = 300;

interface Asset {
  readonly body: Uint8Array;
  readonly type: string;
  readonly etag: string;
}

const MODULE_NAME = /^[a-z0-9][a-z0-9-]{0,63}\.js$/;

/** Where the compiled client lives: beside this module when compiled, else in dist/ (sources run by tsx). */
export function clientDir(): string {
  const beside = fileURLToPath(new URL('./client/', import.meta.url));
  if (existsSync(join(beside, 'main.js'))) return beside;
  return fileURLToPath(new URL('../../dist/daemon/console/client/', import.meta.url));
}

function asset(body: Uint8Array | string, type: string): Asset {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return { body: bytes, type, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"` };
}

/** The served files by URL path under /console/ (`main.js`, `pages/keys.js`, `console.css`). */
export function loadAssets(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>([['console.css', asset(CONSOLE_CSS, 'text/css; charset=utf-8')]]);
  for (const sub of ['', 'pages/']) {
    const folder = join(dir, sub);
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      if (MODULE_NAME.test(name)) files.set(sub + name, asset(readFileSync(join(folder, name)), 'text/javascript; charset=utf-8'));
    }
  }
  return files;
}

function secure(c: Context): void {
  c.header('Content-Security-Policy', CONSOLE_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
}

/** Mounts the console on the app (GET and HEAD only); `dir` overrides where the client is read from. */
export function mountConsole(app: Hono<any>, dir?: string): void {
  let assets: Map<string, Asset> | undefined;
  const index = asset(INDEX_HTML, 'text/html; charset=utf-8');
  const notFound = (c: Context) => {
    secure(c);
    return c.json(toErrorBody(kmsErrors.unknownApi(), c.get('requestId') ?? ''), 404);
  };
  app.get('/console', (c) => {
    secure(c);
    return c.redirect('/console/', 301);
  });
  app.get('/console/', (c) => {
    secure(c);
    c.header('Cache-Control', 'no-cache');
    c.header('Content-Type', index.type);
    return c.body(index.body as Uint8Array<ArrayBuffer>, 200);
  });
  app.get('/console/*', (c) => {
    const name = c.req.path.slice('/console/'.length);
    assets ??= loadAssets(dir ?? clientDir());
    const a = /^(pages\/)?[a-z0-9][a-z0-9.-]{0,63}$/.test(name) ? assets.get(name) : undefined;
    if (!a) return notFound(c);
    secure(c);
    c.header('ETag', a.etag);
    c.header('Cache-Control', `public, max-age=${ASSET_MAX_AGE_S}`);
    if (c.req.header('if-none-match') === a.etag) return c.body(null, 304);
    c.header('Content-Type', a.type);
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200);
  });
  app.on(['POST', 'PUT', 'DELETE', 'PATCH'], ['/console', '/console/*'], notFound);
}
