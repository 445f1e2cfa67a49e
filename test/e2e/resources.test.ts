/** dew_kms_alias and dew_kms_key_material against a real daemon, the alias API itself, and every kind of configuration error in one run. */
import t from 'tap';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DewApiError } from '../../provider/client/errors.js';
import { describe, world } from './harness.js';

t.test('the KMS aliases API (reference 1g): create, list with paging, use as key_id, associate, delete', async (t) => {
  const w = await world(t);
  const c = w.td.client;
  const k1 = ((await c.kms('create-key', { key_alias: 'one' })) as { key_info: { key_id: string } }).key_info.key_id;
  const k2 = ((await c.kms('create-key', { key_alias: 'two' })) as { key_info: { key_id: string } }).key_info.key_id;
  const made = await c.request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: k1, alias: 'alias/app' });
  t.equal(made.status, 201);
  const e = made.body as Record<string, string>;
  t.equal(e.key_id, k1);
  t.equal(e.alias_urn, `kms:local-1:${e.domain_id}:alias:alias/app`);
  t.match(e.create_time, /^\d{4}-\d\d-\d\dT/);
  for (let i = 0; i < 3; i++) await c.request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: 'one', alias: `alias/more-${i}` });
  const page = (await c.request('GET', '/v1.0/{project_id}/kms/aliases', undefined, { key_id: k1, limit: '3' })).body as { aliases: { alias: string }[]; page_info: { next_marker: string; current_count: number } };
  t.equal(page.page_info.current_count, 3);
  t.equal(page.page_info.next_marker, '3');
  const rest = (await c.request('GET', '/v1.0/{project_id}/kms/aliases', undefined, { key_id: k1, limit: '3', marker: '3' })).body as { aliases: unknown[]; page_info: { next_marker: string } };
  t.equal(rest.aliases.length, 1);
  t.equal(rest.page_info.next_marker, '');

  const enc = (await c.kms('encrypt-data', { key_id: 'alias/app', plain_text: 'hello' })) as { key_id: string; cipher_text: string };
  t.equal(enc.key_id, k1, 'a key_id parameter accepts an alias');
  const bad = async (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => err as DewApiError);
  t.equal((await bad(c.request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: k2, alias: 'alias/app' })))?.code, 'KMS.1104', 'unique per project');
  t.equal((await bad(c.request('POST', '/v1.0/{project_id}/kms/aliases', { key_id: k2, alias: 'app' })))?.code, 'KMS.0308', 'must start with alias/');
  t.equal((await bad(c.kms('create-key', { key_alias: 'alias/app' })))?.code, 'KMS.1104', 'a key alias cannot shadow an alias');

  const moved = await c.request('POST', '/v1.0/{project_id}/kms/alias/associate', { alias: 'alias/app', target_key_id: k2 });
  t.equal((moved.body as { key_id: string }).key_id, k2);
  t.equal(((await c.kms('describe-key', { key_id: 'alias/app' })) as { key_info: { key_id: string } }).key_info.key_id, k2);
  t.equal((await bad(c.request('DELETE', '/v1.0/{project_id}/kms/aliases', { key_id: k1, aliases: ['alias/app'] })))?.status, 404, 'only aliases of that key');
  t.equal((await c.request('DELETE', '/v1.0/{project_id}/kms/aliases', { key_id: k2, aliases: ['alias/app'] })).status, 204);
  t.equal((await bad(c.kms('describe-key', { key_id: 'alias/app' })))?.code, 'KMS.0207');
});

