/** Idle keep-alive connections outlive common client pools (issue 10 item 7): a socket idle for 10 s is still served. */
import t from 'tap';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { startTestDaemon } from '../helpers/daemon.js';
import { parseDaemonArgs, ConfigError } from '../../daemon/config.js';

function get(agent: Agent, url: string): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket as Socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a connection idle for 10 s is reused', async (t) => {
  const d = await startTestDaemon(t, { args: ['--schedule', 'off'] });
  const agent = new Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 1000 });
  t.teardown(() => agent.destroy());
  let closed = false;
  const first = await get(agent, d.daemon.url);
  t.equal(first.status, 200);
  first.socket.once('close', () => (closed = true));
  // A wait, not a timing assertion: Node's default keepAliveTimeout (5 s) closes the socket in it.
  await new Promise((r) => setTimeout(r, 10_000));
  t.notOk(closed, 'the server left the idle socket open');
  const second = await get(agent, d.daemon.url);
  t.equal(second.status, 200);
  t.equal(second.socket, first.socket, 'the second request went over the same socket');
});

t.test('--keep-alive-timeout / DEW_KEEP_ALIVE_TIMEOUT', async (t) => {
  const parse = (argv: string[], env: Record<string, string> = {}) => parseDaemonArgs(argv, env, '/srv');
  t.equal(parse([]).keepAliveTimeoutMs, 65_000, 'default 65 s');
  t.equal(parse(['--keep-alive-timeout', '120']).keepAliveTimeoutMs, 120_000);
  t.equal(parse([], { DEW_KEEP_ALIVE_TIMEOUT: '30' }).keepAliveTimeoutMs, 30_000);
  t.equal(parse(['--keep-alive-timeout=90'], { DEW_KEEP_ALIVE_TIMEOUT: '30' }).keepAliveTimeoutMs, 90_000, 'the flag wins');
  for (const bad of ['0', '-1', '1.5', 'soon', '3601']) t.throws(() => parse([`--keep-alive-timeout=${bad}`]), ConfigError, bad);
});
