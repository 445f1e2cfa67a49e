/**
 * `dew quickstart [DIR]`: the README's first command. Starts `dew daemon` (this executable, a child
 * process logging to stderr) on the default data dir unless one already answers at the credentials'
 * endpoint, waits for /healthz, plans and applies DIR (default: the package's examples/quickstart)
 * with -auto-approve, then keeps the daemon in the foreground until Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { applyCommand } from './apply.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { daemonEntry } from './offline.js';

const WAIT_MS = 30_000;

/** The package root (the folder with package.json), from the sources or from dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new CliError('quickstart.root', 'cannot find the dew package root');
}

function endpointOf(credentialsPath: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(credentialsPath, 'utf8')) as { endpoint?: string }).endpoint;
  } catch {
    return undefined;
  }
}

async function healthy(endpoint: string | undefined): Promise<boolean> {
  if (!endpoint) return false;
  try {
    const res = await fetch(new URL('/healthz', endpoint), { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

function startDaemon(ctx: CommandContext, dataDir: string): ChildProcess {
  const cli = daemonEntry(ctx).executable;
  ctx.stderr.write(`Starting dew daemon (data dir ${dataDir}); its log follows on stderr.\n`);
  return spawn(process.execPath, [cli, 'daemon', '--data-dir', dataDir], { cwd: ctx.cwd, env: { ...process.env, ...ctx.env }, stdio: ['ignore', 'inherit', 'inherit'] });
}

async function waitHealthy(credentialsPath: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new CliError('quickstart.daemon', `dew daemon exited with code ${child.exitCode} before it was ready`, { hint: 'Its log is above. Another process may hold the port (DEW_LISTEN, default 127.0.0.1:8787).' });
    if (await healthy(endpointOf(credentialsPath))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError('quickstart.daemon', `dew daemon did not answer /healthz within ${WAIT_MS / 1000} s`);
}

/** Waits for Ctrl-C / SIGTERM, forwards it to the daemon and returns the daemon's exit code. */
function foreground(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    const forward = (signal: NodeJS.Signals) => () => {
      if (child.exitCode === null) child.kill(signal);
    };
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      done(code ?? (signal ? 0 : 1));
    });
  });
}

export const quickstartCommand: Command = async (ctx) => {
  const args = parseArgs(ctx.argv, { 'data-dir': 'string', 'no-daemon-wait': 'bool' }, 'quickstart');
  if (args.positionals.length > 1) throw new CliError('usage', 'dew quickstart takes at most one folder argument');
  const dir = args.positionals[0] ? resolve(ctx.cwd, args.positionals[0]) : join(packageRoot(), 'examples', 'quickstart');
  const dataDir = resolve(ctx.cwd, args.strings.get('data-dir') ?? ctx.env.DEW_DATA_DIR ?? '.dew');
  const credentialsPath = ctx.env.DEW_CREDENTIALS ? resolve(ctx.cwd, ctx.env.DEW_CREDENTIALS) : join(dataDir, 'credentials.json');

  let child: ChildProcess | undefined;
  if (await healthy(endpointOf(credentialsPath))) {
    ctx.stderr.write(`Using the dew daemon already answering at ${endpointOf(credentialsPath)}.\n`);
  } else {
    child = startDaemon(ctx, dataDir);
    try {
      await waitHealthy(credentialsPath, child);
    } catch (e) {
      if (child.exitCode === null) child.kill('SIGTERM');
      throw e;
    }
  }

  const env: Record<string, string | undefined> = { ...ctx.env, DEW_CREDENTIALS: credentialsPath };
  ctx.stdout.write(`\nApplying ${dir}\n\n`);
  let code: number;
  try {
    code = await applyCommand({ ...ctx, env, argv: [dir, '-auto-approve'] });
  } catch (e) {
    if (!child) throw e;
    if (e instanceof CliError) ctx.stderr.write(`Error: ${e.message}\n${e.hint ? `\n${e.hint}\n` : ''}`);
    else throw e;
    code = 1;
  }
  if (!child || args.bools.has('no-daemon-wait')) {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    return code;
  }
  ctx.stdout.write(`\nThe daemon keeps running at ${endpointOf(credentialsPath)} (credentials: ${credentialsPath}).\nIn another terminal: DEW_CREDENTIALS=${credentialsPath} npx dew plan ${dir}\nPress Ctrl-C to stop it.\n`);
  const daemonCode = await foreground(child);
  return code !== 0 ? code : daemonCode;
};
