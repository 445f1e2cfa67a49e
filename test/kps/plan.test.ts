/**
 * Planning dew_kps_keypair, dew_kps_host and dew_kps_binding (pure): the private key masked in text,
 * Markdown and JSON and kept as a digest; force-new replacement; the scope upgrade in place and the
 * downgrade that replaces; drift planned back; a binding's login never diffed nor recorded.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan, type PlanInput } from '../../provider/plan/create-plan.js';
import { renderPlanText } from '../../provider/plan/render-text.js';
import { planToJson } from '../../provider/plan/render-json.js';
import { renderPlanMarkdown } from '../../provider/plan/render-markdown.js';
import { resourceType } from '../../provider/resources/registry.js';
import { privateKeyDigest } from '../../provider/resources/dew-kps-keypair.js';
import { storedAttributes, type Attributes } from '../../provider/resources/resource-type.js';
import type { StackObject, StackSnapshot } from '../../provider/state/stack-state.js';

const home = mkdtempSync(join(tmpdir(), 'dew-kps-plan-'));
t.teardown(() => rmSync(home, { recursive: true, force: true }));

async function configOf(hcl: string, vars: string[] = []): Promise<Pick<PlanInput, 'config' | 'variables'>> {
  const dir = join(mkdtempSync(join(home, 'c-')), 'demo');
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.hcl'), hcl);
  const { config, diagnostics } = await loadConfig(dir);
  if (diagnostics.length) throw new Error(JSON.stringify(diagnostics));
  const v = await resolveVariables(config, vars.map((text) => ({ kind: 'var' as const, text })), {});
  return { config, variables: v.values };
}

const stack = (objects: StackObject[]): StackSnapshot => ({ name: 'demo', serial: 3, lineage: 'L1', lock: null, objects });

/** A real key pair from ssh-keygen: the private key a user would paste and its public key. */
function sshKey(type: 'ed25519' | 'rsa', comment = 'k1'): { privateKey: string; publicKey: string; rfc4716: string } {
  const dir = mkdtempSync(join(home, 'key-'));
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', comment, '-f', join(dir, 'id')]);
  return { privateKey: readFileSync(join(dir, 'id'), 'utf8'), publicKey: readFileSync(join(dir, 'id.pub'), 'utf8').trim(), rfc4716: execFileSync('ssh-keygen', ['-e', '-f', join(dir, 'id.pub')]).toString() };
}

/** GET /keypairs/{name}'s keypair, as the daemon's live view answers it. */
function keypairLive(o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'k1', id: '1', type: 'ssh', scope: 'user', public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k1', fingerprint: 'SHA256:abc',
    is_key_protection: false, deleted: false, description: '', user_id: 'u1', create_time: 1_700_000_000_000, delete_time: null, update_time: 1_700_000_000_000, frozen_state: 0, key_id: '', algorithm: 'SSH_ED25519', ...o,
  };
}

function keypairObject(live: Record<string, unknown> | null, applied: Record<string, unknown> = {}): StackObject {
  const rt = resourceType('dew_kps_keypair')!;
  const attrs = { ...rt.fromLive(keypairLive())!, ...applied } as Attributes;
  return { address: 'dew_kps_keypair.k', type: 'dew_kps_keypair', object_id: 'k1', attributes: storedAttributes(rt, attrs) as StackObject['attributes'], dependencies: [], revision: 1, live };
}

const KP = (extra = ''): string => `resource "dew_kps_keypair" "k" {\n  name = "k1"\n${extra}}\n`;

t.test('a generated key pair: SSH_RSA_2048 and scope user are planned, not "known after apply"', async (t) => {
  const { plan, diagnostics } = createPlan({ ...(await configOf(KP('  key_file = "k1.pem"\n'))), snapshot: stack([]) });
  t.same(diagnostics, []);
  const c = plan.changes[0];
  t.equal(c.change.action, 'create');
  t.match(c.change.after, { name: 'k1', algorithm: 'SSH_RSA_2048', scope: 'user', key_file: 'k1.pem', description: '' });
  t.match(c.change.afterUnknown, { public_key: true, fingerprint: true, is_managed: true, created_at: true, user_id: true });
  const text = renderPlanText(plan, { color: false });
  t.match(text, /\+ algorithm += "SSH_RSA_2048"/);
  t.match(text, /\+ fingerprint += \(known after apply\)/);
});

