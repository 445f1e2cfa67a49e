/** Rotation routes (reference 1e): enable/disable, interval, status and rotate-on-demand; one service call each. */
import { Hono } from 'hono';
import type { RotationService } from '../services/rotation.js';
import { kmsOps, type OpDeps } from './kms-op.js';
import type { AppEnv } from './env.js';

/** The op-route needs (ajv, schemas, op table) and this module's services. */
export interface RotationDeps extends OpDeps {
  rotation: RotationService;
}


export function rotationRoutes(d: RotationDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Each answers 200 with an empty body, as the reference does (reference 1e).
  const op = kmsOps(app, d);
  const r = d.rotation;
  op('enable-key-rotation', (caller, b) => r.enable(caller, String(b.key_id)));
  op('disable-key-rotation', (caller, b) => r.disable(caller, String(b.key_id)));
  op('update-key-rotation-interval', (caller, b) => r.updateInterval(caller, String(b.key_id), b.rotation_interval));
  op('get-key-rotation-status', (caller, b) => r.status(caller, String(b.key_id)));
  op('rotate-on-demand', async (caller, b) => {
    const k = await r.rotateNow(caller, String(b.key_id));
    return { key_id: k.keyId, number_of_rotations: k.numberOfRotations, last_rotation_time: String(k.lastRotationTime ?? '') };
  });
  return app;
}
