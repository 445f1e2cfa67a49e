/**
 * `dew audit list [--key ID] [--since T] [--limit N] [--newest-first] [--json]`, `dew audit usage --key ID [--days N]` (through the
 * API, as the signed-in user) and `dew audit verify` (through the API, or with --db URL/--data-dir DIR
 * on the database directly: exit 0 when every chain is intact, 1 naming the first bad record).
 */
import { CliError, type Command, type CommandContext } from './context.js';
import { HELP, renderHelp, unknownSubcommand } from './help-table.js';
import { connect, takeCredentialsFlag, printingApiErrors } from './connect.js';
import { parseArgs } from './args.js';
import { runOffline } from './offline.js';

const USAGE = renderHelp(HELP.audit).trimEnd();

interface Page {
  records: Record<string, unknown>[];
  next_marker: string;
}

async function list(ctx: CommandContext, argv: string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const a = parseArgs(rest, { key: 'string', since: 'string', limit: 'string', 'newest-first': 'bool', json: 'bool' }, 'audit list');
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
      order: a.bools.has('newest-first') ? 'desc' : undefined,
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
  const a = parseArgs(rest, { key: 'string', days: 'string' }, 'audit usage');
  const key = a.strings.get('key');
  if (!key) throw new CliError('usage', 'dew audit usage: --key ID is required', { hint: USAGE });
  const { client } = connect(ctx, credentialsFile);
  const res = await client.request('GET', '/v1.0/{project_id}/dew/audit/usage', undefined, { key_id: key, days: a.strings.get('days') });
  ctx.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
  return 0;
}

/**
 * With --db or --data-dir, on the database (the daemon may be stopped); otherwise through the
 * daemon's `GET …/dew/audit/verify` as the signed-in operator administrator.
 */
async function verify(ctx: CommandContext, argv: string[]): Promise<number> {
  const { rest, credentialsFile } = takeCredentialsFlag(argv);
  const a = parseArgs(rest, { db: 'string', 'data-dir': 'string' }, 'audit verify');
  if (a.positionals.length) throw new CliError('usage', `dew audit verify: unexpected argument ${a.positionals[0]}`, { hint: USAGE, exitCode: 2 });
  if (a.strings.has('db') || a.strings.has('data-dir')) {
    if (credentialsFile) throw new CliError('usage', 'dew audit verify: --credentials (through the daemon) or --db/--data-dir (on the database), not both', { exitCode: 2 });
    return runOffline('runAuditVerify', ctx, [...a.strings].flatMap(([k, v]) => [`--${k}`, v]));
  }
  const { client } = connect(ctx, credentialsFile);
  const report = (await client.request('GET', '/v1.0/{project_id}/dew/audit/verify')).body as { ok?: boolean; first_bad?: { chain_id?: string; chain_seq?: number; reason?: string } };
  ctx.stdout.write(JSON.stringify(report, null, 2) + '\n');
  if (report?.ok) return 0;
  const b = report?.first_bad;
  if (b) ctx.stderr.write(`dew audit verify: the trail is broken at record ${b.chain_seq} of chain ${b.chain_id}: ${b.reason}\n`);
  return 1;
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
        return await verify(ctx, rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        ctx.stdout.write(USAGE + '\n');
        return sub ? 0 : 1;
      default:
        throw unknownSubcommand('audit', sub);
    }
  });
};
