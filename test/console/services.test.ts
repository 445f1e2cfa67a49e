/**
 * The service pages of the console in Chromium against a real daemon: key pairs (list, details,
 * the hosts one is bound to on a real sshd, a generated private key downloaded once, delete), secrets (list, details, a value fetched only on
 * a click and hidden again, the stage timeline), HSM instances and keystores (list, details, the
 * keys in a keystore), and stacks (a stack `dew apply` made: its objects and the plan text as
 * `dew plan` printed it). Each service's XSS-looking name or description renders as text and runs
 * nothing; a read-only user sees no button that would fail.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Test } from 'tap';
import { startConsole, watchXss, type ConsoleHarness } from '../helpers/console.js';
import { dewRunner } from '../e2e/harness.js';
import { hsmApi, HSMS, KS } from '../hsm-instances/hsm-api.js';
import { startSshd } from '../helpers/sshd.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const XSS = '<img src=x onerror=alert(1)>';

/** Goes to a console hash (drawing the page afresh when it is the current one) and waits for the page's heading. */
async function go(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  if (await page.evaluate((h) => location.hash === h, hash)) {
    await page.evaluate(() => (location.hash = '#/again'));
    await page.locator('main h1', { hasText: 'Not found' }).waitFor();
  }
  await page.evaluate((h) => (location.hash = h), hash);
  await page.locator('main h1', { hasText: heading }).waitFor();
}

async function noInjectedMarkup(t: Test, page: Page, seen: { dialogs: string[]; images: string[] }, what: string): Promise<void> {
  t.match(await page.locator('main').textContent(), XSS, `${what}: the XSS-looking text shows as its characters`);
  t.equal(await page.locator('main img').count(), 0, `${what}: no <img> element was made`);
  t.same(seen.dialogs, [], `${what}: no script ran`);
  t.same(seen.images, [], `${what}: the img source was never requested`);
}

