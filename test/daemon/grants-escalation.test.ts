/** Regression: a grantee allowed to create-grant cannot pass on operations it does not hold itself. */
import t from 'tap';
import { startTestDaemon, apiError } from '../helpers/daemon.js';

t.test('grants never escalate', async (t) => {
  const d = await startTestDaemon(t);
  const keyId = ((await d.client.kms('create-key', { key_alias: 'esc' })) as any).key_info.key_id as string;
  const newUser = async (name: string, account: string) =>
    (await d.client.request('POST', '/v1.0/{project_id}/dew/iam/users', { name, roles: ['KMS CMKFullAccess'], account })).body as any;
  const bob = await newUser('bob', 'partner');
  // The owner gives partner's account encrypt-data and create-grant on the key.
  await d.client.kms('create-grant', { key_id: keyId, grantee_principal: bob.domain_id, grantee_principal_type: 'domain', operations: ['encrypt-data', 'create-grant'] });
  const asBob = d.clientFor(bob);
  // Passing on an operation it holds works (to its own account here: user grants stay inside the key's account).
  const ok = (await asBob.kms('create-grant', { key_id: keyId, grantee_principal: bob.domain_id, grantee_principal_type: 'domain', operations: ['encrypt-data'] })) as any;
  t.match(ok.grant_id, /^[0-9a-f]{64}$/, 'passing on a held operation works');
  const e = await apiError(asBob.kms('create-grant', { key_id: keyId, grantee_principal: bob.domain_id, grantee_principal_type: 'domain', operations: ['encrypt-data', 'decrypt-data'] }));
  t.equal(e.status, 403);
  t.equal(e.code, 'KMS.0306');
  t.match(e.message, /not decrypt-data/);
  const de = await apiError(asBob.kms('decrypt-data', { cipher_text: ((await asBob.kms('encrypt-data', { key_id: keyId, plain_text: 'x' })) as any).cipher_text }));
  t.equal(de.status, 403, 'and decrypt-data stays out of reach');
});
