/** A token cannot renew itself past its own expiry; a signed request still gets a full 24-hour token (injected clock). */
import t from 'tap';
import { startTestDaemon, apiError } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';

const DAY_MS = 86_400_000;

t.test('tokens minted from a token expire no later than it', async (t) => {
  let clock = Date.UTC(2026, 5, 1, 12, 0, 0);
  const now = () => clock;
  const d = await startTestDaemon(t, { now });
  const creds = d.daemon.credentials;
  const signed = new DewClient({ endpoint: d.daemon.url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: creds.secret_key, clock: now });
  const mint = async (c: DewClient) => {
    const r = await c.request('POST', '/v3/auth/tokens', {});
    t.equal(r.status, 201);
    return { token: r.headers['x-subject-token'], expiresAt: Date.parse((r.body as { token: { expires_at: string } }).token.expires_at) };
  };
  const withToken = (token: string) => new DewClient({ endpoint: d.daemon.url, projectId: creds.project_id, token, clock: now });

  const first = await mint(signed);
  t.equal(first.expiresAt, clock + DAY_MS, 'a signed request gets a 24-hour token');

  clock += 3_600_000;
  const renewed = await mint(withToken(first.token));
  t.ok(renewed.expiresAt <= first.expiresAt, 'a token minted from a token does not outlive it');
  t.equal(renewed.expiresAt, first.expiresAt, 'it keeps the presenting token’s expiry');
  await t.resolves(withToken(renewed.token).kms('gen-random', { random_data_length: '8' }), 'and it works');

  clock += 3_600_000;
  const again = await mint(withToken(renewed.token));
  t.ok(again.expiresAt <= first.expiresAt, 'renewing the renewed token does not extend it either');

  t.equal((await mint(signed)).expiresAt, clock + DAY_MS, 'a signed request still gets a full 24 hours');

  clock = first.expiresAt;
  const e = await apiError(withToken(again.token).request('POST', '/v3/auth/tokens', {}));
  t.equal(`${e.status} ${e.code}`, '401 APIGW.0301', 'at the first token’s expiry the chain ends');
  t.match(e.message, /token expires/);
});
