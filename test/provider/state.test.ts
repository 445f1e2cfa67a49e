/** The HTTP stack store speaks the agreed daemon endpoints (paging, lock, objects). */
import t from 'tap';
import { HttpStackStore } from '../../provider/state/http-stack-store.js';
import { StackLockedError } from '../../provider/state/stack-state.js';
import type { DewApi } from '../../provider/resources/api.js';

class Recorder implements DewApi {
  readonly calls: { method: string; path: string; body?: unknown; query?: Record<string, string> }[] = [];
  constructor(private readonly answer: (method: string, path: string, body?: unknown, query?: Record<string, string>) => unknown) {}
  async kms(): Promise<unknown> {
    throw new Error('not used');
  }
  async request(method: string, path: string, body?: object, query?: Record<string, string>) {
    this.calls.push({ method, path, body, query });
    return { status: 200, headers: {}, body: this.answer(method, path, body, query) };
  }
}

t.test('reads a stack page by page with limit and marker', async (t) => {
  const obj = (address: string) => ({ address, type: 'dew_kms_key', object_id: address, attributes: {}, dependencies: [], revision: 1, live: null });
  const api = new Recorder((_m, _p, _b, q) =>
    q?.marker === 'm2'
      ? { stack: { name: 'demo', serial: 7, lineage: 'L', lock: null, objects: [obj('b')], next_marker: '' } }
      : { stack: { name: 'demo', serial: 7, lineage: 'L', lock: null, objects: [obj('a')], next_marker: 'm2' } },
  );
  const store = new HttpStackStore(api);
  const s = await store.read('demo');
  t.same(s.objects.map((o) => o.address), ['a', 'b']);
  t.equal(s.serial, 7);
  t.same(api.calls.map((c) => [c.method, c.path, c.query]), [
    ['GET', '/v1.0/{project_id}/dew/stacks/demo', { limit: '1000' }],
    ['GET', '/v1.0/{project_id}/dew/stacks/demo', { limit: '1000', marker: 'm2' }],
  ]);
  t.equal(store.requests, 2, 'requests grow with pages, not with resources');
});

t.test('lock, unlock, put and delete use the agreed shapes', async (t) => {
  const api = new Recorder((method, path) => {
    if (path.endsWith('/lock') && method === 'POST') return { lock: { id: 'L1', who: 'me', operation: 'apply', created_at: 'now' } };
    if (path.endsWith('/objects')) return { serial: 3 };
    return undefined;
  });
  const store = new HttpStackStore(api);
  t.same(await store.lock('demo', 'me', 'apply'), { id: 'L1', who: 'me', operation: 'apply', created_at: 'now' });
  t.same(await store.putObject('demo', 'L1', { address: 'a', type: 'dew_kms_key', object_id: 'k', attributes: { x: 1 }, dependencies: [] }), { serial: 3 });
  t.same(await store.deleteObject('demo', 'L1', 'a'), { serial: 3 });
  await store.unlock('demo', 'L1');
  t.same(api.calls.map((c) => [c.method, c.path, c.body ?? null, c.query ?? null]), [
    ['POST', '/v1.0/{project_id}/dew/stacks/demo/lock', { who: 'me', operation: 'apply' }, null],
    ['PUT', '/v1.0/{project_id}/dew/stacks/demo/objects', { lock_id: 'L1', address: 'a', type: 'dew_kms_key', object_id: 'k', attributes: { x: 1 }, dependencies: [] }, null],
    ['DELETE', '/v1.0/{project_id}/dew/stacks/demo/objects', { lock_id: 'L1', address: 'a' }, null],
    ['DELETE', '/v1.0/{project_id}/dew/stacks/demo/lock', null, { lock_id: 'L1' }],
  ]);
});

t.test('a held lock (409) becomes StackLockedError with who holds it', async (t) => {
  const held = { id: 'L9', who: 'bob@ci', operation: 'apply', created_at: '2026-01-01T00:00:00Z' };
  const api: DewApi = {
    async kms() {
      return {};
    },
    async request(method: string) {
      if (method === 'POST') throw Object.assign(new Error('locked'), { status: 409, code: 'DEW.0409' });
      return { status: 200, headers: {}, body: { stack: { name: 'demo', serial: 1, lineage: 'L', lock: held, objects: [], next_marker: '' } } };
    },
  };
  const err = await new HttpStackStore(api).lock('demo', 'me', 'apply').catch((e: unknown) => e);
  t.ok(err instanceof StackLockedError);
  t.same((err as StackLockedError).lock, held);
});

t.test('daemon client errors reach the user as CliErrors with code and hint', async (t) => {
  const { toCliError } = await import('../../provider/commands/session.js');
  const net = Object.assign(new Error('cannot reach the dew daemon at http://127.0.0.1:1'), { name: 'DewNetworkError', code: 'NETWORK', hint: 'start the daemon' });
  t.match(toCliError(net), { name: 'CliError', code: 'NETWORK', hint: 'start the daemon' });
  const other = new Error('x');
  t.equal(toCliError(other), other, 'other errors pass through');
});
