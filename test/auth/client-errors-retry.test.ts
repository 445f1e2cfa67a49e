// Error body mapping (reference §3 shapes) and the retry policy of the daemon client.
import t from 'tap';
import { toDewApiError } from '../../provider/client/errors.js';
import { backoffMs, isReadOnlyOperation, MAX_TRIES, retryKind, shouldRetry } from '../../provider/client/retry.js';

t.test('toDewApiError reads every documented shape', async (t) => {
  const rid = { 'x-request-id': 'r-1' };
  t.match(toDewApiError(404, rid, { error: { error_code: 'KMS.0207', error_msg: 'The key does not exist.' } }), { status: 404, code: 'KMS.0207', message: 'The key does not exist.', requestId: 'r-1' });
  t.match(toDewApiError(400, {}, { error_code: 'CSMS.0005', error_msg: 'The resource does not exist.' }), { code: 'CSMS.0005', requestId: undefined });
  t.match(toDewApiError(401, {}, { error_code: 'APIGW.0301', error_msg: 'verify aksk signature fail', request_id: 'r-body' }), { code: 'APIGW.0301', requestId: 'r-body' });
  t.match(toDewApiError(400, {}, { error: { code: 'X.1', message: 'nested code/message' } }), { code: 'X.1', message: 'nested code/message' });
  t.match(toDewApiError(502, {}, '<html>bad gateway</html>'), { code: 'HTTP.502', message: '<html>bad gateway</html>' });
  t.match(toDewApiError(500, {}, undefined), { code: 'HTTP.500', message: 'HTTP 500' });
  t.match(toDewApiError(500, {}, { error_code: 'KMS.0101' }), { code: 'KMS.0101', message: 'HTTP 500' });
});

t.test('retry policy', async (t) => {
  t.equal(MAX_TRIES, 3);
  t.equal(isReadOnlyOperation('describe-key'), true);
  t.equal(isReadOnlyOperation('list-keys'), true);
  t.equal(isReadOnlyOperation('get-key-rotation-status'), true);
  t.equal(isReadOnlyOperation('create-key'), false);
  t.equal(isReadOnlyOperation('encrypt-data'), false);
  t.equal(retryKind('GET', '/v1/{project_id}/secrets'), 'idempotent');
  t.equal(retryKind('post', '/v1.0/{project_id}/kms/list-keys'), 'read_only');
  t.equal(retryKind('POST', '/v1.0/{project_id}/kms/schedule-key-deletion'), 'none');
  t.equal(retryKind('DELETE', '/v1/{project_id}/secrets/x'), 'none');
  t.equal(shouldRetry('idempotent', 1, { status: 503 }), true);
  t.equal(shouldRetry('idempotent', 1, { status: 429 }), true);
  t.equal(shouldRetry('idempotent', 1, { status: 500 }), false);
  t.equal(shouldRetry('idempotent', 3, { status: 503 }), false);
  t.equal(shouldRetry('idempotent', 2, { networkError: true, afterResponse: true }), true);
  t.equal(shouldRetry('read_only', 1, { status: 503 }), false);
  t.equal(shouldRetry('read_only', 1, { networkError: true, afterResponse: false }), true);
  t.equal(shouldRetry('read_only', 1, { networkError: true, afterResponse: true }), false);
  t.equal(shouldRetry('none', 1, { networkError: true, afterResponse: false }), false);
  t.same([1, 2, 3, 10].map((a) => backoffMs(a, () => 0)), [50, 100, 200, 1000]);
  t.same([1, 2].map((a) => backoffMs(a, () => 0.999999)), [100, 200]);
});
