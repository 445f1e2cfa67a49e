/** Two daemons on one sqld: grants, roles, IP lists and deletions made on one apply on the other within the sync interval. */
import t from 'tap';
import { startTestDaemon, databaseFor, apiError, eventually } from '../helpers/daemon.js';

const env = { DEW_MASTER_PASSPHRASE: 'correct horse battery staple' };
const IAM = '/v1.0/{project_id}/dew/iam';

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e) => String(e.code ?? e.message));

t.test('grants and IAM changes propagate between daemons', async (t) => {
  const dbUrl = await databaseFor(t, 'sqld');
  const args = ['--sync-interval', '50'];
  const [a, b] = await Promise.all([startTestDaemon(t, { dbUrl, env, args }), startTestDaemon(t, { dbUrl, env, args })]);

  const bob = (await a.client.request('POST', `${IAM}/users`, { name: 'bob', roles: ['KMS CMKFullAccess'], account: 'acct-b' })).body as any;
  const nobody = (await a.client.request('POST', `${IAM}/users`, { name: 'nobody' })).body as any;
  const bobOnB = b.clientFor(bob);
  const nobodyOnB = b.clientFor(nobody);
  const key = ((await a.client.kms('create-key', { key_alias: 'shared' })) as any).key_info.key_id as string;
  const enc = (c: typeof bobOnB) => codeOf(c.kms('encrypt-data', { key_id: key, plain_text: 'x' }));

  t.ok(await eventually(async () => (await enc(bobOnB)) === 'KMS.0207'), 'a user created on A signs in on B; the key is invisible to it');
  const g = (await a.client.kms('create-grant', { key_id: key, grantee_principal: bob.domain_id, grantee_principal_type: 'domain', operations: ['encrypt-data'] })) as any;
  const ug = (await a.client.kms('create-grant', { key_id: key, grantee_principal: nobody.user_id, operations: ['encrypt-data'] })) as any;
  t.ok(await eventually(async () => (await enc(bobOnB)) === 'ok'), 'a grant made on A applies on B');
  t.ok(await eventually(async () => (await enc(nobodyOnB)) === 'ok'), 'a user grant too');
  t.equal(((await b.client.kms('list-grants', { key_id: key })) as any).total, 2, 'B lists both');

  await a.client.kms('revoke-grant', { key_id: key, grant_id: g.grant_id });
  t.equal(await enc(a.clientFor(bob)), 'KMS.0207', 'revoked: refused on A at once');
  t.ok(await eventually(async () => (await enc(bobOnB)) === 'KMS.0207'), 'and on B within the sync interval');
  await b.clientFor(nobody).kms('retire-grant', { key_id: key, grant_id: ug.grant_id });
  t.ok(await eventually(async () => (await enc(a.clientFor(nobody))) === 'KMS.0307'), 'retired on B: refused on A');

  await a.client.request('PUT', `${IAM}/users/nobody/roles`, { roles: ['KMS ReadOnlyAccess'] });
  t.ok(await eventually(async () => (await codeOf(nobodyOnB.kms('describe-key', { key_id: key }))) === 'ok'), 'a role given on A applies on B');

  await a.client.request('PUT', `${IAM}/ip-acl`, { account: 'acct-b', cidrs: ['10.0.0.0/8'] });
  t.ok(await eventually(async () => (await codeOf(bobOnB.kms('gen-random', { random_data_length: '64' }))) === 'APIGW.0301'), 'an IP list set on A refuses on B');
  await a.client.request('DELETE', `${IAM}/ip-acl`, undefined, { account: 'acct-b' });
  t.ok(await eventually(async () => (await codeOf(bobOnB.kms('gen-random', { random_data_length: '64' }))) === 'ok'), 'and cleared');

  await a.client.request('DELETE', `${IAM}/users/${bob.user_id}`, undefined, { account: bob.domain_id });
  t.ok(await eventually(async () => (await codeOf(bobOnB.kms('gen-random', { random_data_length: '64' }))) === 'APIGW.0301'), 'a user deleted on A is refused on B');
  const e = await apiError(bobOnB.kms('gen-random', { random_data_length: '64' }));
  t.match(e.message, /^Incorrect IAM authentication information: verify aksk signature fail$/);
});