t.test('the private key is masked in text, Markdown and JSON, and the stack keeps only its digest', async (t) => {
  const key = sshKey('ed25519');
  const secret = key.privateKey.split('\n')[1];
  const hcl = KP(`  public_key      = "${key.publicKey}"\n  encryption_type = "default"\n  private_key     = <<-EOT\n${key.privateKey}EOT\n`);
  const { plan, diagnostics } = createPlan({ ...(await configOf(hcl)), snapshot: stack([]) });
  t.same(diagnostics, []);
  const text = renderPlanText(plan, { color: false });
  t.match(text, /\+ private_key += \(sensitive value\)/);
  t.notMatch(text, secret);
  const md = renderPlanMarkdown(plan);
  t.match(md, /\(sensitive value\)/);
  t.notMatch(md, secret);
  const json = planToJson(plan);
  t.notMatch(JSON.stringify(json), secret, 'not in any part of the JSON plan');
  t.match((json as { resource_changes: { change: Record<string, unknown> }[] }).resource_changes[0].change, { after: { private_key: '(sensitive value)' }, after_sensitive: { private_key: true } });

  const rt = resourceType('dew_kps_keypair')!;
  const stored = storedAttributes(rt, { name: 'k1', private_key: key.privateKey });
  t.match(stored.private_key, /^sha256:[0-9a-f]{64}$/);
  t.equal(stored.private_key, privateKeyDigest(key.privateKey));
  t.same(storedAttributes(rt, { name: 'k1', private_key: '' }).private_key, '', '"" (none) stays ""');
  t.equal(storedAttributes(rt, stored).private_key, stored.private_key, 'a digest is not digested again');
});

t.test('a held private key: the same key is no change, another is an update, "" clears; each masked', async (t) => {
  const key = sshKey('ed25519');
  const other = sshKey('ed25519');
  const live = keypairLive({ public_key: key.publicKey, is_key_protection: true });
  const prior = keypairObject(live, { public_key: key.publicKey, private_key: key.privateKey, encryption_type: 'default', is_managed: true });
  t.match(prior.attributes.private_key, /^sha256:/, 'the stack object holds the digest');
  const cfg = (pk: string): string => KP(`  public_key      = "${key.publicKey}"\n  encryption_type = "default"\n  private_key     = <<-EOT\n${pk}EOT\n`);

  const same = createPlan({ ...(await configOf(cfg(key.privateKey))), snapshot: stack([prior]) });
  t.equal(same.plan.changes[0].change.action, 'no-op', 'compared by digest');

  const changed = createPlan({ ...(await configOf(cfg(other.privateKey))), snapshot: stack([prior]) });
  t.equal(changed.plan.changes[0].change.action, 'update');
  const text = renderPlanText(changed.plan, { color: false });
  t.match(text, /~ private_key += \(sensitive value\)/);
  t.notMatch(text, /sha256:/, 'not even the digest is shown');
  t.notMatch(JSON.stringify(planToJson(changed.plan)), /sha256:|PRIVATE KEY/);

  const cleared = createPlan({ ...(await configOf(KP(`  public_key  = "${key.publicKey}"\n  private_key = ""\n`))), snapshot: stack([prior]) });
  t.equal(cleared.plan.changes[0].change.action, 'update');
  t.same((cleared.plan.changes[0].change.after as Record<string, unknown>).private_key, '');
});

