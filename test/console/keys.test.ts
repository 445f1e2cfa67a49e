/**
 * The keys pages and the online tool in Chromium against a real daemon: a key made through the API
 * is listed; the online tool encrypts and decrypts (the key found from the ciphertext), refuses
 * over 4096 bytes and a bad ciphertext in words; disabled elsewhere, Encrypt is refused in words;
 * enable, disable, schedule and cancel deletion from the page; each step's audit record is on the
 * audit page, and the chain verifies.
 */
import t from 'tap';
import { startConsole, watchXss } from '../helpers/console.js';

t.test('create, list, encrypt, decrypt, disable, audit', async (t) => {
  const c = await startConsole(t);
  const { page } = c;
  const { dialogs } = watchXss(page);
  const api = c.daemon.client;
  const created = (await api.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: 'console-e2e', key_description: 'made by the console test' })).body as { key_info: { key_id: string } };
  const keyId = created.key_info.key_id;
  await api.request('POST', `/v1.0/{project_id}/kms/${keyId}/tags`, { tag: { key: 'team', value: 'web' } });
  for (let i = 0; i < 2; i++) await api.kms('rotate-on-demand', { key_id: keyId });

  await c.signIn();
  const row = page.locator('tbody tr', { hasText: 'console-e2e' });
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  t.same(cells.slice(0, 8), ['console-e2e', 'made by the console test', 'Enabled', 'AES_256', 'ENCRYPT_DECRYPT', 'Off', 'Default', 'team=web'], 'the list shows alias, description, state, spec, usage, rotation, keystore, tags');

  // Filters: a state the key is not in hides it.
  await page.getByLabel('State').selectOption('3');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No keys yet').or(page.getByText('0 keys')).first().waitFor();
  t.equal(await page.locator('tbody tr', { hasText: 'console-e2e' }).count(), 0, 'filtered out by state');
  await page.getByLabel('State').selectOption('2');
  await page.getByRole('button', { name: 'Filter' }).click();
  await row.waitFor();

  await row.getByRole('link', { name: 'console-e2e' }).click();
  await page.locator('h1', { hasText: 'console-e2e' }).waitFor();
  t.match(await page.locator('main').textContent(), new RegExp(keyId), 'the key page shows the key id');
  t.equal(await page.locator('.chart svg rect.bar').count(), 14, 'the usage chart draws fourteen days');
  t.match(await page.locator('main').textContent(), /3 versions[\s\S]*Version 1 created[\s\S]*Rotated \(version 2\)[\s\S]*Rotated \(version 3\)/, 'the versions card lists both rotations, oldest first (the rotation records, asked for by operation)');
  t.match(await page.locator('.chart svg rect.bar').last().locator('title').textContent(), /^\d\d-\d\d: [1-9]\d* calls?$/, "today's bar counts the key's calls (the daemon's per-day counts)");

  // Encrypt.
  const tool = page.locator('#online-tool');
  await tool.locator('#tool-encrypt-input').fill('hello console');
  t.equal(await tool.locator('#tool-encrypt-count').textContent(), '13 / 4096 bytes', 'the byte count');
  await tool.locator('#tool-encrypt-execute').click();
  await tool.getByText('Encrypted with the current version').waitFor();
  const cipher = await tool.locator('#tool-encrypt-output').inputValue();
  t.ok(cipher.length > 40, 'the ciphertext is shown');

  // Decrypt: the key is found from the ciphertext.
  await tool.getByRole('tab', { name: 'Decrypt' }).click();
  await tool.locator('#tool-decrypt-input').fill(cipher);
  await tool.locator('#tool-decrypt-execute').click();
  await tool.getByText(`Decrypted with key ${keyId} (this key)`).waitFor();
  t.equal(await tool.locator('#tool-decrypt-output').inputValue(), 'hello console', 'the plaintext comes back');
  await tool.locator('#tool-decrypt-input').fill('bm90IGEgY2lwaGVydGV4dA==');
  await tool.locator('#tool-decrypt-execute').click();
  await tool.getByText('This is not a ciphertext dew can decrypt').waitFor();
  t.match(await tool.textContent(), /This is not a ciphertext dew can decrypt/, 'a bad ciphertext is refused in words');
  t.equal(await tool.locator('#tool-decrypt-output').inputValue(), '', 'and no plaintext is shown');

  // The limit and empty input, in words, before any call.
  await tool.getByRole('tab', { name: 'Encrypt' }).click();
  await tool.locator('#tool-encrypt-input').fill('é'.repeat(2049));
  await tool.locator('#tool-encrypt-execute').click();
  await tool.getByText('The data is 4098 bytes; the online tool encrypts at most 4096 bytes.').waitFor();
  await tool.getByRole('button', { name: 'Clear' }).first().click();
  t.equal(await tool.locator('#tool-encrypt-input').inputValue(), '', 'Clear empties the input');
  await tool.locator('#tool-encrypt-execute').click();
  await tool.getByText('Enter the data to encrypt.').waitFor();

  // Disabled by someone else while the page is open: Execute is refused in words.
  await api.request('POST', '/v1.0/{project_id}/kms/disable-key', { key_id: keyId });
  await tool.locator('#tool-encrypt-input').fill('after disable');
  await tool.locator('#tool-encrypt-execute').click();
  await tool.getByText('The key is disabled, so it cannot encrypt. Enable the key first (KMS.0209).').waitFor();
  t.equal(await tool.locator('#tool-encrypt-output').inputValue(), '', 'no ciphertext');

  // The page's own actions.
  await page.getByRole('link', { name: '← Keys' }).click();
  await page.locator('h1', { hasText: 'Keys' }).waitFor();
  await page.locator('tbody tr', { hasText: 'console-e2e' }).getByRole('link').click();
  await page.locator('h1', { hasText: 'console-e2e' }).waitFor();
  t.match(await page.locator('h1').textContent(), /Disabled/, 'the key is shown disabled');
  t.match(await page.locator('main').textContent(), /The online tool works with enabled keys; this key is disabled\./, 'the tool says why it is not offered');
  await page.getByRole('button', { name: 'Enable' }).click();
  await page.getByText('The key is enabled.').waitFor();
  t.match(await page.locator('h1').textContent(), /Enabled/, 'enabled from the page');
  await page.getByRole('button', { name: 'Disable' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
  await page.getByText('The key is disabled.').waitFor();
  await page.getByRole('button', { name: 'Schedule deletion' }).click();
  await page.getByLabel('Pending days (7 to 1096)').fill('10');
  await page.getByRole('dialog').getByRole('button', { name: 'Schedule deletion' }).click();
  await page.getByText('The key is scheduled for deletion in 10 days.').waitFor();
  t.match(await page.locator('h1').textContent(), /Pending deletion/);
  t.match(await page.locator('main').textContent(), /Deletion date\d{4}-/, 'the deletion date is shown');
  await page.getByRole('button', { name: 'Cancel deletion' }).click();
  await page.getByText('The deletion is cancelled').waitFor();
  t.match(await page.locator('h1').textContent(), /Disabled/, 'cancelled: disabled');

  // Every step in the audit trail.
  await page.getByRole('link', { name: 'This key in the audit trail' }).click();
  await page.locator('h1', { hasText: 'Audit' }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  const rows = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
  const seen = (op: string, status: string) => rows.some((r) => r[1] === op && r[3].startsWith(status) && r[4] === keyId);
  for (const [op, status] of [
    ['create-key', '200'],
    ['encrypt-data', '200'],
    ['decrypt-data', '200'],
    ['disable-key', '200'],
    ['encrypt-data', '400 KMS.0209'],
    ['enable-key', '200'],
    ['schedule-key-deletion', '200'],
    ['cancel-key-deletion', '200'],
  ]) {
    t.ok(seen(op, status), `the audit page shows ${op} ${status}`);
  }
  const at = (op: string) => rows.findIndex((r) => r[1] === op && r[4] === keyId);
  t.ok(at('cancel-key-deletion') < at('schedule-key-deletion') && at('schedule-key-deletion') < at('create-key'), 'newest first: the last step at the top, the key\'s creation below');
  await page.getByLabel('Outcome').selectOption('failed');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => !document.querySelector('tbody')?.textContent?.includes('allowed'));
  const failedOps = await page.locator('tbody tr td:nth-child(2)').allTextContents();
  t.ok(failedOps.length > 0 && failedOps.every((o) => o === 'encrypt-data' || o === 'decrypt-data'), 'the outcome filter keeps the failed calls only');
  // The sign-in itself is in the account's trail.
  await page.getByLabel('Key').fill('');
  await page.getByLabel('Operation').fill('console-sign-in');
  await page.getByLabel('Outcome').selectOption('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.locator('tbody tr', { hasText: 'console-sign-in-link' }).waitFor();
  const signInOps = await page.locator('tbody tr td:nth-child(2)').allTextContents();
  t.ok(signInOps.includes('console-sign-in-link') && signInOps.includes('console-sign-in'), 'the link and the sign-in are on the audit page');
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  const verdict = page.getByText(/The trail is intact: \d+ records/);
  await verdict.waitFor();
  t.notMatch(await verdict.textContent(), /broken/, 'the chain verifies');
  t.same(dialogs, [], 'no browser dialog opened');
});

t.test('the keys list pages with the daemon marker', async (t) => {
  const c = await startConsole(t, { args: ['--key-quota', '30'] });
  for (let i = 0; i < 23; i++) await c.daemon.client.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: `paged-${String(i).padStart(2, '0')}` });
  const { page } = c;
  await c.signIn();
  await page.locator('tbody tr').first().waitFor();
  t.equal(await page.locator('tbody tr').count(), 20, 'twenty keys on the first page');
  t.match(await page.locator('main').textContent(), /23 keys in this project/, 'the total is said');
  const first = await page.locator('tbody tr td:first-child').allTextContents();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('Page 2').waitFor();
  const second = await page.locator('tbody tr td:first-child').allTextContents();
  t.equal(second.length, 3, 'the other three on the second');
  t.same(second.filter((a) => first.includes(a)), [], 'no key on both pages');
  t.ok(await page.getByRole('button', { name: 'Next' }).isDisabled(), 'no third page');
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.getByText('Page 1').waitFor();
  t.same(await page.locator('tbody tr td:first-child').allTextContents(), first, 'Previous shows the first page again');
});

