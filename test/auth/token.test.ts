// X-Auth-Token bearer tokens: round trip, tampering, expiry and garbage.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { issueToken, verifyToken, type TokenClaims } from '../../daemon/http/auth/token.js';
import { createTokenMac } from '../../daemon/hsm/token-mac.js';

const KEY_BYTES = new Uint8Array(32).fill(7);
const KEY = createTokenMac(KEY_BYTES);
const OTHER_KEY = createTokenMac(new Uint8Array(32).fill(8));
const NOW = Date.UTC(2025, 0, 1);
const CLAIMS: TokenClaims = {
  userId: 'u-1',
  domainId: 'd'.repeat(32),
  projectId: 'p'.repeat(32),
  accessKey: 'AK-TOKEN',
  expiresAtMs: NOW + 3_600_000,
};

t.test('(f) round trip', async (t) => {
  const token = issueToken(KEY, CLAIMS);
  t.match(token, /^dewt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  t.same(verifyToken(KEY, token, NOW), { ok: true, claims: CLAIMS });
  t.same(verifyToken(KEY, token, CLAIMS.expiresAtMs - 1), { ok: true, claims: CLAIMS });
  const wire = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
  t.same(Object.keys(wire), ['user_id', 'domain_id', 'project_id', 'access_key', 'expires_at_ms'], 'snake_case on the wire');
});

t.test('(f) tampering and expiry', async (t) => {
  const token = issueToken(KEY, CLAIMS);
  const [, payload, mac] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), user_id: 'admin' })).toString('base64url');
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const cases: Array<[string, string, number, string]> = [
    ['tampered payload', `dewt1.${forged}.${mac}`, NOW, 'bad_mac'],
    ['flipped payload char', `dewt1.${flip(payload, 5)}.${mac}`, NOW, 'bad_mac'],
    ['tampered mac', `dewt1.${payload}.${flip(mac, 10)}`, NOW, 'bad_mac'],
    ['mac with a non-ASCII char', `dewt1.${payload}.${mac.slice(0, -1)}é`, NOW, 'bad_mac'],
    ['other key', issueToken(OTHER_KEY, CLAIMS), NOW, 'bad_mac'],
    ['expired at the instant', token, CLAIMS.expiresAtMs, 'expired'],
    ['expired long ago', token, CLAIMS.expiresAtMs + 86_400_000, 'expired'],
    ['empty', '', NOW, 'malformed'],
    ['garbage', 'not a token', NOW, 'malformed'],
    ['wrong version', token.replace('dewt1.', 'dewt2.'), NOW, 'malformed'],
    ['no mac', `dewt1.${payload}`, NOW, 'malformed'],
    ['empty payload', `dewt1..${mac}`, NOW, 'malformed'],
    ['short mac', `dewt1.${payload}.${mac.slice(1)}`, NOW, 'malformed'],
    ['extra part', `${token}.x`, NOW, 'malformed'],
    ['huge', 'dewt1.' + 'A'.repeat(10_000) + '.' + mac, NOW, 'malformed'],
  ];
  for (const [name, tok, now, reason] of cases) {
    t.same(verifyToken(KEY, tok, now), { ok: false, reason }, name);
  }
  t.same(verifyToken(KEY, 42 as unknown as string, NOW), { ok: false, reason: 'malformed' }, 'not a string');
});

t.test('(f) a correctly MACed payload with bad claims is malformed', async (t) => {
  const mint = (json: string) => {
    const signed = 'dewt1.' + Buffer.from(json).toString('base64url');
    return signed + '.' + createHmac('sha256', KEY_BYTES).update(signed).digest('base64url');
  };
  t.same(verifyToken(KEY, mint('not json'), NOW), { ok: false, reason: 'malformed' });
  t.same(verifyToken(KEY, mint('[]'), NOW), { ok: false, reason: 'malformed' });
  t.same(verifyToken(KEY, mint('{"user_id":"u"}'), NOW), { ok: false, reason: 'malformed' });
  t.same(verifyToken(KEY, mint('{"user_id":"u","domain_id":"d","project_id":"p","access_key":"a","expires_at_ms":"1"}'), NOW), { ok: false, reason: 'malformed' });
});

t.test('inputs are asserted', async (t) => {
  t.throws(() => createTokenMac(new Uint8Array(16)), TypeError, 'short key');
  t.throws(() => issueToken(new Uint8Array(32) as never, CLAIMS), TypeError, 'key bytes are not a TokenMac');
  t.throws(() => issueToken(KEY, { ...CLAIMS, userId: '' }), TypeError);
  t.throws(() => issueToken(KEY, { ...CLAIMS, expiresAtMs: 1.5 }), TypeError);
  t.throws(() => verifyToken(KEY, 'x', Number.NaN), TypeError);
});

t.test('the token format is unchanged: a token minted with the raw HMAC key verifies, and issueToken makes that exact string', async (t) => {
  const signed = 'dewt1.' + Buffer.from(JSON.stringify({ user_id: CLAIMS.userId, domain_id: CLAIMS.domainId, project_id: CLAIMS.projectId, access_key: CLAIMS.accessKey, expires_at_ms: CLAIMS.expiresAtMs })).toString('base64url');
  const byHand = signed + '.' + createHmac('sha256', KEY_BYTES).update(signed).digest('base64url');
  t.equal(issueToken(KEY, CLAIMS), byHand);
  t.same(verifyToken(KEY, byHand, NOW), { ok: true, claims: CLAIMS });
  // The last base64url char carries 2 unused bits: a variant decoding to the same MAC is still refused.
  const last = byHand.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const variant = alphabet[alphabet.indexOf(last) ^ 1];
  t.same(verifyToken(KEY, byHand.slice(0, -1) + variant, NOW), { ok: false, reason: 'bad_mac' }, 'non-canonical MAC encoding');
});
