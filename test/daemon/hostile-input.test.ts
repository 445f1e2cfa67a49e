/** Hostile input, endpoint by endpoint: every bad request gets a 4xx with the reference code, never a 500. */
import t from 'tap';
import { signRequest } from '../../provider/client/signer.js';
import { startTestDaemon } from '../helpers/daemon.js';

t.test('hostile input', async (t) => {
const d = await startTestDaemon(t);
const creds = d.daemon.credentials;

/** Sends a signed POST with an exact body text. */
async function post(op: string, body: string): Promise<{ status: number; json: any }> {
  const url = `${d.daemon.url}/v1.0/${creds.project_id}/kms/${op}`;
  const headers = { 'content-type': 'application/json;charset=UTF-8' };
  const sig = signRequest({ method: 'POST', url, headers, body }, { accessKey: creds.access_key, secretKey: creds.secret_key });
  const res = await fetch(url, { method: 'POST', headers: { ...headers, ...sig }, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const keyId = ((await d.client.kms('create-key', { key_alias: 'hostile' })) as any).key_info.key_id as string;
await d.client.kms('create-key', { key_alias: 'hostile-mac', key_spec: 'HMAC_256' });
const goodCt = ((await d.client.kms('encrypt-data', { key_id: keyId, plain_text: 'x' })) as any).cipher_text as string;
const garbageCt = Buffer.alloc(140, 7).toString('base64');

type Row = [op: string, body: unknown, code: string];
/** A valid body per operation, so one bad field at a time is what the daemon sees. */
const valid: Record<string, Record<string, unknown>> = {
  'create-key': { key_alias: 'hostile-new' },
  'describe-key': { key_id: keyId },
  'list-keys': {},
  'enable-key': { key_id: keyId },
  'disable-key': { key_id: keyId },
  'schedule-key-deletion': { key_id: keyId, pending_days: '7' },
  'cancel-key-deletion': { key_id: keyId },
  'update-key-alias': { key_id: keyId, key_alias: 'hostile-2' },
  'update-key-description': { key_id: keyId, key_description: 'd' },
  'encrypt-data': { key_id: keyId, plain_text: 'x' },
  'decrypt-data': { cipher_text: goodCt },
  'create-datakey': { key_id: keyId },
  'create-datakey-without-plaintext': { key_id: keyId },
  'encrypt-datakey': { key_id: keyId, plain_text: 'ab'.repeat(33), datakey_plain_length: '1' },
  'decrypt-datakey': { key_id: keyId, cipher_text: 'ab'.repeat(140), datakey_cipher_length: '16' },
  'gen-random': { random_data_length: '8' },
  'generate-mac': { key_id: 'hostile-mac', mac_algorithm: 'HMAC_SHA_256', message: 'aGk=' },
  'verify-mac': { key_id: 'hostile-mac', mac_algorithm: 'HMAC_SHA_256', message: 'aGk=', mac: 'aGk=' },
};
const everyOp = [
  'create-key', 'describe-key', 'list-keys', 'enable-key', 'disable-key', 'schedule-key-deletion', 'cancel-key-deletion',
  'update-key-alias', 'update-key-description', 'encrypt-data', 'decrypt-data', 'create-datakey',
  'create-datakey-without-plaintext', 'encrypt-datakey', 'decrypt-datakey', 'gen-random', 'generate-mac', 'verify-mac',
];
const rows: Row[] = [
  ...everyOp.map((op): Row => [op, '{"key_id":', 'KMS.0202']),
  ...everyOp.map((op): Row => [op, '[1,2]', 'KMS.0202']),
  ...everyOp.map((op): Row => [op, '"just a string"', 'KMS.0202']),
  ...everyOp.map((op): Row => [op, { ...valid[op], unexpected_field: 1 }, 'KMS.0308']),
  ...everyOp.map((op): Row => [op, { ...valid[op], sequence: 'short' }, 'KMS.0206']),
  ['create-key', {}, 'KMS.0204'],
  ['create-key', { key_alias: '' }, 'KMS.1101'],
  ['create-key', { key_alias: 'a'.repeat(256) }, 'KMS.1101'],
  ['create-key', { key_alias: 'ok', key_spec: 'AES_128' }, 'KMS.0308'],
  ['create-key', { key_alias: 'ok', key_spec: 42 }, 'KMS.0308'],
  ['create-key', { key_alias: 'ok', key_usage: 'SIGN_VERIFY' }, 'KMS.0308'],
  ['create-key', { key_alias: 'ok', key_description: 'd'.repeat(256) }, 'KMS.1103'],
  ['create-key', { key_alias: 'ok', origin: 'cloud' }, 'KMS.0308'],
  ['describe-key', {}, 'KMS.0204'],
  ['describe-key', { key_id: 123 }, 'KMS.0205'],
  ['describe-key', { key_id: null }, 'KMS.0205'],
  ['describe-key', { key_id: '../../etc/passwd' }, 'KMS.0205'],
  ['list-keys', { limit: '0' }, 'KMS.1601'],
  ['list-keys', { limit: '1001' }, 'KMS.1601'],
  ['list-keys', { limit: 'ten' }, 'KMS.1601'],
  ['list-keys', { marker: '-1' }, 'KMS.1602'],
  ['list-keys', { key_state: '6' }, 'KMS.0308'],
  ['schedule-key-deletion', { key_id: keyId }, 'KMS.0204'],
  ['schedule-key-deletion', { key_id: keyId, pending_days: 7.5 }, 'KMS.1401'],
  ['update-key-alias', { key_id: keyId, key_alias: 'has space' }, 'KMS.1101'],
  ['update-key-description', { key_id: keyId }, 'KMS.0204'],
  ['encrypt-data', { key_id: keyId }, 'KMS.0204'],
  ['encrypt-data', { key_id: keyId, plain_text: '' }, 'KMS.2101'],
  ['encrypt-data', { key_id: keyId, plain_text: 5 }, 'KMS.2101'],
  ['encrypt-data', { key_id: keyId, plain_text: 'x', additional_authenticated_data: 'a'.repeat(129) }, 'KMS.0308'],
  ['encrypt-data', { key_id: keyId, plain_text: 'x', encryption_algorithm: 'ROT13' }, 'KMS.0308'],
  ['decrypt-data', { cipher_text: 'short' }, 'KMS.2201'],
  ['decrypt-data', { cipher_text: '!'.repeat(200) }, 'KMS.2201'],
  ['decrypt-data', { cipher_text: garbageCt }, 'KMS.2201'],
  ['decrypt-data', { cipher_text: goodCt.slice(0, -8) + 'BBBBBBB=' }, 'KMS.2201'],
  ['decrypt-data', { cipher_text: 'A'.repeat(5649) }, 'KMS.2201'],
  ['create-datakey', { key_id: keyId, datakey_length: '7' }, 'KMS.1901'],
  ['create-datakey', { key_id: keyId, datakey_length: '8200' }, 'KMS.1901'],
  ['create-datakey', { key_id: keyId, datakey_length: '12' }, 'KMS.1901'],
  ['create-datakey', { key_id: keyId, key_spec: 'RSA_2048' }, 'KMS.0308'],
  ['create-datakey', { key_id: 'hostile-mac' }, 'KMS.0308'],
  ['encrypt-datakey', { key_id: keyId, plain_text: 'zz', datakey_plain_length: '1' }, 'KMS.2101'],
  ['encrypt-datakey', { key_id: keyId, plain_text: 'abcd', datakey_plain_length: '0' }, 'KMS.2102'],
  ['encrypt-datakey', { key_id: keyId, plain_text: 'abcd', datakey_plain_length: '1025' }, 'KMS.2102'],
  ['decrypt-datakey', { key_id: keyId, cipher_text: 'xyz', datakey_cipher_length: '32' }, 'KMS.2201'],
  ['decrypt-datakey', { key_id: keyId, cipher_text: 'abc', datakey_cipher_length: '32' }, 'KMS.2201'],
  ['decrypt-datakey', { key_id: keyId, cipher_text: Buffer.from(goodCt, 'base64').toString('hex'), datakey_cipher_length: '1' }, 'KMS.2201'],
  ['gen-random', {}, 'KMS.0204'],
  ['gen-random', { random_data_length: true }, 'KMS.1801'],
  ['generate-mac', { key_id: 'hostile-mac', mac_algorithm: 'MD5', message: 'aGk=' }, 'KMS.0308'],
  ['generate-mac', { key_id: 'hostile-mac', mac_algorithm: 'HMAC_SHA_256', message: 'a!b=' }, 'KMS.0308'],
  ['generate-mac', { key_id: 'hostile-mac', mac_algorithm: 'HMAC_SHA_256', message: 'aGk' }, 'KMS.0308'],
  ['generate-mac', { key_id: 'hostile-mac', mac_algorithm: 'HMAC_SHA_256', message: Buffer.alloc(4097).toString('base64') }, 'KMS.0308'],
  ['verify-mac', { key_id: 'hostile-mac', mac_algorithm: 'HMAC_SHA_256', message: 'aGk=' }, 'KMS.0204'],
  ['verify-mac', { key_id: 'hostile-mac', mac_algorithm: 'HMAC_SHA_256', message: 'aGk=', mac: '####' }, 'KMS.0308'],
];

await t.test('the table', async (t) => {
for (const [op, body, code] of rows) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await post(op, text);
  t.equal(res.status >= 400 && res.status < 500, true, `${op} ${text.slice(0, 60)} → 4xx (${res.status})`);
  t.equal(res.json?.error?.error_code, code, `${op} ${text.slice(0, 60)}…${text.slice(-20)} → ${code} (got ${res.json?.error?.error_code})`);
  t.type(res.json?.error?.error_msg, 'string');
}
});

t.test('an oversize body is refused before it is read whole', async (t) => {
  const res = await post('encrypt-data', JSON.stringify({ key_id: keyId, plain_text: 'x'.repeat(70_000) }));
  t.equal(res.status, 400);
  t.equal(res.json.error.error_code, 'KMS.0203');
});

t.test('unknown paths and methods answer the gateway 404', async (t) => {
  const res = await post('no-such-operation', '{}');
  t.equal(res.status, 404);
  t.equal(res.json.error_code, 'APIGW.0101');
});

t.test('the daemon keeps serving after all of it', async (t) => {
  const r = (await d.client.kms('decrypt-data', { cipher_text: goodCt })) as any;
  t.equal(r.plain_text, 'x');
  t.notOk(d.logs.some((l) => l.includes('"level":"error"')), 'no unexpected error was logged');
});
});
