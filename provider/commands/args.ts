/** Terraform-style flag parsing for dew commands: `-x` or `--x`, `-x=v` or `-x v`, repeatable flags, positionals. */
import { suggestion } from '../config/did-you-mean.js';
import { CliError } from './context.js';

export type FlagKind = 'bool' | 'string' | 'multi';

export interface ParsedArgs {
  bools: Set<string>;
  strings: Map<string, string>;
  multi: Map<string, string[]>;
  /** `-var` and `-var-file` in command-line order (later wins). */
  ordered: { flag: string; value: string }[];
  positionals: string[];
}

export function parseArgs(argv: readonly string[], spec: Readonly<Record<string, FlagKind>>, command: string): ParsedArgs {
  const out: ParsedArgs = { bools: new Set(), strings: new Map(), multi: new Map(), ordered: [], positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const kind = spec[name];
    if (!kind) {
      throw new CliError('usage', `dew ${command}: unknown flag ${a}`, { hint: suggestion(name, Object.keys(spec))?.replace(/"(.*)"/, '"-$1"') ?? `Flags: ${Object.keys(spec).map((f) => `-${f}`).join(' ')}` });
    }
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (kind === 'bool') {
      if (value !== undefined && value !== 'true' && value !== 'false') throw new CliError('usage', `dew ${command}: -${name} takes true or false, not "${value}"`);
      if (value === 'false') out.bools.delete(name);
      else out.bools.add(name);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new CliError('usage', `dew ${command}: -${name} needs a value`);
    }
    if (kind === 'string') out.strings.set(name, value);
    else out.multi.set(name, [...(out.multi.get(name) ?? []), value]);
    out.ordered.push({ flag: name, value });
  }
  return out;
}
