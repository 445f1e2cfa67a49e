/**
 * dew_csms_secret, dew_csms_secret_version and `dew csms` against a real daemon. A canary value, given through
 * DEW_VAR_, TF_VAR_ and file(), is never in plan text, -json, -markdown, a saved plan, show, state show, an
 * error, the stack record or any daemon file; apply makes it readable (dew csms get, exact). A new value is a
 * new version in place; a version made by hand is drift, planned back; import by <id>/<name> and by name
 * matches by digest; a saved plan refuses a changed sensitive variable or file; destroy schedules deletion
 * (the name stays held: apply says how to get it back). Stages: pinned, moved in place, moved back after a
 * change by hand, imported, SYSCURRENT only forgotten, a custom stage deleted.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { world, type Result, type World } from '../e2e/harness.js';
import { csmsCommand } from '../../provider/commands/csms.js';
import type { CommandContext } from '../../provider/commands/context.js';

/** Every file under dir (the daemon's database, WAL, master key, audit), as bytes. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
  });
}

/** `dew csms OP ARGS…` and its JSON answer (a failure fails the test with dew's stderr). */
async function csms(w: World, op: string, ...argv: string[]): Promise<Record<string, any>> {
  const r = await w.dew('csms', op, ...argv);
  if (r.code !== 0) throw new Error(`dew csms ${op} failed: ${r.err}`);
  return r.out.trim() ? JSON.parse(r.out) : {};
}

const canary = (tag: string): string => `canary-${tag}-${randomBytes(8).toString('hex')}`;

const VAR = 'variable "pw" {\n  type      = string\n  sensitive = true\n}\n';
const SECRET = (extra = ''): string => `${VAR}\nresource "dew_csms_secret" "db" {\n  name                    = "db"\n  secret_text             = var.pw\n  description             = "orders"\n  recovery_window_in_days = 7\n\n  tags = {\n    team = "orders"\n  }\n${extra}}\n`;

