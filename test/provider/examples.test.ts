/** The shipped examples validate and are in canonical layout. */
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateCommand } from '../../provider/commands/validate.js';
import { formatHcl } from '../../provider/config/format-hcl.js';

const root = fileURLToPath(new URL('../../examples/', import.meta.url));

for (const name of ['quickstart', 'envelope', 'kps', 'csms', 'hsm']) {
  t.test(`examples/${name} is valid and formatted`, async (t) => {
    let out = '';
    let err = '';
    const code = await validateCommand({ argv: [join(root, name)], cwd: root, env: {}, stdout: { write: (s) => void (out += s) }, stderr: { write: (s) => void (err += s) }, now: () => 0 });
    t.equal(code, 0, err);
    t.match(out, /Success!/);
    for (const f of readdirSync(join(root, name)).filter((f) => f.endsWith('.hcl'))) {
      const text = readFileSync(join(root, name, f), 'utf8');
      t.equal(formatHcl(text), text, `${f} is in canonical layout`);
    }
  });
}
