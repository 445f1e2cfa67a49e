/**
 * `dew csms` without a daemon: flags mapped into path, query and body (typed), `--help` for every
 * operation and for get, usage errors with the nearest operation, and `dew csms get`'s arguments.
 */
import t from 'tap';
import { csmsModule } from '../../daemon/modules/csms/module.js';
import { csmsEventRoutes, csmsPasswordRoute } from '../../daemon/modules/csms/event-routes.js';
import { CSMS_ALIASES, CSMS_OPERATIONS, csmsFieldTypes, csmsOperation, csmsRequest } from '../../provider/commands/csms-operations.js';
import { csmsCommand, csmsOperationHelp, csmsOperations } from '../../provider/commands/csms.js';
import { parseGetArgs } from '../../provider/commands/csms-get.js';
import { parseFieldFlags } from '../../provider/commands/operation-fields.js';
import type { CommandContext } from '../../provider/commands/context.js';

const request = (word: string, ...argv: string[]) => {
  const { name, op } = csmsOperation(word)!;
  return csmsRequest(name, op, parseFieldFlags(argv, csmsFieldTypes(op)));
};

t.test('one dew csms operation per route of the CSMS module, with its method, path and schema; aliases name operations', async (t) => {
  const m = csmsModule({ secrets: {} as never, versions: {} as never, rotation: {} as never, backup: {} as never, tags: {} as never, eventRoutes: csmsEventRoutes({} as never) });
  const routes = new Map([...m.routes, csmsPasswordRoute].map((r) => [r.operation, r]));
  t.same([...routes.keys()].sort(), Object.keys(CSMS_OPERATIONS).sort(), 'the same operation names');
  for (const [name, r] of routes) {
    const o = CSMS_OPERATIONS[name];
    t.equal(o.method, r.method, `${name}: method`);
    t.equal(o.path, r.path.replace(/:(\w+)/g, '{$1}'), `${name}: path`);
    t.equal(o.schema ? `csms/${o.schema}` : undefined, r.schema, `${name}: schema`);
  }
  for (const [alias, name] of Object.entries(CSMS_ALIASES)) t.equal(csmsOperation(alias)?.name, name, `${alias} is ${name}`);
  t.ok(csmsOperations().includes('get'), 'get is a dew csms word too');
});

t.test('flags fill the path, the query and the body, typed as the API wants', async (t) => {
  t.same(request('create-secret', '--name', 'db', '--secret-string', 'x', '--auto-rotation', 'false'), { method: 'POST', path: '/v1/{project_id}/secrets', body: { name: 'db', secret_string: 'x', auto_rotation: false } });
  t.same(request('show-secret', '--name', 'a b'), { method: 'GET', path: '/v1/{project_id}/secrets/a%20b' });
  t.same(request('list-secrets', '--limit', '5', '--marker', 'db'), { method: 'GET', path: '/v1/{project_id}/secrets', query: { limit: '5', marker: 'db' } });
  t.same(request('schedule-deletion', '--name', 'db', '--recovery-window-in-days', '7'), { method: 'POST', path: '/v1/{project_id}/secrets/db/scheduled-deleted-tasks/create', body: { recovery_window_in_days: 7 } }, 'an integer field is a number');
  t.same(request('cancel-deletion', '--name', 'db'), { method: 'POST', path: '/v1/{project_id}/secrets/db/scheduled-deleted-tasks/cancel', body: {} });
  t.same(request('create-version', '--name', 'db', '--secret-string', 'v2', '--version-stages', '["prod"]'), { method: 'POST', path: '/v1/{project_id}/secrets/db/versions', body: { secret_string: 'v2', version_stages: ['prod'] } });
  t.same(request('show-version', '--name', 'db', '--version-id', 'latest'), { method: 'GET', path: '/v1/{project_id}/secrets/db/versions/latest' });
  t.same(request('update-version', '--name', 'db', '--version-id', 'v1', '--expire-time', '1900000000'), { method: 'PUT', path: '/v1/{project_id}/secrets/db/versions/v1', body: { expire_time: 1900000000 } });
  t.same(request('update-stage', '--name', 'db', '--stage', 'prod', '--version-id', 'v2'), { method: 'PUT', path: '/v1/{project_id}/secrets/db/stages/prod', body: { version_id: 'v2' } }, 'version_id is a body field here');
  t.same(request('delete-stage', '--name', 'db', '--stage', 'prod'), { method: 'DELETE', path: '/v1/{project_id}/secrets/db/stages/prod' });
  t.same(request('rotate', '--name', 'db'), { method: 'POST', path: '/v1/{project_id}/secrets/db/rotate', body: {} });
  t.same(request('restore', '--secret-blob', 'Zm9v'), { method: 'POST', path: '/v1/{project_id}/secrets/restore', body: { secret_blob: 'Zm9v' } });
  t.same(request('generate-password', '--length', '24', '--exclude-punctuation', 'true'), { method: 'POST', path: '/v1/{project_id}/csms/generate-password', body: { length: 24, exclude_punctuation: true } });
  t.same(request('list-tasks', '--secret-name', 'db', '--status', 'FAILED'), { method: 'GET', path: '/v1/{project_id}/csms/tasks', query: { secret_name: 'db', status: 'FAILED' } });
  t.same(request('batch-secret-tags', '--secret-id', 'id-1', '--action', 'create', '--tags', '[{"key":"a","value":"b"}]'), { method: 'POST', path: '/v1/{project_id}/csms/id-1/tags/action', body: { action: 'create', tags: [{ key: 'a', value: 'b' }] } });
  t.same(request('delete-secret-tag', '--secret-id', 'id-1', '--key', 'team'), { method: 'DELETE', path: '/v1/{project_id}/csms/id-1/tags/team' });
  t.same(request('create-event', '--name', 'ev', '--event-types', '["SECRET_ROTATED"]', '--state', 'ENABLED'), { method: 'POST', path: '/v1/{project_id}/csms/events', body: { name: 'ev', event_types: ['SECRET_ROTATED'], state: 'ENABLED' } }, 'create-event takes its name in the body');
  t.same(request('update-event', '--name', 'ev', '--state', 'DISABLED'), { method: 'PUT', path: '/v1/{project_id}/csms/events/ev', body: { state: 'DISABLED' } }, 'update-event names the event in the path');
  t.same(request('create-secret', '--json', '{"name":"db","secret_string":"x"}', '--description', 'd').body, { name: 'db', secret_string: 'x', description: 'd' }, '--json is the body, fields on top');
});

