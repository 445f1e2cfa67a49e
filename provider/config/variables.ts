/** Resolves input variable values: defaults, then TF_VAR_name, DEW_VAR_name, then -var-file and -var in command-line order (last wins). */
import { readFile } from 'node:fs/promises';
import { error, type Diagnostic } from './diagnostics.js';
import { suggestion } from './did-you-mean.js';
import { parseExpression } from './expression-parser.js';
import { evaluate } from './evaluate.js';
import { parseHcl } from './hcl.js';
import type { Config, VariableDecl } from './model.js';
import { convertValue, ConversionError, describeType } from './type-constraints.js';
import { Sensitive, type Json, type Value } from './values.js';
import { toExpr } from './decode.js';

export type VariableInput = { kind: 'var'; text: string } | { kind: 'file'; path: string };

/** A raw value from the command line or environment: strings stay strings for string variables, else HCL syntax. */
function rawValue(decl: VariableDecl | undefined, text: string): Value {
  const k = decl?.type?.kind;
  if (k === undefined || k === 'string') return text;
  return evaluate(parseExpression(text), () => undefined);
}

/** Reads a -var-file (.json or HCL) into name → value. */
export async function readVarFile(path: string): Promise<{ values: Map<string, Value>; diagnostics: Diagnostic[] }> {
  const values = new Map<string, Value>();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return { values, diagnostics: [error('Cannot read variable file', `${path}: ${(e as Error).message}`)] };
  }
  if (path.endsWith('.json')) {
    try {
      const body = JSON.parse(text) as Record<string, Json>;
      for (const [k, v] of Object.entries(body)) values.set(k, v);
    } catch (e) {
      return { values, diagnostics: [error('Invalid variable file', `${path}: ${(e as Error).message}`, { file: path, line: 1, column: 1 })] };
    }
    return { values, diagnostics: [] };
  }
  const res = await parseHcl(path, text);
  if (!res.body) return { values, diagnostics: res.diagnostics };
  const diagnostics: Diagnostic[] = [];
  for (const [k, raw] of Object.entries(res.body)) {
    try {
      values.set(k, evaluate(toExpr(raw), () => undefined));
    } catch (e) {
      diagnostics.push(error('Invalid variable value', `${k} in ${path}: variable files take literal values (${(e as Error).message}).`, { file: path, line: 1, column: 1 }));
    }
  }
  return { values, diagnostics };
}

export async function resolveVariables(config: Config, inputs: readonly VariableInput[], env: Readonly<Record<string, string | undefined>>): Promise<{ values: Map<string, Value>; diagnostics: Diagnostic[] }> {
  const diags: Diagnostic[] = [];
  const given = new Map<string, { value: Value; source: string }>();
  // TF_VAR_name as Terraform reads it, then DEW_VAR_name, which wins when both are set
  const fromEnv = (prefix: string) => Object.entries(env).filter(([k, v]) => k.startsWith(prefix) && v !== undefined);
  for (const [k, v] of [...fromEnv('TF_VAR_'), ...fromEnv('DEW_VAR_')] as [string, string][]) {
    const name = k.slice(k.indexOf('_VAR_') + '_VAR_'.length);
    const decl = config.variables.get(name);
    if (!decl) continue; // like TF_VAR_, undeclared environment values are ignored
    try {
      given.set(name, { value: rawValue(decl, v), source: `environment variable ${k}` });
    } catch (e) {
      diags.push(error(`Invalid value for variable "${name}"`, `${k}: ${(e as Error).message}`));
    }
  }
  for (const input of inputs) {
    if (input.kind === 'file') {
      const res = await readVarFile(input.path);
      diags.push(...res.diagnostics);
      for (const [name, value] of res.values) {
        if (!config.variables.has(name)) diags.push(error('Value for undeclared variable', `The file ${input.path} sets "${name}", which is not declared.`, undefined, suggestion(name, config.variables.keys())));
        else given.set(name, { value, source: input.path });
      }
    } else {
      const eq = input.text.indexOf('=');
      if (eq <= 0) {
        diags.push(error('Invalid -var option', `The option -var "${input.text}" is not of the form NAME=VALUE.`));
        continue;
      }
      const name = input.text.slice(0, eq);
      const decl = config.variables.get(name);
      if (!decl) {
        diags.push(error('Value for undeclared variable', `A variable named "${name}" was assigned with -var, but it is not declared.`, undefined, suggestion(name, config.variables.keys()) ?? `Declare it with variable "${name}" {}.`));
        continue;
      }
      try {
        given.set(name, { value: rawValue(decl, input.text.slice(eq + 1)), source: '-var' });
      } catch (e) {
        diags.push(error(`Invalid value for variable "${name}"`, `-var ${name}=…: ${(e as Error).message}`));
      }
    }
  }
  const values = new Map<string, Value>();
  for (const decl of config.variables.values()) {
    const g = given.get(decl.name);
    if (!g && !decl.hasDefault) {
      diags.push(error(`No value for required variable "${decl.name}"`, `The variable "${decl.name}" has no default, so a value is required.`, decl.range, `Set it with -var ${decl.name}=…, -var-file FILE or the environment variable DEW_VAR_${decl.name} (or TF_VAR_${decl.name}).`));
      continue;
    }
    let value: Value = g ? g.value : (decl.default ?? null);
    if (decl.type) {
      try {
        value = convertValue(value, decl.type);
      } catch (e) {
        if (!(e instanceof ConversionError)) throw e;
        const where = e.path.length ? ` at ${e.path.map((p) => `[${JSON.stringify(p)}]`).join('')}` : '';
        diags.push(error(`Invalid value for variable "${decl.name}"`, `The value from ${g?.source ?? 'the default'} is not a ${describeType(decl.type)}: ${e.message}${where}.`, decl.range));
        continue;
      }
    }
    values.set(decl.name, decl.sensitive ? new Sensitive(value) : value);
  }
  return { values, diagnostics: diags };
}
