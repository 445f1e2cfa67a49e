/** `dew state list` and `dew state show ADDRESS` against a real daemon: the daemon's stack is the state. */
import t from 'tap';
import { world } from './harness.js';

t.test('state list and state show read the stack the daemon holds', async (t) => {
  const w = await world(t, { stack: 'st' });
  w.write({
    'main.hcl': `resource "dew_kms_key" "app" {\n  key_alias = "st-app"\n}\nresource "dew_kms_key" "many" {\n  count     = 2\n  key_alias = "st-many-\${count.index}"\n}\n`,
  });
  t.equal((await w.dew('apply', '-auto-approve')).code, 0);
  t.equal((await w.dew('state', 'list')).out, 'dew_kms_key.app\ndew_kms_key.many[0]\ndew_kms_key.many[1]\n');
  t.equal((await w.dew('state', 'list', 'dew_kms_key.many')).out, 'dew_kms_key.many[0]\ndew_kms_key.many[1]\n', 'filtered by address prefix');

  const shown = await w.dew('state', 'show', 'dew_kms_key.app');
  t.equal(shown.code, 0, shown.err);
  const id = /^ {4}id\s+= "([^"]+)"$/m.exec(shown.out)?.[1];
  t.ok(id, 'shows the object id');
  t.match(shown.out, /^# dew_kms_key\.app:\nresource "dew_kms_key" "app" \{\n/);
  t.match(shown.out, /^ {4}key_alias\s+= "st-app"$/m);
  const described = (await w.kms('describe-key', { key_id: 'st-app' })) as { key_info: { key_id: string } };
  t.equal(id, described.key_info.key_id, 'the id is the daemon key');
  t.match((await w.dew('state', 'show', 'dew_kms_key.many[1]')).out, /key_alias\s+= "st-many-1"/);

  const missing = await w.dew('state', 'show', 'dew_kms_key.nope');
  t.equal(missing.code, 1);
  t.match(missing.err, /No instance found for the given address dew_kms_key\.nope/);
  const none = await w.dew('state', 'show');
  t.equal(none.code, 1);
  t.match(none.err, /needs exactly one ADDRESS/);
  t.match((await w.dew('state', 'mv')).err, /unknown subcommand mv/);
});
