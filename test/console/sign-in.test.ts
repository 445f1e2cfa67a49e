/**
 * Console sign-in in Chromium against a real daemon: the fragment leaves the address bar, a second
 * use of the link is refused, the shell names every section, sign-out revokes the token (the API
 * refuses it afterwards), a reload without a link shows the signed-out screen, and the pages
 * come with the CSP and no inline script.
 */
import t from 'tap';
import { startConsole } from '../helpers/console.js';

t.test('sign in, the fragment removed, the link used once, sign out revokes the token', async (t) => {
  const c = await startConsole(t);
  const page = c.page;
  const url = await c.signIn();
  t.equal(new URL(page.url()).hash, '#/keys', 'the sign-in fragment is gone from the address bar');
  t.notMatch(page.url(), /sign-in=/, 'no token left in the URL');
  const nav = await page.locator('nav.side a').allTextContents();
  t.same(nav, ['Keys', 'Key pairs', 'Secrets', 'HSM instances', 'Keystores', 'Stacks', 'Audit'], 'the navigation names every section');
  t.match(await page.locator('[data-testid=who]').textContent(), /admin|KMS Administrator/, 'the header names the user');

  // The same link again, in a fresh page: refused in words.
  const second = await c.newPage();
  await second.goto(url);
  await second.getByText('The sign-in link was refused').waitFor();
  t.match(await second.locator('main').textContent(), /run this where your dew credentials are/i, 'the signed-out screen says how to sign in');
  t.match(await second.locator('main').textContent(), /dew console/, 'and names `dew console`');

  // The session token, as the page holds it, then sign out.
  const token = await page.evaluate(async () => {
    const m = await import('/console/session.js' as string);
    return (m as { currentSession(): { token: string } | undefined }).currentSession()?.token;
  });
  t.ok(token && token.startsWith('dewt1.'), 'the session is an X-Auth-Token');
  const before = await fetch(`${c.daemon.daemon.url}/v1.0/${c.daemon.daemon.credentials.project_id}/kms/list-keys`, { method: 'POST', headers: { 'X-Auth-Token': token!, 'Content-Type': 'application/json' }, body: '{}' });
  t.equal(before.status, 200, 'the API takes the session token while signed in');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You signed out').waitFor();
  const after = await fetch(`${c.daemon.daemon.url}/v1.0/${c.daemon.daemon.credentials.project_id}/kms/list-keys`, { method: 'POST', headers: { 'X-Auth-Token': token!, 'Content-Type': 'application/json' }, body: '{}' });
  t.equal(after.status, 401, 'the API refuses the token after sign-out');
  const refusal = (await after.json()) as { error_msg?: string; error?: { error_msg?: string } };
  t.match(refusal.error_msg ?? refusal.error?.error_msg ?? '', /revoked/, 'refused as revoked');

  // A reload has no session: the signed-out screen.
  await page.reload();
  await page.getByText('You are not signed in.').waitFor();
  t.match(await page.locator('main').textContent(), /npx dew console/, 'the signed-out screen tells the user to run dew console');
});

t.test('CSP and no inline script', async (t) => {
  const c = await startConsole(t);
  const res = await fetch(`${c.daemon.daemon.url}/console/`);
  const csp = res.headers.get('content-security-policy') ?? '';
  t.match(csp, /default-src 'none'/, 'CSP default-src none');
  t.match(csp, /script-src 'self'(;|$)/, "scripts only from 'self'");
  t.notMatch(csp, /unsafe-inline|unsafe-eval/, 'no unsafe sources');
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  t.equal(res.headers.get('referrer-policy'), 'no-referrer');
  t.equal(res.headers.get('cache-control'), 'no-cache', 'index.html is revalidated every time');
  const html = await res.text();
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  t.ok(scripts.length >= 1, 'the page loads a script');
  for (const s of scripts) {
    t.match(s[1], /src="\/console\/[a-z]+\.js"/, 'each script is a file from the console');
    t.equal(s[2].trim(), '', 'with no inline body');
  }
  t.notMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
  t.notMatch(html, /<style/i, 'no inline style');

  const violations: string[] = [];
  c.page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await c.signIn();
  await c.page.locator('main h1').waitFor();
  t.same(violations, [], 'no CSP violation while the console runs');
});
