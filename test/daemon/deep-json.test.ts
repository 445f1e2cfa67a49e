/** Deeply nested JSON bodies get 400 KMS.0202 on every route group, not a 500 stack overflow (issue 10 item 6). */
import t from 'tap';
import { startTestDaemon } from '../helpers/daemon.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../daemon/http/json-depth.js';

const deep = (n: number, inner = '1') => '{"a":'.repeat(n) + inner + '}'.repeat(n);
/** 30,000 levels in 60,000 bytes: under the 64 KiB body limit. */
const arrays = (n = 30_000) => '['.repeat(n) + ']'.repeat(n);

t.test('every route group answers a 30,000-deep body with 400 KMS.0202', async (t) => {
  const d = await startTestDaemon(t, { args: ['--schedule', 'off'] });
  const res = await d.client.request('POST', '/v3/auth/tokens', {});
  const token = res.headers['x-subject-token'];
  t.ok(token, 'a token to send raw bodies with');
  const pid = d.daemon.credentials.project_id;
  const key = (await d.client.kms('create-key', { key_alias: 'deep' })) as { key_info: { key_id: string } };
  const routes: [string, string, string][] = [
    ['POST', `/v1.0/${pid}/kms/encrypt-data`, `{"key_id":"${key.key_info.key_id}","plain_text":"x","x":${arrays()}}`],
    ['POST', `/v1.0/${pid}/kms/describe-key`, `{"key_id":${arrays()}}`],
    ['POST', `/v1.0/${pid}/kms/${key.key_info.key_id}/tags`, `{"tag":${arrays()}}`],
    ['POST', `/v1.0/${pid}/kms/aliases`, `{"alias":${arrays()}}`],
    ['PUT', `/v1.0/${pid}/dew/iam/users/u/roles`, `{"roles":${arrays()}}`],
    ['PUT', `/v1.0/${pid}/dew/stacks/s/objects`, `{"objects":[{"attributes":${arrays()}}]}`],
  ];
  for (const [method, path, body] of routes) {
    const r = await fetch(`${d.daemon.url}${path}`, { method, headers: { 'x-auth-token': token!, 'content-type': 'application/json' }, body });
    const b = (await r.json()) as { error_code?: string; error?: { error_code?: string } };
    t.equal(`${r.status} ${b.error_code ?? b.error?.error_code}`, '400 KMS.0202', `${method} ${path}`);
  }
});

t.test('exceedsJsonDepth', async (t) => {
  const bytes = (s: string) => Buffer.from(s, 'utf8');
  t.notOk(exceedsJsonDepth(bytes(deep(MAX_JSON_DEPTH))), 'at the limit');
  t.ok(exceedsJsonDepth(bytes(deep(MAX_JSON_DEPTH + 1))), 'one over');
  t.notOk(exceedsJsonDepth(bytes(`{"s":"${'['.repeat(1000)}"}`)), 'brackets in strings do not count');
  t.notOk(exceedsJsonDepth(bytes(`{"s":"\\"${'{'.repeat(1000)}"}`)), 'an escaped quote does not end the string');
  t.ok(exceedsJsonDepth(bytes(`{"s":"\\\\",${'['.repeat(100)}`)), 'an escaped backslash does');
  t.notOk(exceedsJsonDepth(bytes('[' + '[1],'.repeat(10_000) + '1]')), 'width is not depth');
  t.notOk(exceedsJsonDepth(bytes(`{"é":"日本${'}'.repeat(10)}"}`)), 'multi-byte characters');
});
