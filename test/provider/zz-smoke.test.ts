import t from 'tap';
import { loadConfig } from '../../provider/config/load-config.js';
import { resolveVariables } from '../../provider/config/variables.js';
import { createPlan } from '../../provider/plan/create-plan.js';
import { emptyStack } from '../../provider/state/stack-state.js';
t.test('smoke', async (t) => {
  const { config, diagnostics } = await loadConfig('/tmp/smoke/cfg');
  console.log(diagnostics);
  const vars = await resolveVariables(config, [], {});
  console.log(vars.diagnostics);
  const r = createPlan({ config, variables: vars.values, snapshot: emptyStack('demo') });
  console.log(JSON.stringify(r, null, 1).slice(0, 4000));
  t.pass();
});