t.test('usage errors: a missing path flag, a flag a read takes no use for', async (t) => {
  t.throws(() => request('show-secret'), { message: 'dew csms show-secret needs --name' });
  t.throws(() => request('show-version', '--name', 'db'), { message: 'dew csms show-secret-version needs --version-id' });
  t.throws(() => request('show-secret-stage', '--name', 'db'), { message: 'dew csms show-secret-stage needs --stage' });
  t.throws(() => request('list-secrets', '--secret-string', 'x'), { message: /takes no --secret-string/ });
});

t.test('every operation has a help page with a summary, usage and its flags; get has its own', async (t) => {
  for (const op of csmsOperations()) {
    const text = csmsOperationHelp(op);
    t.ok(text.split('\n')[0].length > 10, `${op}: a summary`);
    t.match(text, `usage: dew csms ${op} `, `${op}: usage`);
  }
  const fields: Record<string, string[]> = {
    'create-secret': ['--name', '--secret-string', '--secret-binary', '--kms-key-id', '--rotation-period'],
    'create-version': ['--name', '--secret-string', '--version-stages'],
    'update-stage': ['--name', '--stage', '--version-id'],
    'schedule-deletion': ['--name', '--recovery-window-in-days'],
    'list-versions': ['--name', '--limit', '--marker'],
    'list-rotation-tasks': ['--secret-name', '--status'],
    'batch-secret-tags': ['--secret-id', '--action', '--tags'],
    get: ['--version V', '--stage STAGE', '--base64'],
  };
  for (const [op, flags] of Object.entries(fields)) for (const f of flags) t.match(csmsOperationHelp(op), `\n  ${f}`, `${op} --help describes ${f}`);
  t.match(csmsOperationHelp('delete-secret'), /AT ONCE/, 'the immediate delete says so');
  t.equal(csmsOperationHelp('rotate'), csmsOperationHelp('rotate-secret'), 'an alias shows its operation\u2019s page');
  t.match(csmsOperationHelp('get'), /newline after it only on a terminal/);
});

t.test('an unknown operation names the nearest; no operation prints the usage', async (t) => {
  let out = '';
  let err = '';
  const ctx = (argv: string[]): CommandContext => ({ argv, cwd: '/', env: {}, stdout: { write: (s) => void (out += s) }, stderr: { write: (s) => void (err += s) }, now: () => 0 });
  await t.rejects(csmsCommand(ctx(['create-secert'])), { message: /unknown operation create-secert\. Did you mean "create-secret"\?/ });
  t.equal(await csmsCommand(ctx([])), 1);
  t.match(out, /usage: dew csms <operation>/);
  t.match(out, /export DB_PASSWORD="\$\(dew csms get db\)"/);
  t.equal(err, '');
});

t.test('dew csms get: a name, and --version or --stage (not both)', async (t) => {
  t.same(parseGetArgs(['db']), { name: 'db', target: { version: 'latest' }, base64: false, credentials: undefined });
  t.same(parseGetArgs(['db', '--version', 'v3']).target, { version: 'v3' });
  t.same(parseGetArgs(['db', '--stage', 'prod', '--base64']), { name: 'db', target: { stage: 'prod' }, base64: true, credentials: undefined });
  t.throws(() => parseGetArgs([]), { message: /takes one secret name/ });
  t.throws(() => parseGetArgs(['a', 'b']), { message: /takes one secret name/ });
  t.throws(() => parseGetArgs(['db', '--version', 'v1', '--stage', 'prod']), { message: /--version or --stage, not both/ });
  t.throws(() => parseGetArgs(['db', '--version', '3']), { message: /a version is v1, v2, … or latest/ });
  t.throws(() => parseGetArgs(['db', '--verison', 'v1']), { message: /unknown flag --verison/ });
});