t.test('dew_csms_secret: plan, apply, new value, drift, saved plans, import, destroy; the value nowhere but in the daemon', async (t) => {
  const w = await world(t, { stack: 'secrets' });
  const stackText = async (): Promise<string> => JSON.stringify((await w.td.client.request('GET', '/v1.0/{project_id}/dew/stacks/secrets')).body);
  const outputs: string[] = [];
  const dew = async (...argv: string[]): Promise<Result> => {
    const r = await w.dew(argv[0], ...argv.slice(1));
    // dew csms get prints a value: that is its job; every other output must not
    if (!(argv[0] === 'csms' && argv[1] === 'get')) outputs.push(r.out, r.err);
    return r;
  };
  const first = canary('first');
  const second = canary('second');
  const byHand = canary('by-hand');
  const secrets = [first, second, byHand];
  w.write({ 'main.hcl': SECRET() });

  await t.test('plan shows (sensitive value) in text, -json and -markdown; a saved plan holds no value', async (t) => {
    w.env.DEW_VAR_pw = first;
    const p = await dew('plan', '-out', '../first.plan');
    t.equal(p.code, 0, p.err);
    t.match(p.out, /\+ secret_text += \(sensitive value\)/);
    t.match(p.out, /\+ latest_version += \(known after apply\)/);
    const j = await dew('plan', '-json');
    t.match(JSON.parse(j.out).resource_changes[0].change, { after: { secret_text: '(sensitive value)' }, after_sensitive: { secret_text: true } });
    const md = await dew('plan', '-markdown');
    t.match(md.out, /secret_text += \(sensitive value\)/);
    const file = readFileSync(join(w.dir, '..', 'first.plan'), 'utf8');
    t.notOk(file.includes(first), 'the saved plan does not hold the value');
    t.match(JSON.parse(file), { sealed_variables: { pw: /^sha256:/ }, source_digests: { 'main.hcl': /^sha256:/ } });
    const shown = await dew('show', '../first.plan');
    t.match(shown.out, /\+ secret_text += \(sensitive value\)/);

    delete w.env.DEW_VAR_pw;
    const none = await dew('apply', '../first.plan');
    t.equal(none.code, 1);
    t.match(none.err, /No value for the sensitive variable pw: a saved plan does not keep sensitive values/);
    t.match(none.err, /DEW_VAR_pw/);
    w.env.TF_VAR_pw = second;
    const wrong = await dew('apply', '../first.plan');
    t.equal(wrong.code, 1);
    t.match(wrong.err, /The value of the sensitive variable pw is not the one planned/);
    const given = await dew('apply', '../first.plan', '-var', `pw=${first}`);
    t.equal(given.code, 0, given.err);
    t.match(given.out, /dew_csms_secret\.db: Creation complete after \d+s \[id=[0-9a-f-]{36}\/db\]/);
    delete w.env.TF_VAR_pw;
  });

  await t.test('the value is in the daemon, exactly; the stack records only its digest', async (t) => {
    const g = await dew('csms', 'get', 'db');
    t.equal(g.code, 0, g.err);
    t.equal(g.out, first, 'dew csms get prints the value alone (no newline off a terminal)');
    const record = await stackText();
    t.notOk(record.includes(first), 'not in the stack record');
    t.match(record, /"secret_text":"sha256:[0-9a-f]{64}"/);
    w.env.DEW_VAR_pw = first;
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0, 'applied: no changes');
    const st = await dew('state', 'show', 'dew_csms_secret.db');
    t.match(st.out, /secret_text += "\(sensitive value\)"/);
    t.match(st.out, /latest_version += "v1"/);
  });

  await t.test('a new value (through TF_VAR_) is an update in place that makes version v2', async (t) => {
    delete w.env.DEW_VAR_pw;
    w.env.TF_VAR_pw = second;
    const p = await dew('plan', '-detailed-exitcode');
    t.equal(p.code, 2);
    t.match(p.out, /# dew_csms_secret\.db will be updated in-place/);
    t.match(p.out, /~ secret_text += \(sensitive value\)/);
    t.match(p.out, /~ latest_version += "v1" -> \(known after apply\)/);
    t.match(p.out, /0 to add, 1 to change, 0 to destroy/);
    const a = await dew('apply', '-auto-approve');
    t.equal(a.code, 0, a.err);
    t.equal((await dew('csms', 'get', 'db')).out, second);
    t.equal((await dew('csms', 'get', 'db', '--version', 'v1')).out, first, 'the old version is kept');
    t.equal((await dew('csms', 'get', 'db', '--stage', 'SYSPREVIOUS')).out, first);
    const versions = (await csms(w, 'list-versions', '--name', 'db')).version_metadatas.map((v: { id: string }) => v.id).sort();
    t.same(versions, ['v1', 'v2']);
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0);
  });

  await t.test('drift: a version made by hand shows as a changed value and is planned back as a new version', async (t) => {
    await csms(w, 'create-version', '--name', 'db', '--secret-string', byHand);
    const p = await dew('plan', '-detailed-exitcode');
    t.equal(p.code, 2);
    t.match(p.out, /# dew_csms_secret\.db has changed: secret_text/);
    t.match(p.out, /~ secret_text += \(sensitive value\)/);
    const a = await dew('apply', '-auto-approve');
    t.equal(a.code, 0, a.err);
    t.equal((await dew('csms', 'get', 'db')).out, second, 'the configured value is current again');
    t.equal((await dew('csms', 'get', 'db', '--version', 'v3')).out, byHand, 'as v4; the one made by hand stays as v3');
    t.equal((await dew('plan', '-detailed-exitcode')).code, 0);
    const desc = await dew('csms', 'update-secret', '--name', 'db', '--description', 'by hand');
    t.equal(desc.code, 0, desc.err);
    const p2 = await dew('plan');
    t.match(p2.out, /~ description += "by hand" -> "orders"/);
    t.notMatch(p2.out, /secret_text/, 'a description changed by hand is no new version');
    t.equal((await dew('apply', '-auto-approve')).code, 0);
  });

  await t.test('a saved plan refuses a file() value changed since the plan', async (t) => {
    const value = canary('file');
    secrets.push(value);
    w.write({ 'main.hcl': `${SECRET()}\nresource "dew_csms_secret" "token" {\n  name        = "token"\n  secret_text = file("token.txt")\n}\n`, 'token.txt': value });
    const p = await dew('plan', '-out', '../token.plan');
    t.equal(p.code, 0, p.err);
    t.notOk(readFileSync(join(w.dir, '..', 'token.plan'), 'utf8').includes(value));
    w.write({ 'token.txt': `${value}-changed` });
    const a = await dew('apply', '../token.plan');
    t.equal(a.code, 1);
    t.match(a.err, /dew_csms_secret\.token: the value of secret_text is not the one planned/);
    t.notOk(a.err.includes(value));
    w.write({ 'token.txt': value });
    const again = await dew('apply', '-auto-approve');
    t.equal(again.code, 0, again.err);
    t.equal((await dew('csms', 'get', 'token')).out, value);
    const edited = await dew('plan', '-out', '../edited.plan');
    t.equal(edited.code, 0);
    w.write({ 'main.hcl': `${SECRET()}\nresource "dew_csms_secret" "token" {\n  name        = "token"\n  secret_text = file("token.txt")\n  description = "edited"\n}\n` });
    const stale = await dew('apply', '../edited.plan');
    t.equal(stale.code, 1);
    t.match(stale.err, /Saved plan does not match the configuration[\s\S]*changed since it was made: main\.hcl/);
  });

  await t.test('import by <secret_id>/<name> and by name: the value is compared by digest', async (t) => {
    const value = canary('adopted');
    secrets.push(value);
    const made = (await csms(w, 'create-secret', '--name', 'adopted', '--secret-string', value, '--description', 'by hand')).secret;
    await csms(w, 'create-secret', '--name', 'byname', '--secret-binary', Buffer.from(value).toString('base64'));
    const base = `${SECRET()}\nresource "dew_csms_secret" "token" {\n  name        = "token"\n  secret_text = file("token.txt")\n}\n`;
    w.write({
      'adopted.txt': value,
      'main.hcl': `${base}\nresource "dew_csms_secret" "adopted" {\n  name        = "adopted"\n  secret_text = file("adopted.txt")\n  description = "by hand"\n}\n\nresource "dew_csms_secret" "byname" {\n  name          = "byname"\n  secret_binary = filebase64("adopted.txt")\n}\n`,
    });
    const i = await dew('import', 'dew_csms_secret.adopted', `${made.id}/adopted`);
    t.equal(i.code, 0, i.err);
    t.match(i.out, /Import successful!/);
    const n = await dew('import', 'dew_csms_secret.byname', 'byname');
    t.equal(n.code, 0, n.err);
    const p = await dew('plan', '-detailed-exitcode');
    t.equal(p.code, 0, `imported secrets match their configuration\n${p.out}`);
    t.equal((await dew('import', 'dew_csms_secret.nothere', 'nothere')).code, 1);
    const wrongId = await dew('import', 'dew_csms_secret.adopted', `00000000-0000-0000-0000-000000000000/adopted`);
    t.equal(wrongId.code, 1, 'an id of another secret is refused');
  });

  await t.test('destroy schedules the deletion; the name stays held, and apply says how to get it back', async (t) => {
    const d = await dew('destroy', '-auto-approve');
    t.equal(d.code, 0, d.err);
    t.match(d.out, /scheduled for deletion in 7 days, not deleted at once/);
    t.match(d.out, /dew_csms_secret\.db: Deletion scheduled for \d{4}-\d\d-\d\dT/);
    const shown = (await csms(w, 'show-secret', '--name', 'db')).secret;
    t.equal(shown.state, 'PENDING_DELETE');
    t.ok(shown.scheduled_delete_time - Date.now() / 1000 > 6.9 * 86400, 'seven days ahead');
    const a = await dew('apply', '-auto-approve');
    t.equal(a.code, 1);
    t.match(a.err, /Error: dew_csms_secret\.db: CSMS\.0401: the name db is held by a secret pending deletion: cancel it with `dew csms cancel-deletion --name db` and adopt it with `dew import`, or choose another name/);
    t.match(a.err, /dew_csms_secret\.token: CSMS\.0401: the name token is held by a secret pending deletion/);
    await csms(w, 'cancel-deletion', '--name', 'db');
    t.equal((await dew('import', 'dew_csms_secret.db', 'db')).code, 0);
    t.equal((await dew('csms', 'get', 'db')).out, second, 'nothing was lost');
    t.equal((await dew('destroy', '-auto-approve')).code, 0);
  });

  for (const text of [...outputs, await stackText()]) for (const s of secrets) t.notOk(text.includes(s), 'no output, error or stack record holds a value');
  await w.td.stop();
  for (const file of filesUnder(w.td.dataDir)) for (const s of secrets) t.notOk(file.includes(s), 'no daemon file holds a value in the clear');
});

