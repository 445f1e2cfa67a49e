/** The shared KMS suite on the embedded libSQL file database. */
import t from 'tap';
import { kmsSuite } from './kms-suite.js';

void kmsSuite(t, 'file');
