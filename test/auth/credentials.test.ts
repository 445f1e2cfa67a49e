// Credentials resolution order for the CLI: --credentials, DEW_CREDENTIALS, DEW_* variables, ./.dew/credentials.json.
import t from 'tap';
import { CredentialsError, resolveCredentials } from '../../provider/client/credentials.js';

const CWD = '/home/me/project';
const file = (name: string) => JSON.stringify({
  endpoint: `https://${name}.local:8443/`,
  project_id: `pid-${name}`,
  domain_id: `did-${name}`,
  user_id: `uid-${name}`,
  access_key: `ak-${name}`,
  secret_key: `S3KR1T-${name}`,
});
const enoent = () => Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
function fs(files: Record<string, string>) {
  const reads: string[] = [];
  const readFile = (p: string) => {
    reads.push(p);
    if (p in files) return files[p];
    throw enoent();
  };
  return { readFile, reads };
}
const ENV_ALL = { DEW_ENDPOINT: 'http://127.0.0.1:7000', DEW_ACCESS_KEY: 'ak-env', DEW_SECRET_KEY: 'S3KR1T-env', DEW_PROJECT_ID: 'pid-env' };
const ALL_FILES = {
  '/tmp/flag.json': file('flag'),
  '/tmp/envfile.json': file('envfile'),
  [`${CWD}/.dew/credentials.json`]: file('default'),
  [`${CWD}/rel/creds.json`]: file('relative'),
};

t.test('(g) resolution order', async (t) => {
  const f = fs(ALL_FILES);
  const flag = resolveCredentials({ credentialsFile: '/tmp/flag.json' }, { ...ENV_ALL, DEW_CREDENTIALS: '/tmp/envfile.json' }, CWD, f.readFile);
  t.equal(flag.source, 'flag');
  t.same(flag.credentials, { endpoint: 'https://flag.local:8443', projectId: 'pid-flag', accessKey: 'ak-flag', secretKey: 'S3KR1T-flag', domainId: 'did-flag', userId: 'uid-flag' });
  t.equal(flag.path, '/tmp/flag.json');

  const envFile = resolveCredentials({}, { ...ENV_ALL, DEW_CREDENTIALS: '/tmp/envfile.json' }, CWD, f.readFile);
  t.equal(envFile.source, 'env_file');
  t.equal(envFile.credentials.accessKey, 'ak-envfile');

  const env = resolveCredentials({}, { ...ENV_ALL, DEW_DOMAIN_ID: 'did-env' }, CWD, f.readFile);
  t.equal(env.source, 'env');
  t.same(env.credentials, { endpoint: 'http://127.0.0.1:7000', projectId: 'pid-env', accessKey: 'ak-env', secretKey: 'S3KR1T-env', domainId: 'did-env' });
  t.equal(env.path, undefined);

  const def = resolveCredentials({}, {}, CWD, f.readFile);
  t.equal(def.source, 'default_file');
  t.equal(def.path, `${CWD}/.dew/credentials.json`);
  t.equal(def.credentials.accessKey, 'ak-default');

  const rel = resolveCredentials({ credentialsFile: 'rel/creds.json' }, {}, CWD, f.readFile);
  t.equal(rel.credentials.accessKey, 'ak-relative', 'relative paths resolve against cwd');
  const relEnv = resolveCredentials({}, { DEW_CREDENTIALS: 'rel/creds.json' }, CWD, f.readFile);
  t.equal(relEnv.credentials.accessKey, 'ak-relative');
  t.same(resolveCredentials({ credentialsFile: '' }, {}, CWD, f.readFile).source, 'default_file', 'an empty flag is ignored');
});

t.test('(g) failures carry a code and a hint, never a secret', async (t) => {
  const check = (fn: () => unknown, code: string, name: string) => {
    try {
      fn();
      t.fail(`${name}: did not throw`);
    } catch (e) {
      t.ok(e instanceof CredentialsError, `${name}: CredentialsError`);
      const err = e as CredentialsError;
      t.equal(err.code, code, `${name}: code ${code}`);
      t.match(err.hint, /dew daemon|--credentials|permissions|DEW_/, `${name}: hint`);
      t.notMatch(`${err.message} ${err.hint} ${String(err.cause ?? '')}`, /S3KR1T/, `${name}: no secret in message`);
    }
  };
  const none = fs({});
  check(() => resolveCredentials({}, {}, CWD, none.readFile), 'not_found', 'nothing anywhere');
  t.match((() => { try { resolveCredentials({}, {}, CWD, none.readFile); } catch (e) { return (e as CredentialsError).hint; } return ''; })(), 'start the daemon with `dew daemon` or pass --credentials');
  check(() => resolveCredentials({ credentialsFile: '/nope.json' }, ENV_ALL, CWD, none.readFile), 'not_found', 'explicit file missing does not fall through');
  check(() => resolveCredentials({}, { DEW_CREDENTIALS: '/nope.json' }, CWD, none.readFile), 'not_found', 'env file missing does not fall through');
  check(() => resolveCredentials({}, { DEW_ENDPOINT: 'http://x', DEW_SECRET_KEY: 'S3KR1T-x' }, CWD, none.readFile), 'incomplete_env', 'partial env');
  const denied = () => {
    throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
  };
  check(() => resolveCredentials({ credentialsFile: '/x.json' }, {}, CWD, denied), 'unreadable', 'unreadable');
  const bad = fs({ '/bad.json': '{"secret_key": "S3KR1T-leak", oops}', '/arr.json': '[]', '/lack.json': '{"endpoint":"http://x","secret_key":"S3KR1T-1"}', '/url.json': file('x').replace('https://x.local:8443/', 'ftp://x') });
  check(() => resolveCredentials({ credentialsFile: '/bad.json' }, {}, CWD, bad.readFile), 'invalid', 'not JSON');
  check(() => resolveCredentials({ credentialsFile: '/arr.json' }, {}, CWD, bad.readFile), 'invalid', 'not an object');
  check(() => resolveCredentials({ credentialsFile: '/lack.json' }, {}, CWD, bad.readFile), 'invalid', 'missing fields');
  check(() => resolveCredentials({ credentialsFile: '/url.json' }, {}, CWD, bad.readFile), 'invalid', 'not an http URL');
  check(() => resolveCredentials({}, { ...ENV_ALL, DEW_ENDPOINT: 'localhost:7000' }, CWD, none.readFile), 'invalid', 'env endpoint without scheme');
});

t.test('inputs are asserted', async (t) => {
  t.throws(() => resolveCredentials({}, {}, 'relative/cwd', () => ''), TypeError);
  t.throws(() => resolveCredentials({}, {}, CWD, undefined as never), TypeError);
});
