/**
 * The tfplugin6 provider service of dew: the RPC handlers the plugin host (plugin/serve.ts) calls.
 * Schemas come from schemas/ through the same resource types `dew plan/apply` uses; values cross
 * as cty msgpack (cty/); every failure is a diagnostic with the attribute it is about, never a
 * stack trace. The daemon client is made by ConfigureProvider.
 */
import { readFileSync } from 'node:fs';
import { decodeDynamicValue, encodeDynamicValue } from './cty/dynamic-value.js';
import { decodeJson } from './cty/json.js';
import { attributePath } from './cty/path.js';
import type { CtyType } from './cty/types.js';
import type { CtyValue } from './cty/values.js';
import { objectTypeOf, toProtoSchema, type TfSchema } from './schema/block.js';
import { tfBlockFromResourceSchema } from './schema/from-json-schema.js';
import { loadJsonSchema } from './load-json-schema.js';
import { TfResource, PartialApply, decodePrivate, encodePrivate, objectIdOf, RESOURCE_SCHEMA_VERSION } from './resources/tf-resource.js';
import { configuredArguments, knownAttributes, toObject, type TfObject } from './resources/values.js';
import { heldKeysRefusal } from './resources/hsm-replacement.js';
import { dataSource, dataSourceNames, type DataSource } from './data-sources/data-sources.js';
import { resourceType, resourceTypeNames } from '../resources/registry.js';
import { attributeProblems, type Checked } from '../resources/attribute-problems.js';
import type { DewApi } from '../resources/api.js';
import { resolveCredentials, CredentialsError, type Credentials } from '../client/credentials.js';
import { DewClient } from '../client/dew-client.js';
import { DewApiError, DewNetworkError } from '../client/errors.js';
import type { ResourceType } from '../resources/resource-type.js';

type Req = Record<string, any>;
type Handler = (req: Req) => Promise<Req>;

interface Diagnostic {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail: string;
  attribute?: ReturnType<typeof attributePath>;
}

const error = (summary: string, detail = '', attribute?: string): Diagnostic => ({ severity: 'ERROR', summary, detail, ...(attribute ? { attribute: attributePath({ attribute_name: attribute }) } : {}) });

/** A failure as the user should read it: the daemon's code and message, or the reason; never a stack. */
function describe(e: unknown): { summary: string; detail: string } {
  if (e instanceof DewApiError) return { summary: `${e.code}: ${e.message}`, detail: e.requestId ? `request id ${e.requestId}` : '' };
  if (e instanceof DewNetworkError) return { summary: e.message, detail: e.hint };
  if (e instanceof CredentialsError) return { summary: e.message, detail: e.hint ?? '' };
  // a type's own error that carries the daemon's code (a keystore still holding keys: KMS.4605) says it, as `dew apply` does
  const code = (e as { code?: unknown })?.code;
  const message = (e as Error)?.message ?? String(e);
  return { summary: typeof code === 'string' && /^[A-Za-z]+\.\d+$/.test(code) && !message.startsWith(code) ? `${code}: ${message}` : message, detail: '' };
}

/** The error diagnostic of a failed call on `type`. */
function failure(type: string, e: unknown, prefix = ''): Diagnostic {
  const d = describe(e);
  return error(`${type}: ${prefix}${d.summary}`, d.detail);
}

const PROVIDER_SCHEMA = loadJsonSchema('terraform/provider');

