/**
 * `dew kps` without a daemon: one operation per route the KPS module declares (same method, path and
 * schema), flags mapped into the wrapped body, path and query, `--help` for each, did-you-mean.
 */
import t from 'tap';
import { kpsModule } from '../../daemon/modules/kps/module.js';
import { KPS_OPERATIONS, kpsFieldTypes, kpsRequest } from '../../provider/commands/kps-operations.js';
import { kpsCommand, kpsOperationHelp, kpsOperations } from '../../provider/commands/kps.js';
import { parseFieldFlags } from '../../provider/commands/operation-fields.js';
import type { CommandContext } from '../../provider/commands/context.js';

const request = (op: string, ...argv: string[]) => {
  const o = KPS_OPERATIONS[op];
  return kpsRequest(op, o, parseFieldFlags(argv, kpsFieldTypes(o), o.wait ? ['wait'] : []));
};

t.test('one dew kps operation per route of the KPS module, with its method, path and schema', async (t) => {
  const m = kpsModule({ keypairs: {} as never, hosts: {} as never, tasks: {} as never });
  const routes = new Map(m.routes.map((r) => [r.operation, r]));
  t.same([...routes.keys()].sort(), Object.keys(KPS_OPERATIONS).sort(), 'the same operation names');
  for (const [name, r] of routes) {
    const o = KPS_OPERATIONS[name];
    t.equal(o.method, r.method, `${name}: method`);
    t.equal(o.path, r.path.replace(/:(\w+)/g, '{$1}'), `${name}: path`);
    t.equal(o.schema ? `kps/${o.schema}` : undefined, r.schema, `${name}: schema`);
  }
  t.ok(kpsOperations().includes('convert'), 'convert is a dew kps word too');
});

t.test('every operation has a help page: summary, usage, path flags and the wrapped fields', async (t) => {
  for (const op of kpsOperations()) {
    const text = kpsOperationHelp(op);
    t.notMatch(text.split('\n')[0], /^the KPS operation /, `${op}: a real summary`);
    t.match(text, `usage: dew kps ${op} `, `${op}: usage`);
  }
  const fields: Record<string, string[]> = {
    'create-keypair': ['--name', '--algorithm', '--public-key', '--key-protection'],
    'update-keypair': ['--name', '--description', '--scope'],
    'export-private-key': ['--name', '--format', '--out FILE'],
    'associate-keypair': ['--keypair-name', '--server', '--wait'],
    'disassociate-keypair': ['--server', '--wait'],
    'list-keypairs': ['--limit', '--marker'],
    'list-failed-tasks': ['--limit', '--offset'],
    'show-task': ['--task-id'],
    'update-host': ['--host-id', '--address', '--port'],
    'batch-import-keypair': ['--json JSON'],
    convert: ['-to FORMAT'],
  };
  for (const [op, flags] of Object.entries(fields)) for (const f of flags) t.match(kpsOperationHelp(op), `\n  ${f}`, `${op} --help describes ${f}`);
  t.match(kpsOperationHelp('create-keypair'), /--key-protection +object \{private_key, encryption: \{type, kms_key_name, kms_key_id\}\}/);
});

t.test('flags name the inner fields of a wrapped body; path and query flags are taken out', async (t) => {
  t.same(request('create-keypair', '--name', 'k1', '--algorithm', 'SSH_ED25519'), { method: 'POST', path: '/v3/{project_id}/keypairs', body: { keypair: { name: 'k1', algorithm: 'SSH_ED25519' } } });
  t.same(request('update-keypair', '--name', 'k1', '--description', 'web'), { method: 'PUT', path: '/v3/{project_id}/keypairs/k1', body: { keypair: { description: 'web' } } });
  t.same(request('show-keypair', '--name', 'a b'), { method: 'GET', path: '/v3/{project_id}/keypairs/a%20b' });
  t.same(request('clear-private-key', '--name', 'k1'), { method: 'DELETE', path: '/v3/{project_id}/keypairs/k1/private-key' });
  t.same(request('list-keypairs', '--limit', '5', '--marker', 'k1'), { method: 'GET', path: '/v3/{project_id}/keypairs', query: { limit: '5', marker: 'k1' } });
  t.same(request('list-failed-tasks', '--offset', '10'), { method: 'GET', path: '/v3/{project_id}/failed-tasks', query: { offset: '10' } });
  t.same(request('show-task', '--task-id', 't-1'), { method: 'GET', path: '/v3/{project_id}/tasks/t-1' });
  t.same(request('create-host', '--name', 'web', '--address', '127.0.0.1', '--port', '2222', '--username', 'deploy'), {
    method: 'POST', path: '/v3/{project_id}/hosts', body: { host: { name: 'web', address: '127.0.0.1', port: 2222, username: 'deploy' } },
  }, 'an integer field becomes a number');
  t.same(request('update-host', '--host-id', 'web', '--description', 'x'), { method: 'PUT', path: '/v3/{project_id}/hosts/web', body: { host: { description: 'x' } } });
  t.same(request('associate-keypair', '--keypair-name', 'k1', '--server', '{"id":"web","auth":{"type":"keypair"}}', '--wait'), {
    method: 'POST', path: '/v3/{project_id}/keypairs/associate', body: { keypair_name: 'k1', server: { id: 'web', auth: { type: 'keypair' } } },
  }, 'an object field is JSON; --wait is no field');
  t.same(request('create-keypair', '--json', '{"keypair":{"name":"k1","scope":"domain"}}', '--description', 'd'), {
    method: 'POST', path: '/v3/{project_id}/keypairs', body: { keypair: { name: 'k1', scope: 'domain', description: 'd' } },
  }, '--json is the whole body; fields go on top inside its wrapper');
  t.same(request('batch-export-private-key', '--json', '[{"keypair":{"name":"a"}},{"keypair":{"name":"b"}}]'), {
    method: 'POST', path: '/v3/{project_id}/keypairs/private-key/batch-export', body: [{ keypair: { name: 'a' } }, { keypair: { name: 'b' } }],
  });
  t.same(request('create-keypair', '--name', '123').body, { keypair: { name: '123' } }, 'a string field stays a string');
});

t.test('usage errors: a missing path flag, a flag an operation has no use for, an unknown operation with the nearest', async (t) => {
  t.throws(() => request('show-keypair'), { message: 'dew kps show-keypair needs --name' });
  t.throws(() => request('delete-host'), { message: 'dew kps delete-host needs --host-id' });
  t.throws(() => request('list-hosts', '--marker', 'x'), { message: /takes no --marker/ });
  t.throws(() => request('batch-import-keypair', '--json', '[]', '--name', 'x'), { message: /not both/ });
  const ctx: CommandContext = { argv: ['creat-keypair', '--name', 'k'], cwd: process.cwd(), env: {}, stdout: { write: () => undefined }, stderr: { write: () => undefined }, now: Date.now };
  await t.rejects(kpsCommand(ctx), { name: 'CliError', message: /unknown operation creat-keypair\. Did you mean "create-keypair"\?/ });
  t.throws(() => kpsOperationHelp('lst-hosts'), { message: /Did you mean "list-hosts"/ });
});
