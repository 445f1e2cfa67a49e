/** The shared KMS suite against `dew daemon --workers 2` on the embedded file database: every call on a fresh connection. */
import t from 'tap';
import { kmsSuite } from './kms-suite.js';

void kmsSuite(t, 'file', { workers: 2 });
