/**
 * What the console refuses to do, in Chromium: values a user controls are text (a description and a
 * decrypted plaintext of `<img src=x onerror=alert(1)>` show those characters, add no
 * element and run nothing; the API refuses such an alias or tag outright), and a read-only user's pages
 * show no button that would change anything.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startConsole, watchXss } from '../helpers/console.js';
import { apiError } from '../helpers/daemon.js';

const XSS = '<img src=x onerror=alert(1)>';

t.test('user values are text: the XSS alias case', async (t) => {
  const c = await startConsole(t);
  const { page } = c;
  const { dialogs } = watchXss(page);
  const failedImages: string[] = [];
  page.on('requestfailed', (r) => failedImages.push(r.url()));
  page.on('request', (r) => {
    if (!r.url().startsWith(c.daemon.daemon.url)) failedImages.push(r.url());
  });
  const api = c.daemon.client;
  const refused = await apiError(api.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: XSS }));
  t.equal(refused.status, 400, 'the API refuses the alias itself');
  t.equal(refused.code, 'KMS.1101');
  const created = (await api.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: 'xss-probe', key_description: XSS })).body as { key_info: { key_id: string } };
  const keyId = created.key_info.key_id;
  const tagRefused = await apiError(api.request('POST', `/v1.0/{project_id}/kms/${keyId}/tags`, { tag: { key: 'html', value: XSS } }));
  t.equal(tagRefused.status, 400, 'and such a tag value');
  await api.request('POST', `/v1.0/{project_id}/kms/${keyId}/tags`, { tag: { key: 'html', value: 'img-src-x' } });

  await c.signIn();
  const row = page.locator('tbody tr', { hasText: 'xss-probe' });
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  t.equal(cells[1], XSS, 'the description shows the characters');
  t.equal(cells[7], 'html=img-src-x', 'the tag is shown');
  t.equal(await page.locator('img').count(), 0, 'no img element on the list');

  await row.getByRole('link', { name: 'xss-probe' }).click();
  await page.locator('h1', { hasText: 'xss-probe' }).waitFor();
  t.match(await page.locator('main').textContent(), XSS, 'the key page shows the characters');
  // The same text through the online tool and back.
  await page.locator('#tool-encrypt-input').fill(XSS);
  await page.locator('#tool-encrypt-execute').click();
  await page.getByText('Encrypted with the current version').waitFor();
  const cipher = await page.locator('#tool-encrypt-output').inputValue();
  await page.getByRole('tab', { name: 'Decrypt' }).click();
  await page.locator('#tool-decrypt-input').fill(cipher);
  await page.locator('#tool-decrypt-execute').click();
  await page.getByText('Decrypted with key').waitFor();
  t.equal(await page.locator('#tool-decrypt-output').inputValue(), XSS, 'the plaintext is text in the box');
  t.equal(await page.locator('img').count(), 0, 'no img element on the key page');

  // The search box echoes what is typed as text too.
  await page.getByRole('link', { name: '← Keys' }).click();
  await page.getByLabel('Search this page').fill(XSS);
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('tbody tr', { hasText: 'xss-probe' }).waitFor();
  t.equal(await page.locator('img').count(), 0, 'no img element after searching for it');
  t.same(dialogs, [], 'no alert ran');
  t.same(failedImages.filter((u) => !u.startsWith(c.daemon.daemon.url)), [], 'nothing was fetched from elsewhere');
  t.same(failedImages.filter((u) => /\/x$/.test(u)), [], 'the img source was never requested');
});

t.test("a read-only user's view has no mutating buttons", async (t) => {
  const c = await startConsole(t);
  const api = c.daemon.client;
  const created = (await api.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: 'shared-key', key_description: 'readable' })).body as { key_info: { key_id: string } };
  const keyId = created.key_info.key_id;
  const reader = await c.createUser('reader', ['KMS ReadOnlyAccess']);
  const page = await c.newPage();
  await c.signIn(reader, page);
  const session = await page.locator('[data-testid=who]').textContent();
  t.match(session, /reader/, 'signed in as the reader');
  const MUTATING = /^(Enable|Disable|Schedule deletion|Cancel deletion|Execute|Verify the chain|Create|Delete|Rotate)/;
  const buttons = async () => (await page.getByRole('button').allTextContents()).map((b) => b.trim());

  await page.locator('tbody tr', { hasText: 'shared-key' }).waitFor();
  t.same((await buttons()).filter((b) => MUTATING.test(b)), [], 'the keys list has no mutating button');
  await page.getByRole('link', { name: 'shared-key' }).click();
  await page.locator('h1', { hasText: 'shared-key' }).waitFor();
  const onKey = await buttons();
  t.same(onKey.filter((b) => MUTATING.test(b)), [], `the key page has no mutating button (${onKey.join(', ')})`);
  t.equal(await page.locator('#online-tool').count(), 0, 'no online tool');
  t.match(await page.locator('main').textContent(), /Your roles do not allow encrypting or decrypting/, 'and the page says why');

  await page.getByRole('link', { name: 'This key in the audit trail' }).click();
  await page.locator('h1', { hasText: 'Audit' }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  t.same((await buttons()).filter((b) => MUTATING.test(b)), [], 'the audit page has no verify button for a reader');
  t.ok((await page.locator('tbody tr td:nth-child(5)').allTextContents()).every((r) => r === keyId), "the reader reads the key's records");

  // Without a key the whole-account trail is for administrators: said in words.
  await page.getByLabel('Key').fill('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText(/only a KMS Administrator reads the whole account trail/).waitFor();
  t.match(await page.locator('main').textContent(), /only a KMS Administrator reads the whole account trail/, 'the refusal is in words');
  t.equal(await page.locator('tbody tr').count(), 0, 'and no record of the account is listed');
});

t.test('the client never uses innerHTML (nor outerHTML, insertAdjacentHTML, document.write, eval)', async (t) => {
  const dir = join(process.cwd(), 'daemon', 'console', 'client');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) files.push(p);
    }
  };
  walk(dir);
  t.ok(files.length >= 8, `the client has its modules (${files.length})`);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    t.notMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, `${f.slice(dir.length + 1)} builds DOM with dom.ts only`);
  }
});
