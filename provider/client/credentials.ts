/** Resolves the CLI's daemon credentials: --credentials FILE, then DEW_CREDENTIALS, then DEW_* variables, then .dew/credentials.json in the folder or its nearest parent. */
import { dirname, isAbsolute, join, resolve } from 'node:path';

export interface Credentials {
  readonly endpoint: string;
  readonly projectId: string;
  readonly domainId?: string;
  readonly userId?: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

export type CredentialsSource = 'flag' | 'env_file' | 'env' | 'default_file';

export interface ResolvedCredentials {
  readonly credentials: Credentials;
  readonly source: CredentialsSource;
  /** The file read, when the source is a file. */
  readonly path?: string;
}

export type CredentialsErrorCode = 'not_found' | 'unreadable' | 'invalid' | 'incomplete_env';

/** The CLI prints `message` and `hint`; neither ever holds a secret. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  constructor(
    readonly code: CredentialsErrorCode,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Reads a whole UTF-8 file; throws (e.g. an ENOENT error) when it cannot. */
export type ReadTextFile = (path: string) => string;

export const DEFAULT_CREDENTIALS_PATH = join('.dew', 'credentials.json');
const ENV_KEYS = Object.freeze(['DEW_ENDPOINT', 'DEW_ACCESS_KEY', 'DEW_SECRET_KEY', 'DEW_PROJECT_ID'] as const);
const HINT = 'start the daemon with `dew daemon` or pass --credentials';

export function resolveCredentials(
  opts: { credentialsFile?: string },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  readFile: ReadTextFile,
): ResolvedCredentials {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('opts must be an object');
  if (typeof env !== 'object' || env === null) throw new TypeError('env must be an object');
  if (typeof cwd !== 'string' || !isAbsolute(cwd)) throw new TypeError('cwd must be an absolute path');
  if (typeof readFile !== 'function') throw new TypeError('readFile must be a function');

  if (opts.credentialsFile !== undefined && opts.credentialsFile !== '') {
    return fromFile(resolve(cwd, opts.credentialsFile), 'flag', readFile, false);
  }
  const envFile = env.DEW_CREDENTIALS;
  if (envFile !== undefined && envFile !== '') return fromFile(resolve(cwd, envFile), 'env_file', readFile, false);

  const present = ENV_KEYS.filter((k) => isSet(env[k]));
  if (present.length === ENV_KEYS.length) {
    const credentials = validate({
      endpoint: env.DEW_ENDPOINT,
      project_id: env.DEW_PROJECT_ID,
      domain_id: env.DEW_DOMAIN_ID,
      access_key: env.DEW_ACCESS_KEY,
      secret_key: env.DEW_SECRET_KEY,
    }, 'the DEW_* environment variables');
    return { credentials, source: 'env' };
  }
  if (present.length > 0) {
    const missing = ENV_KEYS.filter((k) => !isSet(env[k]));
    throw new CredentialsError('incomplete_env', `environment credentials are incomplete: ${missing.join(', ')} not set`, `set all of ${ENV_KEYS.join(', ')}, or unset them and ${HINT}`);
  }
  return nearestDefaultFile(cwd, readFile);
}

/** `.dew/credentials.json` in cwd or the nearest parent (a stack folder inside the one `dew quickstart` ran in). */
function nearestDefaultFile(cwd: string, readFile: ReadTextFile): ResolvedCredentials {
  const searched: string[] = [];
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const path = join(dir, DEFAULT_CREDENTIALS_PATH);
    searched.push(path);
    try {
      readFile(path);
    } catch (cause) {
      if ((cause as { code?: unknown } | null)?.code !== 'ENOENT') return fromFile(path, 'default_file', readFile, true);
      if (dirname(dir) === dir) {
        throw new CredentialsError(
          'not_found',
          `no daemon credentials found: --credentials not given, DEW_CREDENTIALS not set, ${ENV_KEYS.join('/')} not set, and no file at ${searched.join(', ')}`,
          `${HINT}, or set DEW_CREDENTIALS to the daemon's credentials.json`,
          { cause },
        );
      }
      continue;
    }
    return fromFile(path, 'default_file', readFile, true);
  }
}

function fromFile(path: string, source: CredentialsSource, readFile: ReadTextFile, isDefault: boolean): ResolvedCredentials {
  let text: string;
  try {
    text = readFile(path);
  } catch (cause) {
    const missing = (cause as { code?: unknown } | null)?.code === 'ENOENT';
    if (missing && isDefault) throw new CredentialsError('not_found', 'no daemon credentials found', HINT, { cause });
    if (missing) throw new CredentialsError('not_found', `credentials file not found: ${path}`, HINT, { cause });
    throw new CredentialsError('unreadable', `cannot read credentials file: ${path}`, 'check the file permissions', { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the input, which holds the secret key: do not chain them.
    throw new CredentialsError('invalid', `credentials file is not valid JSON: ${path}`, HINT);
  }
  return { credentials: validate(json, path), source, path };
}

function validate(raw: unknown, origin: string): Credentials {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CredentialsError('invalid', `credentials in ${origin} must be a JSON object`, HINT);
  }
  const r = raw as Record<string, unknown>;
  const missing = ['endpoint', 'project_id', 'access_key', 'secret_key'].filter((k) => !isSet(r[k]));
  if (missing.length > 0) {
    throw new CredentialsError('invalid', `credentials in ${origin} lack ${missing.join(', ')}`, HINT);
  }
  for (const k of ['domain_id', 'user_id']) {
    if (r[k] !== undefined && typeof r[k] !== 'string') throw new CredentialsError('invalid', `credentials in ${origin}: ${k} must be a string`, HINT);
  }
  const endpoint = String(r.endpoint).replace(/\/+$/, '');
  if (!isHttpUrl(endpoint)) throw new CredentialsError('invalid', `credentials in ${origin}: endpoint must be an http(s) URL`, HINT);
  return {
    endpoint,
    projectId: r.project_id as string,
    accessKey: r.access_key as string,
    secretKey: r.secret_key as string,
    ...(isSet(r.domain_id) ? { domainId: r.domain_id as string } : {}),
    ...(isSet(r.user_id) ? { userId: r.user_id as string } : {}),
  };
}

function isSet(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
