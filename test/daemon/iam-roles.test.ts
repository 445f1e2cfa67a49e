/** IAM: `dew iam` users and access keys, the role matrix, cross-account invisibility, IP allow-lists, hostile input. */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { startTestDaemon, apiError, type TestDaemon } from '../helpers/daemon.js';
import { iamCommand } from '../../provider/commands/iam.js';
import type { DewClient } from '../../provider/client/dew-client.js';

interface Creds {
  domain_id: string;
  user_id: string;
  project_id: string;
  access_key: string;
  secret_key: string;
}

/** Runs `dew iam …` in-process with the daemon's admin credentials file (or another); returns code and JSON. */
async function dewIam(d: TestDaemon, argv: string[], credentialsFile = join(d.dataDir, 'credentials.json')) {
  let out = '';
  let err = '';
  const code = await iamCommand({
    argv: ['--credentials', credentialsFile, ...argv],
    cwd: d.dataDir,
    env: {},
    stdout: { write: (s) => void (out += s) },
    stderr: { write: (s) => void (err += s) },
    now: Date.now,
  });
  return { code, json: JSON.parse(code === 0 ? out : err) as any };
}

const IAM = '/v1.0/{project_id}/dew/iam';

async function expectCode(t: Test, p: Promise<unknown>, status: number, code: string, what: string) {
  const e = await apiError(p);
  t.equal(`${e.status} ${e.code}`, `${status} ${code}`, what);
  return e;
}