t.test('Create key from the keys page: the dialog makes the key and opens its page; a taken alias is refused in the daemon\'s words', async (t) => {
  const c = await startConsole(t);
  const { page } = c;
  const { dialogs } = watchXss(page);
  await c.signIn();
  await page.locator('h1', { hasText: 'Keys' }).waitFor();
  const create = async (alias: string, spec: string, description: string) => {
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a key' });
    await dialog.getByLabel('Alias').fill(alias);
    await dialog.getByLabel('Description').fill(description);
    await dialog.getByLabel('Key spec').selectOption(spec);
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
  };
  await create('made-in-console', 'SM4', 'from the dialog');
  await page.locator('h1', { hasText: 'made-in-console' }).waitFor();
  await page.getByText('The key is created.').waitFor();
  const made = ((await c.daemon.client.kms('list-keys', { limit: '100', key_spec: 'ALL' })) as { key_details: { key_alias: string; key_spec: string; key_description: string; key_usage: string }[] }).key_details.find((k) => k.key_alias === 'made-in-console');
  t.match(made, { key_spec: 'SM4', key_description: 'from the dialog', key_usage: 'ENCRYPT_DECRYPT' }, 'the daemon has the key as the dialog asked, with the spec\'s default usage');
  t.match(await page.locator('main').textContent(), /SM4/, 'its page shows it');

  // The list's "Any spec" shows every spec (list-keys alone lists AES_256 keys only).
  await page.getByRole('link', { name: 'Keys', exact: true }).click();
  await page.locator('tbody tr', { hasText: 'made-in-console' }).waitFor();
  t.match(await page.locator('tbody tr', { hasText: 'made-in-console' }).textContent(), /SM4/, 'the SM4 key is in the list under any spec');
  await create('made-in-console', 'AES_256', 'a second one');
  await page.getByText('Existing CMK alias.').waitFor();
  t.equal(await page.getByRole('dialog').count(), 0, 'the dialog is closed');
  t.equal(await page.locator('h1', { hasText: 'Keys' }).count(), 1, 'and the list is still shown');
  const keys = ((await c.daemon.client.kms('list-keys', { limit: '100', key_spec: 'ALL' })) as { key_details: { key_alias: string }[] }).key_details;
  t.equal(keys.filter((k) => k.key_alias === 'made-in-console').length, 1, 'no second key was made');
  t.same(dialogs, [], 'no script ran');
});