t.test('dew_csms_secret_version: pin, move with a new value, moved back after a change by hand, import, destroy', async (t) => {
  const w = await world(t, { stack: 'stages' });
  w.env.DEW_VAR_pw = 'one';
  const PIN = (stage: string, version = 'dew_csms_secret.db.latest_version'): string =>
    `\nresource "dew_csms_secret_version" "${stage.toLowerCase()}" {\n  secret_name = dew_csms_secret.db.name\n  stage       = "${stage}"\n  version_id  = ${version}\n}\n`;
  w.write({ 'main.hcl': SECRET() + PIN('prod') });
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);
  t.match(a.out, /dew_csms_secret_version\.prod: Creation complete after \d+s \[id=db\/prod\]/);
  t.equal((await csms(w, 'show-stage', '--name', 'db', '--stage', 'prod')).stage.version_id, 'v1');

  w.env.DEW_VAR_pw = 'two';
  const p = await w.dew('plan');
  t.match(p.out, /~ version_id += "v1" -> \(known after apply\)/, 'the pin waits for the new version');
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  t.equal((await csms(w, 'show-stage', '--name', 'db', '--stage', 'prod')).stage.version_id, 'v2', 'one apply moves the stage with the value');
  t.equal((await w.dew('csms', 'get', 'db', '--stage', 'prod')).out, 'two');
  t.equal((await w.dew('plan', '-detailed-exitcode')).code, 0);

  await csms(w, 'update-stage', '--name', 'db', '--stage', 'prod', '--version-id', 'v1');
  const drift = await w.dew('plan', '-detailed-exitcode');
  t.equal(drift.code, 2);
  t.match(drift.out, /# dew_csms_secret_version\.prod has changed: version_id/);
  t.match(drift.out, /~ version_id += "v1" -> "v2"/);
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  t.equal((await csms(w, 'show-stage', '--name', 'db', '--stage', 'prod')).stage.version_id, 'v2');

  await csms(w, 'update-stage', '--name', 'db', '--stage', 'beta', '--version-id', 'v1');
  w.write({ 'main.hcl': SECRET() + PIN('prod') + PIN('beta', '"v1"') + PIN('SYSPREVIOUS', '"v1"') });
  const i = await w.dew('import', 'dew_csms_secret_version.beta', 'db/beta');
  t.equal(i.code, 0, i.err);
  const sys = await w.dew('apply', '-auto-approve');
  t.equal(sys.code, 0, sys.err);
  t.match(sys.out, /1 added, 0 changed, 0 destroyed/, 'beta was imported as it is; SYSPREVIOUS pinned where it already is');

  w.write({ 'main.hcl': SECRET() + PIN('prod') });
  const plan = await w.dew('plan');
  t.match(plan.out, /SYSPREVIOUS cannot be deleted: dew only removes this pin from the stack and the stage stays on v1/);
  t.match(plan.out, /the stage beta is deleted from the secret db/);
  const d = await w.dew('apply', '-auto-approve');
  t.equal(d.code, 0, d.err);
  t.match(d.out, /dew_csms_secret_version\.sysprevious: Removed from the stack only \(SYSPREVIOUS cannot be deleted; it stays on v1\)/);
  t.equal((await csms(w, 'show-stage', '--name', 'db', '--stage', 'SYSPREVIOUS')).stage.version_id, 'v1', 'SYSPREVIOUS stays');
  const beta = await w.dew('csms', 'show-stage', '--name', 'db', '--stage', 'beta');
  t.equal(beta.code, 1, 'beta is deleted');
  t.match(JSON.parse(beta.err), { status: 404 });
  t.equal((await w.dew('destroy', '-auto-approve')).code, 0);
});

