/**
 * The service-module contract: what a service (KMS, KPS, CSMS, HSM, and the dew-specific IAM,
 * stack, audit and token APIs) declares so the HTTP edge can serve it. One declaration per route:
 * method, path, operation name, the permission it needs, its request schema, its handler and how
 * the audited resource is found. The edge (daemon/app.ts, http/route-table.ts) mounts
 * authentication, the IP allow-list, authorization, body validation and the audit record from
 * these declarations, so a module cannot add a path that skips any of them: an undeclared path is
 * 404, and a route without a permission refuses to start (`compileModules`).
 */
import type { Caller } from '../services/caller.js';
import type { AuditDraft } from '../services/audit.js';
import type { Permission } from '../services/authorization.js';
import type { LiveView, PendingFinder } from '../services/stacks.js';

export type { Permission };

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A validated JSON request body (an empty object for routes that take none). */
export type Body = Record<string, unknown>;

/** What a handler is given: the caller, the validated body, path parameters, the query string. */
export interface RouteRequest {
  readonly caller: Caller;
  readonly body: Body;
  /** Path parameters by name (`key_id` of `/:key_id/tags`), decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** One query-string parameter, decoded (undefined when absent). */
  query(name: string): string | undefined;
  /** This request's audit record in progress (absent when the trail is off). */
  readonly audit: AuditDraft | undefined;
  /** Adds a response header (e.g. `X-Subject-Token`); never for secrets other than the one the route issues. */
  setHeader(name: string, value: string): void;
  /** A request header (a credential the route checks itself, as `X-Hsm-Credential`); undefined when absent. */
  header(name: string): string | undefined;
  /**
   * Only on a `public` route: the caller the route proved from its own credential (the console's
   * sign-in token): the access key's principal through the IP allow-list, bound to the audit
   * record. Throws the 401 when the key is gone or no longer the user's.
   */
  readonly identify?: (accessKey: string, userId: string) => Caller;
}

/** The JSON answer (undefined: an empty body), at once or as a promise. */
export type Handler = (req: RouteRequest) => unknown;

/** How a route names the resource its audit record is about (a key id, an alias first, a keypair name…). */
export interface ResourceOf {
  /** From the request, before the handler runs (a body field, a path or query parameter). */
  readonly request?: (req: RouteRequest) => unknown;
  /** From the answer, once it is known (a resolved key id replaces the alias the request gave). */
  readonly answer?: (answer: unknown) => unknown;
  /**
   * The canonical id of a name the request gave, for the caller (an alias to its key id), when the
   * answer did not give one (a failed call); undefined keeps the name. Runs once the handler is done.
   */
  readonly resolve?: (caller: Caller, named: string) => string | undefined;
}

export interface RouteSpec {
  readonly method: Method;
  /** Relative to the module's base, Hono syntax: `/encrypt-data`, `/:key_id/tags`. */
  readonly path: string;
  /** The operation name: in audit records, in role checks' messages and, for KMS, what grants match on. */
  readonly operation: string;
  /** What the caller's roles must allow (`any`: every authenticated caller; the service decides). Required. */
  readonly permission: Permission;
  /** The request body's schema id in schemas/ (`kms/encrypt-data`); absent: the route takes no body. */
  readonly schema?: string;
  readonly handler: Handler;
  /** How the audited resource is found: each part given here replaces the module's. */
  readonly resource?: ResourceOf;
  /**
   * The largest body the route reads (MAX_BODY_BYTES, 64 KiB, when absent): only routes whose
   * reference payload is larger (a secret backup blob) raise it, and the reader still stops there.
   */
  readonly maxBodyBytes?: number;
  /** The success status (200 when absent); 204 answers no body. */
  readonly status?: 200 | 201 | 204;
  /**
   * True: the edge asks for no credential; the route proves who calls from its body (the console's
   * one-time sign-in token) and names the caller through `req.identify` (until then `req.caller`
   * is anonymous: no account, no roles). Audited and validated like any route; `permission` must be `any`.
   */
  readonly public?: true;
}

/** A stack resource type's live view: what the daemon holds for one managed object (services/stacks.ts). */
export type { LiveView };

/** A change-feed handler: reloads the named rows another daemon changed (services/change-feed.ts). */
export type FeedHandler = (ids: string[]) => Promise<void> | void;

