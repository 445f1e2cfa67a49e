/** Decodes parsed files into the configuration model, checking block kinds, resource types, attribute names and references. */
import { basename } from 'node:path';
import { error, warning, type Diagnostic, type SourceRange } from './diagnostics.js';
import { suggestion } from './did-you-mean.js';
import { parseExpression, parseTemplate, referencesOf, traversalOf, ExprSyntaxError, type Expr } from './expression-parser.js';
import { evaluate } from './evaluate.js';
import { isFunction } from './functions.js';
import type { SourceFile } from './load.js';
import type { Attribute, Config, Lifecycle, LocatedReference, OutputDecl, ResourceDecl, VariableDecl } from './model.js';
import { toTypeConstraint } from './type-constraints.js';
import { resourceType, resourceTypeNames } from '../resources/registry.js';
import { argumentNames, exportedNames } from '../resources/resource-type.js';

const TOP_LEVEL = ['dew', 'variable', 'locals', 'output', 'resource'];
const META_ARGUMENTS = ['count', 'for_each', 'depends_on', 'lifecycle', 'provider'];

function asBlocks(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x));
  if (typeof v === 'object' && v !== null) return [v as Record<string, unknown>];
  return [];
}

function asLabelled(v: unknown): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (const group of asBlocks(v)) for (const [label, body] of Object.entries(group)) for (const b of asBlocks(body)) out.push([label, b]);
  return out;
}

/** Turns a parsed value into an expression: strings are templates, containers recurse. */
export function toExpr(raw: unknown): Expr {
  if (typeof raw === 'string') return parseTemplate(raw);
  if (raw === null || typeof raw === 'number' || typeof raw === 'boolean') return { k: 'lit', v: raw, at: 0 };
  if (Array.isArray(raw)) return { k: 'tuple', items: raw.map(toExpr), at: 0 };
  if (typeof raw === 'object') {
    return {
      k: 'object',
      items: Object.entries(raw as Record<string, unknown>).map(([key, value]) => ({ key: /^\$\{[\s\S]*\}$/.test(key) ? parseTemplate(key) : ({ k: 'lit', v: key, at: 0 } as Expr), value: toExpr(value) })),
      at: 0,
    };
  }
  return { k: 'lit', v: null, at: 0 };
}

/** A bare expression written as a string: `"${x}"` in HCL output, or `"x"` in JSON syntax (types, depends_on, ignore_changes). */
function bareExpr(raw: unknown): Expr {
  if (typeof raw !== 'string') return toExpr(raw);
  return /^\$\{[\s\S]*\}$/.test(raw) ? parseTemplate(raw) : parseExpression(raw);
}

export interface DecodeResult {
  config: Config;
  diagnostics: Diagnostic[];
}

