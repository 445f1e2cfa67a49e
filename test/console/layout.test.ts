/**
 * The console without a mouse, on a phone and in the dark, in Chromium: Tab reaches the skip link,
 * the sections and Sign out in order with a visible focus ring; every form control has a label; at
 * 390 px wide nothing scrolls sideways but the tables' own boxes; `prefers-color-scheme: dark`
 * changes the palette.
 */
import t from 'tap';
import { startConsole } from '../helpers/console.js';

t.test('keyboard, labels, phone width, dark mode', async (t) => {
  const c = await startConsole(t);
  await c.daemon.client.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: 'layout-key', key_description: 'a description long enough to need wrapping on a phone screen, which it does' });
  const page = c.page;
  await c.signIn();
  await page.locator('tbody tr', { hasText: 'layout-key' }).waitFor();

  // Tab order: skip link, brand area's Sign out, then the sections.
  const focused = async () => page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el ? `${el.tagName.toLowerCase()}:${(el.textContent ?? '').trim()}` : '';
  });
  const order: string[] = [];
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    order.push(await focused());
  }
  t.same(order.slice(0, 9), ['a:Skip to content', 'button:Sign out', 'a:Keys', 'a:Key pairs', 'a:Secrets', 'a:HSM instances', 'a:Keystores', 'a:Stacks', 'a:Audit'], 'Tab goes through the skip link, Sign out and every section in order');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
  t.not(outline, 'none', 'the focused element has a visible outline');

  // Keyboard-only navigation: Enter on a link opens the key page.
  await page.locator('a', { hasText: 'layout-key' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('h1', { hasText: 'layout-key' }).waitFor();
  const mainFocused = await page.evaluate(() => document.activeElement?.id);
  t.equal(mainFocused, 'main', 'after navigating, focus moves to the page');

  // Every input, select and textarea has a label.
  const unlabelled = await page.evaluate(() =>
    Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML.slice(0, 80)),
  );
  t.same(unlabelled, [], 'every control is labelled');

  // A phone: 390 px wide.
  const phone = await c.newPage({ width: 390, height: 844 });
  await c.signIn(undefined, phone);
  await phone.locator('tbody tr', { hasText: 'layout-key' }).waitFor();
  for (const where of ['keys list', 'key page']) {
    if (where === 'key page') {
      await phone.locator('a', { hasText: 'layout-key' }).click();
      await phone.locator('h1', { hasText: 'layout-key' }).waitFor();
    }
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    t.ok(width <= 390, `the ${where} fits 390 px (scroll width ${width})`);
  }

  // Dark mode.
  const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  t.not(dark, light, `dark mode changes the background (${light} → ${dark})`);
});