t.test('a changed algorithm or public key replaces the key pair; the same key in RFC 4716 form does not', async (t) => {
  const key = sshKey('ed25519');
  const prior = keypairObject(keypairLive({ public_key: key.publicKey }), { public_key: key.publicKey });
  const alg = createPlan({ ...(await configOf(KP('  algorithm = "SSH_RSA_4096"\n'))), snapshot: stack([keypairObject(keypairLive())]) });
  t.equal(alg.plan.changes[0].change.action, 'delete-then-create');
  t.same(alg.plan.changes[0].change.replacePaths, [['algorithm']]);
  t.match(renderPlanText(alg.plan, { color: false }), /~ algorithm += "SSH_ED25519" -> "SSH_RSA_4096" # forces replacement/);

  const other = sshKey('ed25519');
  const pub = createPlan({ ...(await configOf(KP(`  public_key = "${other.publicKey}"\n`))), snapshot: stack([prior]) });
  t.equal(pub.plan.changes[0].change.action, 'delete-then-create');
  t.same(pub.plan.changes[0].change.replacePaths, [['public_key']]);

  const rfc = createPlan({ ...(await configOf(KP(`  public_key = <<-EOT\n${key.rfc4716}EOT\n`))), snapshot: stack([prior]) });
  t.equal(rfc.plan.changes[0].change.action, 'no-op', 'the daemon stores RFC 4716 input in OpenSSH form: the same key');
  const recommented = createPlan({ ...(await configOf(KP(`  public_key = "${key.publicKey.replace(/ k1$/, ' laptop')}"\n`))), snapshot: stack([prior]) });
  t.equal(recommented.plan.changes[0].change.action, 'no-op', 'a comment is not the key');
});

t.test('scope: user -> account is an in-place upgrade; account -> user replaces', async (t) => {
  const up = createPlan({ ...(await configOf(KP('  scope = "account"\n'))), snapshot: stack([keypairObject(keypairLive())]) });
  t.equal(up.plan.changes[0].change.action, 'update');
  t.match(renderPlanText(up.plan, { color: false }), /~ scope += "user" -> "account"\n/);
  const down = createPlan({ ...(await configOf(KP('  scope = "user"\n'))), snapshot: stack([keypairObject(keypairLive({ scope: 'domain' }))]) });
  t.equal(down.plan.changes[0].change.action, 'delete-then-create');
  t.same(down.plan.changes[0].change.replacePaths, [['scope']]);
  t.match(renderPlanText(down.plan, { color: false }), /~ scope += "account" -> "user" # forces replacement/);
  const unset = createPlan({ ...(await configOf(KP())), snapshot: stack([keypairObject(keypairLive({ scope: 'domain' }))]) });
  t.equal(unset.plan.changes[0].change.action, 'no-op', 'an unset scope keeps what the daemon has (optional + computed)');
});

t.test('drift: a key pair re-described outside dew is updated back; one deleted is created again', async (t) => {
  const redescribed = createPlan({ ...(await configOf(KP('  description = "ours"\n'))), snapshot: stack([keypairObject(keypairLive({ description: 'by hand' }), { description: 'ours' })]) });
  const c = redescribed.plan.changes[0];
  t.equal(c.change.action, 'update');
  t.same(c.drift, ['description']);
  t.match(renderPlanText(redescribed.plan, { color: false }), /~ description += "by hand" -> "ours"/);
  const deleted = createPlan({ ...(await configOf(KP())), snapshot: stack([keypairObject(null)]) });
  t.equal(deleted.plan.changes[0].change.action, 'create');
  t.match(renderPlanText(deleted.plan, { color: false }), /no longer exists in the daemon/);
});

t.test('dew_kps_keypair: semantic checks', async (t) => {
  const rt = resourceType('dew_kps_keypair')!;
  t.match(rt.check!({ name: 'k', key_file: 'f', public_key: 'ssh-ed25519 AAAA' }), [{ attribute: 'key_file' }]);
  t.match(rt.check!({ name: 'k', algorithm: 'SSH_ED25519', public_key: 'ssh-ed25519 AAAA' }), [{ attribute: 'algorithm' }]);
  t.match(rt.check!({ name: 'k', encryption_type: 'kms' }), [{ attribute: 'encryption_type', message: /kms_key_id or kms_key_name/ }]);
  t.match(rt.check!({ name: 'k', kms_key_id: 'x' }), [{ attribute: 'kms_key_id' }]);
  t.same(rt.check!({ name: 'k', encryption_type: 'kms', kms_key_name: 'alias/x', key_file: 'k.pem' }), []);
});

const HOST_ID = '0b6f9c52-4e4f-4d2b-9d7c-111111111111';

function hostLive(o: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: HOST_ID, name: 'web', address: '127.0.0.1', port: 2222, username: 'deploy', host_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', host_key_fingerprint: 'SHA256:h', sshd_config: '/etc/ssh/sshd_config', description: '', keypair_name: null, password_disabled: false, ...o };
}

t.test('dew_kps_host: a new name replaces, an address changes in place, a host key differs only by its comment', async (t) => {
  const rt = resourceType('dew_kps_host')!;
  const prior: StackObject = { address: 'dew_kps_host.web', type: 'dew_kps_host', object_id: HOST_ID, attributes: rt.fromLive(hostLive()) as StackObject['attributes'], dependencies: [], revision: 1, live: hostLive() };
  const hcl = (o: string): string => `resource "dew_kps_host" "web" {\n  name     = "web"\n  address  = "127.0.0.1"\n  port     = 2222\n  username = "deploy"\n${o}}\n`;
  t.equal(createPlan({ ...(await configOf(hcl(`  host_key = "${String(hostLive().host_key)} root@web"\n`))), snapshot: stack([prior]) }).plan.changes[0].change.action, 'no-op');
  const moved = createPlan({ ...(await configOf(hcl('').replace('127.0.0.1', '10.0.0.9'))), snapshot: stack([prior]) });
  t.equal(moved.plan.changes[0].change.action, 'update');
  const renamed = createPlan({ ...(await configOf(hcl('').replace('"web"\n  address', '"web2"\n  address'))), snapshot: stack([prior]) });
  t.equal(renamed.plan.changes[0].change.action, 'delete-then-create');
  t.same(renamed.plan.changes[0].change.replacePaths, [['name']]);
  const created = createPlan({ ...(await configOf(hcl(''))), snapshot: stack([]) });
  t.match(created.plan.changes[0].change.after, { sshd_config: '/etc/ssh/sshd_config', description: '' });
});

t.test('dew_kps_binding: the password is masked, never diffed and never recorded; a host that lost the key pair is bound again', async (t) => {
  const rt = resourceType('dew_kps_binding')!;
  const live = hostLive({ keypair_name: 'k1' });
  const attrs = rt.fromLive(live)!;
  t.same(attrs, { id: `k1/${HOST_ID}`, keypair_name: 'k1', host_id: HOST_ID, disable_password: false });
  const prior: StackObject = { address: 'dew_kps_binding.b', type: 'dew_kps_binding', object_id: `k1/${HOST_ID}`, attributes: attrs as StackObject['attributes'], dependencies: [], revision: 1, live };
  const hcl = (pw: string, extra = ''): string => `resource "dew_kps_binding" "b" {\n  keypair_name = "k1"\n  host_id      = "${HOST_ID}"\n  password     = "${pw}"\n${extra}}\n`;

  const create = createPlan({ ...(await configOf(hcl('hunter2-very-secret'))), snapshot: stack([]) });
  const text = renderPlanText(create.plan, { color: false });
  t.match(text, /\+ password += \(sensitive value\)/);
  t.notMatch(text, /hunter2/);
  t.notMatch(JSON.stringify(planToJson(create.plan)), /hunter2/);
  t.notMatch(renderPlanMarkdown(create.plan), /hunter2/);

  t.equal(createPlan({ ...(await configOf(hcl('another-password'))), snapshot: stack([prior]) }).plan.changes[0].change.action, 'no-op', 'a new password is no reason to bind again');
  t.notOk('password' in storedAttributes(rt, { ...attrs, password: 'x', auth_type: 'password' }), 'the stack never records the password');
  t.notOk('auth_type' in storedAttributes(rt, { ...attrs, auth_type: 'password' }));

  const lost = createPlan({ ...(await configOf(hcl('pw'))), snapshot: stack([{ ...prior, live: null }]) });
  t.equal(lost.plan.changes[0].change.action, 'create', 'unbound (or rebound) outside dew: bound again');
  const other = createPlan({ ...(await configOf(hcl('pw').replace('"k1"', '"k2"'))), snapshot: stack([prior]) });
  t.equal(other.plan.changes[0].change.action, 'delete-then-create');
  t.same(other.plan.changes[0].change.replacePaths, [['keypair_name']]);
});

t.test('the resource schemas agree with the API schemas they feed (one truth for names, algorithms and host fields)', async (t) => {
  const api = (f: string) => JSON.parse(readFileSync(new URL(`../../schemas/kps/${f}.json`, import.meta.url), 'utf8'));
  const kpCreate = api('keypair-create').properties.keypair.properties;
  const kp = resourceType('dew_kps_keypair')!.schema.properties;
  t.same(kp.algorithm.enum, kpCreate.algorithm.enum);
  t.same(kp.public_key.maxLength, kpCreate.public_key.maxLength);
  t.same(kp.private_key.maxLength, kpCreate.key_protection.properties.private_key.maxLength);
  t.same(kp.encryption_type.enum, kpCreate.key_protection.properties.encryption.properties.type.enum);
  const host = api('host-create').properties.host.properties;
  const h = resourceType('dew_kps_host')!.schema.properties;
  for (const k of ['address', 'username', 'sshd_config']) t.same(h[k].pattern, host[k].pattern, `host ${k}`);
  for (const k of ['address', 'username', 'host_key', 'sshd_config', 'description']) t.same(h[k].maxLength, host[k].maxLength, `host ${k} length`);
});
