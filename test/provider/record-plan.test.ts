/**
 * `dew apply` hands the stack store the plan it carried out (the console's last applied plan): the text as
 * `dew plan` printed it, with counts and outcome, including a failed apply's; a store that refuses it (an
 * older daemon) costs a warning on stderr, not the apply.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../../provider/commands/context.js';
import type { CommandDeps } from '../../provider/commands/session.js';
import { makePlanCommand } from '../../provider/commands/plan.js';
import { makeApplyCommand } from '../../provider/commands/apply.js';
import { FakeDaemon } from './fixtures/fake-daemon.js';

const MAIN = 'dew {\n  stack = "quick"\n}\n\nresource "dew_kms_key" "app" {\n  key_alias = "app"\n}\n';

function setup(store?: (d: FakeDaemon) => FakeDaemon['store']) {
  const dir = join(mkdtempSync(join(tmpdir(), 'dew-record-')), 'quick');
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.hcl'), MAIN);
  const daemon = new FakeDaemon();
  const deps: CommandDeps = { openSession: () => ({ api: daemon, store: store ? store(daemon) : daemon.store }) };
  const run = async (make: (d: CommandDeps) => (c: CommandContext) => Promise<number>, argv: string[]) => {
    let out = '';
    let err = '';
    const ctx: CommandContext = { argv, cwd: dir, env: { NO_COLOR: '1' }, stdout: { write: (s) => void (out += s), isTTY: false }, stderr: { write: (s) => void (err += s) }, prompt: async () => '', now: () => 0 };
    const code = await make(deps)(ctx);
    return { code, out, err };
  };
  return { daemon, run };
}

t.test('apply records the plan it carried out, as dew plan printed it', async (t) => {
  const s = setup();
  const plan = await s.run(makePlanCommand, []);
  const a = await s.run(makeApplyCommand, ['-auto-approve']);
  t.equal(a.code, 0, a.err);
  t.same(s.daemon.store.plans.get('quick'), { text: plan.out, mode: 'normal', summary: { add: 1, change: 0, destroy: 0, adopt: 0 }, outcome: 'applied' });
});

t.test('a failed apply is recorded as failed', async (t) => {
  const s = setup();
  const create = s.daemon.kms.bind(s.daemon);
  s.daemon.kms = async (op: string, body: Record<string, unknown>) => {
    if (op === 'create-key') throw Object.assign(new Error('the daemon refused'), { code: 'KMS.0000', status: 400 });
    return create(op, body);
  };
  const a = await s.run(makeApplyCommand, ['-auto-approve']);
  t.equal(a.code, 1);
  t.match(s.daemon.store.plans.get('quick'), { outcome: 'failed', summary: { add: 1 } });
});

t.test('a store that refuses the plan costs a warning, not the apply', async (t) => {
  const s = setup((d) => {
    d.store.recordPlan = async () => {
      throw Object.assign(new Error('No such route.'), { code: 'APIGW.0101' });
    };
    return d.store;
  });
  const a = await s.run(makeApplyCommand, ['-auto-approve']);
  t.equal(a.code, 0, a.err);
  t.match(a.out, /Apply complete! Resources: 1 added/);
  t.match(a.err, /Warning: the daemon did not record this plan as the stack's last applied plan: APIGW\.0101: No such route\./);
});
