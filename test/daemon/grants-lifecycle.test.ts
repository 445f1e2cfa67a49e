/** Grants (reference 1d): cross-account and same-account use, lifecycle, paging, limits and hostile input. */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { startTestDaemon, apiError } from '../helpers/daemon.js';
import type { DewClient } from '../../provider/client/dew-client.js';

const IAM = '/v1.0/{project_id}/dew/iam';
async function expectCode(t: Test, p: Promise<unknown>, status: number, code: string, what: string) {
  const e = await apiError(p);
  t.equal(`${e.status} ${e.code}`, `${status} ${code}`, `${what} (${e.message})`);
}

t.test('grants', async (t) => {
  const d = await startTestDaemon(t);
  const admin = d.client;
  const me = d.daemon.credentials;
  const user = async (name: string, roles: string[], account?: string) => {
    const creds = (await admin.request('POST', `${IAM}/users`, { name, roles, ...(account ? { account } : {}) })).body as any;
    return { creds, client: d.clientFor(creds) };
  };
  const bob = await user('bob', ['KMS CMKFullAccess'], 'acct-b');
  const carol = await user('carol', ['KMS CMKFullAccess'], 'acct-c');
  const nobody = await user('nobody', []);
  const reader = await user('reader', ['KMS ReadOnlyAccess']);

  const key = ((await admin.kms('create-key', { key_alias: 'shared' })) as any).key_info.key_id as string;
  const other = ((await admin.kms('create-key', { key_alias: 'other' })) as any).key_info.key_id as string;
  const enc = (c: DewClient, k = key) => c.kms('encrypt-data', { key_id: k, plain_text: 'granted' }) as Promise<any>;

  await t.test('a domain grant lets another account use the key by id, and no more', async (t) => {
    await expectCode(t, enc(bob.client), 404, 'KMS.0207', 'before the grant the key is invisible');
    const g = (await admin.kms('create-grant', {
      key_id: key,
      grantee_principal: bob.creds.domain_id,
      grantee_principal_type: 'domain',
      operations: ['encrypt-data', 'decrypt-data', 'create-datakey'],
      name: 'to-b',
      retiring_principal: bob.creds.user_id,
    })) as any;
    t.match(g.grant_id, /^[0-9a-f]{64}$/, '64-hex grant id');
    const ct = (await enc(bob.client)).cipher_text;
    t.ok(ct, 'the very next request encrypts');
    t.equal(((await bob.client.kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'granted');
    t.equal(((await admin.kms('decrypt-data', { cipher_text: ct })) as any).plain_text, 'granted', 'the owner decrypts it too');
    t.match(((await bob.client.kms('create-datakey', { key_id: key })) as any).plain_text, /^[0-9a-f]{64}$/);
    await expectCode(t, bob.client.kms('describe-key', { key_id: key }), 403, 'KMS.0306', 'describe was not granted');
    await expectCode(t, bob.client.kms('disable-key', { key_id: key }), 403, 'KMS.0306', 'nor any management');
    await expectCode(t, bob.client.kms('list-grants', { key_id: key }), 403, 'KMS.0306', 'nor its grants');
    await expectCode(t, bob.client.kms('create-datakey-without-plaintext', { key_id: key }), 403, 'KMS.0306', 'only the granted operations');
    await expectCode(t, bob.client.kms('encrypt-data', { key_id: 'shared', plain_text: 'x' }), 404, 'KMS.0207', 'by key id only, not by alias');
    t.notOk(((await bob.client.kms('list-keys', { key_spec: 'ALL' })) as any).keys.includes(key), 'not listed');
    await expectCode(t, enc(bob.client, other), 404, 'KMS.0207', 'the owner\u2019s other keys stay invisible');
    await expectCode(t, enc(carol.client), 404, 'KMS.0207', 'a third account sees nothing');

    const retirable = (await bob.client.kms('list-retirable-grants', {})) as any;
    t.same(retirable.grants.map((x: any) => x.grant_id), [g.grant_id], 'bob may retire it');
    t.same(Object.keys(retirable.grants[0]).sort(), ['creation_date', 'grant_id', 'grantee_principal', 'grantee_principal_type', 'issuing_principal', 'key_id', 'name', 'operations', 'retiring_principal']);
    t.equal(retirable.grants[0].issuing_principal, me.user_id);
    t.equal(((await carol.client.kms('list-retirable-grants', {})) as any).total, 0);
    await expectCode(t, carol.client.kms('retire-grant', { key_id: key, grant_id: g.grant_id }), 404, 'KMS.2501', 'an outsider cannot retire it');
    await expectCode(t, bob.client.kms('retire-grant', { key_id: other, grant_id: g.grant_id }), 400, 'KMS.2502', 'grant and key must match');
    await bob.client.kms('retire-grant', { key_id: key, grant_id: g.grant_id });
    await expectCode(t, enc(bob.client), 404, 'KMS.0207', 'retired: the next request is refused');
    await expectCode(t, bob.client.kms('decrypt-data', { cipher_text: ct }), 400, 'KMS.2201', 'and old ciphertexts no longer decrypt for bob');
  });

  await t.test('a user grant adds operations on one key to a user without the role', async (t) => {
    await expectCode(t, enc(nobody.client), 403, 'KMS.0307', 'no role, no grant');
    await expectCode(t, reader.client.kms('encrypt-data', { key_id: key, plain_text: 'x' }), 403, 'KMS.0307', 'read-only cannot encrypt');
    const g1 = (await admin.kms('create-grant', { key_id: key, grantee_principal: nobody.creds.user_id, operations: ['encrypt-data', 'describe-key'] })) as any;
    const g2 = (await admin.kms('create-grant', { key_id: key, grantee_principal: reader.creds.user_id, grantee_principal_type: 'user', operations: ['encrypt-data'] })) as any;
    await t.resolves(enc(nobody.client), 'granted: encrypts');
    t.equal(((await nobody.client.kms('describe-key', { key_id: 'shared' })) as any).key_info.key_id, key, 'same account: the alias works too');
    await expectCode(t, nobody.client.kms('create-datakey', { key_id: key }), 403, 'KMS.0306', 'not a granted operation');
    await expectCode(t, enc(nobody.client, other), 403, 'KMS.0307', 'another key: the role decides');
    await expectCode(t, nobody.client.kms('list-keys', {}), 403, 'KMS.0307', 'grants do not give list-keys');
    await t.resolves(enc(reader.client), 'read-only plus a grant encrypts');
    await t.resolves(reader.client.kms('describe-key', { key_id: key }), 'and still reads');

    const all = (await admin.kms('list-grants', { key_id: key })) as any;
    t.equal(all.total, 2);
    t.equal(all.truncated, 'false');
    const p1 = (await admin.kms('list-grants', { key_id: key, limit: '1' })) as any;
    t.same([p1.grants.length, p1.truncated, p1.next_marker, p1.total], [1, 'true', '1', 2], 'paging: first page');
    const p2 = (await admin.kms('list-grants', { key_id: key, limit: '1', marker: p1.next_marker })) as any;
    t.same([p2.grants.length, p2.truncated, p2.next_marker], [1, 'false', ''], 'paging: last page');
    t.same([p1.grants[0].grant_id, p2.grants[0].grant_id], [g1.grant_id, g2.grant_id], 'oldest first');
    t.equal(p1.grants[0].grantee_principal_type, 'user', 'user is the default type');
    t.equal(p1.grants[0].creation_date, String(Number(p1.grants[0].creation_date)), 'creation_date is a ms string');
    await t.resolves(reader.client.kms('list-grants', { key_id: key }), 'read-only lists grants');

    await expectCode(t, reader.client.kms('revoke-grant', { key_id: key, grant_id: g1.grant_id }), 403, 'KMS.0307', 'read-only cannot revoke');
    await expectCode(t, admin.kms('revoke-grant', { key_id: other, grant_id: g1.grant_id }), 400, 'KMS.2502', 'revoke checks the key');
    await admin.kms('revoke-grant', { key_id: key, grant_id: g1.grant_id });
    await expectCode(t, enc(nobody.client), 403, 'KMS.0307', 'revoked: refused on the next request');
    await expectCode(t, admin.kms('revoke-grant', { key_id: key, grant_id: g1.grant_id }), 404, 'KMS.2501', 'revoked twice');
    await reader.client.kms('retire-grant', { key_id: key, grant_id: g2.grant_id.toUpperCase() });
    await expectCode(t, enc(reader.client), 403, 'KMS.0307', 'the grantee retired its own grant');
  });

  await t.test('a grantee holding create-grant passes the key on', async (t) => {
    await admin.kms('create-grant', { key_id: key, grantee_principal: bob.creds.domain_id, grantee_principal_type: 'domain', operations: ['create-grant', 'encrypt-data'] });
    const g = (await bob.client.kms('create-grant', { key_id: key, grantee_principal: carol.creds.domain_id, grantee_principal_type: 'domain', operations: ['encrypt-data'] })) as any;
    await t.resolves(enc(carol.client), 'carol\u2019s account now encrypts');
    await expectCode(t, carol.client.kms('create-grant', { key_id: key, grantee_principal: carol.creds.domain_id, grantee_principal_type: 'domain', operations: ['encrypt-data', 'decrypt-data'] }), 403, 'KMS.0306', 'carol was not given create-grant');
    await admin.kms('revoke-grant', { key_id: key, grant_id: g.grant_id });
    await expectCode(t, enc(carol.client), 404, 'KMS.0207', 'revoked by the owner');
  });

  await t.test('hostile create-grant input', async (t) => {
    const base = { key_id: other, grantee_principal: nobody.creds.user_id };
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ ...base, operations: ['create-grant'] }, 400, 'KMS.2401', 'only create-grant'],
      [{ ...base, operations: ['create-grant', 'create-grant'] }, 400, 'KMS.2401', 'only create-grant, twice'],
      [{ ...base, operations: [] }, 400, 'KMS.0308', 'no operations'],
      [{ ...base, operations: ['sign'] }, 400, 'KMS.0308', 'an operation outside the allowed set'],
      [{ ...base, operations: 'encrypt-data' }, 400, 'KMS.0308', 'operations not a list'],
      [{ ...base, grantee_principal: randomBytes(16).toString('hex'), operations: ['encrypt-data'] }, 400, 'KMS.2402', 'unknown user'],
      [{ ...base, grantee_principal: bob.creds.user_id, operations: ['encrypt-data'] }, 400, 'KMS.2402', 'a user of another account needs a domain grant'],
      [{ ...base, grantee_principal: randomBytes(16).toString('hex'), grantee_principal_type: 'domain', operations: ['encrypt-data'] }, 400, 'KMS.2402', 'unknown domain'],
      [{ ...base, grantee_principal: 'bad-principal!', operations: ['encrypt-data'] }, 400, 'KMS.2402', 'malformed principal'],
      [{ ...base, grantee_principal: 'x'.repeat(65), operations: ['encrypt-data'] }, 400, 'KMS.2402', 'principal too long'],
      [{ ...base, grantee_principal_type: 'group', operations: ['encrypt-data'] }, 400, 'KMS.2402', 'unknown principal type'],
      [{ ...base, retiring_principal: randomBytes(16).toString('hex'), operations: ['encrypt-data'] }, 400, 'KMS.2402', 'unknown retiring principal'],
      [{ ...base, name: 'bad name', operations: ['encrypt-data'] }, 400, 'KMS.0308', 'bad name'],
      [{ ...base, key_id: '00000000-0000-0000-0000-000000000000', operations: ['encrypt-data'] }, 404, 'KMS.0207', 'unknown key'],
      [{ grantee_principal: nobody.creds.user_id, operations: ['encrypt-data'] }, 400, 'KMS.0204', 'no key_id'],
      [{ ...base, operations: ['encrypt-data'], extra: 1 }, 400, 'KMS.0308', 'unknown field'],
    ];
    for (const [body, status, code, what] of cases) await expectCode(t, admin.kms('create-grant', body), status, code, what);
    for (const grant_id of ['xyz', 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), '']) {
      await expectCode(t, admin.kms('revoke-grant', { key_id: other, grant_id }), 400, 'KMS.0308', `grant_id ${JSON.stringify(grant_id.slice(0, 8))}… (${grant_id.length})`);
      await expectCode(t, admin.kms('retire-grant', { key_id: other, grant_id }), 400, 'KMS.0308', `retire: grant_id of length ${grant_id.length}`);
    }
    await expectCode(t, admin.kms('revoke-grant', { key_id: other, grant_id: 'a'.repeat(64) }), 404, 'KMS.2501', 'a well-formed unknown grant');
    await expectCode(t, admin.kms('list-grants', { key_id: other, limit: '0' }), 400, 'KMS.1601', 'limit 0');
    await expectCode(t, admin.kms('list-grants', { key_id: other, marker: '-1' }), 400, 'KMS.1602', 'negative marker');
    await expectCode(t, carol.client.kms('create-grant', { key_id: other, grantee_principal: carol.creds.domain_id, grantee_principal_type: 'domain', operations: ['encrypt-data'] }), 404, 'KMS.0207', 'no granting another account\u2019s key');
    t.equal(((await admin.kms('list-grants', { key_id: other })) as any).total, 0, 'nothing was created');
  });

  await t.test('100 grants per key; user-quotas reports them', async (t) => {
    const quota0 = (await admin.request('GET', '/v1.0/{project_id}/kms/user-quotas')).body as any;
    t.same(quota0.quotas.resources.find((r: any) => r.type === 'grant_per_CMK'), { type: 'grant_per_CMK', used: 1, quota: 100 }, 'one grant (to bob\u2019s account) left on the shared key');
    for (let i = 0; i < 100; i++) {
      await admin.kms('create-grant', { key_id: other, grantee_principal: reader.creds.user_id, operations: ['describe-key', 'encrypt-data'], name: `g${i}` });
    }
    await expectCode(t, admin.kms('create-grant', { key_id: other, grantee_principal: reader.creds.user_id, operations: ['encrypt-data'] }), 400, 'KMS.2404', 'the 101st');
    const quota = (await admin.request('GET', '/v1.0/{project_id}/kms/user-quotas')).body as any;
    t.same(quota.quotas.resources.find((r: any) => r.type === 'grant_per_CMK'), { type: 'grant_per_CMK', used: 100, quota: 100 });
    const page = (await admin.kms('list-grants', { key_id: other, limit: '100', marker: '50' })) as any;
    t.same([page.grants.length, page.total, page.truncated], [50, 100, 'false']);
    await t.resolves(admin.kms('create-grant', { key_id: key, grantee_principal: reader.creds.user_id, operations: ['encrypt-data'] }), 'the quota is per key');
  });
});
