/** KMS rotation routes (reference 1e): enable/disable, interval, status and rotate-on-demand; one service call each. */
import type { RotationService } from '../../services/rotation.js';
import type { RouteSpec } from '../contract.js';
import { op } from './op.js';

export function rotationRoutes(d: { rotation: RotationService }): RouteSpec[] {
  const r = d.rotation;
  // enable/disable/interval answer 200 with an empty body, as the reference does (reference 1e).
  return [
    op('enable-key-rotation', 'manage', (caller, b) => r.enable(caller, String(b.key_id))),
    op('disable-key-rotation', 'manage', (caller, b) => r.disable(caller, String(b.key_id))),
    op('update-key-rotation-interval', 'manage', (caller, b) => r.updateInterval(caller, String(b.key_id), b.rotation_interval)),
    op('get-key-rotation-status', 'read', (caller, b) => r.status(caller, String(b.key_id))),
    op('rotate-on-demand', 'manage', async (caller, b) => {
      const k = await r.rotateNow(caller, String(b.key_id));
      return { key_id: k.keyId, number_of_rotations: k.numberOfRotations, last_rotation_time: String(k.lastRotationTime ?? '') };
    }),
  ];
}
