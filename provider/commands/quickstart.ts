/**
 * `dew quickstart [DIR]`: the README's first command. Starts `dew daemon` (this executable, a child
 * process logging to stderr) on the default data dir unless one already answers at the credentials'
 * endpoint, waits for /healthz, plans and applies DIR (default: the package's examples/quickstart)
 * with -auto-approve, then keeps the daemon in the foreground until Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.js';
import { applyCommand } from './apply.js';
import { CliError, type Command, type CommandContext } from './context.js';
import { daemonEntry } from './offline.js';

const WAIT_MS = 30_000;
/** The daemon's default address (daemon/config.ts), for the message when it cannot bind. */
const DEFAULT_LISTEN = '127.0.0.1:8787';

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

function startDaemon(ctx: CommandContext, dataDir: string, listen: string | undefined): ChildProcess {
  const cli = daemonEntry(ctx).executable;
  ctx.stderr.write(`Starting dew daemon (data dir ${dataDir}); its log follows on stderr.\n`);
  const argv = [cli, 'daemon', '--data-dir', dataDir, ...(listen ? ['--listen', listen] : [])];
  return spawn(process.execPath, argv, { cwd: ctx.cwd, env: { ...process.env, ...ctx.env }, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** HOST:PORT as the daemon reads it (`:PORT` is loopback); undefined when it is not one. */
function hostPort(listen: string): { host: string; port: number } | undefined {
  const colon = listen.lastIndexOf(':');
  const host = colon > 0 ? listen.slice(0, colon).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const port = Number(listen.slice(colon + 1));
  return colon >= 0 && Number.isInteger(port) && port > 0 && port < 65535 ? { host, port } : undefined;
}

/** True when something else holds HOST:PORT. */
async function addressInUse({ host, port }: { host: string; port: number }): Promise<boolean> {
  const probe = createServer();
  return new Promise((done) => {
    probe.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'EADDRINUSE'));
    probe.listen(port, host, () => probe.close(() => done(false)));
  });
}

async function waitHealthy(credentialsPath: string, child: ChildProcess, listen: string): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (Date.now() < until) {
    if (child.exitCode !== null) {
      const address = hostPort(listen);
      if (address && (await addressInUse(address))) {
        const other = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port + 1}`;
        throw new CliError('quickstart.port', `${listen} is already in use, so the dew daemon could not start`, {
          hint: `Pick another port: dew quickstart --listen ${other} (or DEW_LISTEN=${other} dew quickstart); --listen :0 picks a free one.`,
        });
      }
      throw new CliError('quickstart.daemon', `dew daemon exited with code ${child.exitCode} before it was ready`, { hint: 'Its log is above.' });
    }
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
  const args = parseArgs(ctx.argv, { 'data-dir': 'string', listen: 'string', 'no-daemon-wait': 'bool' }, 'quickstart');
  if (args.positionals.length > 1) throw new CliError('usage', 'dew quickstart takes at most one folder argument');
  const dir = args.positionals[0] ? resolve(ctx.cwd, args.positionals[0]) : join(packageRoot(), 'examples', 'quickstart');
  const dataDir = resolve(ctx.cwd, args.strings.get('data-dir') ?? ctx.env.DEW_DATA_DIR ?? '.dew');
  const credentialsPath = ctx.env.DEW_CREDENTIALS ? resolve(ctx.cwd, ctx.env.DEW_CREDENTIALS) : join(dataDir, 'credentials.json');

  let child: ChildProcess | undefined;
  if (await healthy(endpointOf(credentialsPath))) {
    ctx.stderr.write(`Using the dew daemon already answering at ${endpointOf(credentialsPath)}.\n`);
  } else {
    const listen = args.strings.get('listen');
    child = startDaemon(ctx, dataDir, listen);
    try {
      await waitHealthy(credentialsPath, child, listen ?? ctx.env.DEW_LISTEN ?? DEFAULT_LISTEN);
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
