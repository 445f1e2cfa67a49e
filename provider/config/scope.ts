/** The evaluation scope of a configuration: variables, locals (evaluated on demand) and the values of resource instances known so far. */
import { error, type Diagnostic } from './diagnostics.js';
import { evaluate, EvalError, type RootResolver } from './evaluate.js';
import type { FileReader } from './file-functions.js';
import type { Attribute, Config } from './model.js';
import { UNKNOWN, type Value, type ValueObject } from './values.js';

export type InstanceKey = null | number | string;

/** `TYPE.NAME`, `TYPE.NAME[0]` or `TYPE.NAME["k"]`. */
export function instanceAddress(resource: string, key: InstanceKey): string {
  if (key === null) return resource;
  return typeof key === 'number' ? `${resource}[${key}]` : `${resource}[${JSON.stringify(key)}]`;
}

/** Splits an instance address into its resource address and key. */
export function parseInstanceAddress(addr: string): { resource: string; key: InstanceKey } | undefined {
  const m = /^([A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)(?:\[(?:(\d+)|"((?:[^"\\]|\\.)*)")\])?$/.exec(addr.trim());
  if (!m) return undefined;
  return { resource: m[1], key: m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? (JSON.parse(`"${m[3]}"`) as string) : null };
}

export class ConfigScope {
  /** Resource address → its instances' values; undefined key set = the instances themselves are not known yet. */
  private readonly resources = new Map<string, { keys: 'unknown' } | { keys: 'known'; values: Map<InstanceKey, Value> }>();
  private readonly localCache = new Map<string, Value>();
  private readonly evaluating = new Set<string>();
  readonly diagnostics: Diagnostic[] = [];

  /** `files` serves file() and filebase64() (the configuration folder); without it they are refused. */
  constructor(
    readonly config: Config,
    readonly variables: ReadonlyMap<string, Value>,
    private readonly cacheLocals = true,
    private readonly files?: FileReader,
  ) {}

  setInstance(resource: string, key: InstanceKey, value: Value): void {
    let r = this.resources.get(resource);
    if (!r || r.keys === 'unknown') this.resources.set(resource, (r = { keys: 'known', values: new Map() }));
    r.values.set(key, value);
    this.localCache.clear();
  }

  /** The instances of a resource are not known (for_each/count not known at plan time). */
  setUnknownInstances(resource: string): void {
    this.resources.set(resource, { keys: 'unknown' });
    this.localCache.clear();
  }

  resourceValue(address: string): Value {
    const decl = this.config.resources.get(address);
    const r = this.resources.get(address);
    if (!decl) return null;
    if (!r || r.keys === 'unknown') return UNKNOWN;
    if (decl.count) return [...r.values.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
    if (decl.forEach) return Object.fromEntries([...r.values.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)).map(([k, v]) => [String(k), v]));
    return r.values.get(null) ?? UNKNOWN;
  }

  local(name: string): Value {
    if (this.cacheLocals && this.localCache.has(name)) return this.localCache.get(name)!;
    const decl = this.config.locals.get(name);
    if (!decl) return null;
    if (this.evaluating.has(name)) return UNKNOWN; // a cycle, reported by the graph
    this.evaluating.add(name);
    try {
      const v = this.evaluateAttribute(decl.attribute, {});
      if (this.cacheLocals) this.localCache.set(name, v);
      return v;
    } finally {
      this.evaluating.delete(name);
    }
  }

  /** A resolver for root names, with each/count bound for one instance. */
  resolver(bind: { each?: { key: Value; value: Value }; count?: number }): RootResolver {
    return (name) => {
      if (name === 'var') return Object.fromEntries(this.variables) as ValueObject;
      if (name === 'local') {
        // a lazy object would be nicer; locals are few, so evaluate the ones asked for through a proxy
        return new Proxy({} as ValueObject, {
          get: (_t, p) => (typeof p === 'string' ? this.local(p) : undefined),
          has: (_t, p) => typeof p === 'string' && this.config.locals.has(p),
          ownKeys: () => [...this.config.locals.keys()],
          getOwnPropertyDescriptor: (_t, p) => (typeof p === 'string' && this.config.locals.has(p) ? { enumerable: true, configurable: true, value: this.local(p) } : undefined),
        });
      }
      if (name === 'each') return bind.each ? { key: bind.each.key, value: bind.each.value } : undefined;
      if (name === 'count') return bind.count !== undefined ? { index: bind.count } : undefined;
      const names = [...this.config.resources.values()].filter((r) => r.type === name);
      if (names.length === 0) return undefined;
      return new Proxy({} as ValueObject, {
        get: (_t, p) => (typeof p === 'string' ? this.resourceValue(`${name}.${p}`) : undefined),
        has: (_t, p) => typeof p === 'string' && this.config.resources.has(`${name}.${p}`),
        ownKeys: () => names.map((r) => r.name),
        getOwnPropertyDescriptor: (_t, p) => (typeof p === 'string' && this.config.resources.has(`${name}.${p}`) ? { enumerable: true, configurable: true, value: this.resourceValue(`${name}.${p}`) } : undefined),
      });
    };
  }

  /** Evaluates one attribute; an evaluation error becomes a diagnostic at the attribute and the value unknown. */
  evaluateAttribute(a: Attribute, bind: { each?: { key: Value; value: Value }; count?: number }): Value {
    try {
      return evaluate(a.expr, this.resolver(bind), this.files);
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      this.diagnostics.push(error(e.message.split(':')[0], `${e.message}\n  in: ${a.text}`, a.range));
      return UNKNOWN;
    }
  }
}
