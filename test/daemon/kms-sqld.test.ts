/** The shared KMS suite on a real sqld server. */
import t from 'tap';
import { kmsSuite } from './kms-suite.js';

void kmsSuite(t, 'sqld');