export interface ServiceModule {
  /** Short name (`kms`, `kps`, `csms`, `hsm`, `iam`, `stacks`, `audit`, `auth`). */
  readonly name: string;
  /** Where its routes live, Hono syntax: `/v1.0/:project_id/kms`, `/v3/:project_id`, `/v1/:project_id`. */
  readonly base: string;
  readonly routes: readonly RouteSpec[];
  /** The default way its routes name the audited resource. */
  readonly resource?: ResourceOf;
  /** Stack resource types whose live objects this module answers for (`dew_kms_alias`, …). */
  readonly liveViews?: Readonly<Record<string, LiveView>>;
  /** Stack resource types whose interrupted creates this module can find (services/stacks.ts). */
  readonly finders?: Readonly<Record<string, PendingFinder>>;
  /** Change-feed kinds this module reloads on (`key`, `grant`, …): one handler per kind across all modules. */
  readonly feeds?: Readonly<Record<string, FeedHandler>>;
}

/** A module declaration, checked at build time for shape only (`compileModules` checks the rest at start-up). */
export function defineModule(m: ServiceModule): ServiceModule {
  return Object.freeze({ ...m, routes: Object.freeze([...m.routes]) });
}

const PERMISSIONS: ReadonlySet<string> = new Set<Permission>(['read', 'use', 'manage', 'iam', 'any']);
const METHODS: ReadonlySet<string> = new Set<Method>(['GET', 'POST', 'PUT', 'DELETE']);

/** A start-up refusal: a module declares something the edge cannot serve safely. */
export class ModuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModuleError';
  }
}

/** Checks every module's declarations before anything is mounted; throws ModuleError naming the first bad route. */
export function checkModules(modules: readonly ServiceModule[], hasSchema: (id: string) => boolean): void {
  const seen = new Map<string, string>();
  const names = new Set<string>();
  const kinds = new Map<string, string>();
  const views = new Map<string, string>();
  for (const m of modules) {
    if (!m.name || names.has(m.name)) throw new ModuleError(`service module ${JSON.stringify(m.name)}: a module needs a unique name`);
    names.add(m.name);
    if (!/^\/[A-Za-z0-9.]+(\/(:[a-z_]+|[A-Za-z0-9._-]+))*$/.test(m.base)) throw new ModuleError(`service module ${m.name}: base ${JSON.stringify(m.base)} is not a path`);
    for (const r of m.routes) {
      const where = `service module ${m.name}: route ${r.method} ${m.base}${r.path}`;
      if (!METHODS.has(r.method)) throw new ModuleError(`${where}: unknown method`);
      if (!r.path.startsWith('/')) throw new ModuleError(`${where}: the path must start with /`);
      if (!r.operation) throw new ModuleError(`${where}: declares no operation name`);
      if (r.permission === undefined) throw new ModuleError(`${where} (${r.operation}) declares no permission: say which role permission it needs ('read', 'use', 'manage', 'iam') or 'any'`);
      if (!PERMISSIONS.has(r.permission)) throw new ModuleError(`${where}: unknown permission ${JSON.stringify(r.permission)}`);
      if (r.schema !== undefined && !hasSchema(r.schema)) throw new ModuleError(`${where}: schema ${r.schema} is missing from schemas/`);
      if (typeof r.handler !== 'function') throw new ModuleError(`${where}: declares no handler`);
      if (r.public && r.permission !== 'any') throw new ModuleError(`${where}: a public route proves its caller itself, so its permission must be 'any'`);
      // `/:a/x` and `/:b/x` are the same route to the router.
      const shape = `${r.method} ${(m.base + r.path).replace(/:[a-z_]+/g, ':')}`;
      const twin = seen.get(shape);
      if (twin) throw new ModuleError(`${where}: the same route as ${twin}`);
      seen.set(shape, where);
    }
    for (const kind of Object.keys(m.feeds ?? {})) {
      const other = kinds.get(kind);
      if (other) throw new ModuleError(`service module ${m.name}: change-feed kind ${kind} is already handled by module ${other}`);
      kinds.set(kind, m.name);
    }
    for (const type of Object.keys(m.liveViews ?? {})) {
      const other = views.get(type);
      if (other) throw new ModuleError(`service module ${m.name}: live view ${type} is already declared by module ${other}`);
      views.set(type, m.name);
    }
  }
}