export function decodeConfig(dir: string, files: readonly SourceFile[]): DecodeResult {
  const diags: Diagnostic[] = [];
  const config: Config = { dir, stack: basename(dir), resources: new Map(), variables: new Map(), locals: new Map(), outputs: new Map(), sources: new Map() };
  let stackRange: SourceRange | undefined;

  const attribute = (file: SourceFile, path: string[], name: string, raw: unknown, bare = false): Attribute | undefined => {
    const range = file.map.range([...path, name]);
    try {
      return { name, expr: bare ? bareExpr(raw) : toExpr(raw), text: typeof raw === 'string' ? raw : JSON.stringify(raw), range };
    } catch (e) {
      if (e instanceof ExprSyntaxError) {
        diags.push(error('Invalid expression', `${e.message} in ${JSON.stringify(raw)}`, range, 'Check the expression syntax: quotes, brackets and operators.'));
        return undefined;
      }
      throw e;
    }
  };

  for (const file of files) {
    config.sources.set(file.name, file.text);
    for (const [key, value] of Object.entries(file.body)) {
      if (key === '//') continue; // JSON syntax comment
      if (!TOP_LEVEL.includes(key)) {
        const unsupported = ['data', 'module', 'provider', 'terraform', 'moved', 'import', 'removed', 'check'].includes(key);
        diags.push(error(unsupported ? `Unsupported block type "${key}"` : `Unknown block type "${key}"`, unsupported ? `dew does not support "${key}" blocks.` : `Blocks of type "${key}" are not expected here.`, file.map.range([key]), unsupported ? 'Supported blocks: dew, variable, locals, output, resource.' : suggestion(key, TOP_LEVEL)));
        continue;
      }
      if (key === 'dew') {
        for (const b of asBlocks(value)) {
          for (const [k, v] of Object.entries(b)) {
            if (k !== 'stack') diags.push(error(`Unsupported argument "${k}" in the dew block`, undefined, file.map.range(['dew', k]), suggestion(k, ['stack']) ?? 'The dew block takes only "stack".'));
            else if (typeof v !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(v)) diags.push(error('Invalid stack name', 'The stack name must be a literal of 1–64 letters, digits, "_", "." or "-".', file.map.range(['dew', 'stack'])));
            else if (stackRange && v !== config.stack) diags.push(error('Duplicate stack name', `The stack is already named "${config.stack}" at ${stackRange.file}:${stackRange.line}.`, file.map.range(['dew', 'stack'])));
            else {
              config.stack = v;
              stackRange = file.map.range(['dew', 'stack']);
            }
          }
        }
      } else if (key === 'variable') {
        for (const [name, body] of asLabelled(value)) decodeVariable(file, name, body);
      } else if (key === 'locals') {
        for (const b of asBlocks(value))
          for (const [name, raw] of Object.entries(b)) {
            if (config.locals.has(name)) {
              diags.push(error(`Duplicate local value "${name}"`, `local.${name} is already defined at ${fmtRange(config.locals.get(name)!.attribute.range)}.`, file.map.range(['locals', name])));
              continue;
            }
            const a = attribute(file, ['locals'], name, raw);
            if (a) config.locals.set(name, { name, attribute: a });
          }
      } else if (key === 'output') {
        for (const [name, body] of asLabelled(value)) decodeOutput(file, name, body);
      } else if (key === 'resource') {
        for (const group of asBlocks(value))
          for (const [type, byName] of Object.entries(group)) for (const [name, body] of asLabelled([byName])) decodeResource(file, type, name, body);
      }
    }
  }

  function fmtRange(r: SourceRange): string {
    return `${r.file}:${r.line}:${r.column}`;
  }

  function decodeVariable(file: SourceFile, name: string, body: Record<string, unknown>): void {
    const path = ['variable', name];
    const range = file.map.range(path);
    if (config.variables.has(name)) {
      diags.push(error(`Duplicate variable "${name}"`, `var.${name} is already declared at ${fmtRange(config.variables.get(name)!.range)}.`, range));
      return;
    }
    const v: VariableDecl = { name, hasDefault: false, sensitive: false, range };
    for (const [k, raw] of Object.entries(body)) {
      const at = file.map.range([...path, k]);
      if (k === 'type') {
        try {
          const t = toTypeConstraint(bareExpr(raw));
          if (typeof t === 'string') diags.push(error('Invalid type specification', t, at));
          else v.type = t;
        } catch (e) {
          diags.push(error('Invalid type specification', (e as Error).message, at));
        }
      } else if (k === 'default') {
        try {
          v.default = evaluate(toExpr(raw), () => undefined);
          v.hasDefault = true;
        } catch (e) {
          diags.push(error('Invalid default value', `Variable defaults must be literal values: ${(e as Error).message}`, at));
        }
      } else if (k === 'sensitive') {
        if (typeof raw !== 'boolean') diags.push(error('Invalid value for "sensitive"', 'sensitive must be true or false.', at));
        else v.sensitive = raw;
      } else if (k === 'description') v.description = String(raw);
      else if (k !== 'nullable' && k !== 'validation') diags.push(error(`Unsupported argument "${k}" in variable "${name}"`, undefined, at, suggestion(k, ['type', 'default', 'sensitive', 'description']) ?? 'A variable takes type, default, sensitive and description.'));
    }
    config.variables.set(name, v);
  }

  function dependsOn(file: SourceFile, path: string[], raw: unknown): { address: string; range: SourceRange }[] {
    const range = file.map.range([...path, 'depends_on']);
    const out: { address: string; range: SourceRange }[] = [];
    const items = Array.isArray(raw) ? raw : [raw];
    for (const item of items) {
      let t;
      try {
        t = traversalOf(bareExpr(item));
      } catch {
        t = undefined;
      }
      if (!t || t.steps.length < 1 || typeof t.steps[0] !== 'string') {
        diags.push(error('Invalid depends_on reference', `depends_on takes resource references such as dew_kms_key.app, not ${JSON.stringify(item)}.`, range));
        continue;
      }
      out.push({ address: `${t.root}.${t.steps[0]}`, range });
    }
    return out;
  }

  function decodeOutput(file: SourceFile, name: string, body: Record<string, unknown>): void {
    const path = ['output', name];
    const range = file.map.range(path);
    if (config.outputs.has(name)) {
      diags.push(error(`Duplicate output "${name}"`, `output "${name}" is already defined at ${fmtRange(config.outputs.get(name)!.range)}.`, range));
      return;
    }
    let value: Attribute | undefined;
    const out: Partial<OutputDecl> = { name, sensitive: false, dependsOn: [], range };
    for (const [k, raw] of Object.entries(body)) {
      const at = file.map.range([...path, k]);
      if (k === 'value') value = attribute(file, path, k, raw);
      else if (k === 'sensitive') {
        if (typeof raw !== 'boolean') diags.push(error('Invalid value for "sensitive"', 'sensitive must be true or false.', at));
        else out.sensitive = raw;
      } else if (k === 'description') out.description = String(raw);
      else if (k === 'depends_on') out.dependsOn = dependsOn(file, path, raw);
      else diags.push(error(`Unsupported argument "${k}" in output "${name}"`, undefined, at, suggestion(k, ['value', 'sensitive', 'description', 'depends_on'])));
    }
    if (!value) {
      if (!('value' in body)) diags.push(error(`Missing required argument "value" in output "${name}"`, undefined, range, 'Add value = <expression>.'));
      return;
    }
    config.outputs.set(name, { ...(out as OutputDecl), value });
  }

  function decodeLifecycle(file: SourceFile, path: string[], raw: unknown, args: string[]): Lifecycle {
    const lc: Lifecycle = { preventDestroy: false, ignoreChanges: [] };
    for (const b of asBlocks(raw)) {
      for (const [k, v] of Object.entries(b)) {
        const at = file.map.range([...path, 'lifecycle', k]);
        if (k === 'prevent_destroy') {
          if (typeof v !== 'boolean') diags.push(error('Invalid prevent_destroy', 'prevent_destroy must be a literal true or false.', at));
          else lc.preventDestroy = v;
        } else if (k === 'ignore_changes') {
          if (v === 'all' || v === '${all}') {
            lc.ignoreChanges = 'all';
            continue;
          }
          const names: string[] = [];
          for (const item of Array.isArray(v) ? v : [v]) {
            let t;
            try {
              t = traversalOf(bareExpr(item));
            } catch {
              t = undefined;
            }
            if (!t) diags.push(error('Invalid ignore_changes entry', `Expected an attribute name, got ${JSON.stringify(item)}.`, at));
            else if (t.root === 'all') lc.ignoreChanges = 'all';
            else if (!args.includes(t.root)) diags.push(error(`Unsupported attribute "${t.root}" in ignore_changes`, `The resource type has no argument named "${t.root}".`, at, suggestion(t.root, args)));
            else names.push(t.root);
          }
          if (lc.ignoreChanges !== 'all') lc.ignoreChanges = names;
        } else if (k === 'create_before_destroy') diags.push(warning('create_before_destroy is not supported', 'dew replaces objects by destroying them first; this setting is ignored.', at));
        else diags.push(error(`Unsupported lifecycle argument "${k}"`, undefined, at, suggestion(k, ['prevent_destroy', 'ignore_changes']) ?? 'lifecycle takes prevent_destroy and ignore_changes.'));
      }
    }
    return lc;
  }

  function decodeResource(file: SourceFile, type: string, name: string, body: Record<string, unknown>): void {
    const path = ['resource', type, name];
    const range = file.map.range(path);
    const address = `${type}.${name}`;
    const rt = resourceType(type);
    if (!rt) {
      diags.push(error(`Unknown resource type "${type}"`, `dew does not know the resource type "${type}".`, range, suggestion(type, resourceTypeNames()) ?? `Known types: ${resourceTypeNames().join(', ')}.`));
      return;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) diags.push(error('Invalid resource name', `"${name}" is not a valid name: use letters, digits, "_" and "-", starting with a letter or "_".`, range));
    if (config.resources.has(address)) {
      diags.push(error(`Duplicate resource "${address}"`, `${address} is already declared at ${fmtRange(config.resources.get(address)!.range)}.`, range, 'Give each resource block a unique name.'));
      return;
    }
    const args = argumentNames(rt.schema);
    const exported = exportedNames(rt.schema);
    const decl: ResourceDecl = { type, name, address, range, attributes: new Map(), dependsOn: [], lifecycle: { preventDestroy: false, ignoreChanges: [] } };
    for (const [k, raw] of Object.entries(body)) {
      const at = file.map.range([...path, k]);
      if (k === 'lifecycle') decl.lifecycle = decodeLifecycle(file, path, raw, args);
      else if (k === 'depends_on') decl.dependsOn = dependsOn(file, path, raw);
      else if (k === 'count' || k === 'for_each') {
        const a = attribute(file, path, k, raw);
        if (a) decl[k === 'count' ? 'count' : 'forEach'] = a;
      } else if (k === 'provider') diags.push(error('Unsupported argument "provider"', 'dew has a single provider; remove the provider argument.', at));
      else if (exported.includes(k)) diags.push(error(`Cannot set "${k}"`, `"${k}" is exported by ${type} (computed by the daemon) and cannot be set in configuration.`, at, `Remove it; read it elsewhere as ${address}.${k}.`));
      else if (!args.includes(k)) diags.push(error(`Unsupported argument "${k}"`, `An argument named "${k}" is not expected in ${type}.`, at, suggestion(k, [...args, ...META_ARGUMENTS]) ?? `${type} takes: ${args.join(', ')}.`));
      else {
        const a = attribute(file, path, k, raw);
        if (a) decl.attributes.set(k, a);
      }
    }
    if (decl.count && decl.forEach) diags.push(error('Invalid combination of "count" and "for_each"', 'A resource may use count or for_each, not both.', decl.forEach.range));
    for (const req of rt.schema.required ?? []) {
      if (!decl.attributes.has(req) && !(body[req] !== undefined)) diags.push(error(`Missing required argument "${req}"`, `The argument "${req}" is required in ${type}, but no definition was found.`, range, `Add ${req} = … to ${address}.`));
    }
    config.resources.set(address, decl);
  }

  diags.push(...checkReferences(config));
  return { config, diagnostics: diags };
}

