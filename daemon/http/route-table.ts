/**
 * The route table: every service module's declared routes, compiled once at start-up (schemas to
 * validators, permissions to `Access`) into what the two HTTP paths serve. Static `POST` routes
 * under `/{version}/:project_id/…` (the KMS operations and their kind) are served by the op lane
 * (http/op-lane.ts) straight from node's request; every other route is mounted on Hono
 * (daemon/app.ts). Both run a route the same way: `CompiledRoute.run`.
 */
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { JsonSchema } from '../../schemas/index.js';
import type { Caller } from '../services/caller.js';
import type { AuditDraft } from '../services/audit.js';
import type { Access } from '../services/authorization.js';
import { checkModules, type Body, type Method, type ResourceOf, type RouteRequest, type ServiceModule } from '../modules/contract.js';
import { compileBody, serviceCodes, type BodyValidator } from './validate.js';
import { DewError } from '../errors.js';
import { MAX_BODY_BYTES } from './body-reader.js';
import { noteResource } from './audit-trail.js';

/** What a route is run with, whichever path received it. */
export interface RouteInput {
  readonly caller: Caller;
  readonly raw: Uint8Array;
  readonly audit: AuditDraft | undefined;
  readonly params: Readonly<Record<string, string>>;
  readonly query: (name: string) => string | undefined;
  readonly setHeader: (name: string, value: string) => void;
  /** A request header, as sent (undefined when absent). */
  readonly header: (name: string) => string | undefined;
  /** A public route's way to name the caller it proved (modules/contract.ts `RouteRequest.identify`). */
  readonly identify?: (accessKey: string, userId: string) => Caller;
}

export interface CompiledRoute {
  readonly module: string;
  readonly method: Method;
  /** The full Hono pattern (`/v1.0/:project_id/kms/:key_id/tags`). */
  readonly pattern: string;
  readonly access: Access;
  /** The edge asks no credential (modules/contract.ts `RouteSpec.public`); always served by Hono. */
  readonly public: boolean;
  readonly status: 200 | 201 | 204;
  /** The largest body it reads. */
  readonly maxBodyBytes: number;
  /** The schema id of its body, when it takes one (for the OpenAPI document). */
  readonly schema: string | undefined;
  /** Validates the body, notes the audited resource, calls the handler; resolves to the JSON answer. */
  run(input: RouteInput): Promise<unknown>;
  /** A body-reading error as this route's service answers it (a body over the limit: the service's own code and shape). */
  bodyError(err: unknown): unknown;
}

export interface RouteTable {
  /** Routes the op lane serves, by `{version}/{rest}` (`v1.0/kms/encrypt-data`). */
  readonly lane: ReadonlyMap<string, CompiledRoute>;
  /** Routes Hono serves. */
  readonly hono: readonly CompiledRoute[];
  /** Every route, in declaration order. */
  readonly all: readonly CompiledRoute[];
  /** The first path segments of every module's base (`v1.0`, `v3`, `v1`): requests under them are API calls and audited. */
  readonly prefixes: readonly string[];
}

const NO_BODY: Body = Object.freeze({}) as Body;

/** The lane key of a pattern `/{version}/:project_id/{static…}` for POST; undefined when the lane cannot serve it. */
export function laneKey(method: Method, pattern: string): string | undefined {
  if (method !== 'POST') return undefined;
  const seg = pattern.split('/');
  if (seg.length < 4 || seg[2] !== ':project_id' || seg.slice(3).some((s) => s.startsWith(':') || s === '')) return undefined;
  return `${seg[1]}/${seg.slice(3).join('/')}`;
}

function compileRoute(m: ServiceModule, r: ServiceModule['routes'][number], validate: BodyValidator<Body> | undefined, schema: JsonSchema | undefined): CompiledRoute {
  const resource: ResourceOf = { ...m.resource, ...r.resource };
  const codes = schema && serviceCodes(schema);
  const maxBodyBytes = r.maxBodyBytes ?? MAX_BODY_BYTES;
  const { request: before, answer: after, resolve } = resource;
  const handler = r.handler;
  return Object.freeze({
    module: m.name,
    method: r.method,
    pattern: m.base + r.path,
    access: Object.freeze({ operation: r.operation, permission: r.permission }),
    public: r.public === true,
    status: r.status ?? 200,
    maxBodyBytes,
    schema: r.schema,
    bodyError(err: unknown): unknown {
      if (!codes || !(err instanceof DewError) || err.code !== 'KMS.0203') return err;
      return new DewError(codes.json, 400, `The request body is larger than this operation takes (at most ${maxBodyBytes} bytes).`, { closesConnection: true });
    },
    async run(input: RouteInput): Promise<unknown> {
      const req: RouteRequest = {
        caller: input.caller,
        body: validate ? validate(input.raw) : NO_BODY,
        params: input.params,
        query: input.query,
        audit: input.audit,
        setHeader: input.setHeader,
        header: input.header,
        identify: input.identify,
      };
      const audit = input.audit;
      if (before) noteResource(audit, before(req));
      try {
        let answer = handler(req);
        // A handler answering at once is not awaited: one microtask turn less on the hot path.
        if (answer instanceof Promise) answer = await answer;
        if (after && answer !== undefined) noteResource(audit, after(answer));
        return answer;
      } finally {
        if (resolve && audit && audit.resourceId) resolveResource(audit, input.caller, resolve);
      }
    },
  });
}

/** Replaces the draft's resource name by its canonical id; a lookup refused for this caller keeps the name. */
function resolveResource(audit: AuditDraft, caller: Caller, resolve: NonNullable<ResourceOf['resolve']>): void {
  try {
    audit.resourceId = resolve(caller, audit.resourceId) ?? audit.resourceId;
  } catch {
    // keep the name as given
  }
}

/** Checks and compiles every module's routes; throws ModuleError (start-up refuses) on a bad declaration. */
export function buildRouteTable(modules: readonly ServiceModule[], ajv: Ajv2020, schemas: ReadonlyMap<string, JsonSchema>): RouteTable {
  checkModules(modules, (id) => schemas.has(id));
  const validators = new Map<string, BodyValidator<Body>>();
  const all: CompiledRoute[] = [];
  const lane = new Map<string, CompiledRoute>();
  const hono: CompiledRoute[] = [];
  for (const m of modules) {
    for (const r of m.routes) {
      let validate: BodyValidator<Body> | undefined;
      if (r.schema !== undefined) {
        validate = validators.get(r.schema);
        if (!validate) validators.set(r.schema, (validate = compileBody<Body>(ajv, schemas.get(r.schema) as JsonSchema)));
      }
      const route = compileRoute(m, r, validate, r.schema === undefined ? undefined : schemas.get(r.schema));
      all.push(route);
      const key = route.public ? undefined : laneKey(r.method, route.pattern);
      if (key !== undefined) lane.set(key, route);
      else hono.push(route);
    }
  }
  const prefixes = [...new Set(modules.map((m) => m.base.split('/')[1]))];
  return Object.freeze({ lane, hono: Object.freeze(hono), all: Object.freeze(all), prefixes: Object.freeze(prefixes) });
}
