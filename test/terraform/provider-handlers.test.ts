/**
 * The provider's tfplugin6 handlers in process (provider/terraform/provider.ts) against a real daemon,
 * with requests and answers as the plugin host passes them (msgpack DynamicValues): the schema
 * (capabilities, every resource type and data source, sensitive and write_only flags, JSON type
 * bytes), provider configuration from attributes, credentials_file, DEW_* variables or
 * .dew/credentials.json (and its refusals), validation diagnostics with attribute paths,
 * UpgradeResourceState from an older state's JSON, and a daemon error as a diagnostic with its code.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProvider } from '../../provider/terraform/provider.js';
import { encodeDynamicValue, decodeDynamicValue } from '../../provider/terraform/cty/dynamic-value.js';
import { objectTypeOf, type TfBlock } from '../../provider/terraform/schema/block.js';
import { parseType, type CtyType } from '../../provider/terraform/cty/types.js';
import { startTestDaemon } from '../helpers/daemon.js';

type Any = any;

/** The cty object type of a proto Schema block as GetProviderSchema answers it. */
function typeOfProto(block: Any): CtyType {
  const tf: TfBlock = { attributes: block.attributes.map((a: Any) => ({ name: a.name, type: parseType(a.type) })), block_types: [] };
  return objectTypeOf(tf);
}