t.test('the service pages', async (t) => {
  const c: ConsoleHarness = await startConsole(t);
  const page = c.page;
  const api = c.daemon.client;
  const seen = watchXss(page);
  await c.signIn();
  const reader = await c.createUser('reader', ['KMS ReadOnlyAccess']);
  const readerPage = await c.newPage();
  await c.signIn(reader, readerPage);

  await t.test('key pairs: list, details, the XSS description as text', async (t) => {
    await api.request('POST', '/v3/{project_id}/keypairs', { keypair: { name: 'api-kp', description: XSS, scope: 'domain' } });
    const shown = ((await api.request('GET', '/v3/{project_id}/keypairs/api-kp')).body as Any).keypair;
    await go(page, '#/keypairs', 'Key pairs');
    const row = page.locator('tr', { hasText: 'api-kp' });
    await row.waitFor();
    t.match(await row.textContent(), shown.fingerprint, 'the list shows the fingerprint');
    await row.getByRole('link', { name: 'api-kp' }).click();
    await page.locator('main h1', { hasText: 'Key pair api-kp' }).waitFor();
    t.equal((await page.getByTestId('public-key').textContent())?.trim(), shown.public_key, 'the details show the public key');
    const text = (await page.locator('main').textContent()) ?? '';
    t.match(text, shown.fingerprint, 'and the fingerprint');
    t.match(text, 'SSH_RSA_2048', 'and the algorithm');
    t.match(text, 'Not bound to any host.', 'and its bindings (none yet)');
    await noInjectedMarkup(t, page, seen, 'key pair description');
  });

  await t.test('key pairs: the hosts a key pair is bound to (a real sshd)', async (t) => {
    const host = await startSshd(t);
    await api.request('POST', '/v3/{project_id}/hosts', { host: { name: 'web-host', address: host.address, port: host.port, username: host.user } });
    let task = ((await api.request('POST', '/v3/{project_id}/keypairs/associate', { keypair_name: 'api-kp', server: { id: 'web-host', auth: { type: 'password', key: host.password } } })).body as Any);
    for (let i = 0; i < 600 && !/^(SUCCESS|FAILED)_/.test(String(task.task_status)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      task = (await api.request('GET', `/v3/{project_id}/tasks/${task.task_id}`)).body as Any;
    }
    t.equal(task.task_status, 'SUCCESS_RESET', JSON.stringify(task));
    await go(page, '#/keypairs/api-kp', 'Key pair api-kp');
    const bound = page.getByRole('region', { name: 'Bound hosts' });
    const row = bound.locator('tbody tr');
    t.equal(await row.count(), 1, 'one bound host');
    t.match(await row.textContent(), `web-host${host.user}@127.0.0.1:${host.port}`, 'the host, its address and user');
  });

  await t.test('key pairs: a generated private key is downloaded once, then gone; delete', async (t) => {
    await go(page, '#/keypairs', 'Key pairs');
    const form = page.getByRole('form', { name: 'Create a key pair' });
    await form.getByLabel('Name').fill('ui-kp');
    await form.getByLabel('Algorithm').selectOption('SSH_ED25519');
    await form.getByRole('button', { name: 'Create key pair' }).click();
    const link = page.getByTestId('private-key-link');
    await link.waitFor();
    t.match(await link.getAttribute('href'), /^blob:/, 'the private key is a Blob link built in the page');
    t.notMatch(await page.content(), /PRIVATE KEY/, 'the key text is not in the page');
    const downloads: string[] = [];
    page.on('download', (d) => downloads.push(d.suggestedFilename()));
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    t.equal(download.suggestedFilename(), 'ui-kp.pem');
    const dir = mkdtempSync(join(tmpdir(), 'dew-console-kp-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'ui-kp.pem');
    await download.saveAs(file);
    const pem = readFileSync(file, 'utf8');
    t.match(pem, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/, 'the download is the private key');
    execFileSync('chmod', ['600', file]);
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
    const shown = ((await api.request('GET', '/v3/{project_id}/keypairs/ui-kp')).body as Any).keypair;
    t.equal(derived, shown.public_key.split(' ').slice(0, 2).join(' '), 'and it is the private half of the key pair the daemon shows');
    await page.getByText('cannot be downloaded again').waitFor();
    t.equal(await page.getByTestId('private-key-link').count(), 0, 'the link is gone after one download');
    t.equal(await page.locator('a[href^="blob:"]').count(), 0, 'no blob link is left in the page');
    await go(page, '#/keypairs/ui-kp', 'Key pair ui-kp');
    await go(page, '#/keypairs', 'Key pairs');
    await page.locator('tr', { hasText: 'ui-kp' }).waitFor();
    t.equal(await page.getByTestId('private-key-link').count(), 0, 'coming back offers no download');
    t.same(downloads, ['ui-kp.pem'], 'one download in all');

    // An offer left without downloading is given up: coming back offers nothing.
    await form.getByLabel('Name').fill('ui-kp2');
    await form.getByRole('button', { name: 'Create key pair' }).click();
    await page.getByTestId('private-key-link').waitFor();
    await go(page, '#/keypairs/ui-kp2', 'Key pair ui-kp2');
    t.equal(await page.locator('a[href^="blob:"]').count(), 0, 'leaving the page drops the offer');
    await go(page, '#/keypairs', 'Key pairs');
    await page.locator('tr', { hasText: 'ui-kp2' }).waitFor();
    t.equal(await page.getByTestId('private-key-link').count(), 0, 'and coming back offers no download');
    t.same(downloads, ['ui-kp.pem'], 'nothing was downloaded');

    await page.getByRole('button', { name: 'Delete key pair ui-kp', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted the key pair ui-kp.').waitFor();
    await page.getByRole('link', { name: 'ui-kp', exact: true }).waitFor({ state: 'detached' });
    const gone = await api.request('GET', '/v3/{project_id}/keypairs/ui-kp').then(() => 200, (e: Any) => e.status);
    t.equal(gone, 404, 'deleted through the API');
  });

  await t.test('key pairs: a read-only user sees no create form and no delete button', async (t) => {
    await go(readerPage, '#/keypairs', 'Key pairs');
    await readerPage.locator('tr', { hasText: 'api-kp' }).waitFor();
    t.equal(await readerPage.getByRole('form', { name: 'Create a key pair' }).count(), 0, 'no create form');
    t.equal(await readerPage.getByRole('button', { name: /Delete/ }).count(), 0, 'no delete button in the list');
    await go(readerPage, '#/keypairs/api-kp', 'Key pair api-kp');
    t.equal(await readerPage.getByRole('button', { name: /Delete/ }).count(), 0, 'nor on the details page');
  });

  await t.test('secrets: list, details, the value only on a click and hidden again, the stage timeline', async (t) => {
    const v1 = `first-${Date.now()}-canary`;
    const v2 = `second-${Date.now()}-canary`;
    await api.request('POST', '/v1/{project_id}/secrets', { name: 'db-pass', secret_string: v1, description: XSS });
    await api.request('POST', '/v1/{project_id}/secrets/db-pass/versions', { secret_string: v2 });
    await api.request('PUT', '/v1/{project_id}/secrets/db-pass/stages/blue', { version_id: 'v1' });
    const fetched: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/secrets/db-pass/versions/')) fetched.push(r.url());
    });
    await go(page, '#/secrets', 'Secrets');
    const row = page.locator('tr', { hasText: 'db-pass' });
    await row.waitFor();
    t.match(await row.textContent(), 'ENABLED', 'the list shows the state');
    await noInjectedMarkup(t, page, seen, 'secret description in the list');
    await row.getByRole('link', { name: 'db-pass' }).click();
    await page.locator('main h1', { hasText: 'Secret db-pass' }).waitFor();
    await noInjectedMarkup(t, page, seen, 'secret description on its page');

    const timeline = page.getByTestId('stage-timeline');
    t.same(await timeline.locator('g[aria-label=v2] text.stage').allTextContents(), ['SYSCURRENT'], 'the timeline draws SYSCURRENT on v2');
    t.same(await timeline.locator('g[aria-label=v1] text.stage').allTextContents(), ['SYSPREVIOUS', 'blue'], 'and SYSPREVIOUS and the custom stage on v1');
    t.match(await timeline.locator('svg').getAttribute('aria-label'), 'v1: SYSPREVIOUS, blue; v2: SYSCURRENT', 'the drawing is labelled for screen readers');

    const content = await page.content();
    t.notMatch(content, v1, 'no value in the page before a click');
    t.notMatch(content, v2, 'no value in the page before a click');
    t.same(fetched, [], 'no value was fetched before a click');
    const reveal = page.getByTestId('reveal-v2');
    await reveal.click();
    await page.getByTestId('value-v2').getByText(v2).waitFor();
    t.equal(fetched.length, 1, 'the click fetched the value');
    t.equal(await reveal.getAttribute('aria-pressed'), 'true');
    t.notMatch(await page.content(), v1, 'only the version asked for is shown');
    await reveal.click();
    await page.getByTestId('value-v2').getByText(v2).waitFor({ state: 'detached' });
    t.notMatch(await page.content(), v2, 'a second click hides it again');
    t.equal(await reveal.textContent(), 'Show value');

    await reveal.click();
    await page.getByTestId('value-v2').getByText(v2).waitFor();
    await go(page, '#/secrets', 'Secrets');
    t.notMatch(await page.content(), v2, 'leaving the page hides it');
    await go(page, '#/secrets/db-pass', 'Secret db-pass');
    t.notMatch(await page.content(), v2, 'and coming back shows it hidden');
    t.equal(fetched.length, 2, 'coming back fetched nothing by itself');

    await go(readerPage, '#/secrets/db-pass', 'Secret db-pass');
    t.equal(await readerPage.getByRole('button', { name: /Show the value/ }).count(), 0, 'a read-only user has no Show value button');
    t.match(await readerPage.locator('main').textContent(), 'Your roles do not allow reading secret values.');

    // Create a secret from the form: its page opens, the daemon holds the value, the page does not.
    const made = `made-in-form-${Date.now()}-canary`;
    await go(page, '#/secrets', 'Secrets');
    const form = page.getByRole('form', { name: 'Create a secret' });
    await form.getByLabel('Name').fill('from-form');
    await form.getByLabel('Value').fill(made);
    await form.getByLabel('Description').fill('typed in the console');
    await form.getByRole('button', { name: 'Create secret' }).click();
    await page.locator('main h1', { hasText: 'Secret from-form' }).waitFor();
    await page.getByText('The secret from-form is created with its first version.').waitFor();
    t.equal(((await api.request('GET', '/v1/{project_id}/secrets/from-form/versions/latest')).body as Any).version.secret_string, made, 'the daemon holds the value typed in the form');
    t.notMatch(await page.content(), made, 'the page does not show it back');
    await go(page, '#/secrets', 'Secrets');
    await form.getByLabel('Name').fill('from-form');
    await form.getByLabel('Value').fill('again');
    await form.getByRole('button', { name: 'Create secret' }).click();
    await page.getByText(/The secret was not created: .*already exists/).waitFor();
    t.equal(await form.getByLabel('Value').inputValue(), '', 'the refused value is not kept in the form either');
    await go(readerPage, '#/secrets', 'Secrets');
    t.equal(await readerPage.getByRole('form', { name: 'Create a secret' }).count(), 0, 'a read-only user has no create form');
  });

  await t.test('HSM instances and keystores: list, details, state, the keys in a keystore', async (t) => {
    const h = hsmApi(api);
    const made = await h.req('POST', HSMS, { name: 'hsm-console', specification: 'software', description: XSS });
    await h.job(made.job_id);
    const ks = (await h.req('POST', KS, { keystore_alias: 'ks-console', hsm_cluster_id: made.hsm_id })).keystore;
    const key = ((await api.kms('create-key', { key_alias: 'in-keystore', keystore_id: ks.keystore_id, key_description: XSS })) as Any).key_info;
    await api.kms('create-key', { key_alias: 'not-in-keystore' });
    await api.kms('create-key', { key_alias: 'sm4-held', key_spec: 'SM4', keystore_id: ks.keystore_id });

    await go(page, '#/hsm', 'HSM instances');
    const row = page.locator('tr', { hasText: 'hsm-console' });
    await row.waitFor();
    t.match(await row.textContent(), 'RUNNING', 'the list shows the state');
    await noInjectedMarkup(t, page, seen, 'HSM description in the list');
    await row.getByRole('link', { name: 'hsm-console' }).click();
    await page.locator('main h1', { hasText: 'HSM instance hsm-console' }).waitFor();
    const details = (await page.locator('main').textContent()) ?? '';
    t.match(details, made.hsm_id);
    t.match(details, 'software');
    t.notMatch(await page.content(), made.admin_credential, 'the admin credential is not shown');
    await noInjectedMarkup(t, page, seen, 'HSM description on its page');
    await page.getByRole('link', { name: ks.keystore_id }).click();
    await page.locator('main h1', { hasText: 'Keystore ks-console' }).waitFor();
    t.match(await page.locator('main').textContent(), 'ENABLED', 'the keystore page shows its state');
    const keys = page.getByRole('region', { name: 'Keys in this keystore' });
    t.ok(await keys.getByRole('link', { name: 'in-keystore' }).isVisible(), 'the keystore page lists the key in it');
    t.equal(await keys.getByRole('link', { name: 'not-in-keystore' }).count(), 0, 'and not a key elsewhere');
    t.ok(await keys.getByRole('link', { name: 'sm4-held' }).isVisible(), 'and its keys of every spec (list-keys alone lists AES_256 keys only)');
    t.equal(await keys.getByRole('link', { name: 'in-keystore' }).getAttribute('href'), `#/keys/${key.key_id}`);
    await noInjectedMarkup(t, page, seen, 'key description in a keystore');
    await go(page, '#/keystores', 'Keystores');
    const ksRow = page.locator('tr', { hasText: 'ks-console' });
    await ksRow.waitFor();
    t.match(await ksRow.textContent(), /ENABLED.*DHSM/, 'the keystore list shows state and type');

    // A keystore made from the form, on a second instance (the first has one: it is not offered).
    const second = await h.req('POST', HSMS, { name: 'hsm-free', specification: 'software' });
    await h.job(second.job_id);
    await go(page, '#/keystores', 'Keystores');
    const form = page.getByRole('form', { name: 'Create a keystore' });
    t.same(await form.getByLabel('HSM instance').locator('option').allTextContents(), [`hsm-free (${second.hsm_id})`], 'only the running instance without a keystore is offered');
    await form.getByLabel('Alias').fill('ks-from-form');
    await form.getByRole('button', { name: 'Create keystore' }).click();
    await page.locator('main h1', { hasText: 'Keystore ks-from-form' }).waitFor();
    await page.getByText('The keystore ks-from-form is created.').waitFor();
    const listed = ((await h.req('GET', `${KS}?limit=100`)).keystores as Any[]).find((k) => k.keystore_alias === 'ks-from-form');
    t.equal(listed?.hsm_cluster_id, second.hsm_id, 'the daemon has it on that instance');
    await go(page, '#/keystores', 'Keystores');
    t.match(await page.locator('main').textContent(), /no such instance now/, 'with every instance holding a keystore, the form says why there is none');
    await go(readerPage, '#/keystores', 'Keystores');
    t.equal(await readerPage.getByRole('form', { name: 'Create a keystore' }).count(), 0, 'a read-only user has no create form');
  });

  await t.test('stacks: a stack dew apply made, its objects and addresses, the last plan as dew plan printed it', async (t) => {
    const home = mkdtempSync(join(tmpdir(), 'dew-console-stack-'));
    t.teardown(() => rmSync(home, { recursive: true, force: true }));
    const dir = join(home, 'shop');
    mkdirSync(dir);
    const canary = `canary-${Date.now()}-value`;
    const env = { DEW_CREDENTIALS: join(c.daemon.dataDir, 'credentials.json'), NO_COLOR: '1', USER: 'console', DEW_VAR_pw: canary };
    writeFileSync(
      join(dir, 'main.hcl'),
      `variable "pw" {\n  type      = string\n  sensitive = true\n}\n\nresource "dew_kms_key" "app" {\n  key_alias       = "shop-app"\n  key_description = "${XSS}"\n}\n\nresource "dew_csms_secret" "db" {\n  name        = "shop-db"\n  secret_text = var.pw\n}\n`,
    );
    const dew = dewRunner(dir, env);
    const planned = await dew('plan', '-no-color');
    t.equal(planned.code, 0, planned.err);
    const applied = await dew('apply', '-auto-approve', '-no-color');
    t.equal(applied.code, 0, applied.err);
    const stack = ((await api.request('GET', '/v1.0/{project_id}/dew/stacks/shop')).body as Any).stack;

    await go(page, '#/stacks', 'Stacks');
    const row = page.locator('tr', { hasText: 'shop' });
    await row.waitFor();
    t.equal(await row.locator('td').nth(1).textContent(), '2', 'the list shows the stack and its object count');
    t.match(await row.textContent(), 'applied');
    await row.getByRole('link', { name: 'shop' }).click();
    await page.locator('main h1', { hasText: 'Stack shop' }).waitFor();
    const objects = page.getByRole('region', { name: 'Objects', exact: true });
    t.same(await objects.locator('tbody td:first-child').allTextContents(), ['dew_csms_secret.db', 'dew_kms_key.app'], 'the objects by address');
    const keyId = stack.objects.find((o: Any) => o.address === 'dew_kms_key.app').object_id;
    t.equal(await objects.getByRole('link', { name: keyId }).getAttribute('href'), `#/keys/${keyId}`, "an object links to its page");
    const plan = page.getByTestId('plan-text');
    t.equal(await plan.textContent(), planned.out.replace(/\n$/, ''), 'the plan text is what dew plan printed');
    t.match(await plan.textContent(), /\+ secret_text += \(sensitive value\)/);
    t.notMatch(await page.content(), canary, 'the sensitive value is nowhere in the page');
    await noInjectedMarkup(t, page, seen, 'a description in the plan text');
    await c.shot('stack');
  });
});
