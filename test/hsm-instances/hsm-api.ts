/** A test's view of the HSM instance and keystore API over a signed client: calls with the instance credential, and job polling. */
import type { DewClient } from '../../provider/client/dew-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
export const HSMS = '/v1/{project_id}/dew/hsms';
export const KS = '/v1.0/{project_id}/keystores';

export function hsmApi(c: DewClient) {
  const req = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, credential?: string) =>
    (await c.request(method, path, body as object | undefined, undefined, credential ? { 'X-Hsm-Credential': credential } : undefined)).body as Any;
  const kms = (op: string, body: object) => c.kms(op, body) as Promise<Any>;
  /** Waits for a job to leave RUNNING (a token's RSA keys take seconds); its final record. */
  const job = async (jobId: string) => {
    for (let i = 0; i < 2000; i++) {
      const j = (await req('GET', `${HSMS}/jobs/${jobId}`)).job;
      if (j.status !== 'RUNNING') return j;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${jobId} still running`);
  };
  return { req, kms, job };
}
