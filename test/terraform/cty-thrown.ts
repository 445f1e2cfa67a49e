/** The CtyError a codec call throws (cty-*.test.ts); anything else, or nothing thrown, fails the test. */
import { CtyError } from '../../provider/terraform/cty/errors.js';

export function thrown(fn: () => unknown): CtyError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CtyError) return e;
    throw new Error(`threw something else than CtyError: ${String(e)}`);
  }
  throw new Error('did not throw');
}