export interface ProviderOptions {
  /** The working directory Terraform runs in (relative file paths: credentials_file, key_file, credential_file). */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

export function createProvider(opts: ProviderOptions = { cwd: process.cwd(), env: process.env }): Record<string, Handler> {
  const now = opts.now ?? Date.now;
  const resources = new Map<string, TfResource>();
  for (const name of resourceTypeNames()) resources.set(name, new TfResource(resourceType(name) as ResourceType));
  const sources = new Map<string, { ds: DataSource; schema: TfSchema; type: CtyType }>();
  for (const name of dataSourceNames()) {
    const ds = dataSource(name)!;
    const block = tfBlockFromResourceSchema(ds.schema, { sensitive: ds.sensitive, optionalComputed: ds.optionalComputed });
    sources.set(name, { ds, schema: { version: 0, block }, type: objectTypeOf(block) });
  }
  const providerBlock = tfBlockFromResourceSchema(PROVIDER_SCHEMA, { sensitive: ['secret_key'], optionalComputed: [] });
  const providerType = objectTypeOf(providerBlock);
  let api: DewApi | undefined;
  let configureProblem: string | undefined;

  const capabilities = { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false };

  const resourceOf = (name: string): TfResource => {
    const r = resources.get(name);
    if (!r) throw new Error(`dew has no resource type ${name}`);
    return r;
  };
  const client = (): DewApi => {
    if (!api) throw new Error(configureProblem ?? 'the dew provider is not configured');
    return api;
  };
  const obj = (t: CtyType, dv: unknown): TfObject | null => (dv ? (decodeDynamicValue(t, dv as never) as TfObject | null) : null);
  const enc = (t: CtyType, v: TfObject | null) => encodeDynamicValue(t, v as CtyValue);
  const ctx = () => ({ configDir: opts.cwd, now });

  const configure = (config: TfObject | null): DewApi => {
    const c = config ? knownAttributes(config) : {};
    const direct = ['endpoint', 'access_key', 'secret_key', 'project_id'] as const;
    const given = direct.filter((k) => typeof c[k] === 'string' && c[k] !== '');
    let credentials: Credentials;
    if (given.length === direct.length) {
      credentials = { endpoint: String(c.endpoint), accessKey: String(c.access_key), secretKey: String(c.secret_key), projectId: String(c.project_id) };
    } else if (given.length > 0) {
      const missing = direct.filter((k) => !given.includes(k));
      throw Object.assign(new Error(`the provider configuration gives ${given.join(', ')} but not ${missing.join(', ')}: give all four, or credentials_file, or none (then DEW_* or .dew/credentials.json)`), { attribute: missing[0] });
    } else {
      const file = typeof c.credentials_file === 'string' && c.credentials_file !== '' ? c.credentials_file : undefined;
      credentials = resolveCredentials({ credentialsFile: file }, opts.env, opts.cwd, (p) => readFileSync(p, 'utf8')).credentials;
    }
    return opts.env.DEW_TOKEN
      ? new DewClient({ endpoint: credentials.endpoint, projectId: credentials.projectId, token: opts.env.DEW_TOKEN })
      : new DewClient({ endpoint: credentials.endpoint, projectId: credentials.projectId, accessKey: credentials.accessKey, secretKey: credentials.secretKey });
  };

  const validateWith = (rt: Checked, config: TfObject): Diagnostic[] => {
    const { known, present } = configuredArguments(rt.schema, config);
    return attributeProblems(rt, known, present).map((p) => error(`Invalid ${p.attribute}`, p.source === 'schema' ? `"${p.attribute}"${p.pointer.split('/').length > 2 ? ` (${p.pointer})` : ''} ${p.message}` : p.message, p.attribute));
  };

  return {
    async GetMetadata() {
      return {
        server_capabilities: capabilities,
        diagnostics: [],
        resources: [...resources.keys()].map((type_name) => ({ type_name })),
        data_sources: [...sources.keys()].map((type_name) => ({ type_name })),
        functions: [],
        ephemeral_resources: [],
      };
    },

    async GetProviderSchema() {
      return {
        provider: toProtoSchema({ version: 0, block: providerBlock }),
        resource_schemas: Object.fromEntries([...resources].map(([n, r]) => [n, toProtoSchema(r.schema())])),
        data_source_schemas: Object.fromEntries([...sources].map(([n, s]) => [n, toProtoSchema(s.schema)])),
        diagnostics: [],
        server_capabilities: capabilities,
        functions: {},
        ephemeral_resource_schemas: {},
      };
    },

    async ValidateProviderConfig(req) {
      const config = obj(providerType, req.config);
      const diagnostics: Diagnostic[] = [];
      if (config) {
        const c = knownAttributes(config);
        if (typeof c.endpoint === 'string' && !/^https?:\/\//.test(c.endpoint)) diagnostics.push(error('Invalid endpoint', `endpoint must be an http:// or https:// URL, not ${JSON.stringify(c.endpoint)}`, 'endpoint'));
      }
      return { diagnostics };
    },

    async ConfigureProvider(req) {
      try {
        api = configure(obj(providerType, req.config));
        configureProblem = undefined;
        return { diagnostics: [] };
      } catch (e) {
        api = undefined;
        const d = describe(e);
        configureProblem = d.summary;
        return { diagnostics: [error(`dew provider: ${d.summary}`, d.detail, (e as { attribute?: string }).attribute)] };
      }
    },

    async ValidateResourceConfig(req) {
      const r = resourceOf(req.type_name);
      const config = obj(r.type, req.config);
      return { diagnostics: config ? validateWith(r.rt, config) : [] };
    },

    async ValidateDataResourceConfig(req) {
      const s = sources.get(req.type_name);
      if (!s) return { diagnostics: [error(`dew has no data source ${req.type_name}`)] };
      const config = obj(s.type, req.config);
      if (!config) return { diagnostics: [] };
      return { diagnostics: validateWith({ schema: s.ds.schema, check: s.ds.check }, config) };
    },

    async UpgradeResourceState(req) {
      const r = resourceOf(req.type_name);
      const raw: Buffer | undefined = req.raw_state?.json;
      if (!raw || raw.length === 0) return { upgraded_state: enc(r.type, null), diagnostics: [] };
      if (Number(req.version ?? 0) > RESOURCE_SCHEMA_VERSION)
        return { diagnostics: [error(`${req.type_name}: the state was written by a newer dew provider (schema version ${req.version}, this one knows ${RESOURCE_SCHEMA_VERSION})`, 'upgrade the dew package, then run `npx dew terraform install` again')] };
      // older versions: the same attributes or fewer (decodeJson drops removed ones and fills new ones with null)
      return { upgraded_state: enc(r.type, r.upgrade(decodeJson(r.type, raw) as TfObject)), diagnostics: [] };
    },

    async ReadResource(req) {
      const r = resourceOf(req.type_name);
      const current = obj(r.type, req.current_state);
      if (!current) return { new_state: enc(r.type, null), diagnostics: [], private: req.private };
      try {
        const next = await r.read(client(), current, decodePrivate(req.private));
        return { new_state: enc(r.type, next), diagnostics: [], private: req.private };
      } catch (e) {
        return { new_state: req.current_state, diagnostics: [failure(req.type_name, e)], private: req.private };
      }
    },

    async PlanResourceChange(req) {
      const r = resourceOf(req.type_name);
      const prior = obj(r.type, req.prior_state);
      const proposed = obj(r.type, req.proposed_new_state);
      const config = proposed === null ? null : obj(r.type, req.config);
      const { planned, requiresReplace } = r.plan(prior, config);
      if (req.type_name === 'dew_hsm_instance' && prior && requiresReplace.length) {
        // as `dew plan`: an instance holding keys is never replaced (its keystore and keys would go with it)
        try {
          const refusal = await heldKeysRefusal(client(), prior, planned, requiresReplace, objectIdOf(decodePrivate(req.prior_private), prior));
          if (refusal) return { diagnostics: [error(refusal.summary, refusal.detail, requiresReplace[0])] };
        } catch (e) {
          return { diagnostics: [failure(req.type_name, e)] };
        }
      }
      return {
        planned_state: enc(r.type, planned),
        requires_replace: requiresReplace.map((k) => attributePath({ attribute_name: k })),
        planned_private: req.prior_private,
        diagnostics: [],
        legacy_type_system: false,
      };
    },

    async ApplyResourceChange(req) {
      const r = resourceOf(req.type_name);
      const prior = obj(r.type, req.prior_state);
      const planned = obj(r.type, req.planned_state);
      const config = planned === null ? null : obj(r.type, req.config);
      try {
        const { state, priv } = await r.apply(client(), prior, planned, config, decodePrivate(req.planned_private), ctx());
        return { new_state: enc(r.type, state), private: priv ? encodePrivate(priv) : Buffer.alloc(0), diagnostics: [], legacy_type_system: false };
      } catch (e) {
        if (e instanceof PartialApply) {
          return { new_state: enc(r.type, e.state), private: encodePrivate({ object_id: e.objectId }), diagnostics: [failure(req.type_name, e.cause, 'created but not finished: ')], legacy_type_system: false };
        }
        // nothing changed: the prior state stands (null for a create that made nothing)
        return { new_state: req.prior_state ?? enc(r.type, null), private: req.planned_private ?? Buffer.alloc(0), diagnostics: [failure(req.type_name, e)], legacy_type_system: false };
      }
    },

    async ImportResourceState(req) {
      const r = resourceOf(req.type_name);
      const id = String(req.id ?? '');
      try {
        const found = await r.importObject(client(), id);
        if (!found) return { imported_resources: [], diagnostics: [error(`${req.type_name}: no object with id ${JSON.stringify(id)}`, 'the id is the one `dew import` takes: see the resource type in the README')] };
        return { imported_resources: [{ type_name: req.type_name, state: enc(r.type, found.state), private: encodePrivate(found.priv) }], diagnostics: [] };
      } catch (e) {
        return { imported_resources: [], diagnostics: [failure(req.type_name, e)] };
      }
    },

    async ReadDataSource(req) {
      const s = sources.get(req.type_name);
      if (!s) return { diagnostics: [error(`dew has no data source ${req.type_name}`)] };
      const config = obj(s.type, req.config) ?? {};
      try {
        const attrs = await s.ds.read(client(), knownAttributes(config));
        return { state: enc(s.type, toObject(s.type, attrs)), diagnostics: [] };
      } catch (e) {
        return { diagnostics: [failure(req.type_name, e)] };
      }
    },

    async StopProvider() {
      return { Error: '' };
    },
  };
}