t.test('the provider schema, configuration, validation, upgrade and errors', async (t) => {
  const td = await startTestDaemon(t);
  const home = mkdtempSync(join(tmpdir(), 'dew-tf-handlers-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const credsText = readFileSync(join(td.dataDir, 'credentials.json'), 'utf8');
  const creds = JSON.parse(credsText);
  const p = createProvider({ cwd: home, env: {} }) as Record<string, (r: Any) => Promise<Any>>;
  const schema = await p.GetProviderSchema!({});
  const providerType = typeOfProto(schema.provider.block);
  const keyType = typeOfProto(schema.resource_schemas.dew_kms_key.block);
  const cfg = (o: Record<string, unknown>) => encodeDynamicValue(providerType, { endpoint: null, access_key: null, secret_key: null, project_id: null, credentials_file: null, ...o });

  await t.test('schema', async (t) => {
    t.same(schema.server_capabilities, { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false });
    t.same(Object.keys(schema.resource_schemas).sort(), ['dew_csms_secret', 'dew_csms_secret_version', 'dew_hsm_instance', 'dew_iam_user', 'dew_keystore', 'dew_kms_alias', 'dew_kms_grant', 'dew_kms_key', 'dew_kms_key_material', 'dew_kms_rotation', 'dew_kps_binding', 'dew_kps_host', 'dew_kps_keypair']);
    t.same(Object.keys(schema.data_source_schemas).sort(), ['dew_csms_secret_version', 'dew_kms_data_key', 'dew_kms_key', 'dew_kms_public_key']);
    const attr = (type: string, name: string, where = schema.resource_schemas) => where[type].block.attributes.find((a: Any) => a.name === name);
    t.equal(attr('dew_kms_key', 'key_alias').required, true);
    t.match(attr('dew_kms_key', 'key_id'), { computed: true, optional: false });
    t.match(attr('dew_kms_key', 'is_enabled'), { optional: true, computed: true }, 'a default makes it optional+computed');
    t.equal(Buffer.from(attr('dew_kms_key', 'tags').type).toString(), '["map","string"]');
    t.equal(Buffer.from(attr('dew_kms_grant', 'operations').type).toString(), '["set","string"]');
    t.equal(attr('dew_csms_secret', 'secret_text').sensitive, true);
    t.equal(attr('dew_kps_binding', 'password').write_only, true);
    t.equal(attr('dew_kms_data_key', 'plain_text', schema.data_source_schemas).sensitive, true);
    t.equal(schema.provider.block.attributes.find((a: Any) => a.name === 'secret_key').sensitive, true);
    t.equal(schema.resource_schemas.dew_kms_key.version, 2, 'resource schemas are versioned');
    t.match(attr('dew_csms_secret', 'secret_text'), { write_only: true, sensitive: true });
    t.match(attr('dew_csms_secret', 'secret_text_digest'), { computed: true, sensitive: true });
  });

  await t.test('configuration: attributes, a file, the environment, the default file, and refusals', async (t) => {
    const direct = await p.ConfigureProvider!({ config: cfg({ endpoint: td.daemon.url, access_key: creds.access_key, secret_key: creds.secret_key, project_id: creds.project_id }) });
    t.same(direct.diagnostics, []);
    const list = async (prov: Record<string, (r: Any) => Promise<Any>>) => {
      const r = await prov.ImportResourceState!({ type_name: 'dew_kms_key', id: '00000000-0000-4000-8000-000000000000' });
      return r.diagnostics[0]?.summary as string;
    };
    t.match(await list(p), /no object with id/, 'configured: the daemon answers');
    writeFileSync(join(home, 'creds.json'), credsText);
    const fromFile = createProvider({ cwd: home, env: {} }) as Any;
    t.same((await fromFile.ConfigureProvider({ config: cfg({ credentials_file: 'creds.json' }) })).diagnostics, [], 'credentials_file, relative to the working folder');
    t.match(await list(fromFile), /no object with id/);
    const fromEnv = createProvider({ cwd: home, env: { DEW_ENDPOINT: td.daemon.url, DEW_ACCESS_KEY: creds.access_key, DEW_SECRET_KEY: creds.secret_key, DEW_PROJECT_ID: creds.project_id } }) as Any;
    t.same((await fromEnv.ConfigureProvider({ config: cfg({}) })).diagnostics, [], 'DEW_* variables');
    t.match(await list(fromEnv), /no object with id/);
    const nested = join(home, 'stack', 'deeper');
    mkdirSync(join(home, '.dew'), { recursive: true });
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(home, '.dew', 'credentials.json'), credsText);
    const fromDefault = createProvider({ cwd: nested, env: {} }) as Any;
    t.same((await fromDefault.ConfigureProvider({ config: cfg({}) })).diagnostics, [], '.dew/credentials.json in a parent folder');
    t.match(await list(fromDefault), /no object with id/);

    const partial = await (createProvider({ cwd: home, env: {} }) as Any).ConfigureProvider({ config: cfg({ endpoint: td.daemon.url, access_key: 'AK' }) });
    t.equal(partial.diagnostics.length, 1);
    t.match(partial.diagnostics[0], { severity: 'ERROR', summary: /gives endpoint, access_key but not secret_key, project_id/, attribute: { steps: [{ attribute_name: 'secret_key' }] } });
    const missing = createProvider({ cwd: mkdtempSync(join(tmpdir(), 'dew-tf-none-')), env: {} }) as Any;
    const none = await missing.ConfigureProvider({ config: cfg({ credentials_file: 'nope.json' }) });
    t.match(none.diagnostics[0].summary, /dew provider: .*nope\.json/);
    t.notMatch(JSON.stringify(none), /    at /, 'no stack');
    const after = await missing.ReadDataSource({ type_name: 'dew_kms_key', config: encodeDynamicValue(typeOfProto(schema.data_source_schemas.dew_kms_key.block), {}) });
    t.match(after.diagnostics[0].summary, /nope\.json/, 'later calls say why the provider is not configured');
  });

  await t.test('validation diagnostics name the attribute', async (t) => {
    const nulls = Object.fromEntries(Object.keys((keyType as Any).attributes).map((k) => [k, null]));
    const bad = await p.ValidateResourceConfig!({ type_name: 'dew_kms_key', config: encodeDynamicValue(keyType, { ...nulls, key_alias: 'k', key_algorithm: 'AES_999', rotation_interval: 3 }) });
    const byAttr = Object.fromEntries(bad.diagnostics.map((d: Any) => [d.attribute.steps[0].attribute_name, d]));
    t.match(byAttr.key_algorithm, { severity: 'ERROR', detail: /must be equal to one of the allowed values\. Allowed values: AES_256, SM4/ });
    t.match(byAttr.rotation_interval, { detail: /must be >= 30/ });
    const good = await p.ValidateResourceConfig!({ type_name: 'dew_kms_key', config: encodeDynamicValue(keyType, { ...nulls, key_alias: 'k' }) });
    t.same(good.diagnostics, []);
    const rule = await p.ValidateResourceConfig!({ type_name: 'dew_kms_key', config: encodeDynamicValue(keyType, { ...nulls, key_alias: 'k', key_algorithm: 'EC_P256', rotation_enabled: true }) });
    t.match(rule.diagnostics[0], { attribute: { steps: [{ attribute_name: 'rotation_enabled' }] }, detail: /rotation is only available for symmetric encryption keys, not EC_P256/ });
  });

  await t.test('UpgradeResourceState: an older state\u2019s JSON, removed attributes dropped, new ones null', async (t) => {
    const raw = Buffer.from(JSON.stringify({ key_alias: 'old', key_id: 'k1', id: 'k1', an_attribute_removed_since: 'x', is_enabled: true }));
    const r = await p.UpgradeResourceState!({ type_name: 'dew_kms_key', version: 0, raw_state: { json: raw } });
    t.same(r.diagnostics, []);
    const v = decodeDynamicValue(keyType, r.upgraded_state) as Any;
    t.match(v, { key_alias: 'old', key_id: 'k1', is_enabled: true, tags: null });
    t.notOk('an_attribute_removed_since' in v);
    const newer = await p.UpgradeResourceState!({ type_name: 'dew_kms_key', version: 99, raw_state: { json: raw } });
    t.match(newer.diagnostics[0].summary, /written by a newer dew provider \(schema version 99/);
  });

  await t.test('a daemon refusal is a diagnostic with the reference code; nothing changes', async (t) => {
    const nulls = Object.fromEntries(Object.keys((keyType as Any).attributes).map((k) => [k, null]));
    await td.client.kms('create-key', { key_alias: 'taken' });
    const config = { ...nulls, key_alias: 'taken' };
    const plan = await p.PlanResourceChange!({ type_name: 'dew_kms_key', prior_state: null, proposed_new_state: encodeDynamicValue(keyType, config), config: encodeDynamicValue(keyType, config) });
    const r = await p.ApplyResourceChange!({ type_name: 'dew_kms_key', prior_state: null, planned_state: plan.planned_state, config: encodeDynamicValue(keyType, config) });
    t.match(r.diagnostics[0], { severity: 'ERROR', summary: /^dew_kms_key: KMS\.\d{4}: / });
    t.equal(decodeDynamicValue(keyType, r.new_state), null, 'no object recorded');
  });
});