t.test('dew_kms_alias: apply, drift when re-pointed outside dew, applied back', async (t) => {
  const w = await world(t);
  w.write({
    'main.hcl': `resource "dew_kms_key" "a" {\n  key_alias = "ka"\n}\n\nresource "dew_kms_key" "b" {\n  key_alias = "kb"\n}\n\nresource "dew_kms_alias" "x" {\n  key_id = dew_kms_key.a.key_id\n  alias  = "alias/x"\n}\n\noutput "urn" {\n  value = dew_kms_alias.x.alias_urn\n}\n`,
  });
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);
  t.match(a.out, /urn = "kms:local-1:[0-9a-f]+:alias:alias\/x"/);
  t.equal((await w.dew('plan', '-detailed-exitcode')).code, 0);
  const res = JSON.parse((await w.dew('show', '-json')).out).resources as { address: string; object_id: string }[];
  const kb = res.find((r) => r.address === 'dew_kms_key.b')!.object_id;
  await w.td.client.request('POST', '/v1.0/{project_id}/kms/alias/associate', { alias: 'alias/x', target_key_id: kb });
  const p = await w.dew('plan', '-detailed-exitcode');
  t.equal(p.code, 2);
  t.match(p.out, /# dew_kms_alias\.x has changed: key_id/);
  t.match(p.out, /# dew_kms_alias\.x must be replaced/);
  const fix = await w.dew('apply', '-auto-approve');
  t.equal(fix.code, 0, fix.err);
  const ka = res.find((r) => r.address === 'dew_kms_key.a')!.object_id;
  t.equal(((await w.td.client.kms('describe-key', { key_id: 'alias/x' })) as { key_info: { key_id: string } }).key_info.key_id, ka);
  t.equal((await w.dew('plan', '-detailed-exitcode')).code, 0);
  const i = await w.dew('destroy', '-auto-approve');
  t.equal(i.code, 0, i.err);
});

t.test('dew_kms_key_material: an external key and material from files (AES and an EC private key)', async (t) => {
  const w = await world(t);
  writeFileSync(join(w.dir, 'aes.bin'), randomBytes(32));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(w.dir, 'ec.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const exp = Math.floor(Date.now() / 1000) + 30 * 86400;
  w.write({
    'main.hcl': `resource "dew_kms_key" "byok" {
  key_alias = "byok"
  origin    = "external"
}

resource "dew_kms_key_material" "byok" {
  key_id          = dew_kms_key.byok.key_id
  file            = "aes.bin"
  expiration_time = ${exp}
}

resource "dew_kms_key" "ec" {
  key_alias     = "byok-ec"
  key_algorithm = "EC_P256"
  key_usage     = "SIGN_VERIFY"
  origin        = "external"
}

resource "dew_kms_key_material" "ec" {
  key_id = dew_kms_key.ec.key_id
  file   = "ec.pem"
}
`,
  });
  const a = await w.dew('apply', '-auto-approve');
  t.equal(a.code, 0, a.err);
  const res = JSON.parse((await w.dew('show', '-json')).out).resources as { address: string; object_id: string }[];
  const aes = await describe(w, res.find((r) => r.address === 'dew_kms_key.byok')!.object_id);
  t.equal(aes.key_state, '2', 'material imported: enabled');
  const ec = await describe(w, res.find((r) => r.address === 'dew_kms_key.ec')!.object_id);
  t.equal(ec.key_state, '2');
  const enc = (await w.td.client.kms('encrypt-data', { key_id: 'byok', plain_text: 'x' })) as { cipher_text: string };
  t.ok(enc.cipher_text);
  const p = await w.dew('plan', '-detailed-exitcode');
  t.equal(p.code, 0, `no perpetual diff after import (expiration_time units) ${p.out}`);
  // a key stuck in the key resource's view: the key (state 2 now) is not drifted either
  await w.td.client.kms('delete-imported-key-material', { key_id: 'byok' });
  const again = await w.dew('plan');
  t.match(again.out, /# dew_kms_key_material\.byok will be created/, 'material deleted outside dew is imported again');
});

t.test('every kind of configuration error is reported in one run with file:line:col', async (t) => {
  const w = await world(t);
  w.write({
    'a.hcl': `resource "dew_kms_key" "typo" {
  key_alias    = "a"
  key_algoritm = "AES_256"
}

resource "dew_kms_kee" "b" {
  key_alias = "b"
}

resource "dew_kms_key" "types" {
  key_alias  = "c"
  is_enabled = "notabool"
}

resource "dew_kms_key" "ref" {
  key_alias = dew_kms_key.nothing.key_alias
}

resource "dew_kms_key" "d" {
  key_alias = dew_kms_key.e.key_alias
}

resource "dew_kms_key" "e" {
  key_alias = dew_kms_key.d.key_alias
}
`,
    'b.hcl': 'resource "dew_kms_key" "x" {\n  key_alias = \n}\n',
    'c.dew.json': '{"resource":{"dew_kms_key":{"j":{"key_alias":"j","rotation_intervall":3}}}}\n',
  });
  for (const cmd of ['validate', 'plan']) {
    const r = await w.dew(cmd);
    t.equal(r.code, 1);
    const e = r.err;
    t.match(e, /Error: Unsupported argument "key_algoritm"\n\n  on a\.hcl:3:3:[\s\S]*Did you mean "key_algorithm"\?/, `${cmd}: unknown attribute with did-you-mean`);
    t.match(e, /Error: Unknown resource type "dew_kms_kee"\n\n  on a\.hcl:6:1:[\s\S]*Did you mean "dew_kms_key"\?/, `${cmd}: unknown type`);
    t.match(e, /Error: Incorrect attribute value type\n\n  on a\.hcl:12:3:[\s\S]*bool required, got string/, `${cmd}: wrong type`);
    t.match(e, /Error: Reference to undeclared resource\n\n  on a\.hcl:16:3:/, `${cmd}: reference to nothing`);
    t.match(e, /Error: Cycle\n\n  on a\.hcl:\d+:1:[\s\S]*dew_kms_key\.d, dew_kms_key\.e/, `${cmd}: cycle listing its addresses`);
    t.match(e, /Error: Invalid expression\n\n  on b\.hcl:2:\d+:/, `${cmd}: syntax error`);
    t.match(e, /Error: Unsupported argument "rotation_intervall"\n\n  on c\.dew\.json:1:\d+:[\s\S]*Did you mean "rotation_interval"\?/, `${cmd}: JSON files too`);
  }
});
