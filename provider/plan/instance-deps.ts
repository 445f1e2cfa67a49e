/**
 * What one resource instance waits for at apply: the instances it names. `dew_kms_key.k[count.index]`
 * names one instance of k (the index evaluated for this instance); `dew_kms_key.k[*]`, `length(dew_kms_key.k)`,
 * a reference through a local value and depends_on name the whole resource.
 */
import { evaluate } from '../config/evaluate.js';
import { subExpressions, withBinds, type Expr } from '../config/expression-parser.js';
import type { Bind } from '../config/instances.js';
import type { Config, ResourceDecl } from '../config/model.js';
import { instanceAddress, type ConfigScope } from '../config/scope.js';
import { UNKNOWN, unmark } from '../config/values.js';

/** `TYPE.NAME` when `e` is that traversal of a declared resource (and TYPE is not a for-expression name). */
function resourceOf(e: Expr, config: Config, bound: ReadonlySet<string>): string | undefined {
  if (e.k !== 'attr' || e.obj.k !== 'var' || bound.has(e.obj.name)) return undefined;
  const address = `${e.obj.name}.${e.name}`;
  return config.resources.has(address) ? address : undefined;
}

/** Instance addresses (or whole resource addresses) the instance of `decl` bound by `bind` depends on. */
export function instanceDependencies(decl: ResourceDecl, bind: Bind, scope: ConfigScope, config: Config): string[] {
  const out = new Set<string>();
  const localsSeen = new Set<string>();

  /** Everything a local value refers to counts as the whole resource: what it selects depends on no instance. */
  const wholeOf = (e: Expr, bound: ReadonlySet<string>): void => {
    const r = resourceOf(e, config, bound);
    if (r) {
      out.add(r);
      return;
    }
    if (e.k === 'attr' && e.obj.k === 'var' && e.obj.name === 'local' && !bound.has('local')) viaLocal(e.name);
    for (const c of subExpressions(e)) wholeOf(c.e, withBinds(bound, c.binds));
  };
  const viaLocal = (name: string): void => {
    const l = config.locals.get(name);
    if (!l || localsSeen.has(name)) return;
    localsSeen.add(name);
    wholeOf(l.attribute.expr, new Set());
  };

  const walk = (e: Expr, bound: ReadonlySet<string>): void => {
    if (e.k === 'index') {
      const r = resourceOf(e.obj, config, bound);
      if (r) {
        // inside a for-expression the index may depend on the iteration: the whole resource then
        const key = bound.size ? undefined : indexKey(config.resources.get(r)!, e.key);
        out.add(key === undefined ? r : instanceAddress(r, key));
        walk(e.key, bound);
        return;
      }
    }
    const r = resourceOf(e, config, bound);
    if (r) {
      out.add(r);
      return;
    }
    if (e.k === 'attr' && e.obj.k === 'var' && e.obj.name === 'local' && !bound.has('local')) {
      viaLocal(e.name);
      return;
    }
    for (const c of subExpressions(e)) walk(c.e, withBinds(bound, c.binds));
  };

  /** The instance key the index names for this instance; undefined when plan time cannot tell (or the resource is not repeated). */
  const indexKey = (target: ResourceDecl, k: Expr): number | string | undefined => {
    let v: unknown;
    try {
      v = unmark(evaluate(k, scope.resolver(bind))).value;
    } catch {
      return undefined;
    }
    if (v === UNKNOWN || (typeof v !== 'number' && typeof v !== 'string')) return undefined;
    if (target.count) {
      const n = Number(v);
      return Number.isInteger(n) && n >= 0 ? n : undefined;
    }
    return target.forEach ? String(v) : undefined;
  };

  for (const a of decl.attributes.values()) walk(a.expr, new Set());
  for (const a of [decl.count, decl.forEach]) if (a) wholeOf(a.expr, new Set());
  for (const d of decl.dependsOn) if (config.resources.has(d.address)) out.add(d.address);
  out.delete(decl.address);
  return [...out].sort();
}
