#!/usr/bin/env node
/**
 * The dew Terraform provider's executable (`dew terraform install` writes a launcher that runs it
 * with this Node). Stdout is taken for the handshake before the provider's modules load, so
 * nothing they print can come first.
 */
import { servePlugin } from './plugin/serve.js';
import { takeStdout } from './plugin/stdout-guard.js';

takeStdout();
const { createProvider } = await import('./provider.js');
await servePlugin(createProvider());
