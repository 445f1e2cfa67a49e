/** `dew daemon` flags: defaults, environment, and refusals that name the flag. */
import t from 'tap';
import { parseDaemonArgs, ConfigError } from '../../daemon/config.js';

const parse = (argv: string[], env: Record<string, string> = {}) => parseDaemonArgs(argv, env, '/srv');

t.test('defaults', async (t) => {
  t.match(parse([]), { host: '127.0.0.1', port: 8787, dataDir: '/srv/.dew', dbUrl: 'file:/srv/.dew/dew.db', syncIntervalMs: 500, audit: true, auditFlushMs: 50, schedule: '*/5 * * * *' });
});

t.test('--audit-flush', async (t) => {
  t.equal(parse(['--audit-flush', '250']).auditFlushMs, 250);
  t.equal(parse(['--audit-flush=10']).auditFlushMs, 10);
  t.equal(parse([], { DEW_AUDIT_FLUSH_MS: '1000' }).auditFlushMs, 1000, 'from the environment');
  t.equal(parse(['--audit-flush', '2000'], { DEW_AUDIT_FLUSH_MS: '1000' }).auditFlushMs, 2000, 'the flag wins');
  for (const bad of ['9', '10001', '1.5', 'soon', '-50']) {
    t.throws(() => parse(['--audit-flush', bad]), bad.startsWith('-') ? ConfigError : { name: 'ConfigError', message: '--audit-flush: 10 to 10000 ms' }, `--audit-flush ${bad}`);
  }
  t.throws(() => parse(['--audit-flush']), { name: 'ConfigError', message: /needs a value/ });
  t.throws(() => parse(['--audit-flsh', '50']), { name: 'ConfigError', message: /unknown argument --audit-flsh .*--audit-flush MS/ });
});

t.test('--listen: HOST:PORT, [IPv6]:PORT, and :PORT on loopback', async (t) => {
  t.match(parse(['--listen', ':0']), { host: '127.0.0.1', port: 0 }, ':0 is a free loopback port, never every interface');
  t.match(parse([], { DEW_LISTEN: ':8788' }), { host: '127.0.0.1', port: 8788 });
  t.match(parse(['--listen', '0.0.0.0:8787']), { host: '0.0.0.0', port: 8787 }, 'every interface only when asked');
  t.match(parse(['--listen', '[::1]:0']), { host: '::1', port: 0 });
  for (const bad of ['nonsense', ':', 'host:', 'host:99999', ':-1', ':1.5', ': 80', '8787']) {
    t.throws(() => parse(['--listen', bad]), { name: 'ConfigError', message: `--listen: HOST:PORT or :PORT expected, got ${bad}` }, `--listen ${bad}`);
  }
});