/** Every reference in an attribute, located at the attribute. */
export function attributeReferences(a: Attribute): LocatedReference[] {
  return referencesOf(a.expr).map((r) => ({ ...r, range: a.range }));
}

/** References to undeclared variables, locals, resources or attributes, and misplaced each/count. */
function checkReferences(config: Config): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const check = (a: Attribute, ctx: { each: boolean; count: boolean; self?: string }): void => {
    for (const r of attributeReferences(a)) {
      const at = r.range;
      const step0 = r.steps[0];
      switch (r.root) {
        case 'var':
          if (typeof step0 !== 'string') diags.push(error('Invalid reference', 'A reference to a variable needs a name: var.NAME.', at));
          else if (!config.variables.has(step0))
            diags.push(error('Reference to undeclared input variable', `An input variable with the name "${step0}" has not been declared.`, at, suggestion(step0, config.variables.keys()) ?? `Declare it with variable "${step0}" {}.`));
          break;
        case 'local':
          if (typeof step0 !== 'string') diags.push(error('Invalid reference', 'A reference to a local value needs a name: local.NAME.', at));
          else if (!config.locals.has(step0))
            diags.push(error('Reference to undeclared local value', `A local value with the name "${step0}" has not been declared.`, at, suggestion(step0, config.locals.keys()) ?? `Declare it in a locals block.`));
          break;
        case 'each':
          if (!ctx.each) diags.push(error('Reference to "each" in context without for_each', 'each.key and each.value are only available in resources that set for_each.', at));
          else if (step0 !== 'key' && step0 !== 'value') diags.push(error('Invalid "each" attribute', 'Use each.key or each.value.', at, suggestion(String(step0), ['key', 'value'])));
          break;
        case 'count':
          if (!ctx.count) diags.push(error('Reference to "count" in non-counted context', 'count.index is only available in resources that set count.', at));
          else if (step0 !== 'index') diags.push(error('Invalid "count" attribute', 'Use count.index.', at));
          break;
        default: {
          const rt = resourceType(r.root);
          if (!rt) {
            if (['string', 'number', 'bool', 'any'].includes(r.root) || isFunction(r.root)) {
              diags.push(error('Invalid reference', `"${r.root}" is not a value here.`, at));
              break;
            }
            const roots = ['var', 'local', 'each', 'count', ...resourceTypeNames()];
            diags.push(error(r.root === 'data' || r.root === 'module' ? `Unsupported reference to ${r.root}` : 'Reference to undeclared resource type', `"${r.root}" is not a variable, local value or known resource type.`, at, suggestion(r.root, roots)));
            break;
          }
          if (typeof step0 !== 'string') {
            diags.push(error('Invalid reference', `A reference to a resource needs a name: ${r.root}.NAME.`, at));
            break;
          }
          const target = config.resources.get(`${r.root}.${step0}`);
          if (!target) {
            const names = [...config.resources.values()].filter((x) => x.type === r.root).map((x) => x.name);
            diags.push(error('Reference to undeclared resource', `A managed resource "${r.root}" "${step0}" has not been declared.`, at, suggestion(step0, names) ?? `Declare resource "${r.root}" "${step0}".`));
            break;
          }
          if (target.address === ctx.self) {
            diags.push(error('Self-referential block', `${target.address} cannot refer to itself.`, at));
            break;
          }
          const repeated = Boolean(target.count || target.forEach);
          const attrStep = repeated ? r.steps[2] : r.steps[1];
          if (repeated && r.steps.length === 2) break; // whole collection
          if (!repeated && typeof r.steps[1] === 'number') {
            diags.push(error('Unexpected resource instance key', `${target.address} does not use count or for_each, so it cannot be indexed.`, at, `Use ${target.address}.ATTRIBUTE.`));
            break;
          }
          if (typeof attrStep === 'string') {
            const names = Object.keys(rt.schema.properties);
            if (!names.includes(attrStep)) diags.push(error('Unsupported attribute', `This object has no argument or attribute named "${attrStep}" (${target.address} is a ${rt.type}).`, at, suggestion(attrStep, names)));
          }
        }
      }
    }
  };
  for (const r of config.resources.values()) {
    const ctx = { each: Boolean(r.forEach), count: Boolean(r.count), self: r.address };
    for (const a of r.attributes.values()) check(a, ctx);
    if (r.count) check(r.count, { each: false, count: false, self: r.address });
    if (r.forEach) check(r.forEach, { each: false, count: false, self: r.address });
  }
  for (const l of config.locals.values()) check(l.attribute, { each: false, count: false });
  for (const o of config.outputs.values()) check(o.value, { each: false, count: false });
  for (const decl of [...config.resources.values(), ...config.outputs.values()])
    for (const d of decl.dependsOn)
      if (!config.resources.has(d.address)) diags.push(error('Reference to undeclared resource in depends_on', `${d.address} is not declared.`, d.range, suggestion(d.address, config.resources.keys())));
  return diags;
}