t.test('IAM users, roles and the role matrix', async (t) => {
  const d = await startTestDaemon(t);
  const admin = d.client;
  const adminCreds = d.daemon.credentials;

  const make = async (name: string, roles: string[], account?: string): Promise<{ creds: Creds; client: DewClient }> => {
    const r = await dewIam(d, ['create-user', name, ...roles.flatMap((x) => ['--role', x]), ...(account ? ['--account', account] : [])]);
    t.equal(r.code, 0, `create-user ${name}: ${JSON.stringify(r.json)}`);
    return { creds: r.json, client: d.clientFor(r.json) };
  };

  const full = await make('alice', ['KMS CMKFullAccess']);
  t.same(Object.keys(full.creds).sort(), ['access_key', 'domain_id', 'project_id', 'secret_key', 'user_id'], 'create-user prints exactly the five fields');
  t.equal(full.creds.domain_id, adminCreds.domain_id, 'same account by default');
  t.equal(full.creds.project_id, adminCreds.project_id, 'and the account project');
  t.match(full.creds.access_key, /^[A-Z0-9]{20}$/);
  const ro = await make('bob', ['read-only']);
  const none = await make('carol', []);
  const admin2 = await make('dave', ['admin']);

  const key = ((await admin.kms('create-key', { key_alias: 'k1' })) as any).key_info.key_id as string;
  const ct = ((await admin.kms('encrypt-data', { key_id: key, plain_text: 'hello' })) as any).cipher_text as string;

  type Op = [name: string, perm: 'read' | 'use' | 'manage' | 'iam', call: (c: DewClient) => Promise<unknown>];
  const ops: Op[] = [
    ['describe-key', 'read', (c) => c.kms('describe-key', { key_id: key })],
    ['list-keys', 'read', (c) => c.kms('list-keys', {})],
    ['list-grants', 'read', (c) => c.kms('list-grants', { key_id: key })],
    ['user-quotas', 'read', (c) => c.request('GET', '/v1.0/{project_id}/kms/user-quotas')],
    ['list-key-tags', 'read', (c) => c.request('GET', `/v1.0/{project_id}/kms/${key}/tags`)],
    ['encrypt-data', 'use', (c) => c.kms('encrypt-data', { key_id: key, plain_text: 'x' })],
    ['decrypt-data', 'use', (c) => c.kms('decrypt-data', { cipher_text: ct })],
    ['create-datakey', 'use', (c) => c.kms('create-datakey', { key_id: key })],
    ['gen-random', 'use', (c) => c.kms('gen-random', { random_data_length: '64' })],
    ['update-key-description', 'manage', (c) => c.kms('update-key-description', { key_id: key, key_description: 'd' })],
    ['create-tag', 'manage', (c) => c.request('POST', `/v1.0/{project_id}/kms/${key}/tags`, { tag: { key: 'a', value: 'b' } })],
    ['create-key', 'manage', (c) => c.kms('create-key', { key_alias: `k-${Math.random().toString(36).slice(2, 10)}` })],
    ['iam list-users', 'iam', (c) => c.request('GET', `${IAM}/users`)],
  ];
  const allowed: Record<string, string[]> = {
    admin: ['read', 'use', 'manage', 'iam'],
    'KMS Administrator (created)': ['read', 'use', 'manage', 'iam'],
    'KMS CMKFullAccess': ['read', 'use', 'manage'],
    'KMS ReadOnlyAccess': ['read'],
    none: [],
  };
  const who: [string, DewClient][] = [
    ['admin', admin],
    ['KMS Administrator (created)', admin2.client],
    ['KMS CMKFullAccess', full.client],
    ['KMS ReadOnlyAccess', ro.client],
    ['none', none.client],
  ];
  for (const [role, client] of who) {
    for (const [name, perm, call] of ops) {
      if (allowed[role].includes(perm)) {
        await t.resolves(call(client), `${role} may ${name}`);
      } else {
        await expectCode(t, call(client), 403, 'KMS.0307', `${role} may not ${name}`);
      }
    }
  }

  await t.test('roles change on the next request; tokens follow the user', async (t) => {
    await expectCode(t, ro.client.kms('encrypt-data', { key_id: key, plain_text: 'x' }), 403, 'KMS.0307', 'read-only cannot encrypt');
    const r = await dewIam(d, ['set-roles', 'bob', 'full-access']);
    t.same(r.json, { user_id: ro.creds.user_id, domain_id: adminCreds.domain_id, roles: ['KMS CMKFullAccess'] });
    await t.resolves(ro.client.kms('encrypt-data', { key_id: key, plain_text: 'x' }), 'now it can');
    const r2 = await dewIam(d, ['set-roles', ro.creds.user_id]);
    t.same(r2.json.roles, [], 'no role');
    await expectCode(t, ro.client.kms('describe-key', { key_id: key }), 403, 'KMS.0307', 'and nothing is allowed');
    t.equal((await dewIam(d, ['assign-role', 'bob', 'read-only'])).json.roles[0], 'KMS ReadOnlyAccess', 'assign-role adds one');
    await t.resolves(ro.client.kms('describe-key', { key_id: key }));
  });

  await t.test('list-users, access keys, deletion take effect at once', async (t) => {
    const list = (await dewIam(d, ['list-users'])).json.users as any[];
    t.same(list.map((u) => u.name).sort(), ['admin', 'alice', 'bob', 'carol', 'dave']);
    const alice = list.find((u) => u.name === 'alice');
    t.same(alice.access_keys, [full.creds.access_key]);
    t.notOk(JSON.stringify(list).includes(full.creds.secret_key), 'never a secret in list-users');

    const second = (await dewIam(d, ['create-access-key', 'alice'])).json as Creds;
    t.equal(second.user_id, full.creds.user_id);
    const c2 = d.clientFor(second);
    await t.resolves(c2.kms('describe-key', { key_id: key }), 'the new AK works');
    const third = await dewIam(d, ['create-access-key', 'alice']);
    t.equal(third.json.error_code, 'IAM.0009', 'two access keys per user');
    const tokenRes = await c2.request('POST', '/v3/auth/tokens', {});
    const { DewClient } = await import('../../provider/client/dew-client.js');
    const byToken = new DewClient({ endpoint: d.daemon.url, projectId: second.project_id, token: tokenRes.headers['x-subject-token'] });
    await t.resolves(byToken.kms('describe-key', { key_id: key }));
    t.same((await dewIam(d, ['delete-access-key', second.access_key])).json, { access_key: second.access_key, deleted: true });
    await expectCode(t, c2.kms('describe-key', { key_id: key }), 401, 'APIGW.0301', 'a deleted AK is refused on the next request');
    await expectCode(t, byToken.kms('describe-key', { key_id: key }), 401, 'APIGW.0301', 'and so is a token issued for it');
    await t.resolves(full.client.kms('describe-key', { key_id: key }), 'the other AK still works');

    t.same((await dewIam(d, ['delete-user', 'carol'])).json, { user_id: none.creds.user_id, deleted: true });
    await expectCode(t, none.client.kms('gen-random', { random_data_length: '64' }), 401, 'APIGW.0301', 'a deleted user is refused');
  });

  await t.test('accounts: another account is invisible; only the operator manages other accounts', async (t) => {
    const erin = await make('erin', ['KMS CMKFullAccess'], 'other');
    t.not(erin.creds.domain_id, adminCreds.domain_id, 'an unknown account is created');
    t.not(erin.creds.project_id, adminCreds.project_id, 'with its own project');
    await expectCode(t, erin.client.kms('describe-key', { key_id: key }), 404, 'KMS.0207', 'another account\u2019s key does not exist for erin');
    await expectCode(t, erin.client.kms('encrypt-data', { key_id: key, plain_text: 'x' }), 404, 'KMS.0207', 'nor can she use it');
    await expectCode(t, erin.client.kms('disable-key', { key_id: key }), 404, 'KMS.0207', 'nor manage it');
    const dec = await apiError(erin.client.kms('decrypt-data', { cipher_text: ct }));
    t.equal(dec.status, 400, 'its ciphertext does not decrypt for her');
    t.notMatch(dec.message, /k1|disabled|enabled/, 'and the error says nothing about the key');
    t.equal(((await erin.client.kms('list-keys', { key_spec: 'ALL' })) as any).total, 0, 'her list is empty');
    await expectCode(t, erin.client.request('GET', `${IAM}/users`), 403, 'KMS.0307', 'full access is not IAM admin');

    const frank = await make('frank', ['KMS Administrator'], 'other');
    t.equal(frank.creds.domain_id, erin.creds.domain_id, 'a known account by name');
    const mine = ((await frank.client.request('GET', `${IAM}/users`)).body as any).users.map((u: any) => u.name).sort();
    t.same(mine, ['erin', 'frank'], 'an account admin sees its own users only');
    await expectCode(t, frank.client.request('GET', `${IAM}/users`, undefined, { account: 'admin' }), 403, 'KMS.0307', 'and not the operator account');
    await expectCode(t, frank.client.request('POST', `${IAM}/users`, { name: 'x', account: 'third' }), 403, 'KMS.0307', 'nor create accounts');
    await expectCode(t, frank.client.request('DELETE', `${IAM}/users/${full.creds.user_id}`), 404, 'IAM.0002', 'another account\u2019s user is not found');
    await expectCode(t, frank.client.request('DELETE', `${IAM}/access-keys/${full.creds.access_key}`), 404, 'IAM.0003', 'nor its access key');
    const byDomain = (await admin.request('GET', `${IAM}/users`, undefined, { account: erin.creds.domain_id })).body as any;
    t.equal(byDomain.users.length, 2, 'the operator names an account by domain id too');
  });

  await t.test('IP allow-list: refusal message, IPv4 and IPv6, clear', async (t) => {
    const gina = await make('gina', ['KMS CMKFullAccess'], 'netacct');
    const set = await dewIam(d, ['set-ip-acl', '--account', 'netacct', '10.0.0.0/8', '2001:db8::/32']);
    t.same(set.json, { domain_id: gina.creds.domain_id, cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
    const e = await expectCode(t, gina.client.kms('gen-random', { random_data_length: '64' }), 401, 'APIGW.0301', 'outside the list');
    t.equal(e.message, 'Incorrect IAM authentication information: current ip:127.0.0.1 refused');
    await t.resolves(admin.kms('gen-random', { random_data_length: '64' }), 'other accounts are not affected');
    t.same((await dewIam(d, ['show-ip-acl', '--account', 'netacct'])).json.cidrs, ['10.0.0.0/8', '2001:db8::/32']);
    await dewIam(d, ['set-ip-acl', '--account', 'netacct', '::1', '127.0.0.0/8']);
    await t.resolves(gina.client.kms('gen-random', { random_data_length: '64' }), 'inside the list');
    await dewIam(d, ['set-ip-acl', '--account', 'netacct', '192.168.1.7']);
    await expectCode(t, gina.client.kms('gen-random', { random_data_length: '64' }), 401, 'APIGW.0301', 'a single address');
    t.same((await dewIam(d, ['clear-ip-acl', '--account', 'netacct'])).json, { domain_id: gina.creds.domain_id, cidrs: [] });
    await t.resolves(gina.client.kms('gen-random', { random_data_length: '64' }), 'cleared');

    for (const bad of ['10.0.0.0/33', '300.1.1.1/8', 'abc', '::1/129', '10.0.0.0/8/1', '', '1.2.3.4/-1', '1.2.3.4/', 'fe80::1%eth0/64', '10.0.0.0/08x']) {
      await expectCode(t, admin.request('PUT', `${IAM}/ip-acl`, { account: 'netacct', cidrs: ['10.0.0.0/8', bad] }), 400, 'IAM.0006', `malformed CIDR ${JSON.stringify(bad)}`);
    }
    await expectCode(t, admin.request('PUT', `${IAM}/ip-acl`, { account: 'netacct', cidrs: '10.0.0.0/8' }), 400, 'IAM.0001', 'cidrs must be a list');
    await expectCode(t, admin.request('PUT', `${IAM}/ip-acl`, { cidrs: ['10.0.0.0/8'] }), 409, 'IAM.0007', 'an admin cannot shut out their own address');
    await expectCode(t, admin.request('PUT', `${IAM}/ip-acl`, { account: 'nosuch', cidrs: ['10.0.0.0/8'] }), 404, 'IAM.0008', 'unknown account');
    await t.resolves(gina.client.kms('gen-random', { random_data_length: '64' }), 'nothing stored by refused calls');
  });

  await t.test('hostile input to the IAM endpoints', async (t) => {
    for (const name of ['', 'a b', 'x'.repeat(65), '../etc', 'ünï']) {
      await expectCode(t, admin.request('POST', `${IAM}/users`, { name }), 400, 'IAM.0001', `user name ${JSON.stringify(name)}`);
    }
    await expectCode(t, admin.request('POST', `${IAM}/users`, { name: 'ok', roles: ['root'] }), 400, 'IAM.0005', 'unknown role');
    await expectCode(t, admin.request('POST', `${IAM}/users`, { name: 'ok', roles: 'KMS Administrator' }), 400, 'IAM.0001', 'roles must be a list');
    await expectCode(t, admin.request('POST', `${IAM}/users`, { name: 'alice' }), 409, 'IAM.0004', 'a taken name');
    await expectCode(t, admin.request('DELETE', `${IAM}/users/nosuchuser`), 404, 'IAM.0002', 'unknown user');
    await expectCode(t, admin.request('PUT', `${IAM}/users/nosuchuser/roles`, { roles: [] }), 404, 'IAM.0002', 'unknown user (roles)');
    await expectCode(t, admin.request('POST', `${IAM}/users/nosuchuser/access-keys`, {}), 404, 'IAM.0002', 'unknown user (access key)');
    await expectCode(t, admin.request('DELETE', `${IAM}/access-keys/NOSUCHAK`), 404, 'IAM.0003', 'unknown access key');
    await expectCode(t, admin.request('DELETE', `${IAM}/users/admin`), 409, 'IAM.0007', 'an admin cannot delete themselves');
    await expectCode(t, admin.request('PUT', `${IAM}/users/admin/roles`, { roles: [] }), 409, 'IAM.0007', 'nor drop their own admin role');
    await expectCode(t, admin2.client.request('DELETE', `${IAM}/access-keys/${adminCreds.access_key}`), 409, 'IAM.0007', 'the bootstrap AK survives');
    await expectCode(t, admin.request('POST', `${IAM}/users`, { name: 'x', account: 'bad name!' }), 400, 'IAM.0001', 'bad account name');
    const res = await fetch(`${d.daemon.url}/v1.0/${adminCreds.project_id}/dew/iam/users`, { method: 'POST', body: '{"name":' });
    t.equal(res.status, 401, 'unsigned admin calls are refused');
    await t.rejects(dewIam(d, ['create-user']), { name: 'CliError', message: /needs a NAME/ }, 'the CLI names what is missing');
    await t.rejects(dewIam(d, ['nosuch']), { name: 'CliError' });
  });
});
