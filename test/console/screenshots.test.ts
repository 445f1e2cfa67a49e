/**
 * The README's console screenshots (`npm run screenshots` sets DEW_SCREENSHOTS=docs/console): the
 * key page and the online tool after a short, real session (a key with tags and rotation, some
 * encrypt and decrypt calls for the usage chart). Without DEW_SCREENSHOTS the same pictures go to
 * the test's fixture folder, so the suite checks they can be taken.
 */
import t from 'tap';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startConsole } from '../helpers/console.js';

t.test('screenshots of the key page and the online tool', async (t) => {
  const dir = process.env.DEW_SCREENSHOTS ? resolve(process.env.DEW_SCREENSHOTS) : t.testdir();
  mkdirSync(dir, { recursive: true });
  const c = await startConsole(t);
  const api = c.daemon.client;
  const k = (await api.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: 'app/orders', key_description: 'Envelope key for the orders database' })).body as { key_info: { key_id: string } };
  const id = k.key_info.key_id;
  await api.request('POST', `/v1.0/{project_id}/kms/${id}/tags`, { tag: { key: 'team', value: 'payments' } });
  await api.request('POST', `/v1.0/{project_id}/kms/${id}/tags`, { tag: { key: 'env', value: 'prod' } });
  await api.request('POST', '/v1.0/{project_id}/kms/enable-key-rotation', { key_id: id });
  for (let i = 0; i < 6; i++) {
    const e = (await api.request('POST', '/v1.0/{project_id}/kms/encrypt-data', { key_id: id, plain_text: `order ${i}` })).body as { cipher_text: string };
    if (i % 2 === 0) await api.request('POST', '/v1.0/{project_id}/kms/decrypt-data', { cipher_text: e.cipher_text });
  }
  await api.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: 'app/invoices', key_description: 'Invoices bucket' });

  const page = c.page;
  await c.signIn();
  await page.getByRole('link', { name: 'app/orders' }).click();
  await page.locator('h1', { hasText: 'app/orders' }).waitFor();
  await page.locator('#tool-encrypt-input').fill('card ending 4242, order 1017');
  await page.locator('#tool-encrypt-execute').click();
  await page.getByText('Encrypted with the current version').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.locator('#main').blur();
  const keyPage = join(dir, 'key-page.png');
  await c.shot('key-page', { path: keyPage });
  const tool = join(dir, 'online-tool.png');
  await page.locator('#online-tool').screenshot({ path: tool });
  for (const f of [keyPage, tool]) t.ok(statSync(f).size > 10_000, `${f} written`);
});
