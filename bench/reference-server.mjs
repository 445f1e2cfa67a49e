#!/usr/bin/env node
// The reference the data-path rows are compared with: the same HTTP
// stack (Hono on @hono/node-server) with a minimal encrypt handler that parses the JSON body,
// checks the SDK-HMAC-SHA256 signature with the daemon's own verifier (SIGN=1), runs one
// AES-256-GCM and answers JSON. No storage, no audit, no validation. Prints its port.
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { createCipheriv, randomBytes } from 'node:crypto';
import { verifySdkSignature } from '../dist/daemon/http/auth/sdk-signature.js';
import { toSdkSignedRequest } from '../dist/daemon/http/auth/sdk-request.js';

const key = randomBytes(32);
const secret = Buffer.from(process.env.REF_SECRET_KEY ?? '');
const signed = process.env.SIGN === '1';
const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.post('/v1.0/:project_id/kms/encrypt-data', async (c) => {
  const raw = new Uint8Array(await c.req.arrayBuffer());
  if (signed && !verifySdkSignature(toSdkSignedRequest(c.req.raw, raw), () => secret, Date.now()).ok) return c.json({ error: 'signature' }, 401);
  const body = JSON.parse(Buffer.from(raw).toString('utf8'));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([iv, cipher.update(String(body.plain_text)), cipher.final(), cipher.getAuthTag()]);
  return c.json({ key_id: body.key_id, cipher_text: ct.toString('base64') });
});
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => process.stdout.write(`${info.port}\n`));