t.test('dew csms get: exact text and bytes, --base64, one-line errors that name what is missing', async (t) => {
  const w = await world(t, { stack: 'get' });
  const text = 'pässwörd with trailing newline\n\n';
  await csms(w, 'create-secret', '--name', 'txt', '--secret-string', text);
  const bytes = Buffer.from([0, 1, 2, 10, 13, 255, 254, 10]);
  await csms(w, 'create-secret', '--name', 'bin', '--secret-binary', bytes.toString('base64'));

  const g = await w.dew('csms', 'get', 'txt');
  t.equal(g.code, 0, g.err);
  t.equal(g.out, text, 'text exactly as stored, nothing added');
  const b = await w.dew('csms', 'get', 'bin');
  t.equal(b.code, 0, b.err);
  t.same(b.bytes, bytes, 'binary as the raw bytes');
  t.equal(b.out, '');
  t.equal((await w.dew('csms', 'get', 'bin', '--base64')).out, bytes.toString('base64'));

  const missing = await w.dew('csms', 'get', 'nothere');
  t.equal(missing.code, 1);
  t.equal(missing.err, 'Error: secret nothere not found (CSMS.0106)\n');
  const noVersion = await w.dew('csms', 'get', 'txt', '--version', 'v9');
  t.equal(noVersion.code, 1);
  t.equal(noVersion.err, 'Error: version v9 of secret txt not found (CSMS.0005)\n');
  const noStage = await w.dew('csms', 'get', 'txt', '--stage', 'prod');
  t.equal(noStage.code, 1);
  t.match(noStage.err, /^Error: stage prod of secret txt not found \(CSMS\.0005\)\n$/);
  for (const r of [missing, noVersion, noStage]) t.notOk(r.err.includes('pässwörd'), 'no value in an error');

  // on a terminal: a newline after text; binary refused (use --base64)
  let shown = '';
  const tty = (argv: string[]): CommandContext => ({ argv, cwd: w.dir, env: w.env, stdout: { write: (x) => void (shown += x), writeBytes: () => t.fail('no bytes to a terminal'), isTTY: true }, stderr: { write: () => undefined }, now: Date.now });
  t.equal(await csmsCommand(tty(['get', 'txt'])), 0);
  t.equal(shown, `${text}\n`, 'a newline after the value on a terminal');
  await t.rejects(csmsCommand(tty(['get', 'bin'])), { code: 'csms.binary_tty', message: 'secret bin holds binary data', hint: /--base64/ });

  // the real executable, as a script uses it
  const cli = join(process.cwd(), 'dist', 'bin', 'dew.js');
  if (!existsSync(cli)) t.fail(`${cli} is not built (npm run build): the executable is what scripts run`);
  else {
    // asynchronously: the daemon answering the child runs in this process
    const sh = (script: string): Promise<{ status: number | null; stdout: Buffer; stderr: Buffer }> =>
      new Promise((resolve) => {
        const child = spawn('bash', ['-c', script], { env: { PATH: process.env.PATH ?? '', DEW: cli, DEW_CREDENTIALS: w.env.DEW_CREDENTIALS, OUT: join(w.dir, 'out.bin') }, stdio: ['ignore', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
      });
    const sub = await sh('export DB_PASSWORD="$(node "$DEW" csms get txt)"; node -e \'process.stdout.write(process.env.DB_PASSWORD)\'');
    t.equal(sub.status, 0, sub.stderr.toString());
    t.equal(sub.stdout.toString(), text.replace(/\n+$/, ''), '$(dew csms get) is the value (the shell strips its trailing newlines, as for any command)');
    const file = await sh('node "$DEW" csms get bin > "$OUT"');
    t.equal(file.status, 0, file.stderr.toString());
    t.same(readFileSync(join(w.dir, 'out.bin')), bytes, '> FILE holds the exact bytes');
    const txt = await sh('node "$DEW" csms get txt > "$OUT"');
    t.equal(txt.status, 0);
    t.equal(readFileSync(join(w.dir, 'out.bin'), 'utf8'), text, 'and the exact text');
    const gone = await sh('node "$DEW" csms get nothere');
    t.equal(gone.status, 1);
    t.equal(gone.stderr.toString(), 'Error: secret nothere not found (CSMS.0106)\n', 'one line, no trace');
  }

  await csms(w, 'schedule-deletion', '--name', 'txt', '--recovery-window-in-days', '7');
  const pending = await w.dew('csms', 'get', 'txt');
  t.equal(pending.code, 1);
  t.match(pending.err, /^Error: cannot read secret txt: The secret "txt" is in the scheduled deletion state\.\n$/);
});
