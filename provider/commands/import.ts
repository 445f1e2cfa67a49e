/** `dew import ADDR ID`: adopts an existing daemon object into the stack at a configured address. */
import { parseInstanceAddress } from '../config/scope.js';
import { buildConfigGraph } from '../graph/config-graph.js';
import { resourceType } from '../resources/registry.js';
import { storedAttributes } from '../resources/resource-type.js';
import { parseArgs } from './args.js';
import { takeLock } from './apply.js';
import { CliError, type Command } from './context.js';
import { defaultDeps, type CommandDeps } from './session.js';
import { CONFIG_FLAGS, configDir, loadChecked } from './workflow.js';

export function makeImportCommand(deps: CommandDeps): Command {
  return async (ctx) => {
    const args = parseArgs(ctx.argv, CONFIG_FLAGS, 'import');
    if (args.positionals.length !== 2) throw new CliError('usage', 'dew import needs an address and an id', { hint: 'Usage: dew import dew_kms_key.app KEY_ID (grants: KEY_ID/GRANT_ID, aliases: KEY_ID?ALIAS)' });
    const [address, id] = args.positionals;
    const p = parseInstanceAddress(address);
    if (!p) throw new CliError('usage', `"${address}" is not a resource address such as dew_kms_key.app`);
    const { config } = await loadChecked(ctx, configDir(ctx, args), args, { allowMissingVariables: true });
    const decl = config.resources.get(p.resource);
    if (!decl)
      throw new CliError('import.no_config', `Configuration for import target does not exist: ${p.resource}`, { hint: `Before importing, add a resource block:\n\nresource "${p.resource.split('.')[0]}" "${p.resource.split('.')[1]}" {\n  # …\n}` });
    const rt = resourceType(decl.type)!;
    const session = deps.openSession(ctx, args.strings.get('credentials'));
    const lock = await takeLock(ctx, session.store, config.stack, 'import');
    try {
      const snap = await session.store.read(config.stack);
      // an interrupted create's intent does not hold the address: importing supersedes it
      if (snap.objects.some((o) => o.address === address && !o.pending))
        throw new CliError('import.exists', `Resource already managed by dew: ${address}`, { hint: 'dew can only import into an address the stack does not hold yet.' });
      ctx.stdout.write(`${address}: Importing from ID "${id}"...\n`);
      const live = await rt.read(session.api, id);
      const attrs = live ? rt.fromLive(live) : null;
      if (!attrs) throw new CliError('import.not_found', `Cannot import non-existent remote object: ${decl.type} "${id}"`, { hint: 'Check the id (grants: KEY_ID/GRANT_ID; aliases: KEY_ID?ALIAS) and that the object is not pending deletion.' });
      // arguments the daemon cannot report (pending_days) start at their defaults, as after a create
      for (const k of rt.writeOnly) if (rt.schema.properties[k]?.default !== undefined && !(k in attrs)) attrs[k] = rt.schema.properties[k].default!;
      const deps2 = [...buildConfigGraph(config).dag.ancestors(p.resource)].filter((d) => config.resources.has(d)).sort();
      await session.store.putObject(config.stack, lock.id, { address, type: decl.type, object_id: id, attributes: storedAttributes(rt, attrs), dependencies: deps2 });
      ctx.stdout.write(`${address}: Import prepared!\n\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nthe stack "${config.stack}" and will henceforth be managed by dew.\n`);
      return 0;
    } finally {
      await session.store.unlock(config.stack, lock.id);
    }
  };
}

export const importCommand: Command = makeImportCommand(defaultDeps);
