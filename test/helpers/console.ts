/**
 * Browser-test harness for the web console (console contract): a real daemon on loopback
 * (test/helpers/daemon.ts; the client is served from dist/, so `npm run build` first), Debian's
 * Chromium driven by playwright-core, one browser per test file. `signIn(creds?)` gets a one-time
 * link for the credentials through the API (what `dew console` does) and opens it; `shot(name)`
 * writes a screenshot; a failed test leaves a screenshot of every open page under its fixture
 * folder (t.testdirName). The browser and daemon are closed in t.teardown.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { startTestDaemon, type DaemonOptions, type TestDaemon } from './daemon.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Credentials {
  access_key: string;
  secret_key: string;
  project_id: string;
}

export interface ConsoleHarness {
  daemon: TestDaemon;
  browser: Browser;
  /** The first page (1280×800); `newPage` opens more in their own contexts (no shared state). */
  page: Page;
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** A fresh one-time sign-in URL for the credentials (the daemon's admin when absent). */
  signInUrl(creds?: Credentials): Promise<string>;
  /** Opens a sign-in URL on `page` (the first page by default) and waits for the signed-in shell. */
  signIn(creds?: Credentials, page?: Page): Promise<string>;
  /** Creates a user of the admin's account with these roles; answers its credentials. */
  createUser(name: string, roles: string[]): Promise<Credentials & { user_id: string }>;
  /** Writes a PNG of the page (the first page by default) to `path`, or under the test's fixture folder as NAME.png. */
  shot(name: string, opts?: { page?: Page; path?: string; fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function startConsole(t: Test, opts: DaemonOptions = {}): Promise<ConsoleHarness> {
  const daemon = await startTestDaemon(t, opts);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const contexts: BrowserContext[] = [];
  const pages: Page[] = [];
  const newPage = async (viewport = { width: 1280, height: 800 }) => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const p = await context.newPage();
    pages.push(p);
    return p;
  };
  const page = await newPage();
  const shotDir = () => {
    const dir = t.testdirName;
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const shot = async (name: string, o: { page?: Page; path?: string; fullPage?: boolean } = {}) => {
    const path = o.path ?? join(shotDir(), `${name}.png`);
    await (o.page ?? page).screenshot({ path, fullPage: o.fullPage ?? false });
    return path;
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (!t.passing()) {
      for (const [i, p] of pages.entries()) {
        if (p.isClosed()) continue;
        try {
          t.comment(`screenshot of the failed test's page ${i}: ${await shot(`failure-${i}`, { page: p, fullPage: true })}`);
        } catch (err) {
          t.comment(`no screenshot of page ${i}: ${(err as Error).message}`);
        }
      }
    }
    // Teardown, no assertion here: a context the test already closed (or whose page crashed) must not keep the browser open.
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser.close();
  };
  t.teardown(close);

  const signInUrl = async (creds?: Credentials) => {
    const client = creds ? daemon.clientFor(creds) : daemon.client;
    const res = await client.request('POST', '/v1.0/{project_id}/dew/console/sign-in-links');
    const token = (res.body as { token: string }).token;
    return `${daemon.daemon.url}/console/#sign-in=${token}`;
  };
  const signIn = async (creds?: Credentials, p: Page = page) => {
    const url = await signInUrl(creds);
    await p.goto(url);
    await p.locator('#sign-out').waitFor({ state: 'visible' });
    return url;
  };
  const createUser = async (name: string, roles: string[]) => {
    const res = await daemon.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name, roles });
    return res.body as Credentials & { user_id: string };
  };
  return { daemon, browser, page, newPage, signInUrl, signIn, createUser, shot, close };
}

/** Records any dialog (an injected alert()) and any request for the injected <img>'s source. */
export function watchXss(page: Page): { dialogs: string[]; images: string[] } {
  const seen = { dialogs: [] as string[], images: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (/\/x$/.test(r.url())) seen.images.push(r.url());
  });
  return seen;
}
