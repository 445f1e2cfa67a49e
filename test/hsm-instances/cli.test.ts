/**
 * `dew hsm` and the `dew kms` keystore operations. Without a daemon: flags mapped into path, query and body,
 * a help page for every operation, privileged operations refusing without a credential, --credential-file only
 * where it means something, and create refusing an existing credential file before anything is made. Against a
 * real daemon: create writes the credential to a 0600 file (or prints it once with a warning), list, show,
 * update, freeze / unfreeze with the credential (refused without or with a wrong one), job, token, keystores
 * create / list / show / disable / enable / delete, delete; the credential in no daemon log.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HSM_OPERATIONS, hsmFieldTypes, hsmRequest } from '../../provider/commands/hsm-operations.js';
import { hsmCommand, hsmOperationHelp, hsmOperations } from '../../provider/commands/hsm.js';
import { operationHelp } from '../../provider/commands/kms.js';
import { parseFieldFlags } from '../../provider/commands/operation-fields.js';
import type { CommandContext } from '../../provider/commands/context.js';
import { world, type World } from '../e2e/harness.js';

const home = mkdtempSync(join(tmpdir(), 'dew-hsm-cli-'));
t.teardown(() => rmSync(home, { recursive: true, force: true }));

const request = (name: string, ...argv: string[]) => {
  const o = HSM_OPERATIONS[name];
  return hsmRequest(name, o, parseFieldFlags(argv, hsmFieldTypes(o), o.job ? ['wait'] : []));
};

function ctxOf(argv: string[], env: Record<string, string> = {}): { ctx: CommandContext; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { ctx: { argv, cwd: home, env, stdout: { write: (s) => void (out += s) }, stderr: { write: (s) => void (err += s) }, now: () => 0 }, out: () => out, err: () => err };
}

t.test('flags fill the path, the query and the body', async (t) => {
  t.same(request('create', '--name', 'vault', '--specification', 'software', '--description', 'd'), { method: 'POST', path: '/v1/{project_id}/dew/hsms', body: { name: 'vault', specification: 'software', description: 'd' } });
  t.same(request('list', '--limit', '5', '--offset', '10'), { method: 'GET', path: '/v1/{project_id}/dew/hsms', query: { limit: '5', offset: '10' } });
  t.same(request('show', '--hsm-id', 'h 1'), { method: 'GET', path: '/v1/{project_id}/dew/hsms/h%201' });
  t.same(request('update', '--hsm-id', 'h1', '--description', 'x'), { method: 'PUT', path: '/v1/{project_id}/dew/hsms/h1', body: { description: 'x' } });
  t.same(request('freeze', '--hsm-id', 'h1'), { method: 'POST', path: '/v1/{project_id}/dew/hsms/h1/freeze', body: {} });
  t.same(request('unfreeze', '--hsm-id', 'h1'), { method: 'POST', path: '/v1/{project_id}/dew/hsms/h1/unfreeze', body: {} });
  t.same(request('delete', '--hsm-id', 'h1'), { method: 'DELETE', path: '/v1/{project_id}/dew/hsms/h1' });
  t.same(request('token', '--hsm-id', 'h1'), { method: 'GET', path: '/v1/{project_id}/dew/hsms/h1/token' });
  t.same(request('job', '--job-id', 'j1'), { method: 'GET', path: '/v1/{project_id}/dew/hsms/jobs/j1' });
  t.throws(() => request('show'), { message: 'dew hsm show needs --hsm-id' });
  t.throws(() => request('list', '--name', 'x'), { message: /takes no --name/ });
});

t.test('every operation has a help page; privileged ones and create describe --credential-file', async (t) => {
  t.same(hsmOperations(), ['create', 'delete', 'freeze', 'job', 'list', 'show', 'token', 'unfreeze', 'update']);
  for (const op of hsmOperations()) {
    const text = hsmOperationHelp(op);
    t.ok(text.split('\n')[0].length > 10, `${op}: a summary`);
    t.match(text, `usage: dew hsm ${op} `, `${op}: usage`);
  }
  t.match(hsmOperationHelp('create'), /--credential-file FILE\s+write the admin credential to FILE \(mode 0600; an existing file is refused\)/);
  t.match(hsmOperationHelp('create'), /--specification\s+required, software\|pkcs11/);
  for (const op of ['freeze', 'unfreeze', 'delete', 'token']) t.match(hsmOperationHelp(op), /--credential-file FILE\s+the file holding the instance\u2019s admin credential \(else DEW_HSM_CREDENTIAL\)/, `${op} takes the credential`);
  for (const op of ['create', 'freeze', 'delete']) t.match(hsmOperationHelp(op), /--wait/);
  for (const op of ['create-keystore', 'list-keystores', 'show-keystore', 'enable-keystore', 'disable-keystore', 'delete-keystore']) t.match(operationHelp(op), `usage: dew kms ${op} `, `dew kms ${op} --help`);
  t.match(operationHelp('create-keystore'), /--hsm-cluster-id/);
});

t.test('usage errors: no credential for a privileged operation, --credential-file where none is needed, an unknown operation', async (t) => {
  await t.rejects(hsmCommand(ctxOf(['freeze', '--hsm-id', 'h1']).ctx), { message: "dew hsm freeze needs the instance's admin credential: --credential-file FILE or DEW_HSM_CREDENTIAL" });
  await t.rejects(hsmCommand(ctxOf(['delete', '--hsm-id', 'h1'], { DEW_HSM_CREDENTIAL: 'not-one' }).ctx), { message: /DEW_HSM_CREDENTIAL holds no HSM admin credential/ });
  await t.rejects(hsmCommand(ctxOf(['token', '--hsm-id', 'h1', '--credential-file', 'missing.cred']).ctx), { message: /the credential file .*missing\.cred does not exist/ });
  writeFileSync(join(home, 'junk.cred'), 'hello\n');
  await t.rejects(hsmCommand(ctxOf(['token', '--hsm-id', 'h1', '--credential-file', 'junk.cred']).ctx), { message: /junk\.cred holds no HSM admin credential/ });
  await t.rejects(hsmCommand(ctxOf(['show', '--hsm-id', 'h1', '--credential-file', 'x.cred']).ctx), { message: /dew hsm show takes no --credential-file/ });
  await t.rejects(hsmCommand(ctxOf(['frezee']).ctx), { message: /unknown operation frezee\. Did you mean "freeze"\?/ });
  const none = ctxOf([]);
  t.equal(await hsmCommand(none.ctx), 1);
  t.match(none.out(), /usage: dew hsm <operation>/);
});

t.test('create refuses an existing credential file before calling the daemon', async (t) => {
  writeFileSync(join(home, 'taken.cred'), 'keep me\n');
  writeFileSync(join(home, 'creds.json'), JSON.stringify({ endpoint: 'http://127.0.0.1:9', project_id: 'p', access_key: 'AK', secret_key: 'SK' }));
  const c = ctxOf(['create', '--name', 'x', '--specification', 'software', '--credential-file', 'taken.cred', '--credentials', join(home, 'creds.json')]);
  await t.rejects(hsmCommand(c.ctx), { message: /taken\.cred already exists: dew never overwrites a credential file/ });
  t.equal(readFileSync(join(home, 'taken.cred'), 'utf8'), 'keep me\n');
});

/** The JSON documents dew printed, one after the other (the answer, then with --wait the job). */
const jsonDocs = (out: string): Record<string, any>[] => (out.trim() ? out.trim().split(/\n(?=\{)/).map((d) => JSON.parse(d)) : []);

/** `dew hsm OP ARGS…` and its JSON answer, merged with the job --wait printed (a failure fails the test with dew's stderr). */
async function hsm(w: World, op: string, ...argv: string[]): Promise<Record<string, any>> {
  const r = await w.dew('hsm', op, ...argv);
  if (r.code !== 0) throw new Error(`dew hsm ${op} failed: ${r.err}`);
  return Object.assign({}, ...jsonDocs(r.out));
}

t.test('against a real daemon', async (t) => {
  const w = await world(t, { stack: 'hsm-cli' });
  const seen: string[] = [];
  const dew = async (...argv: string[]) => {
    const r = await w.dew(argv[0], ...argv.slice(1));
    seen.push(r.out, r.err);
    return r;
  };

  const made = await dew('hsm', 'create', '--name', 'vault', '--specification', 'software', '--credential-file', 'vault.cred', '--wait');
  t.equal(made.code, 0, made.err);
  const file = join(w.dir, 'vault.cred');
  const credential = readFileSync(file, 'utf8').trim();
  t.match(credential, /^dhsm_[A-Za-z0-9_-]{43}$/);
  t.equal(statSync(file).mode & 0o777, 0o600, 'mode 0600');
  t.match(made.err, /Wrote the admin credential of instance [0-9a-f-]{36} to .*vault\.cred \(mode 0600\)/);
  t.notOk(made.out.includes(credential), 'not printed when written to a file');
  const [answer, waited] = jsonDocs(made.out);
  const hsmId: string = answer.hsm_id;
  t.match(waited, { job: { job_id: answer.job_id, job_type: 'CREATE', status: 'SUCCESS' } }, '--wait printed the finished job');

  const again = await dew('hsm', 'create', '--name', 'vault2', '--specification', 'software', '--credential-file', 'vault.cred');
  t.equal(again.code, 1);
  t.match(again.err, /already exists: dew never overwrites a credential file/);
  t.equal(readFileSync(file, 'utf8').trim(), credential);
  t.equal((await hsm(w, 'list')).total, 1, 'nothing was made');

  const printed = await dew('hsm', 'create', '--name', 'spare', '--specification', 'software');
  t.equal(printed.code, 0, printed.err);
  t.match(printed.err, /shown this once and dew keeps no copy/);
  const spare = JSON.parse(printed.out);
  t.match(spare.admin_credential, /^dhsm_/);
  seen.pop(); // that output prints a credential: its job

  t.match((await hsm(w, 'show', '--hsm-id', hsmId)).hsm, { hsm_id: hsmId, name: 'vault', specification: 'software', keystore_id: '', key_count: 0 });
  t.match((await hsm(w, 'update', '--hsm-id', hsmId, '--description', 'payments')), {});
  t.equal((await hsm(w, 'show', '--hsm-id', hsmId)).hsm.description, 'payments');
  const spec = await dew('hsm', 'update', '--hsm-id', hsmId, '--specification', 'pkcs11');
  t.equal(spec.code, 1);
  t.match(spec.err, /DHSM\.0106/, 'the specification never changes');

  const noCred = await dew('hsm', 'freeze', '--hsm-id', hsmId);
  t.equal(noCred.code, 1);
  t.match(noCred.err, /needs the instance's admin credential/);
  w.env.DEW_HSM_CREDENTIAL = spare.admin_credential;
  const wrong = await dew('hsm', 'freeze', '--hsm-id', hsmId);
  t.equal(wrong.code, 1);
  t.match(wrong.err, /"status": 403[\s\S]*DHSM\.0104/, "another instance's credential is refused");
  delete w.env.DEW_HSM_CREDENTIAL;
  const frozen = await hsm(w, 'freeze', '--hsm-id', hsmId, '--credential-file', 'vault.cred', '--wait');
  t.equal(frozen.job_id !== undefined, true);
  t.equal((await hsm(w, 'show', '--hsm-id', hsmId)).hsm.status, 'FROZEN');
  const job = await hsm(w, 'job', '--job-id', frozen.job_id);
  t.match(job.job, { job_type: 'FREEZE', status: 'SUCCESS', hsm_id: hsmId });
  w.env.DEW_HSM_CREDENTIAL = credential;
  await hsm(w, 'unfreeze', '--hsm-id', hsmId, '--wait');
  delete w.env.DEW_HSM_CREDENTIAL;
  t.equal((await hsm(w, 'show', '--hsm-id', hsmId)).hsm.status, 'RUNNING');
  const token = await dew('hsm', 'token', '--hsm-id', hsmId, '--credential-file', 'vault.cred');
  t.equal(token.code, 1, 'a software instance has no token');
  t.match(token.err, /DHSM\.0003/);

  await t.test('keystores through dew kms', async (t) => {
    const ks = (await w.kms('create-keystore', { keystore_alias: 'vault-ks', hsm_cluster_id: hsmId })).keystore as { keystore_id: string };
    t.match(ks.keystore_id, /^[0-9a-f-]{36}$/);
    const list = await w.kms('list-keystores', { limit: '5' });
    t.match(list, { total: 1, keystores: [{ keystore_id: ks.keystore_id, keystore_alias: 'vault-ks', hsm_cluster_id: hsmId, keystore_state: 'ENABLED' }] });
    t.match((await w.kms('disable-keystore', { keystore_id: ks.keystore_id })).keystore, { keystore_state: 'DISABLED' });
    t.match((await w.kms('show-keystore', { keystore_id: ks.keystore_id })).keystore, { keystore_state: 'DISABLED' });
    t.match((await w.kms('enable-keystore', { keystore_id: ks.keystore_id })).keystore, { keystore_state: 'ENABLED' });
    t.equal((await hsm(w, 'show', '--hsm-id', hsmId)).hsm.keystore_id, ks.keystore_id);
    const busy = await dew('hsm', 'delete', '--hsm-id', hsmId, '--credential-file', 'vault.cred');
    t.equal(busy.code, 1);
    t.match(busy.err, /DHSM\.0105/, 'an instance with a keystore is not deleted');
    await w.kms('delete-keystore', { keystore_id: ks.keystore_id });
    t.equal((await w.kms('list-keystores', {})).total, 0);
  });

  const gone = await hsm(w, 'delete', '--hsm-id', hsmId, '--credential-file', 'vault.cred', '--wait');
  t.match(gone, { job_id: /./ });
  const shown = await dew('hsm', 'show', '--hsm-id', hsmId);
  t.equal(shown.code, 1);
  t.match(shown.err, /"status": 404[\s\S]*DHSM\.0101/);

  for (const text of seen) t.notOk(text.includes(credential), 'the credential is in no output but its file');
  t.notOk(w.td.logs.join('\n').includes(credential), 'nor in the daemon log');
  t.notOk(w.td.logs.join('\n').includes(spare.admin_credential), 'nor the printed one');
});
