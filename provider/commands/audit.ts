/**
 * `dew audit list [--key ID] [--since T] [--limit N] [--json]`, `dew audit usage --key ID` (through the
 * API, as the signed-in user) and `dew audit verify [--db URL] [--data-dir DIR]` (on the database
 * directly: exit 0 when every chain is intact, 1 naming the first bad record).
 */
import { CliError, type Command, type CommandContext } from './context.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';
import { parseArgs } from './args.js';
import { runOffline } from './offline.js';

const USAGE = `usage: dew audit list [--key ID] [--since TIME] [--limit N] [--json] [--credentials FILE]
       dew audit usage --key ID [--credentials FILE]
       dew audit verify [--db URL] [--data-dir DIR]
  TIME is epoch milliseconds or ISO 8601 (2030-01-01T00:00:00Z).`;

interface Page {
  records: Record<string, unknown>[];
  next_marker: string;
}

async function list(ctx: CommandContext, argv: string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const a = parseArgs(rest, { key: 'string', since: 'string', limit: 'string', json: 'bool' }, 'audit list');
  const limit = Number(a.strings.get('limit') ?? 1000);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError('usage', 'dew audit list: --limit takes a positive integer');
  const { client } = connect(ctx, credentialsFile);
  const records: Record<string, unknown>[] = [];
  let marker: string | undefined;
  do {
    const page = (await client.request('GET', '/v1.0/{project_id}/dew/audit/records', undefined, {
      key_id: a.strings.get('key'),
      since: a.strings.get('since'),
      limit: Math.min(1000, limit - records.length),
      marker,
    })).body as Page;
    records.push(...page.records);
    marker = page.next_marker || undefined;
  } while (marker && records.length < limit);
  if (a.bools.has('json')) {
    ctx.stdout.write(JSON.stringify(records, null, 2) + '\n');
    return 0;
  }
  const cols = ['time', 'outcome', 'status', 'error_code', 'operation', 'resource_id', 'user_id', 'source_ip', 'request_id'];
  const rows = [cols.map((c) => c.toUpperCase()), ...records.map((r) => cols.map((c) => String(r[c] ?? '') || '-'))];
  const widths = cols.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) ctx.stdout.write(r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd() + '\n');
  return 0;
}

async function usage(ctx: CommandContext, argv: string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const a = parseArgs(rest, { key: 'string' }, 'audit usage');
  const key = a.strings.get('key');
  if (!key) throw new CliError('usage', 'dew audit usage: --key ID is required', { hint: USAGE });
  const { client } = connect(ctx, credentialsFile);
  const res = await client.request('GET', '/v1.0/{project_id}/dew/audit/usage', undefined, { key_id: key });
  ctx.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
  return 0;
}

export const auditCommand: Command = async (ctx) => {
  const [sub, ...rest] = ctx.argv;
  return printingApiErrors(ctx, async () => {
    switch (sub) {
      case 'list':
        return await list(ctx, rest);
      case 'usage':
        return await usage(ctx, rest);
      case 'verify':
        for (const a of rest) {
          if (a.startsWith('-') && !/^--?(db|data-dir)(=|$)/.test(a)) throw new CliError('usage', `dew audit verify: unknown flag ${a}`, { hint: USAGE });
        }
        return await runOffline('runAuditVerify', ctx, rest.map((a) => a.replace(/^-(?=[a-z])/, '--')));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        ctx.stdout.write(USAGE + '\n');
        return sub ? 0 : 1;
      default:
        throw new CliError('usage', `dew audit: unknown subcommand ${sub}`, { hint: USAGE });
    }
  });
};
