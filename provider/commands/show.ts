/** `dew show [FILE] [-json]`: a saved plan, or the stack's objects as the daemon holds them. */
import { readSavedPlan } from '../apply/saved-plan.js';
import { renderPlanText, useColor } from '../plan/render-text.js';
import { renderPlanJson } from '../plan/render-json.js';
import { redact } from '../plan/redact.js';
import { loadConfig } from '../config/load-config.js';
import { resourceType } from '../resources/registry.js';
import { parseArgs } from './args.js';
import { CliError, type Command } from './context.js';
import { defaultDeps, type CommandDeps } from './session.js';
import { CONFIG_FLAGS, configDir } from './workflow.js';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

export function makeShowCommand(deps: CommandDeps): Command {
  return async (ctx) => {
    const args = parseArgs(ctx.argv, { ...CONFIG_FLAGS, json: 'bool', stack: 'string' }, 'show');
    const arg = args.positionals[0];
    const isFile = arg ? await stat(resolve(ctx.cwd, arg)).then((s) => s.isFile(), () => false) : false;
    if (arg && isFile) {
      let saved;
      try {
        saved = await readSavedPlan(resolve(ctx.cwd, arg));
      } catch (e) {
        throw new CliError('plan.file', (e as Error).message);
      }
      ctx.stdout.write(args.bools.has('json') ? renderPlanJson(saved.plan) : renderPlanText(saved.plan, { color: !args.bools.has('no-color') && useColor(ctx.stdout, ctx.env) }));
      return 0;
    }
    const stack = args.strings.get('stack') ?? (await loadConfig(configDir(ctx, args, arg))).config.stack;
    const session = deps.openSession(ctx, args.strings.get('credentials'));
    const snap = await session.store.read(stack);
    const masked = snap.objects.map((o) => {
      const sens = Object.fromEntries((resourceType(o.type)?.sensitive ?? []).map((k) => [k, true as const]));
      return { address: o.address, type: o.type, object_id: o.object_id, revision: o.revision, attributes: redact(o.attributes, sens), exists: o.live !== null };
    });
    if (args.bools.has('json')) {
      ctx.stdout.write(JSON.stringify({ format_version: '1.0', stack: { name: snap.name, serial: snap.serial, lineage: snap.lineage, lock: snap.lock }, resources: masked }, null, 2) + '\n');
      return 0;
    }
    if (masked.length === 0) {
      ctx.stdout.write(`Stack "${stack}" is empty.\n`);
      return 0;
    }
    ctx.stdout.write(`Stack: ${stack} (serial ${snap.serial})\n`);
    for (const o of masked) {
      ctx.stdout.write(`\n# ${o.address}:${o.exists ? '' : ' (no longer exists in the daemon)'}\nresource "${o.type}" "${o.address.split('.')[1]}" {\n`);
      const attrs = o.attributes as Record<string, unknown>;
      const keys = Object.keys(attrs).sort();
      const w = Math.max(0, ...keys.map((k) => k.length));
      for (const k of keys) ctx.stdout.write(`    ${k.padEnd(w)} = ${JSON.stringify(attrs[k])}\n`);
      ctx.stdout.write('}\n');
    }
    return 0;
  };
}

export const showCommand: Command = makeShowCommand(defaultDeps);
