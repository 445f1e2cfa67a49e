/** `dew kms OP --help` describes every operation and its fields, the few without a request schema included (issue 11.10). */
import t from 'tap';
import { kmsOperations, operationHelp } from '../../provider/commands/kms.js';

t.test('every KMS operation has a summary and, when it takes fields, describes each', async (t) => {
  const ops = kmsOperations();
  t.ok(ops.length >= 40, `${ops.length} operations`);
  for (const op of ops) {
    const text = operationHelp(op);
    t.notMatch(text.split('\n')[0], /^the KMS operation /, `${op}: a real one-line summary`);
    t.match(text, new RegExp(`usage: dew kms ${op} `), `${op}: its usage line`);
  }
  const fields: Record<string, string[]> = {
    'import-material': ['--key KEY', '--file FILE', '--wrapping-algorithm', '--expiration-time'],
    'list-key-tags': ['--key-id'],
    'create-tag': ['--key-id', '--tag'],
    'batch-tags': ['--key-id', '--action', '--tags'],
    'delete-tag': ['--key-id', '--tag-key'],
    'resource-instances': ['--action', '--tags'],
    'create-key': ['--key-alias', '--key-spec'],
  };
  for (const [op, flags] of Object.entries(fields)) for (const f of flags) t.match(operationHelp(op), `\n  ${f}`, `${op} --help describes ${f}`);
});
